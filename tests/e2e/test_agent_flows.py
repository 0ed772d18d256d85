"""Agents at work: a real hub, ``corral agent`` processes and real scripts.

Each test uses a queue of its own (agents of other tests never take its tasks) and
waits for outcomes with deadlines, never for durations.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from corral.testing.hub import Hub, make_hub
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

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_hub]

SLEEPER = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
with open({pids!r} + ".tmp", "w") as f:
    f.write(f"{{os.getpid()}} {{child.pid}}")
os.replace({pids!r} + ".tmp", {pids!r})
print("sleeping", flush=True)
time.sleep(300)
"""


def read_pids(path: Path) -> list[int]:
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def run_locally(hub: Hub, tmp_path: Path, code: str, *args: str) -> tuple[str, str]:
    """Run a tracked script on "a laptop" (not an agent); returns (its task id, its stdout).

    The script prints ``task=<id>``.
    """
    script = tmp_path / "local_run.py"
    script.write_text(code)
    local = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=tmp_path,
        env=agent_env(hub, tmp_path / "laptop"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert local.returncode == 0, local.stderr
    return local.stdout.split("task=")[1].split()[0], local.stdout


@pytest.fixture
def quick_hub(tmp_path: Path) -> Iterator[Hub]:
    """A hub of its own that marks a worker gone after 3 s without a heartbeat."""
    h = make_hub(tmp_path / "quick-hub", "sqlite")
    h.extra_env["CORRAL_WORKER_TIMEOUT"] = "3"
    h.start()
    yield h
    h.dispose()


# --- (1) clone, edit, enqueue: a venv agent runs it with the new value ------------------

LR_SCRIPT = """
import argparse
from corral import Task

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
task = Task.init(project_name="agent-e2e", task_name="lr")
args = parser.parse_args()
print(f"lr={args.lr}")
print(f"task={task.id}")
"""


def test_edited_clone_runs_in_a_fresh_venv_with_the_new_value(
    hub: Hub, api: httpx.Client, queue: str, start_agent: StartAgent, tmp_path: Path
) -> None:
    original, stdout = run_locally(hub, tmp_path, LR_SCRIPT)
    assert "lr=0.1" in stdout
    wait_status(api, original, "completed")

    clone = f.ok(api.post(f"/tasks/{original}:clone", json={}))
    f.ok(
        api.patch(
            f"/tasks/{clone['id']}/hyperparams",
            json={"hyperparams": {"Args": {"lr": {"value": 0.5, "type": "float"}}}},
        )
    )
    f.ok(api.post(f"/tasks/{clone['id']}:enqueue", json={"queue": queue}))
    agent = start_agent(hub, "--queue", queue, plain=False)

    task = wait_status(api, clone["id"], "completed", "failed", timeout=240)
    lines = console(api, clone["id"])
    assert task["status"] == "completed", (task["status_reason"], lines[-20:])
    assert "lr=0.5" in lines
    assert task["worker"] == agent.name
    freeze = task["script"]["freeze"]
    assert "httpx==" in freeze
    # the venv's own packages, not the agent's environment (which has pytest)
    assert "pytest==" not in freeze


# --- (2) abort ------------------------------------------------------------------------


def test_abort_ends_the_task_and_its_children(
    hub: Hub, api: httpx.Client, queue: str, start_agent: StartAgent, tmp_path: Path
) -> None:
    pids_file = tmp_path / "pids"
    start_agent(hub, "--queue", queue)
    task = script_task(api, SLEEPER.format(pids=str(pids_file)), queue)
    try:
        pids = wait_for(lambda: read_pids(pids_file), "the script to start its child")
        assert not any(gone(p) for p in pids)
        f.ok(api.post(f"/tasks/{task['id']}:abort", json={}))
        wait_for(lambda: all(gone(p) for p in pids), "the script and its child to end")
        assert get_task(api, task["id"])["status"] == "stopped"
    finally:
        for pid in read_pids(pids_file):
            kill_quietly(pid)


TRAINING = """
import signal
from corral import Task
task = Task.init(project_name="agent-e2e", task_name="train")
logger = task.get_logger()
for step in range(5):
    logger.report_scalar("loss", "train", 1.0 / (step + 1), step)
    print("step", step, flush=True)
while True:
    signal.pause()  # "training" until a signal (the agent's SIGTERM) ends it
"""


def test_an_aborted_run_s_console_ends_with_one_line_from_the_agent(
    hub: Hub, api: httpx.Client, queue: str, start_agent: StartAgent
) -> None:
    start_agent(hub, "--queue", queue)
    task = script_task(api, TRAINING, queue)
    wait_for(lambda: any(line.startswith("step 3") for line in console(api, task["id"])), "steps")
    f.ok(api.post(f"/tasks/{task['id']}:abort", json={"reason": "wrong data"}))
    ending = "(wrong data) — the process stopped on SIGTERM (exit code 143)"
    lines = wait_for(
        lambda: (c := console(api, task["id"])) and c[-1].endswith(ending) and c,
        "the agent's last line",
    )
    assert lines[-1].startswith("corral-agent: the task was aborted on the hub"), lines[-1]
    # nothing of the SDK's after the last step: no traceback, no atexit noise
    tail = lines[max(i for i, line in enumerate(lines) if line.startswith("step ")) + 1 :]
    assert tail == [lines[-1]], tail
    assert not [x for x in lines if "Traceback" in x or "SystemExit" in x or "Exception" in x]
    assert get_task(api, task["id"])["status"] == "stopped"


# --- (3) an agent killed mid-task -----------------------------------------------------


def test_a_killed_agent_leaves_its_task_failed_worker_lost(
    quick_hub: Hub, start_agent: StartAgent, tmp_path: Path
) -> None:
    pids_file = tmp_path / "pids"
    with quick_hub.client() as api:
        queue = f.ok(api.post("/queues", json={"name": f.unique("q")}))["name"]
        agent = start_agent(quick_hub, "--queue", queue)
        task = script_task(api, SLEEPER.format(pids=str(pids_file)), queue)
        try:
            wait_for(lambda: read_pids(pids_file), "the task to run")
            agent.stop(signal.SIGKILL)
            failed = wait_status(api, task["id"], "failed")
            assert failed["status_reason"] == "worker lost"

            def marked_gone() -> bool:
                everyone = f.ok(api.get("/workers", params={"include_gone": "true"}))
                return any(w["id"] == agent.name and w["gone_at"] for w in everyone)

            wait_for(marked_gone, "the worker to be listed as gone")
            assert agent.name not in [w["id"] for w in f.ok(api.get("/workers"))]
        finally:
            for pid in read_pids(pids_file):
                kill_quietly(pid)


# --- (4) many tasks, several agents: each runs once -----------------------------------

RAN = "print('ran', __import__('os').environ['CORRAL_TASK_ID'])"


def test_300_tasks_4_agents_every_task_runs_exactly_once(
    hub: Hub, api: httpx.Client, queue: str, start_agent: StartAgent
) -> None:
    project = f.unique("many")
    ids = [script_task(api, RAN, queue, project=project)["id"] for _ in range(300)]
    agents = [start_agent(hub, "--queue", queue, wait=False) for _ in range(4)]
    project_id = get_task(api, ids[0])["project_id"]

    def all_done() -> bool:
        params = {"project_id": project_id, "status": ["completed"], "limit": 500}
        return len(f.ok(api.get("/tasks", params=params))["items"]) == 300

    wait_for(all_done, "300 tasks to complete", timeout=240)
    per_worker: Counter[str] = Counter()
    for task_id in ids:
        task = get_task(api, task_id)
        ran = [line for line in console(api, task_id) if line.startswith("ran ")]
        assert ran == [f"ran {task_id}"], (task_id, ran)
        per_worker[task["worker"]] += 1
    assert set(per_worker) <= {a.name for a in agents}
    assert sum(per_worker.values()) == 300
    assert f.ok(api.get(f"/queues/{queue}"))["entries"] == []


# --- (5) priority ---------------------------------------------------------------------


def test_a_task_moved_to_the_front_runs_first(
    hub: Hub, api: httpx.Client, queue: str, start_agent: StartAgent
) -> None:
    a, b, c = (script_task(api, "print('hi')", queue, name=n) for n in "ABC")
    detail = f.ok(api.post(f"/queues/{queue}:reorder", json={"task_id": c["id"], "index": 0}))
    assert [e["task_id"] for e in detail["entries"]] == [c["id"], a["id"], b["id"]]
    start_agent(hub, "--queue", queue)
    done = {t["id"]: wait_status(api, t["id"], "completed") for t in (a, b, c)}
    started = {i: done[i]["started_at"] for i in done}
    assert started[c["id"]] < started[a["id"]] < started[b["id"]]


# --- (6) docker mode ------------------------------------------------------------------


def test_docker_mode_runs_the_task_in_the_agents_image(
    hub: Hub,
    api: httpx.Client,
    queue: str,
    start_agent: StartAgent,
    fake_docker: tuple[Path, Path],
) -> None:
    folder, record = fake_docker
    path = f"{folder}{os.pathsep}{os.environ['PATH']}"
    start_agent(
        hub, "--queue", queue, "--docker", "python:3.11-slim", plain=False, env={"PATH": path}
    )
    task = script_task(api, "print('in the container')", queue)
    done = wait_status(api, task["id"], "completed", "failed", timeout=180)
    lines = console(api, task["id"])
    assert done["status"] == "completed", (done["status_reason"], lines[-20:])
    assert "in the container" in lines
    runs = [argv for argv in map(json.loads, record.read_text().splitlines()) if argv[0] == "run"]
    assert len(runs) == 1
    assert "python:3.11-slim" in runs[0]
    # the freeze was written inside the "container" and read back after the exit
    assert "httpx==" in done["script"]["freeze"]


# --- (7) services mode ----------------------------------------------------------------

WAITER = """
import os, sys, time
deadline = time.time() + 120
while not os.path.exists({release!r}):
    if time.time() > deadline:
        sys.exit("never released")
    time.sleep(0.05)
print("released")
"""


def test_services_mode_runs_two_tasks_at_once(
    hub: Hub, api: httpx.Client, queue: str, start_agent: StartAgent, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    start_agent(hub, "--queue", queue, "--services-mode", "2")
    tasks = [script_task(api, WAITER.format(release=str(release)), queue) for _ in range(2)]

    def both_running() -> bool:
        return all(get_task(api, t["id"])["status"] == "in_progress" for t in tasks)

    wait_for(both_running, "both tasks to run at the same time")
    release.touch()
    for t in tasks:
        assert wait_status(api, t["id"], "completed", "failed")["status"] == "completed"
        assert "released" in console(api, t["id"])


# --- (8) failures ---------------------------------------------------------------------


def test_exit_code_3_fails_the_task_with_the_code(
    hub: Hub, api: httpx.Client, queue: str, start_agent: StartAgent
) -> None:
    start_agent(hub, "--queue", queue)
    task = script_task(api, "import sys\nprint('bye', file=sys.stderr)\nsys.exit(3)", queue)
    done = wait_status(api, task["id"], "failed", "completed")
    assert (done["status"], done["status_reason"], done["exit_code"]) == (
        "failed",
        "exit code 3",
        3,
    )
    assert "bye" in console(api, task["id"])


def test_a_bad_requirement_fails_the_task_with_the_runners_message(
    hub: Hub, api: httpx.Client, queue: str, start_agent: StartAgent
) -> None:
    start_agent(hub, "--queue", queue, plain=False)
    missing = "corral-no-such-package-e2e"
    task = script_task(
        api, "print('never')", queue, script={"requirements": {"pip": f"{missing}==1.0\n"}}
    )
    done = wait_status(api, task["id"], "failed", "completed", timeout=180)
    assert done["status"] == "failed"
    assert missing in done["status_reason"]
    lines = console(api, task["id"])
    assert "never" not in lines
    assert any(missing in line for line in lines)


# --- (9) detached ---------------------------------------------------------------------


def test_detached_agent_runs_in_the_background(
    hub: Hub, api: httpx.Client, queue: str, tmp_path: Path
) -> None:
    name = f.unique("detached")
    env = agent_env(hub, tmp_path / "home")
    args = ["--detached", "--plain", "--queue", queue, "--name", name]
    cli = subprocess.run(
        [sys.executable, "-m", "corral", "agent", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 0, cli.stderr
    pid = int(cli.stdout.split("pid ")[1].split(",")[0])
    try:
        log_file = Path(cli.stdout.split("log ")[1].split()[0])
        assert log_file.is_relative_to(tmp_path / "home" / "agent" / "logs")
        assert is_live_worker(api, name)
        task = script_task(api, "print('in the background')", queue)
        assert wait_status(api, task["id"], "completed")["worker"] == name
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: gone(pid), "the background agent to stop")
        assert not is_live_worker(api, name)
        assert "stopped" in log_file.read_text()
    finally:
        kill_quietly(pid)


# --- (10) execute_remotely: a local run hands itself to an agent --------------------------

REMOTE_SCRIPT = """
import argparse
from corral import Task

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=1)
args = parser.parse_args()
task = Task.init(project_name="agent-e2e", task_name="remote")
config = task.connect({{"width": 8}})
print(f"task={{task.id}}", flush=True)
task.execute_remotely(queue_name={queue!r})
print(f"on the agent: epochs={{args.epochs}} width={{config['width']}}", flush=True)
"""


def test_execute_remotely_from_a_local_run_is_run_by_an_agent(
    hub: Hub, api: httpx.Client, queue: str, start_agent: StartAgent, tmp_path: Path
) -> None:
    task_id, stdout = run_locally(hub, tmp_path, REMOTE_SCRIPT.format(queue=queue), "--epochs", "7")
    assert "on the agent" not in stdout  # the local process ended there
    assert get_task(api, task_id)["status"] == "queued"

    agent = start_agent(hub, "--queue", queue)
    task = wait_status(api, task_id, "completed", "failed")
    lines = console(api, task_id)
    assert task["status"] == "completed", (task["status_reason"], lines[-20:])
    # the arguments and parameters of the local run, on the agent
    assert "on the agent: epochs=7 width=8" in lines
    assert task["worker"] == agent.name
