"""Status transitions are checked by the server: each valid one works, each invalid one is 409."""

from __future__ import annotations

import httpx
import pytest

from corral.core.task_status import ACTIONS as ALL_ACTIONS
from corral.core.task_status import (
    ACTIVE,
    NEEDS_FORCE,
    TRANSITIONS,
    TaskStatus,
    allowed_actions,
)
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


# --- allowed_actions: what the API says a task offers is what the hub accepts ----------


def _try(api: httpx.Client, task_id: str, action: str, status: str) -> httpx.Response:
    force = TaskStatus(status) in NEEDS_FORCE
    if action == "edit":
        body = {"hyperparams": {"General": {"x": {"value": 1, "type": "int"}}}}
        return api.patch(f"/tasks/{task_id}/hyperparams", json=body)
    if action == "delete":
        return api.delete(f"/tasks/{task_id}", params={"force": force})
    return api.post(
        f"/tasks/{task_id}:{action}", json={"force": force} if action == "reset" else {}
    )


#: every status, archived or not; an archived task is never enqueued, so never queued
CASES = [
    (status.value, archived)
    for status in TaskStatus
    for archived in (False, True)
    if not (archived and status is TaskStatus.queued)
]


@pytest.mark.parametrize(("status", "archived"), CASES)
def test_allowed_actions_are_exactly_what_the_hub_accepts(
    api: httpx.Client, status: str, archived: bool
) -> None:
    def task_in_status() -> dict:
        t = f.task(api)
        if archived:  # archive the draft first: a task held by a worker cannot be archived
            f.ok(api.post(f"/tasks/{t['id']}:archive", json={}))
        if status != "created":
            f.run_to(api, t["id"], status)
        return f.ok(api.get(f"/tasks/{t['id']}"))

    shown = task_in_status()
    assert shown["status"] == status and shown["archived"] is archived
    assert shown["allowed_actions"] == allowed_actions(status, archived=archived)
    listed = f.ok(api.get("/tasks", params={"id": shown["id"], "archived": archived}))
    assert listed["items"][0]["allowed_actions"] == shown["allowed_actions"]
    for action in ALL_ACTIONS:
        t = task_in_status()
        r = _try(api, t["id"], action, status)
        if action in shown["allowed_actions"]:
            assert r.status_code in (200, 201), (action, r.text)
        elif (action == "unarchive" and not archived) or (
            action == "archive" and archived and TaskStatus(status) not in ACTIVE
        ):
            # setting the flag to the value it has is a no-op, not an error
            assert r.status_code == 200, (action, r.text)
        else:
            assert r.status_code == 409, (action, r.text)


def test_every_answer_carries_the_actions_of_the_new_status(api: httpx.Client) -> None:
    t = f.task(api)
    assert t["allowed_actions"] == allowed_actions("created")
    queued = f.ok(api.post(f"/tasks/{t['id']}:enqueue", json={}))
    assert queued["allowed_actions"] == allowed_actions("queued")
    f.ok(api.post(f"/tasks/{t['id']}:dequeue", json={}))
    archived = f.ok(api.post(f"/tasks/{t['id']}:archive", json={}))
    assert archived["allowed_actions"] == allowed_actions("created", archived=True)
    schema = f.ok(api.get("/openapi.json"))["components"]["schemas"]
    for name in ("TaskOut", "TaskBrief"):
        prop = schema[name]["properties"]["allowed_actions"]
        assert prop["items"]["enum"] == list(ALL_ACTIONS)
