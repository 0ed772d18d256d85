"""DockerRunner: the ``docker run`` it builds, run through a stand-in ``docker`` on PATH.

The stand-in (``tests.agent.fake_docker``) records its argv and runs the container's
``bash -c`` program on the host with the ``-e`` variables and the ``-w`` folder applied.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

import corral
from corral.agent import corral_dist
from corral.agent.runners.base import AgentOptions, Job, PrepareError
from corral.agent.runners.docker import DockerRunner, host_has_nvidia_gpus
from tests.agent.fake_docker import docker_calls, install_fake_docker

pytestmark = pytest.mark.timeout(600)

TASK_ID = "d" * 32
SECRET = "sk-do-not-show-this"

PROBE = """
import importlib.metadata, json, os, sys
import six
import corral
import corral.client.http  # corral's runtime requirements are there
json.dump({
    "six": six.__version__,
    "corral_file": corral.__file__,
    "corral_version": importlib.metadata.version("corral"),
    "prefix": sys.prefix,
    "secret": os.environ.get("CORRAL_SECRET_KEY"),
    "from_task": os.environ.get("FROM_TASK"),
    "task_id": os.environ.get("CORRAL_TASK_ID"),
}, open("out.json", "w"))
print("probe done")
"""


@pytest.fixture
def record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put the stand-in ``docker`` first on PATH; the file it records its calls in."""
    bin_dir = tmp_path / "bin"
    record = install_fake_docker(bin_dir)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return record


def make_job(tmp_path: Path, container: dict[str, str] | None = None) -> tuple[Job, list[str]]:
    lines: list[str] = []
    task: dict[str, Any] = {
        "id": TASK_ID,
        "script": {
            "code": PROBE,
            "entry_point": "probe.py",
            "working_dir": ".",
            "requirements": {"pip": "six==1.16.0\ncorral==0.0.1\n"},
        },
        "container": container or {},
    }
    hub_env = {
        "CORRAL_HUB_URL": "http://127.0.0.1:1",
        "CORRAL_ACCESS_KEY": "ak-1",
        "CORRAL_SECRET_KEY": SECRET,
    }
    job = Job(task=task, workdir=tmp_path / "w", hub_env=hub_env, worker="w1", log=lines.append)
    return job, lines


def pairs(argv: list[str], flag: str) -> list[str]:
    """The values following each ``flag`` in ``argv``."""
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == flag]


def test_task_runs_in_its_image_with_the_agent_s_corral(tmp_path: Path, record: Path) -> None:
    root = tmp_path / "agent"
    options = AgentOptions(root=root, gpus=["0", "1"], docker_args=["--label", "by=agent"])
    job, lines = make_job(
        tmp_path,
        {
            "image": "python:3.11-slim",
            "arguments": "--shm-size 1g -e FROM_TASK=yes",
            "setup_script": "echo from-setup > setup-ran.txt\n",
        },
    )

    launch = DockerRunner(options).prepare(job)
    argv = launch.argv

    workdir = job.workdir.resolve()
    overlay = corral_dist.overlay_dir(root)
    package = Path(corral.__file__).resolve().parent
    assert argv[:5] == ["docker", "run", "--rm", "--name", f"corral-{TASK_ID}"]
    assert pairs(argv, "--network") == ["host"]
    assert pairs(argv, "-w") == [str(launch.cwd)]
    assert argv[-4:-1] == ["python:3.11-slim", "bash", "-c"]
    assert pairs(argv, "--gpus") == ['"device=0,1"']
    # the task's arguments, then the agent's, then the image
    order = [argv.index(x) for x in ("--gpus", "--shm-size", "--label", "python:3.11-slim")]
    assert order == sorted(order)
    volumes = pairs(argv, "-v")
    assert f"{workdir}:{workdir}" in volumes
    assert f"{overlay}:{overlay}:ro" in volumes
    assert f"{package}:{package}:ro" in volumes
    assert f"{root / 'cache' / 'pip'}:/root/.cache/pip" in volumes
    env_args = pairs(argv, "-e")
    assert f"PYTHONPATH={overlay}" in env_args
    assert "PYTHONUNBUFFERED=1" in env_args
    assert f"CORRAL_TASK_ID={TASK_ID}" in env_args
    assert "CORRAL_HUB_URL=http://127.0.0.1:1" in env_args
    # the secret goes by name; its value only in the docker process's environment
    assert "CORRAL_SECRET_KEY" in env_args
    assert not any(SECRET in a for a in argv)
    assert launch.env["CORRAL_SECRET_KEY"] == SECRET
    assert not any(a.startswith("CUDA_VISIBLE_DEVICES") for a in env_args)
    assert launch.freeze_file == workdir / "freeze.txt"
    reqs = (workdir / "requirements.txt").read_text().splitlines()
    assert "six==1.16.0" in reqs and not any(corral_dist.is_corral_requirement(r) for r in reqs)
    assert any("docker image python:3.11-slim" in ln for ln in lines)

    proc = subprocess.run(
        argv, cwd=launch.cwd, env=launch.env, capture_output=True, text=True, timeout=500
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.rstrip().endswith("probe done")
    assert docker_calls(record)[0] == argv[1:]
    assert (launch.cwd / "setup-ran.txt").read_text() == "from-setup\n"
    seen = json.loads((launch.cwd / "out.json").read_text())
    assert seen["six"] == "1.16.0"
    assert Path(seen["corral_file"]).resolve() == Path(corral.__file__).resolve()
    assert seen["corral_version"] == corral.__version__
    assert Path(seen["prefix"]) == workdir / "venv"
    assert seen["secret"] == SECRET
    assert seen["from_task"] == "yes"
    assert seen["task_id"] == TASK_ID
    freeze = launch.freeze_file.read_text().splitlines()
    assert "six==1.16.0" in freeze
    assert any(corral_dist.is_corral_requirement(r) for r in freeze)


def test_agent_default_image_serves_tasks_that_name_none(tmp_path: Path, record: Path) -> None:
    options = AgentOptions(root=tmp_path / "agent", docker_image="agent/default:1", gpus=[])
    job, _ = make_job(tmp_path)
    argv = DockerRunner(options).prepare(job).argv
    assert argv[-4] == "agent/default:1"
    assert "--gpus" not in argv  # gpus=[]: cpu only
    assert not (job.workdir / "setup.sh").exists()
    assert "setup.sh" not in argv[-1]


def test_task_image_wins_over_the_agent_default(tmp_path: Path, record: Path) -> None:
    options = AgentOptions(root=tmp_path / "agent", docker_image="agent/default:1")
    job, _ = make_job(tmp_path, {"image": "task/own:2"})
    argv = DockerRunner(options).prepare(job).argv
    assert argv[-4] == "task/own:2"
    # gpus=None: every GPU when the host has any
    assert pairs(argv, "--gpus") == (["all"] if host_has_nvidia_gpus() else [])


def test_no_image_anywhere_is_a_clear_error(tmp_path: Path, record: Path) -> None:
    job, _ = make_job(tmp_path)
    with pytest.raises(PrepareError, match="start it with --docker IMAGE"):
        DockerRunner(AgentOptions(root=tmp_path / "agent")).prepare(job)
    assert not (job.workdir / "code").exists()  # nothing was restored for nothing


def test_abort_kills_the_container(tmp_path: Path, record: Path) -> None:
    options = AgentOptions(root=tmp_path / "agent", docker_image="img")
    job, _ = make_job(tmp_path)
    launch = DockerRunner(options).prepare(job)
    assert launch.on_abort is not None
    launch.on_abort()
    assert docker_calls(record) == [["kill", f"corral-{TASK_ID}"]]


def test_unparsable_container_arguments_are_a_clear_error(tmp_path: Path, record: Path) -> None:
    job, _ = make_job(tmp_path, {"image": "img", "arguments": "--label 'unclosed"})
    with pytest.raises(PrepareError, match="container arguments do not parse"):
        DockerRunner(AgentOptions(root=tmp_path / "agent")).prepare(job)


def test_the_machine_s_datasets_cache_is_mounted_at_its_own_path(tmp_path: Path) -> None:
    job, _ = make_job(tmp_path, {"image": "python:3.11-slim"})
    cache = tmp_path / "agent" / "datasets"
    job.hub_env["CORRAL_DATASET_CACHE"] = str(cache)

    argv = DockerRunner(AgentOptions(root=tmp_path / "agent")).prepare(job).argv

    assert f"{cache}:{cache}" in pairs(argv, "-v")
    assert f"CORRAL_DATASET_CACHE={cache}" in pairs(argv, "-e")
