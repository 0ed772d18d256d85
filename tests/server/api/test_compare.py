"""Plots and debug samples of several tasks in one request (the compare page)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests import factories as f


def plot(metric: str, variant: str, iteration: int, z: int) -> dict[str, Any]:
    return {
        "type": "plot",
        "metric": metric,
        "variant": variant,
        "iteration": iteration,
        "figure": {"data": [{"type": "heatmap", "z": [[z]]}]},
    }


def sample(metric: str, variant: str, iteration: int, uri: str) -> dict[str, Any]:
    return {
        "type": "debug_sample",
        "metric": metric,
        "variant": variant,
        "iteration": iteration,
        "uri": uri,
        "content_type": "image/png",
    }


def test_latest_plots_of_several_tasks_with_their_iterations(api: httpx.Client) -> None:
    a, b, c = (f.task(api)["id"] for _ in range(3))
    f.ok(f.send_events(api, a, [plot("cm", "val", 1, 10), plot("cm", "val", 5, 50)]))
    f.ok(f.send_events(api, b, [plot("cm", "val", 3, 30), plot("roc", "val", 3, 31)]))
    found = f.ok(api.get("/plots", params={"task_id": [b, a, c]}))
    got = [
        (p["task_id"], p["metric"], p["iteration"], p["figure"]["data"][0]["z"])
        for p in found["items"]
    ]
    assert got == [(b, "cm", 3, [[30]]), (b, "roc", 3, [[31]]), (a, "cm", 5, [[50]])]
    assert found["iterations"] == [
        {"task_id": b, "metric": "cm", "variant": "val", "iterations": [3]},
        {"task_id": b, "metric": "roc", "variant": "val", "iterations": [3]},
        {"task_id": a, "metric": "cm", "variant": "val", "iterations": [1, 5]},
    ]
    # one row of the page at another iteration
    at = f.ok(
        api.get(
            "/plots", params={"task_id": [a, b], "metric": "cm", "variant": "val", "iteration": 1}
        )
    )
    assert [(p["task_id"], p["iteration"]) for p in at["items"]] == [(a, 1)]


def test_latest_debug_samples_of_several_tasks(api: httpx.Client) -> None:
    a, b = (f.task(api)["id"] for _ in range(2))
    f.ok(
        f.send_events(api, a, [sample("img", "in", i, f"https://x.test/a{i}.png") for i in (1, 2)])
    )
    f.ok(f.send_events(api, b, [sample("img", "in", 7, "https://x.test/b7.png")]))
    found = f.ok(api.get("/debug-samples", params={"task_id": [a, b]}))
    assert [(s["task_id"], s["iteration"], s["uri"]) for s in found["items"]] == [
        (a, 2, "https://x.test/a2.png"),
        (b, 7, "https://x.test/b7.png"),
    ]
    assert [(i["task_id"], i["iterations"]) for i in found["iterations"]] == [(a, [1, 2]), (b, [7])]
    at = f.ok(api.get("/debug-samples", params={"task_id": [a, b], "iteration": 1}))
    assert [(s["task_id"], s["uri"]) for s in at["items"]] == [(a, "https://x.test/a1.png")]


def test_bad_compare_requests_are_clear_errors(api: httpx.Client) -> None:
    a = f.task(api)["id"]
    for path in ("/plots", "/debug-samples"):
        missing = api.get(path, params={"task_id": [a, uuid.uuid4().hex]})
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
        assert api.get(path).status_code == 422
        too_many = api.get(path, params={"task_id": [uuid.uuid4().hex for _ in range(13)]})
        assert too_many.status_code == 422
        assert api.get(path, params={"task_id": a, "iteration": "x"}).status_code == 422
    # twelve tasks may be compared
    twelve = [a] + [f.task(api)["id"] for _ in range(11)]
    assert f.ok(api.get("/plots", params={"task_id": twelve}))["items"] == []
