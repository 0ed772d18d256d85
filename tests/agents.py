"""Helpers for tests that run agents: start them as real processes, wait for flows.

``Agents`` starts ``python -m corral agent`` processes with a HOME and an agent root of
their own and a fast heartbeat. Waiting is always "until this holds, or fail after a
generous deadline": no test asserts on time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psutil
import pytest

from corral.testing.hub import Hub, client_env
from tests import factories as f

T = TypeVar("T")

#: the longest any flow waits for something before the test fails
DEADLINE = 60.0


def wait_for(check: Callable[[], T], what: str, timeout: float = DEADLINE) -> T:
    """Poll ``check()`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def gone(pid: int) -> bool:
    """The process ended (a zombie nobody reaped yet counts as ended)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def kill_quietly(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def console(api: httpx.Client, task_id: str) -> list[str]:
    """The texts of every console line of the task, in order."""
    texts: list[str] = []
    after = 0
    while True:
        page = f.ok(api.get(f"/tasks/{task_id}/logs", params={"after": after, "limit": 1000}))
        texts += [item["text"] for item in page["items"]]
        if not page["has_more"] or not page["items"]:
            return texts
        after = page["items"][-1]["seq"]


def get_task(api: httpx.Client, task_id: str) -> dict[str, Any]:
    return dict(f.ok(api.get(f"/tasks/{task_id}")))


def wait_status(
    api: httpx.Client, task_id: str, *statuses: str, timeout: float = DEADLINE
) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        task = get_task(api, task_id)
        return task if task["status"] in statuses else None

    return wait_for(check, f"task {task_id} to be {' or '.join(statuses)}", timeout)


def script_task(
    api: httpx.Client, code: str, queue: str | None = None, **fields: Any
) -> dict[str, Any]:
    """A task whose code is ``code`` (entry point ``t.py``), enqueued on ``queue`` if given."""
    script = {"code": textwrap.dedent(code), "entry_point": "t.py", **fields.pop("script", {})}
    task = f.task(api, project_name=fields.pop("project", "agent-e2e"), script=script, **fields)
    if queue is not None:
        f.ok(api.post(f"/tasks/{task['id']}:enqueue", json={"queue": queue}))
    return task


def agent_env(hub: Hub, home: Path, **extra: str) -> dict[str, str]:
    """The environment of an agent (or a script) on "another machine" of this hub."""
    fast = {"CORRAL_AGENT_HEARTBEAT": "0.5", "CORRAL_AGENT_ROOT": str(home / "agent")}
    return client_env(hub, home, **{**fast, **extra})


@dataclass
class AgentProcess:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait(10)


def is_live_worker(api: httpx.Client, name: str) -> bool:
    response = api.get(f"/workers/{name}")
    return response.status_code == 200 and response.json()["gone_at"] is None


StartAgent = Callable[..., AgentProcess]


class Agents:
    """Starts agents as processes (``start``); ``stop_all`` ends them (SIGTERM, then SIGKILL)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[AgentProcess] = []

    def start(
        self,
        hub: Hub,
        *args: str,
        name: str | None = None,
        plain: bool = True,
        env: dict[str, str] | None = None,
        wait: bool = True,
    ) -> AgentProcess:
        """``python -m corral agent --name NAME ARGS [--plain]``; waits until it registered."""
        name = name or f.unique("agent")
        safe = name.replace(":", "_")
        cmd = [sys.executable, "-m", "corral", "agent", "--name", name, *args]
        if plain:
            cmd.append("--plain")
        log_path = self.folder / f"{safe}.log"
        with log_path.open("ab") as log_file:
            process = subprocess.Popen(
                cmd,
                env=agent_env(hub, self.folder / safe, **(env or {})),
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        agent = AgentProcess(name, process, log_path)
        self.started.append(agent)
        if wait:
            with hub.client() as api:

                def registered() -> bool:
                    if process.poll() is not None:
                        raise AssertionError(f"agent {name} exited:\n{agent.log()}")
                    return is_live_worker(api, name)

                wait_for(registered, f"agent {name} to register")
        return agent

    def stop_all(self) -> None:
        for agent in self.started:
            agent.stop(timeout=20)


def make_queue(api: httpx.Client) -> str:
    """A new queue with a unique name."""
    return str(f.ok(api.post("/queues", json={"name": f.unique("q")}))["name"])


@pytest.fixture
def start_agent(tmp_path: Path) -> Iterator[StartAgent]:
    """``start_agent(hub, "--queue", q, name=..., plain=True, env={...})`` -> a live agent."""
    agents = Agents(tmp_path)
    yield agents.start
    agents.stop_all()


@pytest.fixture
def queue(api: httpx.Client) -> str:
    """A queue of this test's own, so that agents of other tests never take its tasks."""
    return make_queue(api)
