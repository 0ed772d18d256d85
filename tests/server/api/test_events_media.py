"""Plots and debug samples: the latest per (metric, variant), by iteration, with a slider's worth
of iterations."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests import factories as f


def send(api: httpx.Client, task_id: str, events: list[dict[str, Any]]) -> None:
    f.ok(f.send_events(api, task_id, events), 200)


def plot(metric: str, variant: str, iteration: int, tag: str) -> dict[str, Any]:
    figure = {"data": [{"type": "scatter", "y": [1, 2, 3], "name": tag}], "layout": {"title": tag}}
    return {
        "type": "plot",
        "metric": metric,
        "variant": variant,
        "iteration": iteration,
        "figure": figure,
    }


def sample(metric: str, variant: str, iteration: int, uri: str) -> dict[str, Any]:
    return {
        "type": "debug_sample",
        "metric": metric,
        "variant": variant,
        "iteration": iteration,
        "uri": uri,
    }


def _tags(found: dict[str, Any]) -> list[tuple[str, str, int, str]]:
    return [
        (p["metric"], p["variant"], p["iteration"], p["figure"]["layout"]["title"])
        for p in found["items"]
    ]


@pytest.fixture
def plotted(api: httpx.Client) -> str:
    tid = f.task(api)["id"]
    send(api, tid, [plot("roc", "val", i, f"roc-val-{i}") for i in (1, 2)])
    send(api, tid, [plot("roc", "train", 1, "roc-train-1"), plot("pr", "val", 5, "pr-val-5")])
    send(api, tid, [plot("roc", "val", 3, "roc-val-3"), plot("roc", "val", 2, "roc-val-2-again")])
    return str(tid)


def test_latest_plot_per_metric_and_variant(api: httpx.Client, plotted: str) -> None:
    found = f.ok(api.get(f"/tasks/{plotted}/plots"))
    assert _tags(found) == [
        ("pr", "val", 5, "pr-val-5"),
        ("roc", "train", 1, "roc-train-1"),
        ("roc", "val", 3, "roc-val-3"),
    ]
    assert found["iterations"] == [
        {"metric": "pr", "variant": "val", "iterations": [5]},
        {"metric": "roc", "variant": "train", "iterations": [1]},
        {"metric": "roc", "variant": "val", "iterations": [1, 2, 3]},
    ]
    assert found["items"][0]["figure"]["data"][0]["y"] == [1, 2, 3]


def test_plots_at_an_iteration_later_report_wins(api: httpx.Client, plotted: str) -> None:
    found = f.ok(api.get(f"/tasks/{plotted}/plots", params={"iteration": 2}))
    assert _tags(found) == [("roc", "val", 2, "roc-val-2-again")]
    assert f.ok(api.get(f"/tasks/{plotted}/plots", params={"iteration": 4}))["items"] == []


def test_plots_filtered_and_every_iteration(api: httpx.Client, plotted: str) -> None:
    found = f.ok(
        api.get(
            f"/tasks/{plotted}/plots",
            params={"metric": "roc", "variant": "val", "all_iterations": True},
        )
    )
    assert [t[3] for t in _tags(found)] == [
        "roc-val-1",
        "roc-val-2",
        "roc-val-2-again",
        "roc-val-3",
    ]
    assert found["iterations"] == [{"metric": "roc", "variant": "val", "iterations": [1, 2, 3]}]
    limited = f.ok(
        api.get(
            f"/tasks/{plotted}/plots", params={"metric": "roc", "all_iterations": True, "limit": 2}
        )
    )
    assert [t[3] for t in _tags(limited)] == ["roc-train-1", "roc-val-1"]
    only_pr = f.ok(api.get(f"/tasks/{plotted}/plots", params={"metric": "pr"}))
    assert [t[3] for t in _tags(only_pr)] == ["pr-val-5"]


def test_plot_with_nan_and_infinity_is_stored_with_nulls(api: httpx.Client) -> None:
    tid = f.task(api)["id"]
    body = (
        '{"batch_id": "p", "events": [{"type": "plot", "metric": "m", "variant": "v",'
        ' "iteration": 0, "figure": {"data": [{"y": [1, NaN, Infinity, -Infinity]}]}}]}'
    )
    f.ok(f.post_json_text(api, f"/tasks/{tid}/events", body), 200)
    item = f.ok(api.get(f"/tasks/{tid}/plots"))["items"][0]
    assert item["figure"] == {"data": [{"y": [1, None, None, None]}]}


def test_debug_samples_latest_by_iteration_and_slider(api: httpx.Client) -> None:
    tid = f.task(api)["id"]
    send(
        api, tid, [sample("images", "input", i, f"hub://img/in-{i}.png") for i in range(0, 50, 10)]
    )
    send(api, tid, [sample("images", "output", 20, "hub://img/out-20.png")])
    send(api, tid, [sample("audio", "clip", 7, "hub://a/7.wav")])
    latest = f.ok(api.get(f"/tasks/{tid}/debug-samples"))
    assert [(s["metric"], s["variant"], s["iteration"], s["uri"]) for s in latest["items"]] == [
        ("audio", "clip", 7, "hub://a/7.wav"),
        ("images", "input", 40, "hub://img/in-40.png"),
        ("images", "output", 20, "hub://img/out-20.png"),
    ]
    assert {(x["metric"], x["variant"]): x["iterations"] for x in latest["iterations"]} == {
        ("audio", "clip"): [7],
        ("images", "input"): [0, 10, 20, 30, 40],
        ("images", "output"): [20],
    }
    at20 = f.ok(
        api.get(f"/tasks/{tid}/debug-samples", params={"iteration": 20, "metric": "images"})
    )
    assert [s["uri"] for s in at20["items"]] == ["hub://img/in-20.png", "hub://img/out-20.png"]
    one = f.ok(api.get(f"/tasks/{tid}/debug-samples", params={"variant": "input", "iteration": 10}))
    assert [s["uri"] for s in one["items"]] == ["hub://img/in-10.png"]
    assert [x["variant"] for x in one["iterations"]] == ["input"]


def test_debug_sample_reported_again_at_an_iteration_replaces_it(api: httpx.Client) -> None:
    tid = f.task(api)["id"]
    send(api, tid, [sample("m", "v", 1, "hub://first.png")])
    send(api, tid, [sample("m", "v", 1, "hub://second.png")])
    found = f.ok(api.get(f"/tasks/{tid}/debug-samples"))
    assert [s["uri"] for s in found["items"]] == ["hub://second.png"]
    assert found["iterations"][0]["iterations"] == [1]


def test_no_plots_or_samples_is_empty(api: httpx.Client) -> None:
    tid = f.task(api)["id"]
    assert f.ok(api.get(f"/tasks/{tid}/plots")) == {"items": [], "iterations": []}
    assert f.ok(api.get(f"/tasks/{tid}/debug-samples")) == {"items": [], "iterations": []}
