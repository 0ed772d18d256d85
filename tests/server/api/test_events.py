"""Event ingestion: batches of mixed events, stored once, whole or not at all."""

from __future__ import annotations

import math
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from corral.testing.hub import Hub
from tests import factories as f

send = f.send_events
scalar = f.scalar


def log(text: str, **kw: Any) -> dict[str, Any]:
    return {"type": "log", "text": text, **kw}


def _problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["detail"]
    assert "Traceback" not in r.text
    return body


def _nothing_stored(api: httpx.Client, task_id: str) -> None:
    assert f.ok(api.get(f"/tasks/{task_id}/metrics")) == []
    assert f.ok(api.get(f"/tasks/{task_id}/scalars"))["series"] == []
    assert f.ok(api.get(f"/tasks/{task_id}/logs"))["items"] == []
    assert f.ok(api.get(f"/tasks/{task_id}/plots"))["items"] == []
    assert f.ok(api.get(f"/tasks/{task_id}/debug-samples"))["items"] == []
    task = f.ok(api.get(f"/tasks/{task_id}"))
    assert task["last_metrics"] == {} and task["last_iteration"] is None


@pytest.fixture
def task(api: httpx.Client) -> dict[str, Any]:
    return f.task(api)


def test_mixed_batch_lands_in_every_table(api: httpx.Client, task: dict[str, Any]) -> None:
    tid = task["id"]
    events = [
        scalar("loss", "train", 1, 0.5),
        scalar("loss", "train", 2, 0.25),
        {
            "type": "scalars",
            "metric": "loss",
            "variant": "val",
            "iterations": [0, 1, 2],
            "values": [0.9, 0.8, 0.7],
            "times": [1.0, 2.0, 3.0],
        },
        log("hello", stream="stderr", level="warning", worker="w1", time=5.5),
        {"type": "plot", "metric": "roc", "variant": "val", "iteration": 2, "figure": {"data": []}},
        {
            "type": "debug_sample",
            "metric": "images",
            "variant": "input",
            "iteration": 3,
            "uri": "hub://tasks/x/img.png",
            "content_type": "image/png",
        },
    ]
    result = f.ok(send(api, tid, events, batch_id="mixed-1"))
    assert result == {"batch_id": "mixed-1", "stored": 8, "duplicate": False}

    series = f.ok(api.get(f"/tasks/{tid}/scalars"))["series"]
    assert [(s["metric"], s["variant"], s["iterations"]) for s in series] == [
        ("loss", "train", [1, 2]),
        ("loss", "val", [0, 1, 2]),
    ]
    assert series[1]["values"] == [0.9, 0.8, 0.7] and series[1]["times"] == [1.0, 2.0, 3.0]
    line = f.ok(api.get(f"/tasks/{tid}/logs"))["items"][0]
    assert (line["text"], line["stream"], line["level"], line["worker"], line["time"]) == (
        "hello",
        "stderr",
        "warning",
        "w1",
        5.5,
    )
    plot = f.ok(api.get(f"/tasks/{tid}/plots"))["items"]
    assert [(p["metric"], p["iteration"], p["figure"]) for p in plot] == [("roc", 2, {"data": []})]
    sample = f.ok(api.get(f"/tasks/{tid}/debug-samples"))["items"]
    assert [(s["uri"], s["content_type"]) for s in sample] == [
        ("hub://tasks/x/img.png", "image/png")
    ]
    after = f.ok(api.get(f"/tasks/{tid}"))
    assert after["last_iteration"] == 3
    assert after["last_metrics"]["loss"]["train"] == {
        "last": 0.25,
        "min": 0.25,
        "max": 0.5,
        "iteration": 2,
    }
    assert after["last_metrics"]["loss"]["val"]["last"] == 0.7


def test_retried_batch_is_stored_once(api: httpx.Client, task: dict[str, Any]) -> None:
    tid = task["id"]
    events = [scalar("loss", "train", i, float(i)) for i in range(5)] + [log("once")]
    first = f.ok(send(api, tid, events, batch_id="retry-me"))
    assert first == {"batch_id": "retry-me", "stored": 6, "duplicate": False}
    again = f.ok(send(api, tid, events, batch_id="retry-me"))
    assert again == {"batch_id": "retry-me", "stored": 0, "duplicate": True}
    assert f.ok(api.get(f"/tasks/{tid}/metrics"))[0]["count"] == 5
    assert [x["text"] for x in f.ok(api.get(f"/tasks/{tid}/logs"))["items"]] == ["once"]


def test_same_batch_sent_concurrently_is_stored_once(hub: Hub, api: httpx.Client) -> None:
    for _ in range(3):
        tid = f.task(api)["id"]
        body = {
            "batch_id": uuid.uuid4().hex,
            "events": [scalar("loss", "train", i, float(i)) for i in range(200)] + [log("x")],
        }
        barrier = threading.Barrier(8)

        def post(
            _: int,
            task_id: str = tid,
            payload: dict[str, Any] = body,
            start: threading.Barrier = barrier,
        ) -> dict[str, Any]:
            with hub.client() as c:
                start.wait()
                return f.ok(c.post(f"/tasks/{task_id}/events", json=payload), 200)

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(post, range(8)))
        assert sorted(r["duplicate"] for r in results) == [False] + [True] * 7
        assert sum(r["stored"] for r in results) == 201
        assert f.ok(api.get(f"/tasks/{tid}/metrics"))[0]["count"] == 200
        assert len(f.ok(api.get(f"/tasks/{tid}/logs"))["items"]) == 1
        full = f.ok(api.get(f"/tasks/{tid}/scalars", params={"full": True}))["series"][0]
        assert full["iterations"] == list(range(200))


def test_batch_ids_are_per_task(api: httpx.Client) -> None:
    a, b = f.task(api)["id"], f.task(api)["id"]
    assert not f.ok(send(api, a, [scalar("m", "v", 0, 1.0)], batch_id="same"))["duplicate"]
    assert not f.ok(send(api, b, [scalar("m", "v", 0, 1.0)], batch_id="same"))["duplicate"]
    assert f.ok(api.get(f"/tasks/{b}/metrics"))[0]["count"] == 1


def test_oversized_batch_is_413_and_stores_nothing(api: httpx.Client, task: dict) -> None:
    # the default limit is 200,000 events and points per batch
    n = 200_001
    events = [
        log("must not be stored"),
        {
            "type": "scalars",
            "metric": "big",
            "variant": "v",
            "iterations": list(range(n - 1)),
            "values": [1.0] * (n - 1),
        },
        scalar("small", "v", 0, 1.0),
    ]
    body = _problem(send(api, task["id"], events, batch_id="too-big"), 413)
    assert "200000" in body["detail"]
    _nothing_stored(api, task["id"])
    # the rejected batch id was not claimed: a valid batch with it is stored
    assert not f.ok(send(api, task["id"], [log("ok")], batch_id="too-big"))["duplicate"]


def test_long_console_line_is_422_and_stores_nothing(api: httpx.Client, task: dict) -> None:
    events = [scalar("m", "v", 0, 1.0), log("x" * (64 * 1024 + 1))]
    body = _problem(send(api, task["id"], events), 422)
    assert body["errors"][0]["loc"] == ["body", "events", 1, "text"]
    _nothing_stored(api, task["id"])
    f.ok(send(api, task["id"], [log("x" * 64 * 1024)]))  # exactly at the limit is fine


def test_oversized_plot_is_413_and_stores_nothing(api: httpx.Client, task: dict) -> None:
    figure = {"data": [{"y": [0.123456789] * 400_000}]}  # ~4.4 MB of JSON; limit 4 MiB
    events = [
        log("not stored"),
        {"type": "plot", "metric": "p", "variant": "v", "iteration": 0, "figure": figure},
    ]
    body = _problem(send(api, task["id"], events), 413)
    assert "events[1]" in body["detail"]
    _nothing_stored(api, task["id"])


BAD_EVENTS = {
    "unknown field": (
        {**scalar("m", "v", 0, 1.0), "colour": "red"},
        "colour",
    ),
    "wrong type": ({**scalar("m", "v", 0, 1.0), "iteration": "seven"}, "iteration"),
    "wrong value type": ({**scalar("m", "v", 0, 1.0), "value": [1]}, "value"),
    "missing metric": ({"type": "scalar", "variant": "v", "iteration": 0, "value": 1.0}, "metric"),
    "empty metric": (scalar("", "v", 0, 1.0), "metric"),
    "metric too long": (scalar("m" * 256, "v", 0, 1.0), "metric"),
    "unknown type": ({"type": "histogram", "metric": "m"}, "type"),
    "bad stream": (log("x", stream="stdin"), "stream"),
    "columns of unequal length": (
        {"type": "scalars", "metric": "m", "variant": "v", "iterations": [1, 2], "values": [1.0]},
        "scalars",
    ),
    "iteration beyond int64": (
        {
            "type": "scalars",
            "metric": "m",
            "variant": "v",
            "iterations": [1, 2**63],
            "values": [1.0, 2.0],
        },
        "iterations",
    ),
    "NUL in metric": (scalar("a\x00b", "v", 0, 1.0), "metric"),
    "plot without figure": (
        {"type": "plot", "metric": "m", "variant": "v", "iteration": 0},
        "figure",
    ),
}


@pytest.mark.parametrize("case", list(BAD_EVENTS))
def test_invalid_event_is_422_with_field_errors_and_stores_nothing(
    api: httpx.Client, task: dict, case: str
) -> None:
    bad, field = BAD_EVENTS[case]
    events = [scalar("good", "v", 0, 1.0), log("good"), bad]
    body = _problem(send(api, task["id"], events, batch_id="bad-batch"), 422)
    assert body["errors"], body
    assert any(
        e["loc"][:3] == ["body", "events", 2] and (field in e["loc"] or f"'{field}'" in e["msg"])
        for e in body["errors"]
    ), body["errors"]
    _nothing_stored(api, task["id"])
    assert not f.ok(send(api, task["id"], [log("ok")], batch_id="bad-batch"))["duplicate"]


@pytest.mark.parametrize(
    "body",
    [
        {"events": []},
        {"batch_id": "", "events": []},
        {"batch_id": "b" * 65, "events": []},
        {"batch_id": "b", "events": {}},
        {"batch_id": "b", "events": [], "extra": 1},
    ],
)
def test_invalid_batch_is_422(api: httpx.Client, task: dict, body: dict) -> None:
    _problem(api.post(f"/tasks/{task['id']}/events", json=body), 422)


@pytest.mark.parametrize("raw", [b'{"batch_id": "b", "events": [', b"", b"not json", b"\xff\xfe"])
def test_malformed_json_is_400(api: httpx.Client, task: dict, raw: bytes) -> None:
    r = api.post(
        f"/tasks/{task['id']}/events", content=raw, headers={"content-type": "application/json"}
    )
    assert "JSON" in _problem(r, 400)["detail"]
    _nothing_stored(api, task["id"])


def test_events_to_published_task_are_409(api: httpx.Client, task: dict) -> None:
    f.ok(send(api, task["id"], [scalar("m", "v", 0, 1.0)], batch_id="before"))
    f.run_to(api, task["id"], "published")
    body = _problem(send(api, task["id"], [scalar("m", "v", 1, 2.0)]), 409)
    assert "published" in body["detail"]
    assert f.ok(api.get(f"/tasks/{task['id']}/metrics"))[0]["count"] == 1
    # a retry of a batch stored before publishing is still answered as stored
    assert f.ok(send(api, task["id"], [scalar("m", "v", 0, 1.0)], batch_id="before"))["duplicate"]


@pytest.mark.parametrize("status", ["queued", "completed", "failed", "stopped"])
def test_finished_and_queued_tasks_accept_events(api: httpx.Client, status: str) -> None:
    t = f.task(api)
    f.run_to(api, t["id"], status)
    assert f.ok(send(api, t["id"], [scalar("m", "v", 0, 1.0)]))["stored"] == 1


def test_unknown_task_is_404_for_writes_and_reads(api: httpx.Client) -> None:
    missing = uuid.uuid4().hex
    assert "no task" in _problem(send(api, missing, [log("x")]), 404)["detail"]
    for path in ("metrics", "scalars", "logs", "logs/download", "plots", "debug-samples"):
        _problem(api.get(f"/tasks/{missing}/{path}"), 404)


def test_events_need_authentication(hub: Hub, task: dict) -> None:
    with hub.anonymous() as anon:
        r = anon.post(f"/tasks/{task['id']}/events", json={"batch_id": "b", "events": []})
        assert r.status_code == 401
        # a bad body does not tell an anonymous caller more than "authenticate"
        r = anon.post(f"/tasks/{task['id']}/events", json={"events": [{"type": "x"}]})
        assert r.status_code == 401
        r = anon.post(
            f"/tasks/{task['id']}/events",
            content=b"{not json",
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 401
        for path in ("metrics", "scalars", "logs", "plots", "debug-samples"):
            assert anon.get(f"/tasks/{task['id']}/{path}").status_code == 401


def test_reset_drops_events_and_forgets_batch_ids(api: httpx.Client, task: dict) -> None:
    tid = task["id"]
    f.ok(send(api, tid, [scalar("m", "v", 3, 1.0), log("x")], batch_id="b1"))
    f.run_to(api, tid, "completed")
    f.ok(api.post(f"/tasks/{tid}:reset", json={}))
    _nothing_stored(api, tid)
    assert not f.ok(send(api, tid, [scalar("m", "v", 0, 1.0)], batch_id="b1"))["duplicate"]


def test_concurrent_writers_and_a_reader_store_every_point_once(
    hub: Hub, api: httpx.Client
) -> None:
    tasks = [f.task(api)["id"] for _ in range(3)]
    writers_per_task, batches, per_batch = 3, 8, 50
    errors: list[str] = []
    done = threading.Event()

    def writer(n: int) -> None:
        tid = tasks[n % len(tasks)]
        with hub.client() as c:
            for b in range(batches):
                base = (n * batches + b) * per_batch
                events: list[dict[str, Any]] = [
                    {
                        "type": "scalars",
                        "metric": "loss",
                        "variant": "train",
                        "iterations": list(range(base, base + per_batch)),
                        "values": [float(i) for i in range(base, base + per_batch)],
                    },
                    scalar("acc", f"w{n}", b, b / 10),
                    log(f"writer {n} batch {b}"),
                ]
                body = {"batch_id": f"{n}-{b}", "events": events}
                r = c.post(f"/tasks/{tid}/events", json=body)
                if r.status_code != 200:
                    errors.append(r.text)
                if b % 3 == 0:  # a client retry
                    r = c.post(f"/tasks/{tid}/events", json=body)
                    if r.status_code != 200 or not r.json()["duplicate"]:
                        errors.append(r.text)

    def reader() -> int:
        reads = 0
        with hub.client() as c:
            while not done.is_set() or reads == 0:
                for tid in tasks:
                    for path in ("scalars", "metrics", "logs"):
                        r = c.get(f"/tasks/{tid}/{path}")
                        if r.status_code != 200:
                            errors.append(r.text)
                        reads += 1
        return reads

    n_writers = writers_per_task * len(tasks)
    with ThreadPoolExecutor(n_writers + 1) as pool:
        r = pool.submit(reader)
        for w in [pool.submit(writer, n) for n in range(n_writers)]:
            w.result()
        done.set()
        assert r.result() > 0
    assert errors == []
    for k, tid in enumerate(tasks):
        mine = [n for n in range(n_writers) if n % len(tasks) == k]
        expected = sorted(
            i
            for n in mine
            for b in range(batches)
            for i in range((n * batches + b) * per_batch, (n * batches + b + 1) * per_batch)
        )
        full = f.ok(api.get(f"/tasks/{tid}/scalars", params={"metric": "loss", "full": True}))[
            "series"
        ]
        assert full[0]["iterations"] == expected
        assert full[0]["values"] == [float(i) for i in expected]
        summary = {(m["metric"], m["variant"]): m for m in f.ok(api.get(f"/tasks/{tid}/metrics"))}
        assert summary[("loss", "train")]["count"] == len(expected)
        assert summary[("loss", "train")]["max"] == max(expected)
        assert summary[("loss", "train")]["last"] == max(expected)
        for n in mine:
            assert summary[("acc", f"w{n}")]["count"] == batches
            assert math.isclose(summary[("acc", f"w{n}")]["last"], (batches - 1) / 10)
        lines = f.ok(api.get(f"/tasks/{tid}/logs", params={"limit": 5000}))["items"]
        assert sorted(x["text"] for x in lines) == sorted(
            f"writer {n} batch {b}" for n in mine for b in range(batches)
        )
        for n in mine:  # each writer's lines in the order it sent them
            own = [x["text"] for x in lines if x["text"].startswith(f"writer {n} ")]
            assert own == [f"writer {n} batch {b}" for b in range(batches)]


@pytest.mark.parametrize("token", ["Infinity", "NaN"])
def test_non_finite_times_are_422(api: httpx.Client, task: dict, token: str) -> None:
    # JSON has no such numbers, but lenient encoders (Python's json) write them
    event = '{"type": "scalars", "metric": "m", "variant": "v", "iterations": [1, 2], '
    event += '"values": [1.0, 2.0], "times": [1.7e9, ' + token + "]}"
    body = '{"batch_id": "nonfinite", "events": [' + event + "]}"
    problem = _problem(f.post_json_text(api, f"/tasks/{task['id']}/events", body), 422)
    assert any(e["loc"][-1] == "times" for e in problem["errors"]), problem
    _nothing_stored(api, task["id"])


def test_monitor_series_do_not_move_the_last_iteration(api: httpx.Client) -> None:
    tid = f.task(api)["id"]
    monitor = {"type": "scalar", "metric": ":monitor:machine", "variant": "cpu_usage"}
    f.send_events(
        api,
        tid,
        [
            {**monitor, "iteration": 600, "value": 12.5},
            {"type": "scalar", "metric": "loss", "variant": "train", "iteration": 2, "value": 1.0},
        ],
    )
    task = f.ok(api.get(f"/tasks/{tid}"))
    assert task["last_iteration"] == 2
    assert task["last_metrics"][":monitor:machine"]["cpu_usage"]["last"] == 12.5
