"""``GET /tasks/export``: the task list as CSV, every page, checked against ``GET /tasks``.

One project of 104 tasks (more than one export page of 100), made through
the API by a few clients in parallel; three of them carry hyperparameters, metrics and
a name that a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from corral.testing.hub import Hub
from tests import factories as f

MANY = 104  # more than one export page (100 rows)


@dataclass
class Big:
    project: str
    project_id: str
    metric: str
    special: dict[str, str]


def _big(hub: Hub) -> Big:
    project, metric = f.unique("export"), f.unique("loss")
    with hub.client() as api:
        first = f.task(api, project, name="plain-0")
        special = {
            "formula": f.task(
                api,
                project,
                name="=HYPERLINK(1)",
                tags=["a", "@b"],
                hyperparams={"Args": {"lr": {"value": 0.5}, "opt": {"value": "-sgd"}}},
            )["id"],
            "negative": f.task(
                api,
                project,
                name="-0.25",
                hyperparams={"Args": {"lr": {"value": "0.01"}, "opt": {"value": 'adam, "v2"'}}},
            )["id"],
        }
        f.run_to(api, special["negative"], "completed")
        events = [f.scalar(metric, "val", i, x) for i, x in enumerate([3.0, 1.5, 2.0])]
        f.ok(f.send_events(api, special["formula"], events))

    def make(i: int) -> None:
        with hub.client() as c:
            for n in range(i, MANY - 3, 4):
                f.task(c, project, name=f"plain-{n + 1}")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(make, range(4)))
    return Big(project, first["project_id"], metric, special)


def _csv(api: httpx.Client, **params: Any) -> list[list[str]]:
    r = api.get("/tasks/export", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == 'attachment; filename="experiments.csv"'
    return list(csv.reader(io.StringIO(r.content.decode("utf-8"))))


def _all(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = f.ok(api.get("/tasks", params={**params, "limit": 500, "cursor": cursor}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_export_has_every_page_in_the_lists_order_and_the_columns_asked(
    hub: Hub, api: httpx.Client
) -> None:
    big = _big(hub)
    rows = _csv(api, project_id=big.project_id)
    listed = _all(api, project_id=big.project_id)
    assert len(listed) == MANY
    assert rows[0] == ["id", "name", "status", "type", "user", "project", "started_at", "duration"]
    assert [r[0] for r in rows[1:]] == [t["id"] for t in listed]
    admin = f.ok(api.get(f"/users/{listed[0]['user_id']}"))["name"]
    assert {(r[4], r[5]) for r in rows[1:]} == {(admin, big.project)}
    # sorted by name ascending, the same as the list
    rows = _csv(api, project_id=big.project_id, sort="name", column=["id"])
    assert [r[0] for r in rows[1:]] == [
        t["id"] for t in _all(api, project_id=big.project_id, sort="name")
    ]

    # chosen columns, a filter, values of every kind, and the formula guard
    columns = [
        "id",
        "name",
        "status",
        "tags",
        "started_at",
        "duration",
        "param:Args:lr",
        "param:Args:opt",
        f"metric:{big.metric}:val:last",
        f"metric:{big.metric}:val:min",
    ]
    rows = _csv(api, project_id=big.project_id, column=columns, filter="param:Args:lr>0")
    assert rows[0] == [
        "id",
        "name",
        "status",
        "tags",
        "started_at",
        "duration",
        "Args/lr",
        "Args/opt",
        f"{big.metric}/val (last)",
        f"{big.metric}/val (min)",
    ]
    by_id = {r[0]: r for r in rows[1:]}
    assert set(by_id) == set(big.special.values())  # the filter holds
    formula = by_id[big.special["formula"]]
    assert formula[1:4] == ["'=HYPERLINK(1)", "created", "a, @b"]
    assert formula[4:6] == ["", ""]  # not started: no start time, no duration
    assert formula[6:] == ["0.5", "'-sgd", "2", "1.5"]
    negative = by_id[big.special["negative"]]
    task = f.ok(api.get(f"/tasks/{big.special['negative']}"))
    assert negative[1:4] == ["-0.25", "completed", ""]  # a number is no formula
    assert negative[4].endswith("Z") and negative[4][:19] == task["started_at"][:19]
    assert float(negative[5]) >= 0
    assert negative[6:] == ["0.01", 'adam, "v2"', "", ""]


def test_export_refuses_what_the_list_refuses(api: httpx.Client) -> None:
    for params in (
        {"column": "nope"},
        {"column": "metric:a:b:median"},
        {"column": "param:onlysection"},
        {"sort": "nope"},
        {"filter": "param:Args:lr>x"},
    ):
        r = api.get("/tasks/export", params={"project_id": uuid.uuid4().hex, **params})
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
