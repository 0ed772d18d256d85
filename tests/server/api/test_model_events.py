"""Model reports: scalars and plots stored for a model, read back in the task reads' shapes."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests import factories as f


def _model(api: httpx.Client) -> dict[str, Any]:
    body = {"name": f.unique("model"), "project": f.unique("proj")}
    return f.ok(api.post("/models", json=body), 201)


def _post(api: httpx.Client, model_id: str, events: list[Any], batch_id: str = "") -> Any:
    body = {"batch_id": batch_id or uuid.uuid4().hex, "events": events}
    return api.post(f"/models/{model_id}/events", json=body)


FIGURE = {"data": [{"type": "table", "cells": {"values": [[1, 2]]}}], "layout": {}}


def test_scalars_and_plots_are_stored_for_the_model_and_read_back(api: httpx.Client) -> None:
    m = _model(api)
    events = [
        {"type": "scalar", "metric": "val", "variant": "acc", "iteration": 2, "value": 0.75},
        {"type": "scalar", "metric": "val", "variant": "acc", "iteration": 1, "value": 0.5},
        {
            "type": "scalars",
            "metric": "train",
            "variant": "loss",
            "iterations": [0, 1, 2],
            "values": [1.0, None, 0.25],
        },
        {"type": "plot", "metric": "scores", "variant": "val", "iteration": 0, "figure": FIGURE},
        {"type": "plot", "metric": "scores", "variant": "val", "iteration": 3, "figure": FIGURE},
    ]
    result = f.ok(_post(api, m["id"], events, "b1"))
    assert result == {"batch_id": "b1", "stored": 7, "duplicate": False}

    series = {
        (s["metric"], s["variant"]): s
        for s in f.ok(api.get(f"/models/{m['id']}/scalars"))["series"]
    }
    assert series[("val", "acc")]["iterations"] == [1, 2]
    assert series[("val", "acc")]["values"] == [0.5, 0.75]
    assert series[("val", "acc")]["task_id"] == m["id"]
    assert series[("train", "loss")]["values"] == [1.0, None, 0.25]
    only = f.ok(api.get(f"/models/{m['id']}/scalars", params={"metric": "train"}))["series"]
    assert [s["variant"] for s in only] == ["loss"]

    plots = f.ok(api.get(f"/models/{m['id']}/plots"))
    assert [(p["metric"], p["iteration"]) for p in plots["items"]] == [("scores", 3)]
    assert plots["items"][0]["figure"]["data"][0]["type"] == "table"
    assert plots["iterations"] == [{"metric": "scores", "variant": "val", "iterations": [0, 3]}]
    at0 = f.ok(api.get(f"/models/{m['id']}/plots", params={"iteration": 0}))
    assert [p["iteration"] for p in at0["items"]] == [0]


def test_a_batch_sent_twice_is_stored_once(api: httpx.Client) -> None:
    m = _model(api)
    event = {"type": "scalar", "metric": "a", "variant": "b", "iteration": 0, "value": 1.0}
    assert f.ok(_post(api, m["id"], [event], "same"))["stored"] == 1
    again = f.ok(_post(api, m["id"], [event], "same"))
    assert again["duplicate"] is True and again["stored"] == 0
    (series,) = f.ok(api.get(f"/models/{m['id']}/scalars"))["series"]
    assert series["values"] == [1.0]


def test_bad_reports_are_refused_with_a_clear_error_and_nothing_is_stored(
    api: httpx.Client,
) -> None:
    m = _model(api)
    missing = _post(api, uuid.uuid4().hex, [])
    assert missing.status_code == 404 and "no model" in missing.json()["detail"]
    log = {"type": "log", "text": "a console line is not a model report"}
    assert _post(api, m["id"], [log]).status_code == 422
    empty_name = {"type": "scalar", "metric": "", "variant": "b", "iteration": 0, "value": 1}
    assert _post(api, m["id"], [empty_name]).status_code == 422
    nul = {"type": "plot", "metric": "a\x00", "variant": "b", "iteration": 0, "figure": FIGURE}
    assert _post(api, m["id"], [nul]).status_code == 422
    uneven = {"type": "scalars", "metric": "a", "variant": "b", "iterations": [1], "values": []}
    assert _post(api, m["id"], [uneven]).status_code == 422
    assert f.ok(api.get(f"/models/{m['id']}/scalars"))["series"] == []
    assert f.ok(api.get(f"/models/{m['id']}/plots"))["items"] == []
    assert api.get(f"/models/{uuid.uuid4().hex}/scalars").status_code == 404
    assert api.get(f"/models/{uuid.uuid4().hex}/plots").status_code == 404


def test_deleting_the_model_deletes_its_reports(api: httpx.Client) -> None:
    m = _model(api)
    event = {"type": "scalar", "metric": "a", "variant": "b", "iteration": 0, "value": 1.0}
    f.ok(_post(api, m["id"], [event]))
    f.ok(api.delete(f"/models/{m['id']}"))
    again = _model(api)  # a new model never sees the old one's rows
    assert f.ok(api.get(f"/models/{again['id']}/scalars"))["series"] == []
    assert api.get(f"/models/{m['id']}/scalars").status_code == 404
