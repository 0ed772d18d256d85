"""What the web UI's scalar charts rely on: per-point times, downsampled with the points."""

from __future__ import annotations

from typing import Any

import httpx

from tests import factories as f


def scalars(metric: str, iterations: list[int], times: list[float]) -> dict[str, Any]:
    return {
        "type": "scalars",
        "metric": metric,
        "variant": "v",
        "iterations": iterations,
        "values": [float(i) for i in iterations],
        "times": times,
    }


def test_downsampled_times_are_those_of_each_bucket_s_last_point(api: httpx.Client) -> None:
    tid = f.task(api)["id"]
    n = 1000
    its = list(range(n))
    f.ok(f.send_events(api, tid, [scalars("loss", its, [1000.0 + 2 * i for i in its])]), 200)
    (s,) = f.ok(api.get(f"/tasks/{tid}/scalars", params={"max_points": 10}))["series"]
    assert s["downsampled"] is True and len(s["times"]) == len(s["iterations"]) == 10
    # the wall-clock axis: each bucket at the time of the iteration it is drawn at
    assert s["times"] == [1000.0 + 2 * i for i in s["iterations"]]
    assert s["times"] == sorted(s["times"])


def test_compared_series_carry_their_times(api: httpx.Client) -> None:
    a, b = f.task(api)["id"], f.task(api)["id"]
    f.ok(f.send_events(api, a, [scalars("loss", [0, 1], [10.0, 20.0])]), 200)
    f.ok(f.send_events(api, b, [scalars("loss", [0, 1], [500.0, 530.0])]), 200)
    found = f.ok(api.get("/scalars", params={"task_id": [a, b], "max_points": 500}))["series"]
    assert [(s["task_id"], s["times"]) for s in found] == [(a, [10.0, 20.0]), (b, [500.0, 530.0])]
