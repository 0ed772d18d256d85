"""The agent daemon against a real hub: registration, heartbeats, abort, stop, hub restarts.

Most tests run ``python -m corral agent --plain`` as a process; the in-process ones
give the :class:`Agent` a small runner of their own (the extension point the real
runners use) to see its callbacks: ``on_abort``, ``on_exit``, ``freeze_file``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from corral.agent.daemon import Agent
from corral.agent.process import exit_reason
from corral.agent.runners.base import AgentOptions, Job, Launch, PrepareError, Runner
from corral.agent.settings import AgentSettings
from corral.client.config import HubCredentials
from corral.testing.hub import Hub, free_port, make_hub
from tests import factories as f
from tests.agents import (
    StartAgent,
    agent_env,
    console,
    get_task,
    gone,
    is_live_worker,
    kill_quietly,
    script_task,
    wait_for,
    wait_status,
)

SLEEPER = """
import os, signal, subprocess, sys, time
{prelude}
child = subprocess.Popen([sys.executable, "-c", {child!r}])
with open({pids!r} + ".tmp", "w") as f:
    f.write(f"{{os.getpid()}} {{child.pid}}")
os.replace({pids!r} + ".tmp", {pids!r})
print("sleeping", flush=True)
{after}
"""
IGNORE_TERM = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)"


def sleeper(pids: Path, *, ignore_term: bool = False, after: str = "time.sleep(300)") -> str:
    child = "import time; time.sleep(300)"
    return SLEEPER.format(
        prelude=IGNORE_TERM if ignore_term else "",
        child=f"{IGNORE_TERM}; {child}" if ignore_term else child,
        pids=str(pids),
        after=after,
    )


def read_pids(path: Path) -> list[int]:
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def corral_agent(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "corral", "agent", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


# --- registration, heartbeat, command line -----------------------------------------------


def test_worker_registers_with_machine_facts_and_heartbeats_stats(
    hub: Hub, api: httpx.Client, queue: str, start_agent: StartAgent
) -> None:
    agent = start_agent(hub, "--queue", queue, "--cpu-only")
    worker = f.ok(api.get(f"/workers/{agent.name}"))
    assert worker["queues"] == [queue]
    machine = worker["machine"]
    assert machine["mode"] == "plain"
    assert machine["gpus"] == []
    assert machine["hostname"] and machine["corral_version"] and machine["cpu_cores"] > 0

    def stats() -> dict[str, object] | None:
        last = f.ok(api.get(f"/workers/{agent.name}"))["last_stats"]
        return last if last and last.get("cpu_percent") is not None else None

    last = wait_for(stats, "a heartbeat with stats")
    assert last["memory_total"] > last["memory_used"] > 0
    assert last["gpus"] == []


def test_a_name_already_live_on_the_hub_is_refused(
    hub: Hub, queue: str, start_agent: StartAgent, tmp_path: Path
) -> None:
    agent = start_agent(hub, "--queue", queue)
    second = corral_agent(
        agent_env(hub, tmp_path / "other"), "--plain", "--queue", queue, "--name", agent.name
    )
    assert second.returncode == 1
    error = second.stderr.strip()
    assert len(error.splitlines()) == 1
    assert agent.name in error and "choose another --name" in error


def test_an_unreachable_hub_is_a_one_line_error_with_its_url(hub: Hub, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = corral_agent(agent_env(hub, tmp_path / "h", CORRAL_HUB_URL=url), "--plain")
    assert result.returncode == 1
    error = result.stderr.strip()
    assert len(error.splitlines()) == 1
    assert url in error


def test_an_unknown_queue_is_a_one_line_error(hub: Hub, tmp_path: Path) -> None:
    result = corral_agent(agent_env(hub, tmp_path / "h"), "--plain", "--queue", "nope-no-queue")
    assert result.returncode == 1
    error = result.stderr.strip()
    assert len(error.splitlines()) == 1
    assert "nope-no-queue" in error


def test_docker_without_an_image_is_docker_mode(hub: Hub, tmp_path: Path) -> None:
    env = agent_env(hub, tmp_path / "h")
    # parsed as docker mode (no image) even when another option follows
    for args in (["--docker", "--plain"], ["--docker", "--queue", "default", "--plain"]):
        result = corral_agent(env, *args)
        assert result.returncode == 1
        assert "choose one of --plain and --docker" in result.stderr
    assert "[IMAGE]" in corral_agent(env, "--help").stdout


def test_exit_reason_names_the_signal() -> None:
    assert exit_reason(3) == "exit code 3"
    assert exit_reason(-signal.SIGKILL) == "killed by signal SIGKILL"
    assert exit_reason(-signal.SIGTERM) == "killed by signal SIGTERM"


# --- task outcomes --------------------------------------------------------------------


def test_a_task_killed_by_a_signal_fails_naming_it(
    hub: Hub, api: httpx.Client, queue: str, start_agent: StartAgent
) -> None:
    start_agent(hub, "--queue", queue)
    task = script_task(api, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", queue)
    done = wait_status(api, task["id"], "failed", "completed")
    assert done["status_reason"] == "killed by signal SIGKILL"


def test_what_a_finished_task_leaves_running_is_ended(
    hub: Hub, api: httpx.Client, queue: str, start_agent: StartAgent, tmp_path: Path
) -> None:
    pids_file = tmp_path / "pids"
    start_agent(hub, "--queue", queue)
    # the child keeps the output pipes open: the task must still finish
    task = script_task(api, sleeper(pids_file, after="print('parent done')"), queue)
    try:
        assert wait_status(api, task["id"], "completed", "failed")["status"] == "completed"
        assert "parent done" in console(api, task["id"])
        wait_for(lambda: all(gone(p) for p in read_pids(pids_file)), "the child to be ended")
    finally:
        for pid in read_pids(pids_file):
            kill_quietly(pid)


def test_stopping_the_agent_stops_its_task_and_unregisters(
    hub: Hub, api: httpx.Client, queue: str, start_agent: StartAgent, tmp_path: Path
) -> None:
    pids_file = tmp_path / "pids"
    agent = start_agent(hub, "--queue", queue)
    task = script_task(api, sleeper(pids_file), queue)
    try:
        pids = wait_for(lambda: read_pids(pids_file), "the task to run")
        assert agent.stop(signal.SIGTERM) == 0
        done = get_task(api, task["id"])
        assert (done["status"], done["status_reason"]) == ("stopped", "agent stopped")
        assert all(gone(p) for p in pids)
        assert not is_live_worker(api, agent.name)
    finally:
        for pid in read_pids(pids_file):
            kill_quietly(pid)


# --- the hub going away ---------------------------------------------------------------


def test_the_agent_outlives_a_hub_restart(fresh_hub: Hub, start_agent: StartAgent) -> None:
    with fresh_hub.client() as api:
        queue = f.ok(api.post("/queues", json={"name": f.unique("q")}))["name"]
    agent = start_agent(fresh_hub, "--queue", queue)
    fresh_hub.restart()
    with fresh_hub.client() as api:
        task = script_task(api, "print('after the restart')", queue)
        assert wait_status(api, task["id"], "completed")["worker"] == agent.name
        assert "after the restart" in console(api, task["id"])
    assert agent.process.poll() is None


def test_a_worker_marked_gone_registers_again(tmp_path: Path, start_agent: StartAgent) -> None:
    hub = make_hub(tmp_path / "quick-hub", "sqlite")
    hub.extra_env["CORRAL_WORKER_TIMEOUT"] = "3"
    hub.start()
    try:
        with hub.client() as api:
            queue = f.ok(api.post("/queues", json={"name": f.unique("q")}))["name"]
            agent = start_agent(hub, "--queue", queue)
            agent.process.send_signal(signal.SIGSTOP)  # silent, as a frozen machine
            try:
                wait_for(lambda: not is_live_worker(api, agent.name), "the hub to mark it gone")
            finally:
                agent.process.send_signal(signal.SIGCONT)
            wait_for(lambda: is_live_worker(api, agent.name), "the worker to register again")
            task = script_task(api, "print('back')", queue)
            assert wait_status(api, task["id"], "completed")["worker"] == agent.name
    finally:
        hub.dispose()


# --- in process, with a runner of the test's own ---------------------------------------


class ScriptRunner(Runner):
    """Runs the task's ``script.code`` with this Python; records the daemon's callbacks."""

    name = "test"

    def __init__(self, options: AgentOptions, fail_with: str = "") -> None:
        super().__init__(options)
        self.fail_with = fail_with
        self.aborted = 0
        self.exited = 0
        self.workdirs: list[Path] = []

    def prepare(self, job: Job) -> Launch:
        job.log("test runner: preparing")
        if self.fail_with:
            raise PrepareError(self.fail_with)
        self.workdirs.append(job.workdir)
        (job.workdir / "t.py").write_text(job.script["code"])
        env = {**os.environ, **job.hub_env, "FREEZE_FILE": str(job.workdir / "freeze.txt")}
        return Launch(
            argv=[sys.executable, "t.py"],
            cwd=job.workdir,
            env=env,
            freeze_file=job.workdir / "freeze.txt",
            on_abort=self._on_abort,
            on_exit=self._on_exit,
        )

    def _on_abort(self) -> None:
        self.aborted += 1

    def _on_exit(self) -> None:
        self.exited += 1


RunAgent = Callable[..., tuple[Agent, ScriptRunner]]


@pytest.fixture
def run_agent(hub: Hub, tmp_path: Path) -> Iterator[RunAgent]:
    """``run_agent(queue, **settings)``: an :class:`Agent` running in this process."""
    agents: list[Agent] = []

    def start(queue: str, fail_with: str = "", **settings: object) -> tuple[Agent, ScriptRunner]:
        config = AgentSettings(**{"root": tmp_path / "agent", "heartbeat": 0.5, **settings})
        runner = ScriptRunner(AgentOptions(root=config.root), fail_with)
        creds = HubCredentials(hub.url, hub.access_key, hub.secret_key)
        agent = Agent(config, creds, runner, worker_id=f.unique("inproc"), queues=[queue])
        agent.start()
        agents.append(agent)
        return agent, runner

    yield start
    for agent in agents:
        agent.shutdown()


def test_abort_ends_a_group_that_ignores_sigterm_after_the_grace(
    api: httpx.Client, queue: str, run_agent: RunAgent, tmp_path: Path
) -> None:
    pids_file = tmp_path / "pids"
    # a heartbeat a minute away: the abort can only come through the change log
    _, runner = run_agent(queue, abort_grace=1.0, heartbeat=60.0)
    task = script_task(api, sleeper(pids_file, ignore_term=True), queue)
    try:
        pids = wait_for(lambda: read_pids(pids_file), "the task to run")
        f.ok(api.post(f"/tasks/{task['id']}:abort", json={}))
        wait_for(lambda: all(gone(p) for p in pids), "SIGKILL after the grace period")
        wait_for(lambda: runner.exited == 1, "the runner's on_exit")
        assert runner.aborted == 1
        assert get_task(api, task["id"])["status"] == "stopped"
        assert not runner.workdirs[0].exists()
        prefix = "corral-agent: the task was aborted on the hub"
        lines = wait_for(
            lambda: (c := console(api, task["id"])) and any(x.startswith(prefix) for x in c) and c,
            "the agent's line",
        )
        assert lines[-1].startswith(prefix), lines  # the last one
        assert lines[-1].endswith("did not stop within 1 s of SIGTERM and was killed (SIGKILL)")
    finally:
        for pid in read_pids(pids_file):
            kill_quietly(pid)


def test_the_freeze_file_is_written_back_after_the_exit(
    api: httpx.Client, queue: str, run_agent: RunAgent
) -> None:
    run_agent(queue)
    code = """
        import os
        with open(os.environ["FREEZE_FILE"], "w") as f:
            f.write("numpy==2.0.0\\nsix==1.16.0\\n")
        print("frozen")
    """
    task = script_task(api, textwrap.dedent(code), queue)
    done = wait_status(api, task["id"], "completed", "failed")
    assert done["status"] == "completed"
    assert done["script"]["freeze"] == "numpy==2.0.0\nsix==1.16.0\n"
    assert done["exit_code"] == 0


def test_a_prepare_error_fails_the_task_with_its_message(
    api: httpx.Client, queue: str, run_agent: RunAgent
) -> None:
    run_agent(queue, fail_with="cannot install nope==1.0: no such package")
    task = script_task(api, "print('never')", queue)
    done = wait_status(api, task["id"], "failed", "completed")
    assert done["status_reason"] == "cannot install nope==1.0: no such package"
    lines = console(api, task["id"])
    assert "test runner: preparing" in lines
    assert "never" not in lines


def test_the_agent_process_is_not_dumpable_so_its_tasks_cannot_read_it() -> None:
    probe = textwrap.dedent(
        """
        import ctypes
        from corral.agent.process import protect_process
        libc = ctypes.CDLL(None)
        before = libc.prctl(3, 0, 0, 0, 0)  # PR_GET_DUMPABLE
        protected = protect_process()
        print(before, protected, libc.prctl(3, 0, 0, 0, 0))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.split() == ["1", "True", "0"]
