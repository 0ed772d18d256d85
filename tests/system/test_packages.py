from __future__ import annotations

import importlib.metadata as metadata
import sys
from pathlib import Path

import pytest

from corral.system.packages import environment, freeze, normalize_name, sorted_lines


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


def test_environment_is_read_again_when_a_package_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORRAL_CACHE_DIR", str(tmp_path / "cache"))
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setattr(sys, "path", [str(site), *sys.path])
    before = environment()
    assert "demo-late" not in before["versions"]
    assert list((tmp_path / "cache").glob("environment-*.json"))  # kept for the next call

    info = site / "demo_late-2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: Demo_Late\nVersion: 2.0\n")

    after = environment()
    assert after["versions"]["demo-late"] == ["Demo_Late", "2.0"]
    assert "Demo_Late==2.0" in after["freeze"].splitlines()


def test_names_normalize_and_lines_sort_as_pip_does() -> None:
    assert normalize_name("Zope.Interface__x") == "zope-interface-x"
    assert sorted_lines([("six", "six==1"), ("Flask", "Flask==3")]) == "Flask==3\nsix==1\n"
    assert sorted_lines([]) == ""
