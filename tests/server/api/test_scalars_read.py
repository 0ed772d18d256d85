"""Scalar reads: downsampled with a true envelope, full resolution in order, summaries."""

from __future__ import annotations

import math
import random
import uuid
from typing import Any

import httpx
import pytest

from tests import factories as f


def send(api: httpx.Client, task_id: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    return f.ok(f.send_events(api, task_id, events), 200)


def columns(
    metric: str,
    variant: str,
    iterations: list[int],
    values: list[float | None],
    times: list[float] | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "scalars",
        "metric": metric,
        "variant": variant,
        "iterations": iterations,
        "values": values,
    }
    if times is not None:
        event["times"] = times
    return event


point = f.scalar


def series(api: httpx.Client, task_id: str, **params: Any) -> list[dict[str, Any]]:
    return f.ok(api.get(f"/tasks/{task_id}/scalars", params=params))["series"]


def summaries(api: httpx.Client, task_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(m["metric"], m["variant"]): m for m in f.ok(api.get(f"/tasks/{task_id}/metrics"))}


def test_downsampling_returns_at_most_n_points_and_keeps_the_true_min_and_max(
    api: httpx.Client,
) -> None:
    tid = f.task(api)["id"]
    n = 120_000
    rng = random.Random(7)
    values = [math.sin(i / 500) + rng.uniform(-0.1, 0.1) for i in range(n)]
    values[77_777] = 1000.0  # a spike
    values[12_345] = -1000.0  # and a dip
    for start in range(0, n, 40_000):
        its = list(range(start, start + 40_000))
        send(api, tid, [columns("loss", "train", its, values[start : start + 40_000])])
    for max_points in (1, 500, 2000, 7):
        (s,) = series(api, tid, max_points=max_points)
        assert s["downsampled"] is True and s["total_points"] == n
        assert 1 <= len(s["iterations"]) <= max_points
        assert len(s["values"]) == len(s["min"]) == len(s["max"]) == len(s["times"])
        assert max(s["max"]) == 1000.0 and min(s["min"]) == -1000.0
        assert s["iterations"] == sorted(s["iterations"]) and s["iterations"][-1] == n - 1
        assert all(lo <= v <= hi for lo, v, hi in zip(s["min"], s["values"], s["max"], strict=True))
    (default,) = series(api, tid)
    assert len(default["iterations"]) == 2000


def test_a_series_that_fits_is_returned_point_by_point_without_an_envelope(
    api: httpx.Client,
) -> None:
    tid = f.task(api)["id"]
    send(api, tid, [columns("m", "v", [0, 1, 2], [3.0, None, 2.0], [10.0, 11.0, 12.0])])
    (s,) = series(api, tid, max_points=3)
    assert s["downsampled"] is False and s["total_points"] == 3
    assert s["iterations"] == [0, 1, 2] and s["times"] == [10.0, 11.0, 12.0]
    assert s["values"] == [3.0, None, 2.0]
    # min and max would only repeat the values
    assert s["min"] is None and s["max"] is None


def test_full_resolution_sends_no_envelope_and_a_downsampled_read_still_does(
    api: httpx.Client,
) -> None:
    tid = f.task(api)["id"]
    its = list(range(5000))
    send(api, tid, [columns("loss", "train", its, [float(i % 10) for i in its])])
    send(api, tid, [columns("acc", "val", [0, 1], [0.5, 0.75])])
    full = {s["metric"]: s for s in series(api, tid, full=True, max_points=10)}
    for s in full.values():
        assert s["downsampled"] is False and s["min"] is None and s["max"] is None
    assert full["loss"]["values"] == [float(i % 10) for i in its]
    chart = {s["metric"]: s for s in series(api, tid, max_points=10)}
    loss = chart["loss"]
    assert loss["downsampled"] is True and len(loss["min"]) == len(loss["max"]) == 10
    assert min(loss["min"]) == 0.0 and max(loss["max"]) == 9.0
    assert chart["acc"]["downsampled"] is False and chart["acc"]["min"] is None
    (compared,) = f.ok(
        api.get("/scalars", params={"task_id": tid, "metric": "loss", "full": "true"})
    )["series"]
    assert compared["values"] == full["loss"]["values"] and compared["min"] is None


def test_full_returns_every_point_in_iteration_order_when_batches_arrive_out_of_order(
    api: httpx.Client,
) -> None:
    tid = f.task(api)["id"]
    starts = list(range(0, 10_000, 1000))
    random.Random(3).shuffle(starts)
    for start in starts:
        its = list(range(start, start + 1000))
        send(api, tid, [columns("loss", "train", its, [i * 0.5 for i in its])])
    send(api, tid, [point("loss", "train", 10_000 + i, 1.0) for i in (5, 2, 9)])
    (s,) = series(api, tid, full=True, max_points=10)
    expected = [*range(10_000), 10_002, 10_005, 10_009]
    assert s["downsampled"] is False and s["total_points"] == len(expected)
    assert s["iterations"] == expected
    assert s["values"][:10_000] == [i * 0.5 for i in range(10_000)]


def test_points_at_the_same_iteration_keep_the_order_they_were_reported_in(
    api: httpx.Client,
) -> None:
    tid = f.task(api)["id"]
    send(api, tid, [columns("m", "v", [5, 6], [1.0, 2.0])])
    send(api, tid, [columns("m", "v", [3, 5], [3.0, 4.0])])
    (s,) = series(api, tid, full=True)
    assert s["iterations"] == [3, 5, 5, 6]
    assert s["values"] == [3.0, 1.0, 4.0, 2.0]
    assert summaries(api, tid)[("m", "v")]["last"] == 2.0


def test_filters_by_metric_and_variant(api: httpx.Client) -> None:
    tid = f.task(api)["id"]
    send(
        api,
        tid,
        [
            point("loss", "train", 0, 1.0),
            point("loss", "val", 0, 2.0),
            point("acc", "val", 0, 3.0),
        ],
    )

    def names(**params: str) -> list[tuple[str, str]]:
        return [(s["metric"], s["variant"]) for s in series(api, tid, **params)]

    assert names() == [("acc", "val"), ("loss", "train"), ("loss", "val")]
    assert names(metric="loss") == [("loss", "train"), ("loss", "val")]
    assert names(variant="val") == [("acc", "val"), ("loss", "val")]
    assert names(metric="loss", variant="val") == [("loss", "val")]
    assert names(metric="nothing") == []


@pytest.mark.parametrize("params", [{"max_points": 0}, {"max_points": 100_001}, {"metric": ""}])
def test_out_of_range_read_parameters_are_422(api: httpx.Client, params: dict) -> None:
    tid = f.task(api)["id"]
    r = api.get(f"/tasks/{tid}/scalars", params=params)
    assert r.status_code == 422, r.text


def test_summaries_with_missing_values(api: httpx.Client) -> None:
    tid = f.task(api)["id"]
    send(
        api,
        tid,
        [
            columns("loss", "train", [0, 1, 2, 3], [4.0, None, 1.5, 2.0]),
            columns("loss", "nan", [0, 1], [None, None]),
            point("acc", "val", 7, None),
            point("acc", "val", 3, 0.9),
        ],
    )
    s = summaries(api, tid)
    assert {
        k: (v["last"], v["min"], v["max"], v["iteration"], v["count"]) for k, v in s.items()
    } == {
        ("loss", "train"): (2.0, 1.5, 4.0, 3, 4),
        ("loss", "nan"): (None, None, None, 1, 2),
        ("acc", "val"): (None, 0.9, 0.9, 7, 2),
    }
    (train,) = series(api, tid, metric="loss", variant="train")
    assert train["values"] == [4.0, None, 1.5, 2.0]
    assert f.ok(api.get(f"/tasks/{tid}"))["last_metrics"]["acc"]["val"] == {
        "last": None,
        "min": 0.9,
        "max": 0.9,
        "iteration": 7,
    }


def test_summaries_fold_across_batches(api: httpx.Client) -> None:
    tid = f.task(api)["id"]
    send(api, tid, [columns("loss", "train", list(range(10)), [float(10 - i) for i in range(10)])])
    # going back in iterations does not change the last value, but min/max and count
    send(api, tid, [point("loss", "train", 4, -3.0), point("loss", "train", 5, 50.0)])
    s = summaries(api, tid)[("loss", "train")]
    assert (s["last"], s["iteration"], s["min"], s["max"], s["count"]) == (1.0, 9, -3.0, 50.0, 12)
    # the same highest iteration reported again: the later report wins
    send(api, tid, [point("loss", "train", 9, 0.25)])
    s = summaries(api, tid)[("loss", "train")]
    assert (s["last"], s["iteration"], s["count"]) == (0.25, 9, 13)
    send(api, tid, [columns("loss", "train", [12, 11], [7.0, 8.0], [100.0, 200.0])])
    s = summaries(api, tid)[("loss", "train")]
    assert (s["last"], s["iteration"], s["last_time"]) == (7.0, 12, 100.0)
    task = f.ok(api.get(f"/tasks/{tid}"))
    assert task["last_metrics"]["loss"]["train"] == {
        "last": 7.0,
        "min": -3.0,
        "max": 50.0,
        "iteration": 12,
    }
    assert task["last_iteration"] == 12


def test_infinite_values_read_as_null_and_stay_out_of_summaries(api: httpx.Client) -> None:
    tid = f.task(api)["id"]
    body = (
        '{"batch_id": "inf", "events": [{"type": "scalars", "metric": "m", "variant": "v",'
        ' "iterations": [0, 1, 2], "values": [1.0, Infinity, 1e400]}]}'
    )
    f.ok(f.post_json_text(api, f"/tasks/{tid}/events", body), 200)
    (s,) = series(api, tid)
    assert s["values"] == [1.0, None, None]
    m = summaries(api, tid)[("m", "v")]
    assert (m["last"], m["min"], m["max"], m["count"]) == (None, 1.0, 1.0, 3)


def test_compare_series_of_several_tasks(api: httpx.Client) -> None:
    a, b, c = (f.task(api)["id"] for _ in range(3))
    send(api, a, [columns("loss", "train", [0, 1], [1.0, 0.5]), point("acc", "val", 0, 0.1)])
    send(api, b, [columns("loss", "train", [0, 1, 2], [2.0, 1.0, 0.1])])
    found = f.ok(api.get("/scalars", params={"task_id": [b, a, c], "metric": "loss"}))["series"]
    assert [(s["task_id"], s["values"]) for s in found] == [
        (b, [2.0, 1.0, 0.1]),
        (a, [1.0, 0.5]),
    ]
    r = api.get("/scalars", params={"task_id": [a, uuid.uuid4().hex]})
    assert r.status_code == 404
    r = api.get("/scalars", params={"task_id": [uuid.uuid4().hex for _ in range(13)]})
    assert r.status_code == 422
    assert api.get("/scalars").status_code == 422
