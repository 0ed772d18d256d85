"""The change log: ordered, cursor-paged, filtered, long-polled and streamed (SSE)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from corral.testing.hub import Hub
from tests import factories as f


def _changes(api: httpx.Client, **params: Any) -> dict[str, Any]:
    return f.ok(api.get("/changes", params={"limit": 1000, **params}))


def _latest(api: httpx.Client) -> int:
    return int(f.ok(api.get("/changes/latest"))["cursor"])


def _sse_events(response: httpx.Response, *, max_comments: int = 20) -> Iterator[dict[str, Any]]:
    """Parse an SSE response into events; give up after ``max_comments`` keep-alives."""
    event: dict[str, Any] = {}
    comments = 0
    for line in response.iter_lines():
        if line == "":
            if "data" in event:
                yield event
            event = {}
        elif line.startswith(":"):
            comments += 1
            if comments > max_comments:
                raise AssertionError("no event arrived before the give-up count of keep-alives")
        else:
            name, _, value = line.partition(":")
            event[name] = value[1:] if value.startswith(" ") else value


def _take(events: Iterator[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    return [next(events) for _ in range(n)]


def test_task_changes_are_recorded_in_order(api: httpx.Client) -> None:
    t = f.task(api)
    f.ok(api.patch(f"/tasks/{t['id']}", json={"comment": "hello"}))
    f.ok(api.post(f"/tasks/{t['id']}:enqueue", json={}))
    page = _changes(api, entity_type="task", entity_id=t["id"])
    items = page["items"]
    assert [c["action"] for c in items] == ["created", "updated", "enqueued"]
    ids = [c["id"] for c in items]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert page["next_cursor"] == ids[-1]
    assert {c["project_id"] for c in items} == {t["project_id"]}
    assert items[1]["payload"]["fields"] == ["comment"]
    assert items[2]["payload"]["status"] == "queued"
    assert all(c["user_id"] and c["time"] for c in items)


def test_cursor_paging_never_repeats_or_skips(api: httpx.Client) -> None:
    start = _latest(api)
    t = f.task(api)
    for i in range(6):
        f.ok(api.patch(f"/tasks/{t['id']}", json={"comment": f"c{i}"}))
    everything = _changes(api, cursor=start, entity_id=t["id"])["items"]
    assert len(everything) == 7

    seen: list[int] = []
    cursor = start
    while True:
        page = f.ok(
            api.get("/changes", params={"cursor": cursor, "limit": 2, "entity_id": t["id"]})
        )
        if not page["items"]:
            assert page["next_cursor"] == cursor  # an empty page keeps the cursor
            break
        assert len(page["items"]) <= 2
        assert page["next_cursor"] == page["items"][-1]["id"]
        assert all(c["id"] > cursor for c in page["items"])
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
    assert seen == [c["id"] for c in everything]


def test_unfiltered_pages_are_the_whole_log_in_id_order(api: httpx.Client) -> None:
    for _ in range(3):
        f.task(api)  # a project and a task each: more than one page of three
    first = f.ok(api.get("/changes", params={"limit": 3}))
    assert [c["id"] for c in first["items"]] == sorted(c["id"] for c in first["items"])
    second = f.ok(api.get("/changes", params={"limit": 3, "cursor": first["next_cursor"]}))
    assert second["items"][0]["id"] > first["items"][-1]["id"]


def test_filters_by_entity_and_project(api: httpx.Client) -> None:
    start = _latest(api)
    a = f.task(api)
    b = f.task(api)
    by_project = _changes(api, cursor=start, project_id=a["project_id"])["items"]
    assert {c["entity_id"] for c in by_project} == {a["id"], a["project_id"]}
    projects = _changes(api, cursor=start, entity_type="project")["items"]
    assert {c["entity_id"] for c in projects} >= {a["project_id"], b["project_id"]}
    assert all(c["entity_type"] == "project" for c in projects)
    only_b = _changes(api, cursor=start, entity_type="task", entity_id=b["id"])["items"]
    assert [(c["entity_id"], c["action"]) for c in only_b] == [(b["id"], "created")]
    c = f.task(api)
    a_and_c = _changes(api, cursor=start, entity_type="task", entity_id=[a["id"], c["id"]])
    assert [x["entity_id"] for x in a_and_c["items"]] == [a["id"], c["id"]]


def test_cursor_latest_starts_at_the_end(api: httpx.Client) -> None:
    t = f.task(api)
    page = f.ok(api.get("/changes", params={"cursor": "latest", "entity_id": t["id"]}))
    assert page["items"] == []
    cursor = page["next_cursor"]
    assert cursor >= _changes(api, entity_id=t["id"])["next_cursor"]
    f.ok(api.patch(f"/tasks/{t['id']}", json={"name": "renamed"}))
    after = _changes(api, cursor=cursor, entity_id=t["id"])["items"]
    assert [(c["action"], c["payload"]["name"]) for c in after] == [("updated", "renamed")]


def test_long_poll_returns_a_change_made_while_waiting(api: httpx.Client, hub: Hub) -> None:
    t = f.task(api)
    cursor = _latest(api)
    result: dict[str, Any] = {}

    def poll() -> None:
        with hub.client() as c:
            r = c.get(
                "/changes",
                params={"cursor": cursor, "entity_id": t["id"], "wait": 30},
            )
            result["status"] = r.status_code
            result["body"] = r.json()

    waiter = threading.Thread(target=poll)
    waiter.start()
    time.sleep(0.3)  # let the poll reach its wait (correct either way)
    f.ok(api.post(f"/tasks/{t['id']}:start", json={"worker": "w-poll"}))
    waiter.join(60)
    assert not waiter.is_alive()
    assert result["status"] == 200, result
    items = result["body"]["items"]
    assert [(c["entity_id"], c["action"], c["payload"]["status"]) for c in items] == [
        (t["id"], "started", "in_progress")
    ]
    assert result["body"]["next_cursor"] == items[0]["id"] > cursor


def test_wait_expiring_returns_empty_list_and_same_cursor(api: httpx.Client) -> None:
    cursor = _latest(api)
    page = f.ok(
        api.get("/changes", params={"cursor": cursor, "entity_id": f.unique("nothing"), "wait": 1})
    )
    assert page == {"items": [], "next_cursor": cursor}


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "-1"},
        {"cursor": "soon"},
        {"limit": 0},
        {"limit": 1001},
        {"wait": 61},
        {"wait": -1},
    ],
)
def test_bad_parameters_are_422(api: httpx.Client, params: dict[str, Any]) -> None:
    r = api.get("/changes", params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_bad_last_event_id_is_422(api: httpx.Client) -> None:
    r = api.get("/changes/stream", headers={"Last-Event-ID": "not-a-number"})
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("path", ["/changes", "/changes/latest", "/changes/stream"])
def test_changes_need_authentication(hub: Hub, path: str) -> None:
    with hub.anonymous() as anon:
        r = anon.get(path)
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")
    with httpx.Client(
        base_url=hub.url + "/api/v1", headers={"Authorization": "Bearer nobody:wrong"}
    ) as wrong:
        assert wrong.get(path).status_code == 401


def test_stream_sends_a_change_made_after_it_opened(api: httpx.Client, hub: Hub) -> None:
    t = f.task(api)
    with (
        hub.client() as c,
        c.stream(
            "GET", "/changes/stream", params={"entity_id": t["id"], "heartbeat": 1}
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        f.ok(api.patch(f"/tasks/{t['id']}", json={"comment": "streamed"}))
        (event,) = _take(_sse_events(response), 1)
    logged = _changes(api, entity_id=t["id"])["items"][-1]
    assert event["event"] == "change"
    assert int(event["id"]) == logged["id"]
    data = json.loads(event["data"])
    assert data == logged
    assert (data["entity_id"], data["action"], data["payload"]["fields"]) == (
        t["id"],
        "updated",
        ["comment"],
    )


def test_stream_resumes_after_last_event_id(api: httpx.Client, hub: Hub) -> None:
    t = f.task(api)
    for i in range(3):
        f.ok(api.patch(f"/tasks/{t['id']}", json={"comment": f"n{i}"}))
    ids = [c["id"] for c in _changes(api, entity_id=t["id"])["items"]]
    assert len(ids) == 4
    # Last-Event-ID wins over cursor, as for a reconnecting EventSource
    with (
        hub.client() as c,
        c.stream(
            "GET",
            "/changes/stream",
            params={"entity_id": t["id"], "cursor": 0, "heartbeat": 1},
            headers={"Last-Event-ID": str(ids[1])},
        ) as response,
    ):
        events = _take(_sse_events(response), 2)
    assert [int(e["id"]) for e in events] == ids[2:]
    assert [json.loads(e["data"])["payload"]["fields"] for e in events] == [["comment"]] * 2


def test_stream_from_cursor_sends_the_backlog(api: httpx.Client, hub: Hub) -> None:
    t = f.task(api)
    f.ok(api.post(f"/tasks/{t['id']}:enqueue", json={}))
    with (
        hub.client() as c,
        c.stream(
            "GET", "/changes/stream", params={"entity_id": t["id"], "cursor": 0, "heartbeat": 1}
        ) as response,
    ):
        events = _take(_sse_events(response), 2)
    assert [json.loads(e["data"])["action"] for e in events] == ["created", "enqueued"]


def test_stream_sends_keep_alive_comments_when_idle(hub: Hub) -> None:
    with (
        hub.client() as c,
        c.stream(
            "GET", "/changes/stream", params={"entity_id": f.unique("idle"), "heartbeat": 1}
        ) as response,
    ):
        lines = response.iter_lines()
        for _ in range(20):
            if next(lines) == ": keep-alive":
                break
        else:
            raise AssertionError("no keep-alive comment")


def test_closed_streams_leave_the_hub_healthy(api: httpx.Client, hub: Hub) -> None:
    log_before = len(hub.log())
    for _ in range(5):
        with hub.client() as c, c.stream("GET", "/changes/stream") as response:
            assert next(response.iter_lines()).startswith("retry:")
    t = f.task(api)
    assert _changes(api, entity_id=t["id"])["items"][0]["action"] == "created"
    assert "Traceback" not in hub.log()[log_before:]


def test_task_actions_are_logged_in_the_past_tense(api: httpx.Client) -> None:
    t = f.task(api)
    steps = [
        "enqueue",
        "dequeue",
        "start",
        "abort",
        "reset",
        "start",
        "fail",
        "reset",
        "start",
        "stop",
        "reset",
        "start",
        "complete",
        "publish",
        "archive",
        "unarchive",
    ]
    for step in steps:
        f.ok(api.post(f"/tasks/{t['id']}:{step}"))
    actions = [c["action"] for c in _changes(api, entity_id=t["id"])["items"]]
    assert actions == [
        "created",
        "enqueued",
        "dequeued",
        "started",
        "aborted",
        "reset",
        "started",
        "failed",
        "reset",
        "started",
        "stopped",
        "reset",
        "started",
        "completed",
        "published",
        "archived",
        "unarchived",
    ]


def test_a_filtered_reader_moves_past_changes_that_do_not_match(api: httpx.Client) -> None:
    a = f.task(api)
    cursor = _latest(api)
    f.task(api)  # another task's changes: not for this reader
    f.task(api)
    page = _changes(api, cursor=cursor, entity_id=a["id"])
    assert page["items"] == []
    assert page["next_cursor"] == _latest(api) > cursor
    f.ok(api.patch(f"/tasks/{a['id']}", json={"comment": "now"}))
    nxt = _changes(api, cursor=page["next_cursor"], entity_id=a["id"])
    assert [c["action"] for c in nxt["items"]] == ["updated"]
