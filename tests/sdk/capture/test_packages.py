from __future__ import annotations

import importlib.metadata as metadata
import sys
import textwrap
from pathlib import Path

import pytest

from corral.sdk.capture.packages import freeze, requirements, scan_imports


def write(path: Path, code: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(code))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    write(
        root / "train.py",
        """\
        from __future__ import annotations
        import os, json
        import numpy as np
        from pandas import DataFrame
        import helpers
        from pkg import models
        import pkg.data.loader

        def plot():
            import matplotlib.pyplot as plt

        try:
            import PIL.Image
        except ImportError:
            PIL = None
        """,
    )
    write(root / "helpers.py", "import httpx\nfrom collections import OrderedDict\n")
    write(root / "pkg/__init__.py", "from .models import Net\nfrom . import util\n")
    write(root / "pkg/models.py", "import orjson\nfrom ..outside import nothing\n")
    write(root / "pkg/util.py", "import importlib\nyaml = importlib.import_module('yaml')\n")
    write(root / "pkg/data/__init__.py", "")
    write(root / "pkg/data/loader.py", "from .. import broken\nimport pyarrow.parquet as pq\n")
    write(root / "pkg/broken.py", "import not_seen_because_of_the_error\ndef (:\n")
    write(root / "unused.py", "import never_imported_by_anyone\n")
    return root


def test_scan_follows_local_modules(project: Path) -> None:
    found = scan_imports(project / "train.py")

    assert found == {"numpy", "pandas", "matplotlib", "PIL", "httpx", "orjson", "yaml", "pyarrow"}


def test_scan_of_code_text_with_root(project: Path) -> None:
    found = scan_imports(None, code="import helpers\nimport sklearn.linear_model\n", root=project)

    assert found == {"httpx", "sklearn"}


def test_scan_of_unparsable_entry_is_empty(tmp_path: Path) -> None:
    entry = tmp_path / "bad.py"
    entry.write_text("import numpy\nprint 'python 2'\n")

    assert scan_imports(entry) == set()
    assert scan_imports(tmp_path / "missing.py") == set()


def test_scan_ignores_invalid_escape_warnings(tmp_path: Path) -> None:
    entry = tmp_path / "regex.py"
    entry.write_text('import numpy\npattern = "\\d+"\n')

    assert scan_imports(entry) == {"numpy"}


def line(distribution: str) -> str:
    dist = metadata.distribution(distribution)
    return f"{dist.metadata['Name']}=={dist.version}"


def test_requirements_map_imports_to_pinned_distributions() -> None:
    text = requirements({"PIL", "numpy", "yaml", "os", "corral", "surely_not_installed_xyz"})

    lines = text.splitlines()
    assert lines == sorted([line("pillow"), line("numpy"), line("PyYAML")], key=str.lower)
    assert not any(entry.lower().startswith("corral") for entry in lines)
    assert text.endswith("\n")
    assert requirements(set()) == ""


def test_freeze_lists_the_environment() -> None:
    text = freeze()

    lines = text.splitlines()
    assert f"numpy=={metadata.version('numpy')}" in lines
    names = [entry.split("==")[0].split(" @ ")[0].lower() for entry in lines]
    assert names == sorted(names)
    assert len(names) == len(set(names))


def test_freeze_writes_direct_url_installs_as_name_at_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a distribution installed from a local folder (PEP 610 ``direct_url.json``)
    site = tmp_path / "site"
    info = site / "demo_local-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-local\nVersion: 1.0\n")
    source = (tmp_path / "src" / "demo").as_uri()
    (info / "direct_url.json").write_text(f'{{"url": "{source}", "dir_info": {{}}}}')
    monkeypatch.setattr(sys, "path", [str(site), *sys.path])
    monkeypatch.setenv("CORRAL_CACHE_DIR", str(tmp_path / "cache"))

    lines = [entry for entry in freeze().splitlines() if entry.startswith("demo-local")]

    assert lines == [f"demo-local @ {source}"]
