"""Quotas on a real hub (SQLite and PostgreSQL): running tasks per queue, and storage.

* a task whose owner is at a running-task quota waits in its queue with the reason
  in its ``status_reason``; the next task is leased instead; it goes once a slot frees;
* an upload over a storage quota is 403 "Quota exceeded", with and without
  ``Content-Length``, and stores nothing; replacing, deleting and a task's deletion
  keep the count right;
* ``GET /users/{id}/usage``, ``GET /quotas`` per caller, and the bad inputs.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from corral.client.config import HubCredentials
from corral.client.http import HubClient
from corral.errors import PermissionDeniedError, QuotaExceededError
from corral.testing.hub import Hub
from tests import factories as f
from tests.factories import ok, unique
from tests.server.api import test_dispatch


def _problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["detail"]
    return body


def _person(hub: Hub, api: httpx.Client) -> tuple[dict[str, Any], httpx.Client]:
    """A new user (not an admin) and a client authenticated with a key of theirs."""
    return f.user(api, hub.url)


@pytest.fixture
def alice(hub: Hub, api: httpx.Client) -> Iterator[tuple[dict[str, Any], httpx.Client]]:
    user, client = _person(hub, api)
    with client:
        yield user, client


@pytest.fixture
def bob(hub: Hub, api: httpx.Client) -> Iterator[tuple[dict[str, Any], httpx.Client]]:
    user, client = _person(hub, api)
    with client:
        yield user, client


@pytest.fixture
def queue(api: httpx.Client) -> str:
    name = unique("q")
    ok(api.post("/queues", json={"name": name}), 201)
    return name


@pytest.fixture
def agent(hub: Hub, api: httpx.Client) -> Iterator[httpx.Client]:
    """A client of an agent's service account (role ``worker``)."""
    _, client = f.user(api, hub.url, role="worker", kind="service")
    with client:
        yield client


@pytest.fixture
def worker(agent: httpx.Client, queue: str) -> str:
    body = {"id": unique("w"), "queues": [queue]}
    return str(ok(agent.post("/workers", json=body), 201)["id"])


def _queued(client: httpx.Client, project: str, queue: str, name: str) -> str:
    task = ok(client.post("/tasks", json={"name": name, "project": project}))
    ok(client.post(f"/tasks/{task['id']}:enqueue", json={"queue": queue}))
    return str(task["id"])


def _dequeue(api: httpx.Client, worker: str, *queues: str) -> str | None:
    got = ok(api.post("/queues:dequeue", json={"worker": worker, "queues": list(queues)}))
    return got["task"]["id"] if got["task"] else None


def _task(api: httpx.Client, task_id: str) -> dict[str, Any]:
    return ok(api.get(f"/tasks/{task_id}"))  # type: ignore[no-any-return]


#: two hub processes on one database (as behind a load balancer)
two_hubs = test_dispatch.two_hubs

# --- running tasks -----------------------------------------------------------------------


def test_a_task_over_its_owners_running_quota_waits_and_the_next_one_goes(
    api: httpx.Client, alice: Any, bob: Any, queue: str, agent: httpx.Client, worker: str
) -> None:
    (a, a_api), (_, b_api) = alice, bob
    quota = ok(api.put("/quotas", json={"subject": a["name"], "queue": queue, "max_running": 1}))
    assert quota["subject_type"] == "user" and quota["subject_name"] == a["name"]
    assert quota["queue"] == queue and quota["max_running"] == 1
    project = unique("proj")
    a1 = _queued(a_api, project + "-a", queue, "a1")
    a2 = _queued(a_api, project + "-a", queue, "a2")
    b1 = _queued(b_api, project + "-b", queue, "b1")

    assert _dequeue(agent, worker, queue) == a1
    ok(agent.post(f"/tasks/{a1}:start", json={"worker": worker}))
    # a2 is first in the queue but alice runs 1 of 1: bob's task goes instead
    assert _dequeue(agent, worker, queue) == b1
    waiting = _task(api, a2)
    assert waiting["status"] == "queued" and waiting["worker"] is None
    assert waiting["status_reason"] == (
        f"waiting: user {a['name']} has 1 of 1 running tasks allowed in queue '{queue}'"
    )
    assert _task(a_api, a2)["status_reason"] == waiting["status_reason"]  # the owner sees it
    assert _dequeue(agent, worker, queue) is None
    assert ok(a_api.get(f"/users/{a['id']}/usage"))["running"] == {queue: 1}

    ok(agent.post(f"/tasks/{a1}:complete", json={}))
    assert _dequeue(agent, worker, queue) == a2
    leased = _task(api, a2)
    assert leased["worker"] == worker and leased["status_reason"] == ""
    assert ok(a_api.get(f"/users/{a['id']}/usage"))["running"] == {queue: 1}


def test_a_quota_of_all_queues_counts_tasks_of_every_queue(
    api: httpx.Client, alice: Any, queue: str, agent: httpx.Client, worker: str
) -> None:
    a, a_api = alice
    other = unique("q")
    ok(api.post("/queues", json={"name": other}), 201)
    ok(api.put("/quotas", json={"subject": a["id"], "queue": None, "max_running": 1}))
    project = unique("proj")
    first = _queued(a_api, project, queue, "first")
    second = _queued(a_api, project, other, "second")
    assert _dequeue(agent, worker, queue, other) == first
    assert _dequeue(agent, worker, other) is None
    assert _task(api, second)["status_reason"] == (
        f"waiting: user {a['name']} has 1 of 1 running tasks allowed in all queues together"
    )
    # raising the limit frees it at once
    ok(api.put("/quotas", json={"subject": a["id"], "queue": None, "max_running": 2}))
    assert _dequeue(agent, worker, other) == second
    assert ok(a_api.get(f"/users/{a['name']}/usage"))["running"] == {queue: 1, other: 1}


def test_many_held_tasks_do_not_starve_the_queue(
    api: httpx.Client, alice: Any, bob: Any, queue: str, agent: httpx.Client, worker: str
) -> None:
    """More held tasks than one batch of entries: the first free task still goes."""
    (a, a_api), (_, b_api) = alice, bob
    ok(api.put("/quotas", json={"subject": a["name"], "queue": queue, "max_running": 0}))
    project = unique("proj")
    held = [_queued(a_api, project + "-a", queue, f"a{i}") for i in range(60)]
    free = _queued(b_api, project + "-b", queue, "b")
    assert _dequeue(agent, worker, queue) == free
    reasons = {_task(api, t)["status_reason"] for t in (held[0], held[-1])}
    assert reasons == {
        f"waiting: user {a['name']} has 0 of 0 running tasks allowed in queue '{queue}'"
    }
    assert _dequeue(agent, worker, queue) is None


def test_a_waiting_dequeue_gets_the_held_task_once_a_running_one_ends(
    api: httpx.Client, alice: Any, queue: str, agent: httpx.Client, worker: str
) -> None:
    a, a_api = alice
    ok(api.put("/quotas", json={"subject": a["name"], "queue": queue, "max_running": 1}))
    project = unique("proj")
    first = _queued(a_api, project, queue, "first")
    second = _queued(a_api, project, queue, "second")
    assert _dequeue(agent, worker, queue) == first
    ok(agent.post(f"/tasks/{first}:start", json={"worker": worker}))
    with httpx.Client(base_url=str(agent.base_url), headers=dict(agent.headers), timeout=60) as c2:
        got: list[Any] = []
        body = {"worker": worker, "queues": [queue], "wait": 30}
        poll = threading.Thread(target=lambda: got.append(c2.post("/queues:dequeue", json=body)))
        poll.start()
        ok(agent.post(f"/tasks/{first}:complete", json={}))
        poll.join(60)
    assert ok(got[0])["task"]["id"] == second


def _team(api: httpx.Client, *members: dict[str, Any]) -> dict[str, Any]:
    team = ok(api.post("/teams", json={"name": unique("team")}), 201)
    for member in members:
        ok(api.put(f"/teams/{team['id']}/members/{member['id']}"))
    return team  # type: ignore[no-any-return]


def test_a_team_quota_counts_its_members_together(
    hub: Hub,
    api: httpx.Client,
    alice: Any,
    bob: Any,
    queue: str,
    agent: httpx.Client,
    worker: str,
) -> None:
    (a, a_api), (b, b_api) = alice, bob
    _, c_api = _person(hub, api)
    team = _team(api, a, b)
    quota = ok(
        api.put(
            "/quotas",
            json={
                "subject_type": "team",
                "subject": team["name"],
                "queue": queue,
                "max_running": 1,
            },
        )
    )
    assert quota["subject_type"] == "team" and quota["subject_id"] == team["id"]
    project = unique("proj")
    a1 = _queued(a_api, project + "-a", queue, "a1")
    b1 = _queued(b_api, project + "-b", queue, "b1")
    with c_api:
        c1 = _queued(c_api, project + "-c", queue, "c1")
        # the members (not carol) see the team's quota among theirs
        assert quota["id"] in {q["id"] for q in ok(b_api.get("/quotas"))}
        assert quota["id"] not in {q["id"] for q in ok(c_api.get("/quotas"))}
    assert _dequeue(agent, worker, queue) == a1
    assert _dequeue(agent, worker, queue) == c1  # bob waits: alice runs the team's one
    assert _task(api, b1)["status_reason"] == (
        f"waiting: team {team['name']} has 1 of 1 running tasks allowed in queue '{queue}'"
    )
    ok(agent.post(f"/tasks/{a1}:start", json={"worker": worker}))
    ok(agent.post(f"/tasks/{a1}:fail", json={}))
    assert _dequeue(agent, worker, queue) == b1


# --- storage -----------------------------------------------------------------------------


def _put(client: httpx.Client, path: str, data: bytes | Iterator[bytes]) -> httpx.Response:
    return client.put(f"/files/{path}", content=data)


def _chunks(data: bytes) -> Iterator[bytes]:
    """A body without Content-Length (chunked)."""
    for i in range(0, len(data), 100):
        yield data[i : i + 100]


def test_an_upload_over_the_storage_quota_is_refused_and_stores_nothing(
    hub: Hub, api: httpx.Client, alice: Any
) -> None:
    a, a_api = alice
    ok(api.put("/quotas", json={"subject": a["name"], "max_storage_bytes": 1000}))
    base = unique("files")
    ok(_put(a_api, f"{base}/first.bin", os.urandom(600)), 201)
    assert ok(a_api.get(f"/users/{a['id']}/usage"))["storage_bytes"] == 600

    announced = _problem(_put(a_api, f"{base}/announced.bin", os.urandom(500)), 403)
    assert announced["title"] == "Quota exceeded"
    assert "600 of 1000 bytes used" in announced["detail"] and "delete" in announced["detail"]
    streamed = _problem(_put(a_api, f"{base}/streamed.bin", _chunks(os.urandom(500))), 403)
    assert streamed["title"] == "Quota exceeded"
    for name in ("announced.bin", "streamed.bin"):
        assert a_api.get(f"/files/{base}/{name}").status_code == 404
    assert os.listdir(hub.data_dir / "files" / ".tmp") == []
    assert ok(a_api.get(f"/users/{a['id']}/usage"))["storage_bytes"] == 600

    # replacing a file counts only what it adds; deleting gives the room back
    ok(_put(a_api, f"{base}/first.bin", os.urandom(1000)), 200)
    assert ok(a_api.get(f"/users/{a['id']}/usage"))["storage_bytes"] == 1000
    _problem(_put(a_api, f"{base}/one-more.bin", _chunks(b"x")), 403)
    ok(a_api.delete(f"/files/{base}/first.bin"))
    assert ok(a_api.get(f"/users/{a['id']}/usage"))["storage_bytes"] == 0
    ok(_put(a_api, f"{base}/sub/a.bin", os.urandom(400)), 201)
    ok(_put(a_api, f"{base}/sub/b.bin", os.urandom(400)), 201)
    ok(a_api.delete(f"/files/{base}/sub", params={"recursive": True}))
    assert ok(a_api.get(f"/users/{a['id']}/usage"))["storage_bytes"] == 0


def test_a_team_storage_quota_counts_its_members_files_together(
    api: httpx.Client, alice: Any, bob: Any
) -> None:
    (a, a_api), (b, b_api) = alice, bob
    team = _team(api, a, b)
    body = {"subject_type": "team", "subject": team["id"], "max_storage_bytes": 1000}
    ok(api.put("/quotas", json=body))
    base = unique("files")
    ok(_put(a_api, f"{base}/alice.bin", os.urandom(600)), 201)
    refused = _problem(_put(b_api, f"{base}/bob.bin", os.urandom(500)), 403)
    assert f"team {team['name']}" in refused["detail"]
    assert "600 of 1000 bytes used" in refused["detail"]
    ok(_put(b_api, f"{base}/bob.bin", os.urandom(400)), 201)
    assert ok(b_api.get(f"/users/{b['id']}/usage"))["storage_bytes"] == 400


def test_setting_and_removing_a_quota_is_audited(api: httpx.Client, alice: Any) -> None:
    a, _ = alice
    quota = ok(api.put("/quotas", json={"subject": a["name"], "max_running": 2}))
    ok(api.delete(f"/quotas/{quota['id']}"))
    entries = ok(api.get("/audit", params={"target_id": a["id"]}))["items"]
    by_action = {e["action"]: e for e in entries}
    assert by_action["quota.set"]["detail"]["max_running"] == 2
    assert by_action["quota.set"]["target_name"] == a["name"]
    assert by_action["quota.removed"]["detail"]["quota_id"] == quota["id"]
    assert {e["actor_name"] for e in entries if e["action"].startswith("quota.")} == {"admin"}


def test_the_quota_counts_only_its_users_files_and_admins_lift_it(
    api: httpx.Client, alice: Any, bob: Any
) -> None:
    (a, a_api), (b, b_api) = alice, bob
    quota = ok(api.put("/quotas", json={"subject": a["name"], "max_storage_bytes": 10}))
    base = unique("files")
    ok(_put(b_api, f"{base}/bob.bin", os.urandom(100)), 201)  # bob has no quota
    assert ok(b_api.get(f"/users/{b['id']}/usage"))["storage_bytes"] == 100
    ok(_put(a_api, f"{base}/alice.bin", os.urandom(10)), 201)
    _problem(_put(a_api, f"{base}/alice2.bin", b"1"), 403)
    ok(api.delete(f"/quotas/{quota['id']}"))
    ok(_put(a_api, f"{base}/alice2.bin", b"1"), 201)
    assert ok(a_api.get(f"/users/{a['id']}/usage"))["storage_bytes"] == 11


def test_the_python_client_raises_quota_exceeded(hub: Hub, api: httpx.Client, alice: Any) -> None:
    a, _ = alice
    ok(api.put("/quotas", json={"subject": a["name"], "max_storage_bytes": 5}))
    key = ok(api.post("/keys", json={"user_id": a["id"]}), 201)
    creds = HubCredentials(hub.url, key["access_key"], key["secret_key"])
    with (
        HubClient(creds, timeout=60) as client,
        pytest.raises(QuotaExceededError, match="0 of 5 bytes used") as caught,
    ):
        client.request("PUT", f"/files/{unique('files')}/big.bin", content=b"123456")
    assert isinstance(caught.value, PermissionDeniedError) and caught.value.status == 403


def test_a_deleted_tasks_files_leave_its_owners_usage(api: httpx.Client, alice: Any) -> None:
    a, a_api = alice
    task = ok(a_api.post("/tasks", json={"name": "t", "project": unique("proj")}))
    ok(_put(a_api, f"tasks/{task['id']}/artifacts/data.bin", os.urandom(300)), 201)
    assert ok(a_api.get(f"/users/{a['id']}/usage"))["storage_bytes"] == 300
    ok(a_api.delete(f"/tasks/{task['id']}"))
    assert ok(a_api.get(f"/users/{a['id']}/usage"))["storage_bytes"] == 0


# --- who sees what, bad input ------------------------------------------------------------


def test_users_see_their_own_quotas_and_usage_only(
    api: httpx.Client, alice: Any, bob: Any, queue: str
) -> None:
    (a, a_api), (b, _) = alice, bob
    mine = ok(api.put("/quotas", json={"subject": a["id"], "queue": queue, "max_running": 3}))
    ok(api.put("/quotas", json={"subject": b["id"], "max_storage_bytes": 5}))
    assert [q["id"] for q in ok(a_api.get("/quotas"))] == [mine["id"]]
    assert mine["id"] in {q["id"] for q in ok(api.get("/quotas"))}
    _problem(a_api.get(f"/users/{b['id']}/usage"), 403)
    _problem(a_api.get("/users/nobody-at-all/usage"), 404)
    assert ok(api.get(f"/users/{b['id']}/usage")) == {"storage_bytes": 0, "running": {}}
    _problem(a_api.put("/quotas", json={"subject": a["id"], "max_running": 99}), 403)
    _problem(a_api.delete(f"/quotas/{mine['id']}"), 403)


def test_setting_a_quota_again_replaces_it(api: httpx.Client, alice: Any, queue: str) -> None:
    a, _ = alice
    first = ok(api.put("/quotas", json={"subject": a["id"], "max_running": 1}))
    again = ok(api.put("/quotas", json={"subject": a["id"], "max_running": 4}))
    assert again["id"] == first["id"] and again["max_running"] == 4
    per_queue = ok(api.put("/quotas", json={"subject": a["id"], "queue": queue, "max_running": 2}))
    assert per_queue["id"] != first["id"]
    theirs = [q for q in ok(api.get("/quotas")) if q["subject_id"] == a["id"]]
    assert sorted((q["queue"] or "", q["max_running"]) for q in theirs) == [("", 4), (queue, 2)]


@pytest.mark.parametrize(
    "body",
    [
        {"subject": "no-such-user-anywhere", "max_running": 1},
        {"subject_type": "team", "subject": "no-such-team-anywhere", "max_running": 1},
        {"subject": "SELF", "queue": "no-such-queue-anywhere", "max_running": 1},
        {"subject": "SELF"},
        {"subject": "SELF", "queue": "default", "max_storage_bytes": 10},
        {"subject": "SELF", "max_running": -1},
        {"subject_type": "group", "subject": "SELF", "max_running": 1},
    ],
)
def test_bad_quotas_are_422_and_change_nothing(
    api: httpx.Client, alice: Any, body: dict[str, Any]
) -> None:
    a, _ = alice
    body = {k: (a["id"] if v == "SELF" else v) for k, v in body.items()}
    _problem(api.put("/quotas", json=body), 422)
    assert not [q for q in ok(api.get("/quotas")) if q["subject_id"] == a["id"]]


def test_deleting_a_missing_quota_is_404(api: httpx.Client) -> None:
    _problem(api.delete("/quotas/" + "0" * 32), 404)


def test_concurrent_dequeues_through_two_hub_processes_never_pass_the_quota(
    two_hubs: tuple[Hub, Hub],
) -> None:
    """Eight workers on two hub processes at once: exactly ``max_running`` tasks go."""
    first, second = two_hubs
    queue = unique("q")
    with first.client() as api:
        ok(api.post("/queues", json={"name": queue}), 201)
        a, a_api = _person(first, api)
        with a_api:
            ok(api.put("/quotas", json={"subject": a["id"], "queue": queue, "max_running": 3}))
            for i in range(20):
                _queued(a_api, unique("proj"), queue, f"t{i}")
    got: list[str | None] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def worker(hub: Hub) -> None:
        try:
            with hub.client() as c:
                wid = ok(c.post("/workers", json={"id": unique("w"), "queues": [queue]}), 201)
                start.wait()
                for _ in range(3):
                    got.append(_dequeue(c, wid["id"], queue))
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(h,)) for h in [first, second] * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len([t for t in got if t is not None]) == 3
    with first.client() as api:
        assert ok(api.get(f"/users/{a['id']}/usage"))["running"] == {queue: 3}
