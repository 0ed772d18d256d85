"""VenvRunner with the real uv and PyPI: build, run, reuse, fail clearly, rebuild."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import corral
from corral.agent import corral_dist
from corral.agent.runners.base import AgentOptions, Job, PrepareError
from corral.agent.runners.venv import VenvRunner, environment_key

pytestmark = pytest.mark.timeout(600)

PROBE = """
import importlib.metadata, json, os, sys
import six
import corral
import corral.client.http, corral.schemas.tasks  # corral's runtime requirements work
print(json.dumps({
    "six": six.__version__,
    "corral_file": corral.__file__,
    "corral_version": importlib.metadata.version("corral"),
    "prefix": sys.prefix,
    "task_id": os.environ["CORRAL_TASK_ID"],
    "hub": os.environ["CORRAL_HUB_URL"],
    "cuda": os.environ.get("CUDA_VISIBLE_DEVICES"),
    "cwd": os.getcwd(),
}))
"""


@pytest.fixture(scope="session")
def uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One uv cache for the session, so each package is downloaded once."""
    return tmp_path_factory.mktemp("uv-cache")


@pytest.fixture
def shared_cache(uv_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("UV_CACHE_DIR", str(uv_cache))
    yield uv_cache


def make_job(tmp_path: Path, pip: str, name: str = "w", code: str = PROBE) -> tuple[Job, list[str]]:
    lines: list[str] = []
    task: dict[str, Any] = {
        "id": "a" * 32,
        "script": {
            "code": code,
            "entry_point": "probe.py",
            "working_dir": ".",
            "requirements": {"pip": pip},
        },
    }
    job = Job(
        task=task,
        workdir=tmp_path / name,
        hub_env={"CORRAL_HUB_URL": "http://127.0.0.1:1"},
        worker="w1",
        log=lines.append,
    )
    return job, lines


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout))


def test_task_runs_in_a_built_environment_with_the_agent_s_corral(
    tmp_path: Path, shared_cache: Path
) -> None:
    root = tmp_path / "agent"
    runner = VenvRunner(AgentOptions(root=root, gpus=[]))
    # the task's own corral pin is dropped: it gets the agent's corral
    job, lines = make_job(tmp_path, "six==1.16.0\ncorral==0.0.1\n")

    launch = runner.prepare(job)

    env_dir = Path(launch.argv[0]).parent.parent
    assert env_dir.parent == root / "venvs" and (env_dir / ".ready").is_file()
    assert launch.env["VIRTUAL_ENV"] == str(env_dir)
    assert launch.env["PATH"].startswith(str(env_dir / "bin"))
    assert "six==1.16.0" in launch.freeze.splitlines()
    assert f"corral=={corral.__version__}" in launch.freeze.splitlines()
    assert any("building environment" in ln for ln in lines)
    assert any("six==1.16.0" in ln for ln in lines)  # uv's own output was streamed

    seen = run(launch.argv, launch.cwd, launch.env)
    assert seen["six"] == "1.16.0"
    assert Path(seen["corral_file"]).resolve() == Path(corral.__file__).resolve()
    assert seen["corral_version"] == corral.__version__
    assert Path(seen["prefix"]).resolve() == env_dir.resolve()
    assert seen["task_id"] == "a" * 32
    assert seen["hub"] == "http://127.0.0.1:1"
    assert seen["cuda"] == ""  # gpus=[]: cpu only
    assert Path(seen["cwd"]) == launch.cwd


def test_same_requirements_reuse_the_environment(tmp_path: Path, shared_cache: Path) -> None:
    root = tmp_path / "agent"
    runner = VenvRunner(AgentOptions(root=root))
    first_job, _ = make_job(tmp_path, "six==1.16.0\n", "w1")
    first = runner.prepare(first_job)
    env_dir = Path(first.argv[0]).parent.parent
    marker = env_dir / "marker-from-the-test"
    marker.write_text("a rebuild would remove this")
    ready = (env_dir / ".ready").stat().st_mtime_ns

    # the same set, spelled differently: same environment
    second_job, lines = make_job(tmp_path, "# pinned\nSix == 1.16.0\n\n", "w2")
    second = VenvRunner(AgentOptions(root=root)).prepare(second_job)

    assert second.argv[0] == first.argv[0]
    assert marker.is_file()
    assert (env_dir / ".ready").stat().st_mtime_ns == ready
    assert any(f"environment {env_dir.name[:12]} cached" in ln for ln in lines)
    assert not any("building" in ln for ln in lines)
    assert second.freeze == first.freeze
    assert run(second.argv, second.cwd, second.env)["six"] == "1.16.0"
    # gpus=None: the agent's own setting passes through untouched
    assert second.env.get("CUDA_VISIBLE_DEVICES") == os.environ.get("CUDA_VISIBLE_DEVICES")


def test_bad_requirement_is_a_clear_prepare_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UV_CACHE_DIR", raising=False)
    root = tmp_path / "agent"
    job, lines = make_job(tmp_path, "six==99.0\n")

    with pytest.raises(PrepareError) as err:
        VenvRunner(AgentOptions(root=root)).prepare(job)

    message = str(err.value)
    assert message.startswith("installing the task's requirements failed: ")
    assert "six==99.0" in message
    # nothing half-built is left to be mistaken for an environment
    assert [p for p in (root / "venvs").iterdir() if not p.name.endswith(".lock")] == []
    assert (root / "cache" / "uv").is_dir()  # uv's cache defaults to the agent's root
    assert any("error" in ln.lower() for ln in lines)


def test_half_built_environment_is_rebuilt(tmp_path: Path, shared_cache: Path) -> None:
    root = tmp_path / "agent"
    key = environment_key("", corral_dist.with_corral("six==1.16.0"))
    env_dir = root / "venvs" / key[:16]
    # an agent killed mid-install: a folder without .ready
    (env_dir / "bin").mkdir(parents=True)
    (env_dir / "leftover").write_text("from the interrupted build")
    job, lines = make_job(tmp_path, "six==1.16.0")

    launch = VenvRunner(AgentOptions(root=root)).prepare(job)

    assert Path(launch.argv[0]).parent.parent == env_dir
    assert not (env_dir / "leftover").exists()
    assert (env_dir / ".ready").is_file()
    assert any("building environment" in ln for ln in lines)
    assert run(launch.argv, launch.cwd, launch.env)["six"] == "1.16.0"


def test_key_ignores_order_case_and_comments() -> None:
    a = environment_key("", ["six==1.16.0", "Requests>=2"])
    b = environment_key("", ["requests >= 2  # http", "Six==1.16.0"])
    c = environment_key("", ["six==1.17.0", "requests>=2"])
    assert a == b != c
