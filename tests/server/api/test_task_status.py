"""Status transitions are checked by the server: each valid one works, each invalid one is 409."""

from __future__ import annotations

import httpx
import pytest

from corral.core.task_status import TRANSITIONS, TaskStatus
from tests import factories as f

ACTIONS = [
    "enqueue",
    "dequeue",
    "start",
    "complete",
    "fail",
    "stop",
    "abort",
    "publish",
    "reset",
    "continue",
]
BODY = {"reset": {"force": True}}


def _task_in(api: httpx.Client, status: str) -> dict:
    t = f.task(api)
    if status != "created":
        f.run_to(api, t["id"], status)
    return t


@pytest.mark.parametrize("status", [s.value for s in TaskStatus])
@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_from_every_status(api: httpx.Client, status: str, action: str) -> None:
    t = _task_in(api, status)
    allowed, target = TRANSITIONS[action]
    r = api.post(f"/tasks/{t['id']}:{action}", json=BODY.get(action, {}))
    after = f.ok(api.get(f"/tasks/{t['id']}"))
    if TaskStatus(status) in allowed:
        assert r.status_code == 200, r.text
        assert r.json()["status"] == target.value
        assert after["status"] == target.value
    else:
        assert r.status_code == 409, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert action in r.json()["detail"]
        assert after["status"] == status  # nothing changed


def test_enqueue_puts_task_in_default_queue_and_dequeue_takes_it_out(api: httpx.Client) -> None:
    t = f.task(api)
    before = {q["name"]: q["pending"] for q in f.ok(api.get("/queues"))}
    queued = f.ok(api.post(f"/tasks/{t['id']}:enqueue", json={}))
    assert queued["queue_id"]
    during = {q["name"]: q["pending"] for q in f.ok(api.get("/queues"))}
    assert during["default"] >= before["default"] + 1 or during["default"] >= 1
    f.ok(api.post(f"/tasks/{t['id']}:dequeue", json={}))
    assert f.ok(api.get(f"/tasks/{t['id']}"))["queue_id"] is None


def test_enqueue_to_unknown_queue_is_404_and_changes_nothing(api: httpx.Client) -> None:
    t = f.task(api)
    r = api.post(f"/tasks/{t['id']}:enqueue", json={"queue": "no-such-queue"})
    assert r.status_code == 404
    assert "no-such-queue" in r.json()["detail"]
    assert f.ok(api.get(f"/tasks/{t['id']}"))["status"] == "created"


def test_reset_of_running_task_needs_force(api: httpx.Client) -> None:
    t = _task_in(api, "in_progress")
    r = api.post(f"/tasks/{t['id']}:reset", json={})
    assert r.status_code == 409
    assert f.ok(api.post(f"/tasks/{t['id']}:reset", json={"force": True}))["status"] == "created"


def test_start_complete_record_times_and_exit_code(api: httpx.Client) -> None:
    t = f.task(api)
    started = f.ok(api.post(f"/tasks/{t['id']}:start", json={"worker": "w1"}))
    assert started["started_at"] and started["worker"] == "w1"
    done = f.ok(api.post(f"/tasks/{t['id']}:complete", json={"exit_code": 0}))
    assert done["completed_at"] and done["exit_code"] == 0


def test_archive_is_a_flag_and_hides_from_default_list(api: httpx.Client) -> None:
    p = f.unique("proj")
    t = f.task(api, p)
    pid = t["project_id"]
    f.ok(api.post(f"/tasks/{t['id']}:archive"))
    listed = f.ok(api.get("/tasks", params={"project_id": pid}))["items"]
    assert listed == []
    archived = f.ok(api.get("/tasks", params={"project_id": pid, "archived": True}))["items"]
    assert [x["id"] for x in archived] == [t["id"]]
    assert archived[0]["status"] == "created"
    f.ok(api.post(f"/tasks/{t['id']}:unarchive"))
    assert len(f.ok(api.get("/tasks", params={"project_id": pid}))["items"]) == 1


def test_archiving_a_running_task_is_conflict(api: httpx.Client) -> None:
    t = _task_in(api, "in_progress")
    assert api.post(f"/tasks/{t['id']}:archive").status_code == 409


def test_actions_need_no_body(api: httpx.Client) -> None:
    """``curl -X POST .../tasks/ID:enqueue`` works: every field of an action is optional."""
    t = f.task(api)
    for action, status in (
        ("enqueue", "queued"),
        ("start", "in_progress"),
        ("abort", "stopped"),
        ("reset", "created"),
        ("start", "in_progress"),
        ("complete", "completed"),
    ):
        r = api.post(f"/tasks/{t['id']}:{action}")
        assert r.status_code == 200, (action, r.text)
        assert r.json()["status"] == status
    clone = api.post(f"/tasks/{t['id']}:clone")
    assert clone.status_code == 201 and clone.json()["parent_id"] == t["id"]
