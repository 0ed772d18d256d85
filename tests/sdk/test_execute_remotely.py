"""``task.execute_remotely``: a local run hands itself to a queue; under an agent it is a no-op."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.factories import ok, unique
from tests.sdk.conftest import run_script

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
