"""Value filters of ``GET /tasks`` (``filter=KEY OP VALUE``) on a real hub, both databases.

One module-wide project holds tasks whose hyperparameters cover every kind of stored
value (numbers, numbers written as strings, text, booleans, null, missing) and whose
metric summaries come from real event ingestion. Section and metric names are unique
to the run, so filters without a project see only these tasks on the shared hub.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from corral.testing.hub import Hub
from tests import factories as f


@dataclass
class Grid:
    project: str
    project_id: str
    section: str
    metric: str
    tag: str
    t: dict[str, str] = field(default_factory=dict)

    def ids(self, *names: str) -> set[str]:
        return {self.t[n] for n in names}


def _hp(section: str, **params: Any) -> dict[str, Any]:
    return {section: {k: {"value": v} for k, v in params.items()}}


@pytest.fixture(scope="module")
def grid(hub: Hub) -> Iterator[Grid]:
    g = Grid(
        project=f.unique("filters"),
        project_id="",
        section=f.unique("S"),
        metric=f.unique("acc"),
        tag=f.unique("tag"),
    )
    # name -> (hyperparameters, acc/val points (last, min, max follow), tags)
    spec: dict[str, tuple[dict[str, Any] | None, list[float], list[str]]] = {
        "t1": ({"lr": 0.1, "opt": "adam", "bs": 32, "flag": True}, [0.2, 0.9, 0.8], [g.tag]),
        "t2": ({"lr": "0.01", "opt": "sgd", "bs": "32", "flag": "True"}, [0.5], []),
        "t3": ({"lr": 0.001, "opt": "Adam", "bs": 64, "flag": False}, [0.95, 0.3], [g.tag]),
        "t4": ({"lr": "fast", "opt": "adam", "bs": None}, [], []),
        "t5": (None, [0.7], []),
        "t6": ({"lr": "12abc", "opt": "=cmd", "bs": " 1e1 "}, [0.6], []),
        "arch": ({"lr": 0.1, "opt": "adam", "bs": 32}, [0.99], []),
    }
    with hub.client() as api:
        for name, (params, points, tags) in spec.items():
            body: dict[str, Any] = {"name": name, "tags": tags}
            if params is not None:
                body["hyperparams"] = _hp(g.section, **params)
            task = f.task(api, g.project, **body)
            g.t[name] = task["id"]
            g.project_id = task["project_id"]
            if points:
                events = [f.scalar(g.metric, "val", i, x) for i, x in enumerate(points)]
                f.ok(f.send_events(api, task["id"], events))
        f.run_to(api, g.t["t1"], "completed")
        f.run_to(api, g.t["t3"], "completed")
        f.ok(api.post(f"/tasks/{g.t['arch']}:archive"))
    yield g


def _ids(api: httpx.Client, *filters: str, **params: Any) -> set[str]:
    page = f.ok(api.get("/tasks", params={"filter": list(filters), "limit": 500, **params}))
    return {t["id"] for t in page["items"]}


def test_metric_filters_compare_last_min_and_max(api: httpx.Client, grid: Grid) -> None:
    m, g = grid.metric, grid
    assert _ids(api, f"metric:{m}:val:last>0.5") == g.ids("t1", "t5", "t6")
    assert _ids(api, f"metric:{m}:val:last >= 0.5") == g.ids("t1", "t2", "t5", "t6")
    assert _ids(api, f"metric:{m}:val:last<0.5") == g.ids("t3")
    assert _ids(api, f"metric:{m}:val:max>0.9") == g.ids("t3")
    assert _ids(api, f"metric:{m}:val:min<=0.2") == g.ids("t1")
    assert _ids(api, f"metric:{m}:val:last=0.7") == g.ids("t5")
    # a task without the metric (t4) never matches, not even "!="
    assert _ids(api, f"metric:{m}:val:last!=0.7") == g.ids("t1", "t2", "t3", "t6")
    assert _ids(api, f"metric:{m}:val:last=0.6..0.8") == g.ids("t1", "t5", "t6")
    assert _ids(api, f"metric:{m}:val:last=0.65..") == g.ids("t1", "t5")
    assert _ids(api, f"metric:{m}:val:last=..0.5") == g.ids("t2", "t3")
    assert _ids(api, f"metric:{m}:val:last=[0.5, 0.7]") == g.ids("t2", "t5")
    assert _ids(api, f"metric:{m}:val:last!=[0.5,0.7]") == g.ids("t1", "t3", "t6")
    assert _ids(api, f"metric:{m}:other:last>0") == set()
    # archived tasks follow the archived filter
    assert _ids(api, f"metric:{m}:val:last>0.95", archived="") == g.ids("arch")


def test_param_filters_compare_numbers_numerically_and_text_exactly(
    api: httpx.Client, grid: Grid
) -> None:
    s, g = grid.section, grid
    # numbers and strings holding numbers compare as numbers; "fast" and "12abc" are not
    assert _ids(api, f"param:{s}:lr>0.005") == g.ids("t1", "t2")
    assert _ids(api, f"param:{s}:lr<0.05") == g.ids("t2", "t3")
    assert _ids(api, f"param:{s}:lr=0.0005..0.01") == g.ids("t2", "t3")
    assert _ids(api, f'param:{s}:lr>"0.05"') == g.ids("t1")
    assert _ids(api, f"param:{s}:bs=32") == g.ids("t1", "t2")
    assert _ids(api, f'param:{s}:bs="32"') == g.ids("t1", "t2")
    assert _ids(api, f"param:{s}:bs=10") == g.ids("t6")  # " 1e1 " reads as 10
    assert _ids(api, f"param:{s}:bs=[32, 64]") == g.ids("t1", "t2", "t3")
    # null (t4) and missing (t5) are no value: never matched, not even by "!="
    assert _ids(api, f"param:{s}:bs!=32") == g.ids("t3", "t6")
    # text: exact, any case counts; bare text or JSON strings
    assert _ids(api, f"param:{s}:opt=adam") == g.ids("t1", "t4")
    assert _ids(api, f'param:{s}:opt="Adam"') == g.ids("t3")
    assert _ids(api, f"param:{s}:opt!=adam") == g.ids("t2", "t3", "t6")
    assert _ids(api, f'param:{s}:opt=["sgd","Adam"]') == g.ids("t2", "t3")
    assert _ids(api, f'param:{s}:opt!=["sgd","Adam"]') == g.ids("t1", "t4", "t6")
    assert _ids(api, f"param:{s}:lr=fast") == g.ids("t4")
    assert _ids(api, f"param:{s}:lr!=0.1") == g.ids("t2", "t3", "t4", "t6")
    # booleans match JSON booleans and the strings Python writes for them
    assert _ids(api, f"param:{s}:flag=true") == g.ids("t1", "t2")
    assert _ids(api, f"param:{s}:flag=false") == g.ids("t3")
    assert _ids(api, f"param:{s}:flag!=true") == g.ids("t3")
    assert _ids(api, f"param:{s}:missing=1") == set()


def test_filters_combine_with_each_other_the_other_filters_and_the_sort(
    api: httpx.Client, grid: Grid
) -> None:
    s, m, g = grid.section, grid.metric, grid
    both = [f"metric:{m}:val:last>0.1", f"param:{s}:opt=adam"]
    assert _ids(api, *both) == g.ids("t1")
    assert _ids(api, *both, archived="") == g.ids("t1", "arch")
    assert _ids(api, f"param:{s}:lr>0", status="completed") == g.ids("t1", "t3")
    assert _ids(api, f"param:{s}:lr>0", tag=g.tag) == g.ids("t1", "t3")
    assert _ids(api, f"param:{s}:lr>0", project_id=g.project_id, text="t2") == g.ids("t2")
    assert _ids(api, f"param:{s}:lr>0", project_id=uuid.uuid4().hex) == set()
    # sorted by the filtered metric, walked with a cursor, counted
    seen: list[str] = []
    params: dict[str, Any] = {
        "filter": f"metric:{m}:val:last>=0.3",
        "sort": f"-metric:{m}:val:last",
        "limit": 2,
        "with_total": "true",
    }
    while True:
        page = f.ok(api.get("/tasks", params=params))
        assert page["total"] == 5
        seen += [t["id"] for t in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == [g.t[n] for n in ("t1", "t5", "t6", "t2", "t3")]


def test_a_private_projects_tasks_never_match_a_filter(hub: Hub, api: httpx.Client) -> None:
    section, metric = f.unique("P"), f.unique("m")
    _, owner = f.user(api, hub.url)
    _, outsider = f.user(api, hub.url)
    with owner, outsider:
        name = f.unique("private")
        f.ok(owner.post("/projects", json={"name": name, "visibility": "private"}))
        task = f.task(owner, name, hyperparams=_hp(section, lr=0.1))
        f.ok(f.send_events(owner, task["id"], [f.scalar(metric, "v", 0, 1.0)]))
        for flt in (f"param:{section}:lr=0.1", f"metric:{metric}:v:last>0"):
            assert _ids(owner, flt) == {task["id"]}
            assert _ids(outsider, flt) == set()
            page = f.ok(outsider.get("/tasks", params={"filter": flt, "with_total": "true"}))
            assert page["total"] == 0
            csv = outsider.get("/tasks/export", params={"filter": flt})
            assert csv.status_code == 200 and task["id"] not in csv.text


@pytest.mark.parametrize(
    "bad",
    [
        "lr>1",  # no key kind
        "param:Args>1",  # one segment
        "param:Args:lr",  # no operator
        "param:Args:lr>",  # no value
        "param:Args:lr>adam",  # a text with an order
        "param:Args:lr>=[1,2]",  # a set with an order
        "param:Args:lr=[]",
        "param:Args:lr=null",
        'param:Args:lr={"a":1}',
        "param:Args:lr=[[1]]",
        'param:Ar"gs:lr=1',
        "metric:acc:val>1",  # no aggregate
        "metric:acc:val:median>1",
        "metric:acc:val:last=high",
        "metric:acc:val:last=NaN",
        "metric::val:last>1",
    ],
)
def test_malformed_filter_is_422_naming_it_and_the_forms(
    api: httpx.Client, grid: Grid, bad: str
) -> None:
    r = api.get("/tasks", params={"filter": [f"param:{grid.section}:lr>0", bad]})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    detail = r.json()["detail"]
    assert repr(bad) in detail and "KEY OP VALUE" in detail
    assert api.get("/tasks/export", params={"filter": bad}).status_code == 422
