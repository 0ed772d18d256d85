from __future__ import annotations

import importlib.metadata as metadata
import textwrap
from pathlib import Path

import pytest

from corral.sdk.capture.packages import requirements, scan_imports


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
