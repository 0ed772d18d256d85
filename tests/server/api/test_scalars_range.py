"""Scalar reads of an iteration range (a zoomed chart): the points inside it, downsampled."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests import factories as f
from tests.server.api.test_scalars_read import columns, send, series


def test_a_range_read_returns_the_points_inside_it_at_full_resolution(api: httpx.Client) -> None:
    tid = f.task(api)["id"]
    # four chunks, one of them reported out of order, and a point reported twice
    for start in (0, 20_000, 10_000, 30_000):
        its = list(range(start, start + 10_000))
        send(api, tid, [columns("loss", "train", its, [i * 0.25 for i in its])])
    send(api, tid, [columns("loss", "train", [12_345], [-1.0]), columns("acc", "val", [5], [0.5])])

    (zoom,) = series(api, tid, metric="loss", first_iteration=12_340, last_iteration=12_351)
    assert zoom["downsampled"] is False and zoom["min"] is None
    assert zoom["iterations"] == [*range(12_340, 12_346), 12_345, *range(12_346, 12_352)]
    assert zoom["total_points"] == 13
    expected = [i * 0.25 for i in range(12_340, 12_346)] + [-1.0]
    expected += [i * 0.25 for i in range(12_346, 12_352)]
    assert zoom["values"] == expected

    # across a chunk edge, downsampled to max_points with the true envelope of the range
    (wide,) = series(
        api, tid, metric="loss", first_iteration=9_000, last_iteration=20_999, max_points=100
    )
    assert wide["downsampled"] is True and wide["total_points"] == 12_001
    assert len(wide["iterations"]) == 100
    assert wide["iterations"][-1] == 20_999 and wide["iterations"][0] >= 9_000
    assert min(wide["min"]) == -1.0 and max(wide["max"]) == 20_999 * 0.25

    # one bound only; a range around a single point; the edges are inclusive
    (head,) = series(api, tid, metric="loss", last_iteration=2, full=True)
    assert head["iterations"] == [0, 1, 2]
    (tail,) = series(api, tid, metric="loss", first_iteration=39_998)
    assert tail["iterations"] == [39_998, 39_999]
    (one,) = series(api, tid, metric="loss", first_iteration=7, last_iteration=7)
    assert one["iterations"] == [7] and one["values"] == [1.75]

    # a series without a point in the range is left out; so is everything past the end
    names = [s["metric"] for s in series(api, tid, first_iteration=4, last_iteration=6)]
    assert names == ["acc", "loss"]
    assert [s["metric"] for s in series(api, tid, first_iteration=100)] == ["loss"]
    assert series(api, tid, first_iteration=40_000) == []

    # the compare read takes the same range
    other = f.task(api)["id"]
    send(api, other, [columns("loss", "train", [12_000, 12_341, 13_000], [1.0, 2.0, 3.0])])
    found = f.ok(
        api.get(
            "/scalars",
            params={
                "task_id": [other, tid],
                "metric": "loss",
                "first_iteration": 12_341,
                "last_iteration": 12_342,
            },
        )
    )["series"]
    assert [(s["task_id"], s["iterations"], s["values"]) for s in found] == [
        (other, [12_341], [2.0]),
        (tid, [12_341, 12_342], [12_341 * 0.25, 12_342 * 0.25]),
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"first_iteration": 10, "last_iteration": 9},
        {"first_iteration": "x"},
        {"last_iteration": 2**63},
        {"first_iteration": -(2**63) - 1},
    ],
)
def test_bad_ranges_are_422(api: httpx.Client, params: dict[str, Any]) -> None:
    tid = f.task(api)["id"]
    send(api, tid, [columns("m", "v", [0, 1], [1.0, 2.0])])
    r = api.get(f"/tasks/{tid}/scalars", params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    r = api.get("/scalars", params={"task_id": tid, **params})
    assert r.status_code == 422, r.text
