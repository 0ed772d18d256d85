"""``task.execute_remotely``: a local run hands itself to a queue, or leaves a draft when no
queue is given; under an agent it is a no-op (and ``running_locally`` is false there)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from corral.testing.hub import Hub
from tests import factories as f
from tests.agents import StartAgent, make_queue, start_agent, wait_status  # noqa: F401
from tests.agents import console as console_lines
from tests.factories import ok, unique
from tests.sdk.conftest import run_script


def _line(stdout: str, prefix: str) -> str:
    return next(line[len(prefix) :] for line in stdout.splitlines() if line.startswith(prefix))


SCRIPT = """
import argparse
from corral import Task

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
args = parser.parse_args()
task = Task.init(project_name="{project}", task_name="remote")
params = task.connect({{"layers": 3}})
print("before", flush=True)
result = task.execute_remotely(queue_name="{queue}", clone={clone})
print("after", result, args.lr, params["layers"], flush=True)
"""


def _queue(api: httpx.Client) -> str:
    return str(ok(api.post("/queues", json={"name": unique("q")}), 201)["name"])


def _task(api: httpx.Client, project: str) -> dict[str, Any]:
    (found,) = [
        p for p in ok(api.get("/projects", params={"search": project})) if p["name"] == project
    ]
    tasks = ok(api.get("/tasks", params={"project_id": found["id"]}))
    return dict(tasks["items"][0])


def test_a_local_run_is_enqueued_with_its_inputs_and_the_process_ends(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    project, queue = unique("proj"), _queue(sdk_api)
    proc = run_script(
        SCRIPT.format(project=project, queue=queue, clone=False),
        sdk_env,
        tmp_path,
        args=["--lr", "0.3"],
    )
    assert "before" in proc.stdout
    assert "after" not in proc.stdout  # the local process ended at execute_remotely
    task = _task(sdk_api, project)
    assert task["status"] == "queued"
    entries = ok(sdk_api.get(f"/queues/{queue}"))["entries"]
    assert [e["task_id"] for e in entries] == [task["id"]]
    full = ok(sdk_api.get(f"/tasks/{task['id']}"))
    assert full["hyperparams"]["Args"]["lr"]["value"] == 0.3
    assert full["hyperparams"]["General"]["layers"]["value"] == 3
    assert full["script"]["entry_point"].endswith("script.py")
    assert full["script"]["code"] or full["script"]["repository"]
    assert "httpx==" in full["script"]["freeze"]
    # the local run's console was cleared with the rest of its outputs
    assert ok(sdk_api.get(f"/tasks/{task['id']}/logs"))["items"] == []


def test_under_an_agent_execute_remotely_does_nothing(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    project, queue = unique("proj"), _queue(sdk_api)
    run_script(SCRIPT.format(project=project, queue=queue, clone=False), sdk_env, tmp_path)
    task_id = _task(sdk_api, project)["id"]
    # an edit before the agent runs it, then what an agent does: dequeue, start, run
    worker = ok(sdk_api.post("/workers", json={"id": unique("w"), "queues": [queue]}), 201)["id"]
    ok(sdk_api.post(f"/tasks/{task_id}:dequeue", json={}))
    ok(
        sdk_api.patch(
            f"/tasks/{task_id}/hyperparams",
            json={"hyperparams": {"Args": {"lr": {"value": 0.7, "type": "float"}}}},
        )
    )
    ok(sdk_api.post(f"/tasks/{task_id}:enqueue", json={"queue": queue}))
    got = ok(sdk_api.post("/queues:dequeue", json={"worker": worker, "queues": [queue]}))
    assert got["task"]["id"] == task_id
    ok(sdk_api.post(f"/tasks/{task_id}:start", json={"worker": worker}))
    env = {**sdk_env, "CORRAL_TASK_ID": task_id, "CORRAL_AGENT": "1"}
    proc = run_script(
        SCRIPT.format(project=project, queue=queue, clone=False), env, tmp_path / "agent"
    )
    assert "after None 0.7 3" in proc.stdout
    assert ok(sdk_api.get(f"/tasks/{task_id}"))["status"] == "in_progress"  # the agent ends it


def test_clone_enqueues_a_copy_and_ends_the_local_run(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    project, queue = unique("proj"), _queue(sdk_api)
    proc = run_script(SCRIPT.format(project=project, queue=queue, clone=True), sdk_env, tmp_path)
    assert "after" not in proc.stdout
    entries = ok(sdk_api.get(f"/queues/{queue}"))["entries"]
    assert len(entries) == 1
    clone = ok(sdk_api.get(f"/tasks/{entries[0]['task_id']}"))
    original = ok(sdk_api.get(f"/tasks/{clone['parent_id']}"))
    assert original["status"] == "stopped" and clone["id"] in original["status_reason"]
    assert clone["hyperparams"]["General"]["layers"]["value"] == 3


def test_an_unknown_queue_fails_before_anything_changes(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    project = unique("proj")
    proc = run_script(
        SCRIPT.format(project=project, queue=unique("nope"), clone=False),
        sdk_env,
        tmp_path,
        check=False,
    )
    assert proc.returncode == 1 and "no queue named" in proc.stderr
    task = _task(sdk_api, project)
    assert task["status"] == "failed"  # the exception ended the local run as usual


# --- no queue: a draft; running_locally under a real agent ---------------------------------

REMOTE = """
from corral import Task

task = Task.init(project_name={project!r}, task_name="remote")
params = task.connect({{"width": 8}})
print("TASK " + task.id, flush=True)
task.execute_remotely()
print("REMOTE", Task.running_locally(), task.running_locally(), bool(task.running_locally),
      "width", params["width"], flush=True)
"""


def test_execute_remotely_without_a_queue_leaves_a_draft_that_an_agent_runs(
    sdk_env: dict[str, str],
    sdk_api: httpx.Client,
    sdk_hub: Hub,
    start_agent: StartAgent,  # noqa: F811
    tmp_path: Path,
) -> None:
    project = f.unique("parity-remote")
    out = run_script(REMOTE.format(project=project), sdk_env, tmp_path)
    task_id = _line(out.stdout, "TASK ")
    assert "REMOTE" not in out.stdout  # the process ended at execute_remotely
    assert f"corral task enqueue {task_id} --queue NAME" in out.stderr
    draft = f.ok(sdk_api.get(f"/tasks/{task_id}"))
    assert (draft["status"], draft["queue_id"]) == ("created", None)
    assert draft["hyperparams"]["General"]["width"]["value"] == 8
    assert draft["script"]["code"] or draft["script"]["repository"]

    # what the hint says, then a real agent runs it: there it is not local
    queue = make_queue(sdk_api)
    f.ok(sdk_api.post(f"/tasks/{task_id}:enqueue", json={"queue": queue}))
    start_agent(sdk_hub, "--queue", queue)
    done = wait_status(sdk_api, task_id, "completed", "failed", timeout=120)
    lines = console_lines(sdk_api, task_id)
    assert done["status"] == "completed", lines[-20:]
    assert any("REMOTE False False False width 8" in line for line in lines), lines[-20:]


def test_execute_remotely_refuses_to_hand_over_without_exiting(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    project = f.unique("parity-remote")
    code = f"""
    from corral import Task
    task = Task.init(project_name={project!r}, task_name="stay")
    try:
        task.execute_remotely(clone=False, exit_process=False)
    except ValueError as e:
        print("REFUSED", e)
    clone = task.execute_remotely(clone=True, exit_process=False)
    print("CLONE " + clone.id, clone.status)
    print("TASK " + task.id)
    """
    out = run_script(code, sdk_env, tmp_path)
    assert "REFUSED" in out.stdout and "exit_process=True" in out.stdout
    clone_id, status = _line(out.stdout, "CLONE ").split()
    assert status == "created"
    assert f"corral task enqueue {clone_id} --queue NAME" in out.stderr
    original = f.ok(sdk_api.get(f"/tasks/{_line(out.stdout, 'TASK ')}"))
    assert original["status"] == "completed"  # this run went on and ended as usual
    assert f.ok(sdk_api.get(f"/tasks/{clone_id}"))["status"] == "created"
