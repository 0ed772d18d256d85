"""The corral overlay: a task's python imports the agent's corral, whatever else is installed."""

from __future__ import annotations

import importlib.metadata as metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

import corral
from corral.agent import corral_dist

pytestmark = pytest.mark.timeout(60)

AGENT_CORRAL = Path(corral.__file__).resolve()

PROBE = """
import json, sys, importlib.metadata as m
import corral
print(json.dumps({"file": corral.__file__, "version": m.version("corral"),
                  "fake": hasattr(corral, "FAKE")}))
"""


def run_isolated(code: str, *, site_dir: Path | None = None, path: Path | None = None) -> dict:
    """Run ``code`` in a python that sees neither the agent's site-packages nor its env."""
    prelude = "import sys\n"
    if path is not None:
        prelude += f"sys.path.insert(0, {str(path)!r})\n"
    if site_dir is not None:
        # what the interpreter does for a venv's site-packages at startup
        prelude += f"import site\nsite.addsitedir({str(site_dir)!r})\n"
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", prelude + code],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(proc.stdout))


def test_overlay_links_the_agent_package_and_carries_its_metadata(tmp_path: Path) -> None:
    overlay = corral_dist.overlay_dir(tmp_path)
    assert overlay.parent == tmp_path / "corral"
    assert overlay.name == corral_dist.identity()
    assert (overlay / "corral").is_symlink()
    assert (overlay / "corral").resolve() == AGENT_CORRAL.parent
    info = overlay / f"corral-{corral.__version__}.dist-info"
    assert (info / "INSTALLER").read_text() == "corral-agent\n"
    assert f"Version: {corral.__version__}" in (info / "METADATA").read_text()
    # built once: the second call returns the same folder untouched
    stamp = (info / "METADATA").stat().st_mtime_ns
    assert corral_dist.overlay_dir(tmp_path) == overlay
    assert (info / "METADATA").stat().st_mtime_ns == stamp
    assert [p.name for p in (tmp_path / "corral").iterdir()] == [overlay.name]

    seen = run_isolated(PROBE, path=overlay)
    assert Path(seen["file"]).resolve() == AGENT_CORRAL
    assert seen["version"] == corral.__version__


def test_pth_puts_the_overlay_before_a_same_named_package(tmp_path: Path) -> None:
    overlay = corral_dist.overlay_dir(tmp_path / "agent")
    site = tmp_path / "site-packages"
    # another project called corral, installed from an index into the task's env
    (site / "corral").mkdir(parents=True)
    (site / "corral/__init__.py").write_text("FAKE = True\n")
    (site / "corral-9.9.9.dist-info").mkdir()
    (site / "corral-9.9.9.dist-info/METADATA").write_text("Name: corral\nVersion: 9.9.9\n")

    pth = corral_dist.write_pth(site, overlay)

    assert pth.name == "_corral_agent.pth"
    seen = run_isolated(PROBE, site_dir=site)
    assert not seen["fake"]
    assert Path(seen["file"]).resolve() == AGENT_CORRAL
    assert seen["version"] == corral.__version__


def test_identity_names_the_version_and_is_stable() -> None:
    ident = corral_dist.identity()
    assert ident.startswith(f"{corral.__version__}-")
    assert len(ident.rsplit("-", 1)[1]) == 12
    assert corral_dist.identity() == ident


def test_runtime_requirements_leave_out_the_extras_and_the_agent_s_own() -> None:
    reqs = corral_dist.runtime_requirements()
    declared = metadata.requires("corral") or []
    assert any(r.startswith("uv") for r in declared)  # the agent needs it...
    assert reqs == [r for r in declared if "extra" not in r and not r.startswith("uv")]
    assert any(r.startswith("httpx") for r in reqs)
    # ...a task does not; nor the server's or the tests' packages
    assert not any(r.startswith(("fastapi", "sqlalchemy", "pytest", "uv")) for r in reqs)


@pytest.mark.parametrize(
    "line",
    [
        "corral",
        "corral==0.1.0",
        "Corral>=0.1",
        "corral[s3,server]==0.1.0",
        "corral @ file:///home/me/corral",
        "  corral ; python_version >= '3.10'",
        "CORRAL~=0.1",
        "-e git+https://example.com/corral.git#egg=corral",
    ],
)
def test_lines_naming_corral_are_recognised(line: str) -> None:
    assert corral_dist.is_corral_requirement(line)


@pytest.mark.parametrize(
    "line",
    ["", "# corral==0.1", "corral-extras==1.0", "corralx", "six==1.16.0", "-r corral.txt"],
)
def test_other_lines_are_not_corral(line: str) -> None:
    assert not corral_dist.is_corral_requirement(line)


def test_with_corral_swaps_the_task_s_corral_for_its_runtime_requirements() -> None:
    lines = corral_dist.with_corral("six==1.16.0\n\n# a comment\ncorral==0.0.1\nhttpx>=0.27\n")
    assert lines[:2] == ["six==1.16.0", "httpx>=0.27"]
    assert not any(corral_dist.is_corral_requirement(ln) for ln in lines)
    assert lines.count("httpx>=0.27") == 1
    assert set(corral_dist.runtime_requirements()) <= set(lines)
