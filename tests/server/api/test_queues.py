"""Queues through the real API: create, rename, delete, order, clear, figures, bad input."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import ok, task, unique


def new_queue(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    return ok(api.post("/queues", json={"name": unique("q"), **fields}), 201)


def enqueued(api: httpx.Client, queue: str, n: int, *, top: bool = False) -> list[str]:
    ids = []
    for _ in range(n):
        t = task(api)
        ok(
            api.post(
                f"/tasks/{t['id']}:enqueue",
                json={"queue": queue, "position": "top" if top else "bottom"},
            )
        )
        ids.append(t["id"])
    return ids


def order(api: httpx.Client, queue: str) -> list[str]:
    return [e["task_id"] for e in ok(api.get(f"/queues/{queue}"))["entries"]]


def test_default_and_services_queues_exist_and_are_builtin(api: httpx.Client) -> None:
    queues = {q["name"]: q for q in ok(api.get("/queues"))}
    assert queues["default"]["builtin"] and queues["services"]["builtin"]
    for name in ("default", "services"):
        r = api.delete(f"/queues/{name}")
        assert r.status_code == 409 and "built in" in r.json()["detail"]
        r = api.patch(f"/queues/{name}", json={"name": unique("x")})
        assert r.status_code == 409
    assert {"default", "services"} <= {q["name"] for q in ok(api.get("/queues"))}


def test_create_rename_and_tag_a_queue(api: httpx.Client) -> None:
    q = new_queue(api, tags=["gpu"])
    assert q["pending"] == 0 and q["tags"] == ["gpu"] and not q["builtin"]
    assert api.post("/queues", json={"name": q["name"]}).status_code == 409
    new_name = unique("renamed")
    renamed = ok(api.patch(f"/queues/{q['id']}", json={"name": new_name, "tags": ["a100"]}))
    assert renamed["name"] == new_name and renamed["tags"] == ["a100"]
    assert ok(api.get(f"/queues/{new_name}"))["id"] == q["id"]
    assert api.get(f"/queues/{q['name']}").status_code == 404


def test_enqueue_at_the_back_and_at_the_top(api: httpx.Client) -> None:
    q = new_queue(api)["name"]
    back = enqueued(api, q, 3)
    (top,) = enqueued(api, q, 1, top=True)
    assert order(api, q) == [top, *back]
    detail = ok(api.get(f"/queues/{q}"))
    assert [e["index"] for e in detail["entries"]] == [0, 1, 2, 3]
    assert detail["pending"] == 4 and detail["current_wait"] >= 0
    listed = {x["name"]: x for x in ok(api.get("/queues"))}[q]
    assert listed["pending"] == 4


def test_move_an_entry_to_any_position(api: httpx.Client) -> None:
    q = new_queue(api)["name"]
    a, b, c, d = enqueued(api, q, 4)
    moved = ok(api.post(f"/queues/{q}:reorder", json={"task_id": d, "index": 0}))
    assert [e["task_id"] for e in moved["entries"]] == [d, a, b, c]
    ok(api.post(f"/queues/{q}:reorder", json={"task_id": d, "index": 2}))
    assert order(api, q) == [a, b, d, c]
    ok(api.post(f"/queues/{q}:reorder", json={"task_id": a, "index": -1}))
    assert order(api, q) == [b, d, c, a]
    ok(api.post(f"/queues/{q}:reorder", json={"task_id": b, "index": 99}))
    assert order(api, q) == [d, c, a, b]
    # the new order holds for tasks enqueued afterwards too
    (e,) = enqueued(api, q, 1)
    (f,) = enqueued(api, q, 1, top=True)
    assert order(api, q) == [f, d, c, a, b, e]


def test_reorder_of_a_task_not_in_the_queue_is_404(api: httpx.Client) -> None:
    q = new_queue(api)["name"]
    (a,) = enqueued(api, q, 1)
    other = task(api)
    r = api.post(f"/queues/{q}:reorder", json={"task_id": other["id"], "index": 0})
    assert r.status_code == 404 and "not waiting" in r.json()["detail"]
    assert order(api, q) == [a]


def test_remove_one_entry_returns_the_task_to_draft(api: httpx.Client) -> None:
    q = new_queue(api)["name"]
    a, b = enqueued(api, q, 2)
    ok(api.delete(f"/queues/{q}/entries/{a}"))
    assert order(api, q) == [b]
    t = ok(api.get(f"/tasks/{a}"))
    assert t["status"] == "created" and t["queue_id"] is None
    assert api.delete(f"/queues/{q}/entries/{a}").status_code == 404


def test_clear_takes_every_task_out(api: httpx.Client) -> None:
    q = new_queue(api)["name"]
    ids = enqueued(api, q, 3)
    assert ok(api.post(f"/queues/{q}:clear"))["removed"] == 3
    assert order(api, q) == []
    assert {ok(api.get(f"/tasks/{i}"))["status"] for i in ids} == {"created"}
    assert ok(api.post(f"/queues/{q}:clear"))["removed"] == 0


def test_delete_a_queue_with_pending_tasks_needs_force(api: httpx.Client) -> None:
    q = new_queue(api)
    (a,) = enqueued(api, q["name"], 1)
    r = api.delete(f"/queues/{q['name']}")
    assert r.status_code == 409 and "force" in r.json()["detail"]
    assert order(api, q["name"]) == [a]
    ok(api.delete(f"/queues/{q['name']}", params={"force": "true"}))
    assert api.get(f"/queues/{q['id']}").status_code == 404
    assert ok(api.get(f"/tasks/{a}"))["status"] == "created"
    empty = new_queue(api)
    ok(api.delete(f"/queues/{empty['id']}"))


def test_bad_queue_input_is_a_clear_4xx(api: httpx.Client) -> None:
    for bad in ("", "a/b", "x:clear", "with space", "x" * 256):
        r = api.post("/queues", json={"name": bad})
        assert r.status_code == 422, bad
        assert r.headers["content-type"].startswith("application/problem+json")
    assert api.post("/queues", json={"name": unique("q"), "color": "red"}).status_code == 422
    assert api.get(f"/queues/{unique('nope')}").status_code == 404
    r = api.post(f"/tasks/{task(api)['id']}:enqueue", json={"queue": unique("nope")})
    assert r.status_code == 404 and "no queue" in r.json()["detail"]


def test_enqueue_of_a_completed_task_is_conflict_and_changes_nothing(api: httpx.Client) -> None:
    q = new_queue(api)["name"]
    t = task(api)
    ok(api.post(f"/tasks/{t['id']}:start", json={}))
    ok(api.post(f"/tasks/{t['id']}:complete", json={}))
    r = api.post(f"/tasks/{t['id']}:enqueue", json={"queue": q})
    assert r.status_code == 409 and "completed" in r.json()["detail"]
    assert order(api, q) == []
    assert ok(api.get(f"/tasks/{t['id']}"))["status"] == "completed"


def test_queue_stats_record_length_and_wait(api: httpx.Client) -> None:
    q = new_queue(api)["name"]
    enqueued(api, q, 2)
    w = ok(api.post("/workers", json={"id": unique("w"), "queues": [q]}), 201)
    got = ok(api.post("/queues:dequeue", json={"worker": w["id"], "queues": [q]}))
    assert got["task"] is not None
    points = ok(api.get(f"/queues/{q}/stats"))
    assert [p["pending"] for p in points] == [1, 2, 1]
    assert points[-1]["wait"] is not None and points[-1]["wait"] >= 0
    assert [p["wait"] for p in points[:2]] == [None, None]
    listed = {x["name"]: x for x in ok(api.get("/queues"))}[q]
    assert listed["avg_wait"] == points[-1]["wait"]
    assert listed["workers"] == [w["id"]]
