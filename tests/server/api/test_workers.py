"""Workers and the dequeue through the real API: register, heartbeat, lease, bad input."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import ok, unique
from tests.server.api.test_queues import enqueued, new_queue, order


def register(api: httpx.Client, queues: list[str], **fields: Any) -> dict[str, Any]:
    body = {"id": unique("worker"), "queues": queues, **fields}
    return ok(api.post("/workers", json=body), 201)


def dequeue(api: httpx.Client, worker: str, queues: list[str], wait: float = 0) -> dict[str, Any]:
    return ok(api.post("/queues:dequeue", json={"worker": worker, "queues": queues, "wait": wait}))


def test_register_heartbeat_and_list(api: httpx.Client) -> None:
    q = new_queue(api)["name"]
    w = register(api, [q], tags=["gpu"], machine={"hostname": "box", "cpu_count": 8})
    assert w["queues"] == [q] and w["machine"]["hostname"] == "box" and w["gone_at"] is None
    stats = {
        "cpu_percent": 42.5,
        "memory_used": 1000,
        "memory_total": 4000,
        "gpus": [{"index": 0, "utilization": 90.0, "memory_used": 5, "memory_total": 10}],
        "net_rx": 1.5,
        "net_tx": 2.5,
    }
    for _ in range(3):
        assert ok(api.post(f"/workers/{w['id']}:heartbeat", json={"stats": stats})) == {"tasks": {}}
    listed = {x["id"]: x for x in ok(api.get("/workers"))}[w["id"]]
    assert listed["last_stats"]["cpu_percent"] == 42.5
    assert listed["last_stats"]["gpus"][0]["utilization"] == 90.0
    series = ok(api.get(f"/workers/{w['id']}/stats"))
    assert len(series) == 3 and [s["net_tx"] for s in series] == [2.5] * 3
    assert ok(api.get(f"/workers/{w['id']}"))["tags"] == ["gpu"]


def test_stats_averaged_into_points_keep_the_shape_of_the_series(api: httpx.Client) -> None:
    w = register(api, ["default"])
    for i in range(10):
        stats = {
            "cpu_percent": float(i),
            "memory_used": 100 * i,
            "memory_total": 1000,
            "gpus": [{"index": 0, "name": "A100", "utilization": 10.0 * i, "memory_used": i}],
            "net_rx": None if i % 2 else 4.0,
        }
        ok(api.post(f"/workers/{w['id']}:heartbeat", json={"stats": stats}))
    raw = ok(api.get(f"/workers/{w['id']}/stats"))
    averaged = ok(api.get(f"/workers/{w['id']}/stats", params={"points": 4}))
    # runs of 2, 3, 2, 3 consecutive samples, each at the time of its last one
    assert [s["cpu_percent"] for s in averaged] == [0.5, 3.0, 5.5, 8.0]
    assert [s["memory_used"] for s in averaged] == [50, 300, 550, 800]
    assert [s["time"] for s in averaged] == [raw[i]["time"] for i in (1, 4, 6, 9)]
    assert averaged[1]["gpus"] == [
        {"index": 0, "name": "A100", "utilization": 30.0, "memory_used": 3}
    ]
    # missing figures are left out of the mean, not counted as zero
    assert [s["net_rx"] for s in averaged] == [4.0, 4.0, 4.0, 4.0]
    # as many points as samples, or more: the samples as they are
    assert ok(api.get(f"/workers/{w['id']}/stats", params={"points": 10})) == raw
    assert api.get(f"/workers/{w['id']}/stats", params={"points": 0}).status_code == 422


def test_a_live_worker_id_cannot_be_registered_twice(api: httpx.Client) -> None:
    w = register(api, ["default"])
    r = api.post("/workers", json={"id": w["id"], "queues": ["default"]})
    assert r.status_code == 409 and "choose another name" in r.json()["detail"]


def test_dequeue_leases_the_first_task_in_priority_order(api: httpx.Client) -> None:
    high, low = new_queue(api)["name"], new_queue(api)["name"]
    (later,) = enqueued(api, low, 1)
    a, b = enqueued(api, high, 2)
    w = register(api, [high, low])
    got = dequeue(api, w["id"], [high, low])
    assert got["task"]["id"] == a and got["queue"] == high
    # leased: still queued, out of the queue, the worker is set
    assert got["task"]["status"] == "queued" and got["task"]["worker"] == w["id"]
    # with the token of the task's run (shown once)
    assert got["token"]["access_key"] and got["token"]["secret_key"] and got["token"]["expires_at"]
    assert order(api, high) == [b]
    assert ok(api.get(f"/workers/{w['id']}"))["tasks"][0]["id"] == a
    assert dequeue(api, w["id"], [high, low])["task"]["id"] == b
    assert dequeue(api, w["id"], [high, low])["task"]["id"] == later
    assert dequeue(api, w["id"], [high, low]) == {"task": None, "queue": None, "token": None}


def test_start_by_the_leasing_worker_then_heartbeat_reports_status(api: httpx.Client) -> None:
    q = new_queue(api)["name"]
    (a,) = enqueued(api, q, 1)
    w, other = register(api, [q]), register(api, [q])
    assert dequeue(api, w["id"], [q])["task"]["id"] == a
    r = api.post(f"/tasks/{a}:start", json={"worker": other["id"]})
    assert r.status_code == 409 and "leased" in r.json()["detail"]
    started = ok(api.post(f"/tasks/{a}:start", json={"worker": w["id"]}))
    assert started["status"] == "in_progress" and started["worker"] == w["id"]
    hb = ok(api.post(f"/workers/{w['id']}:heartbeat", json={}))
    assert hb == {"tasks": {a: "in_progress"}}
    ok(api.post(f"/tasks/{a}:abort", json={}))
    # the agent learns from the heartbeat that its task was aborted
    assert ok(api.post(f"/workers/{w['id']}:heartbeat", json={})) == {"tasks": {a: "stopped"}}


def test_long_poll_dequeue_returns_when_a_task_arrives(hub: Any, api: httpx.Client) -> None:
    import threading

    q = new_queue(api)["name"]
    w = register(api, [q])
    result: dict[str, Any] = {}

    def poll() -> None:
        with hub.client() as c:
            result.update(dequeue(c, w["id"], [q], wait=30))

    poller = threading.Thread(target=poll)
    poller.start()
    # the poll is waiting: nothing is in the queue yet
    (a,) = enqueued(api, q, 1)
    poller.join(60)
    assert not poller.is_alive()
    assert result["task"]["id"] == a


def test_unregister_sends_leased_tasks_back_to_the_front_and_fails_running_ones(
    api: httpx.Client,
) -> None:
    q = new_queue(api)["name"]
    a, b, c = enqueued(api, q, 3)
    w = register(api, [q])
    dequeue(api, w["id"], [q])  # a: leased
    dequeue(api, w["id"], [q])  # b: started
    ok(api.post(f"/tasks/{b}:start", json={"worker": w["id"]}))
    ok(api.delete(f"/workers/{w['id']}"))
    assert order(api, q) == [a, c]
    assert ok(api.get(f"/tasks/{a}"))["worker"] is None
    failed = ok(api.get(f"/tasks/{b}"))
    assert failed["status"] == "failed" and failed["status_reason"] == "worker stopped"
    assert w["id"] not in {x["id"] for x in ok(api.get("/workers"))}
    gone = {x["id"]: x for x in ok(api.get("/workers", params={"include_gone": "true"}))}
    assert gone[w["id"]]["gone_at"] is not None
    # a gone worker is told so, and may register again
    assert api.post(f"/workers/{w['id']}:heartbeat", json={}).status_code == 409
    assert api.post("/queues:dequeue", json={"worker": w["id"], "queues": [q]}).status_code == 409
    register_again = api.post("/workers", json={"id": w["id"], "queues": [q]})
    assert register_again.status_code == 201


def test_bad_dequeue_and_heartbeat_input_is_a_clear_4xx(api: httpx.Client) -> None:
    q = new_queue(api)["name"]
    (a,) = enqueued(api, q, 1)
    r = api.post("/queues:dequeue", json={"worker": unique("ghost"), "queues": [q]})
    assert r.status_code == 404 and "register it first" in r.json()["detail"]
    w = register(api, [q])
    r = api.post("/queues:dequeue", json={"worker": w["id"], "queues": [unique("nope")]})
    assert r.status_code == 404 and "no queue" in r.json()["detail"]
    for body in (
        {"worker": w["id"], "queues": []},
        {"worker": w["id"], "queues": [q], "wait": 61},
        {"worker": w["id"], "queues": [q], "wait": -1},
        {"worker": "has space", "queues": [q]},
    ):
        r = api.post("/queues:dequeue", json=body)
        assert r.status_code == 422, body
        assert r.headers["content-type"].startswith("application/problem+json")
    assert order(api, q) == [a]  # nothing was taken
    assert api.post(f"/workers/{unique('ghost')}:heartbeat", json={}).status_code == 404
    r = api.post(f"/workers/{w['id']}:heartbeat", json={"stats": {"cpu_percent": "lots"}})
    assert r.status_code == 422
    assert api.post("/workers", json={"id": "a/b"}).status_code == 422
    assert api.delete(f"/workers/{unique('ghost')}").status_code == 404


def test_a_task_enqueued_again_after_a_lease_is_not_held_by_the_old_worker(
    api: httpx.Client,
) -> None:
    q = new_queue(api)["name"]
    (a,) = enqueued(api, q, 1)
    w = register(api, [q])
    dequeue(api, w["id"], [q])
    ok(api.post(f"/tasks/{a}:dequeue", json={}))  # a user takes it back to draft
    assert ok(api.get(f"/tasks/{a}"))["worker"] is None
    ok(api.post(f"/tasks/{a}:enqueue", json={"queue": q}))
    assert ok(api.get(f"/workers/{w['id']}"))["tasks"] == []
    other = register(api, [q])
    assert dequeue(api, other["id"], [q])["task"]["id"] == a
