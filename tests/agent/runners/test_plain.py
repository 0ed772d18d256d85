"""PlainRunner: the task runs with the agent's own interpreter and environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import corral
from corral.agent.runners.base import AgentOptions, Job, get_runner
from corral.agent.runners.plain import PlainRunner

pytestmark = pytest.mark.timeout(120)

PROBE = """
import json, os, sys
import corral
print(json.dumps({
    "executable": sys.executable,
    "corral_file": corral.__file__,
    "argv": sys.argv,
    "task_id": os.environ.get("CORRAL_TASK_ID"),
    "worker": os.environ.get("CORRAL_WORKER"),
    "agent": os.environ.get("CORRAL_AGENT"),
    "hub": os.environ.get("CORRAL_HUB_URL"),
    "unbuffered": os.environ.get("PYTHONUNBUFFERED"),
    "cuda": os.environ.get("CUDA_VISIBLE_DEVICES"),
}))
"""


def make_job(tmp_path: Path) -> tuple[Job, list[str]]:
    lines: list[str] = []
    task = {
        "id": "b" * 32,
        # requirements are ignored: plain mode installs nothing
        "script": {"code": PROBE, "entry_point": "probe.py", "requirements": {"pip": "nope==0"}},
    }
    job = Job(
        task=task,
        workdir=tmp_path / "w",
        hub_env={"CORRAL_HUB_URL": "http://127.0.0.1:1"},
        worker="w7",
        log=lines.append,
    )
    return job, lines


def test_task_runs_with_the_agent_s_python(tmp_path: Path) -> None:
    job, lines = make_job(tmp_path)
    launch = PlainRunner(AgentOptions(root=tmp_path / "agent", gpus=["1", "3"])).prepare(job)

    assert launch.argv == [sys.executable, str((job.workdir / "code/probe.py").resolve())]
    assert launch.on_abort is None and launch.freeze_file is None
    assert any("plain mode" in ln for ln in lines)
    assert not (tmp_path / "agent" / "venvs").exists()

    proc = subprocess.run(
        launch.argv, cwd=launch.cwd, env=launch.env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert Path(seen["corral_file"]).resolve() == Path(corral.__file__).resolve()
    assert seen["task_id"] == "b" * 32
    assert seen["worker"] == "w7"
    assert seen["agent"] == "1"
    assert seen["hub"] == "http://127.0.0.1:1"
    assert seen["unbuffered"] == "1"
    assert seen["cuda"] == "1,3"


def test_freeze_is_the_agent_s_environment(tmp_path: Path) -> None:
    job, _ = make_job(tmp_path)
    launch = get_runner("plain", AgentOptions(root=tmp_path / "agent")).prepare(job)
    names = {line.split("==")[0].lower() for line in launch.freeze.splitlines()}
    assert {"pytest", "httpx"} <= names


def test_the_agent_s_credentials_stay_out_of_the_task_s_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("CORRAL_")]:
        monkeypatch.delenv(name)
    for name, value in {
        "CORRAL_ACCESS_KEY": "agent-key",
        "CORRAL_SECRET_KEY": "agent-secret",
        "CORRAL_CONFIG": "/home/agent/.corral/config.toml",
        "CORRAL_ADMIN_PASSWORD": "hub-admin",
        "CORRAL_DATABASE_URL": "postgresql://u:pw@db/corral",
        "CORRAL_TEST_DATABASE_URL": "postgresql://u:pw@db/test",
        "CORRAL_OIDC_CLIENT_SECRET": "oidc",
        "CORRAL_AGENT_ROOT": "/srv/agent",
        "CORRAL_CACHE_DIR": "/srv/cache",  # a task's own setting: kept
    }.items():
        monkeypatch.setenv(name, value)
    job, _ = make_job(tmp_path)
    job.hub_env.update(CORRAL_ACCESS_KEY="task-key", CORRAL_SECRET_KEY="task-secret")

    env = PlainRunner(AgentOptions(root=tmp_path / "agent")).prepare(job).env

    corral_vars = {k: v for k, v in env.items() if k.startswith("CORRAL_")}
    assert corral_vars == {
        "CORRAL_TASK_ID": "b" * 32,
        "CORRAL_WORKER": "w7",
        "CORRAL_AGENT": "1",
        "CORRAL_HUB_URL": "http://127.0.0.1:1",
        "CORRAL_ACCESS_KEY": "task-key",
        "CORRAL_SECRET_KEY": "task-secret",
        "CORRAL_CACHE_DIR": "/srv/cache",
    }
