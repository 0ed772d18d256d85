"""The task table: ``GET /tasks`` filters, sorts and cursor pages, on a real hub.

Each group of tests builds its own project (the hub is shared), through the API:
tasks with hyperparameters, statuses driven by the real actions, metric summaries
written by event ingestion. Orders are checked against values computed here, and
every cursor walk against the same list read as one page.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import orjson
import pytest

from corral.testing.hub import Hub
from tests import factories as f

# --- helpers ------------------------------------------------------------------------------


def _items(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    params.setdefault("limit", 500)
    page = f.ok(api.get("/tasks", params=params))
    assert page["next_cursor"] is None, "a helper list must fit in one page"
    return page["items"]


def _ids(api: httpx.Client, **params: Any) -> list[str]:
    return [t["id"] for t in _items(api, **params)]


def _walk(
    api: httpx.Client,
    params: dict[str, Any],
    size: int,
    between: Callable[[int], None] | None = None,
) -> list[str]:
    """Follow ``next_cursor`` to the end; ``between(n)`` runs before page ``n`` (n >= 1)."""
    seen: list[str] = []
    cursor = None
    for n in range(1000):
        if n and between is not None:
            between(n)
        query = {**params, "limit": size}
        if cursor:
            query["cursor"] = cursor
        page = f.ok(api.get("/tasks", params=query))
        assert len(page["items"]) <= size
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
        assert page["items"], "a page with a next cursor must not be empty"
    raise AssertionError("the cursor never ran out")


def _report(api: httpx.Client, task_id: str, series: dict[tuple[str, str], list[float]]) -> None:
    """Report scalar points (iterations 0, 1, ...) so the hub keeps their summaries."""
    events = [
        {"type": "scalar", "metric": m, "variant": v, "iteration": i, "value": x}
        for (m, v), values in series.items()
        for i, x in enumerate(values)
    ]
    body = {"batch_id": uuid.uuid4().hex, "events": events}
    f.ok(api.post(f"/tasks/{task_id}/events", json=body))


def _hp(**params: Any) -> dict[str, Any]:
    """``_hp(lr=0.1)`` -> hyperparameters in section ``Args``."""
    return {"Args": {k: {"value": v, "type": type(v).__name__} for k, v in params.items()}}


def _assert_sorted(
    ids: list[str], value: Callable[[str], Any], descending: bool, expected: set[str]
) -> None:
    """Every expected task once; values monotonic in the direction asked; missing ones last."""
    assert len(ids) == len(set(ids)), "a task appears twice"
    assert set(ids) == expected
    values = [value(i) for i in ids]
    present = [v for v in values if v is not None]
    assert values[: len(present)] == present, f"missing values must come last: {values}"
    assert present == sorted(present, reverse=descending), values


def _cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def _new_user(api: httpx.Client, hub: Hub) -> tuple[dict[str, Any], httpx.Client]:
    user = f.ok(api.post("/users", json={"name": f.unique("user"), "password": "a-long-password"}))
    key = f.ok(api.post("/keys", json={"user_id": user["id"], "label": "task list"}))
    client = httpx.Client(
        base_url=hub.url + "/api/v1",
        headers={"Authorization": f"Bearer {key['access_key']}:{key['secret_key']}"},
        timeout=60,
    )
    return user, client


# --- filters ------------------------------------------------------------------------------


@dataclass
class Zoo:
    """Tasks spread over a project tree, with every attribute a filter looks at."""

    root: str
    pid: dict[str, str] = field(default_factory=dict)
    t: dict[str, dict[str, Any]] = field(default_factory=dict)
    user_id: str = ""
    red: str = ""
    big: str = ""
    blue: str = ""

    def ids(self, *names: str) -> set[str]:
        return {self.t[n]["id"] for n in names}


@pytest.fixture(scope="module")
def zoo(hub: Hub) -> Zoo:
    tag = uuid.uuid4().hex[:8]
    z = Zoo(root=f.unique("zoo"), red=f"red-{tag}", big=f"big-{tag}", blue=f"blue-{tag}")
    with hub.client() as api:
        user, other = _new_user(api, hub)
        z.user_id = user["id"]
        with other:

            def make(key: str, project: str, client: httpx.Client = api, **fields: Any) -> None:
                z.t[key] = f.task(client, project, **fields)
                z.pid[project] = z.t[key]["project_id"]

            r, sub, deep = z.root, f"{z.root}/sub", f"{z.root}/sub/deep"
            make("a", r, name="resnet 50% lr", tags=[z.red, z.big], comment="first try")
            f.member(api, z.pid[r], user["id"], "editor")
            make("b", r, name="resnet50 lr", type="testing", tags=[z.red], comment="Baseline")
            make("c", sub, name="vit_base", tags=[z.blue, z.big], parent_id=z.t["a"]["id"])
            make("d", deep, other, name="vitxbase", type="inference", parent_id=z.t["a"]["id"])
            make("e", f"{z.root}-sib", name="sibling", tags=[z.red])
            # a project whose name differs from the root only in case is not a subproject
            make("f", f"{z.root.upper()}/caps", name="caps", tags=[z.red])
            make("g", r, name="old one", tags=[z.red], comment="archived 50% run")
            make("h", r, other, name="other user", type="data_processing", tags=[z.red, z.big])
            f.run_to(api, z.t["b"]["id"], "completed")
            f.run_to(api, z.t["c"]["id"], "failed")
            f.run_to(api, z.t["d"]["id"], "in_progress")
            f.ok(api.post(f"/tasks/{z.t['g']['id']}:archive"))
    return z


def test_project_filter_includes_subprojects_by_default(api: httpx.Client, zoo: Zoo) -> None:
    root = zoo.pid[zoo.root]
    assert set(_ids(api, project_id=root)) == zoo.ids("a", "b", "c", "d", "h")
    sub = zoo.pid[f"{zoo.root}/sub"]
    assert set(_ids(api, project_id=sub)) == zoo.ids("c", "d")


def test_project_filter_without_subprojects(api: httpx.Client, zoo: Zoo) -> None:
    root = zoo.pid[zoo.root]
    assert set(_ids(api, project_id=root, include_subprojects=False)) == zoo.ids("a", "b", "h")
    deep = zoo.pid[f"{zoo.root}/sub/deep"]
    assert set(_ids(api, project_id=deep, include_subprojects=False)) == zoo.ids("d")


def test_project_filter_is_repeatable(api: httpx.Client, zoo: Zoo) -> None:
    projects = [zoo.pid[f"{zoo.root}/sub/deep"], zoo.pid[f"{zoo.root}-sib"]]
    assert set(_ids(api, project_id=projects)) == zoo.ids("d", "e")
    caps = zoo.pid[f"{zoo.root.upper()}/caps"]
    assert set(_ids(api, project_id=[*projects, caps], include_subprojects=False)) == zoo.ids(
        "d", "e", "f"
    )


def test_unknown_project_lists_nothing(api: httpx.Client) -> None:
    assert _ids(api, project_id="0" * 32) == []


def test_status_filter(api: httpx.Client, zoo: Zoo) -> None:
    root = zoo.pid[zoo.root]
    assert set(_ids(api, project_id=root, status="created")) == zoo.ids("a", "h")
    assert set(_ids(api, project_id=root, status=["completed", "failed"])) == zoo.ids("b", "c")
    assert _ids(api, project_id=root, status="published") == []


def test_type_filter(api: httpx.Client, zoo: Zoo) -> None:
    root = zoo.pid[zoo.root]
    assert set(_ids(api, project_id=root, type="training")) == zoo.ids("a", "c")
    assert set(_ids(api, project_id=root, type=["testing", "inference"])) == zoo.ids("b", "d")


def test_tag_filter_alone(api: httpx.Client, zoo: Zoo) -> None:
    assert set(_ids(api, tag=zoo.red)) == zoo.ids("a", "b", "e", "f", "h")
    assert set(_ids(api, tag=zoo.blue)) == zoo.ids("c")


def test_tags_must_all_match(api: httpx.Client, zoo: Zoo) -> None:
    assert set(_ids(api, tag=[zoo.red, zoo.big])) == zoo.ids("a", "h")
    assert _ids(api, tag=[zoo.red, zoo.blue]) == []


def test_minus_tag_excludes(api: httpx.Client, zoo: Zoo) -> None:
    assert set(_ids(api, tag=[zoo.red, f"-{zoo.big}"])) == zoo.ids("b", "e", "f")
    root = zoo.pid[zoo.root]
    assert set(_ids(api, project_id=root, tag=f"-{zoo.red}")) == zoo.ids("c", "d")
    excluded = _ids(api, project_id=root, tag=[f"-{zoo.red}", f"-{zoo.blue}"])
    assert set(excluded) == zoo.ids("d")


def test_user_filter(api: httpx.Client, zoo: Zoo) -> None:
    assert set(_ids(api, user_id=zoo.user_id)) == zoo.ids("d", "h")
    admin = zoo.t["a"]["user_id"]
    root = zoo.pid[zoo.root]
    assert set(_ids(api, project_id=root, user_id=admin)) == zoo.ids("a", "b", "c")
    both = _ids(api, project_id=root, user_id=[admin, zoo.user_id])
    assert set(both) == zoo.ids("a", "b", "c", "d", "h")


def test_id_filter(api: httpx.Client, zoo: Zoo) -> None:
    assert _ids(api, id=zoo.t["c"]["id"]) == [zoo.t["c"]["id"]]
    wanted = [zoo.t[k]["id"] for k in ("a", "e", "f")]
    assert set(_ids(api, id=[*wanted, "f" * 32])) == set(wanted)
    # an archived task is still hidden unless archived tasks are asked for
    assert _ids(api, id=zoo.t["g"]["id"]) == []


def test_parent_filter(api: httpx.Client, zoo: Zoo) -> None:
    assert set(_ids(api, parent_id=zoo.t["a"]["id"])) == zoo.ids("c", "d")
    assert _ids(api, parent_id=zoo.t["b"]["id"]) == []


def test_text_matches_name_and_comment_ignoring_case(api: httpx.Client, zoo: Zoo) -> None:
    root = zoo.pid[zoo.root]
    assert set(_ids(api, project_id=root, text="RESNET")) == zoo.ids("a", "b")
    assert set(_ids(api, project_id=root, text="baseLINE")) == zoo.ids("b")
    assert set(_ids(api, project_id=root, text="first")) == zoo.ids("a")
    assert _ids(api, project_id=root, text="nowhere") == []


def test_text_percent_and_underscore_are_literal(api: httpx.Client, zoo: Zoo) -> None:
    root = zoo.pid[zoo.root]
    assert set(_ids(api, project_id=root, text="50%")) == zoo.ids("a")
    assert set(_ids(api, project_id=root, text="t_b")) == zoo.ids("c")
    assert _ids(api, project_id=root, text="%") == [zoo.t["a"]["id"]]
    assert _ids(api, project_id=root, text="\\") == []


def test_text_matches_id_prefix(api: httpx.Client, zoo: Zoo) -> None:
    task_id = zoo.t["e"]["id"]
    assert _ids(api, text=task_id[:12]) == [task_id]
    assert _ids(api, text=task_id.upper()) == [task_id]
    assert _ids(api, text=task_id[4:]) == []  # an id matches by prefix only


def test_archived_hidden_by_default_and_alone_when_asked(api: httpx.Client, zoo: Zoo) -> None:
    root = zoo.pid[zoo.root]
    assert zoo.t["g"]["id"] not in _ids(api, project_id=root)
    assert _ids(api, project_id=root, archived=True) == [zoo.t["g"]["id"]]
    assert set(_ids(api, project_id=root, archived=False)) == zoo.ids("a", "b", "c", "d", "h")
    assert _ids(api, tag=zoo.red, text="50%", archived=True) == [zoo.t["g"]["id"]]
    # an empty value means "archived or not"
    assert set(_ids(api, project_id=root, archived="")) == zoo.ids("a", "b", "c", "d", "g", "h")


def test_filters_combined(api: httpx.Client, zoo: Zoo) -> None:
    root = zoo.pid[zoo.root]
    combined = _ids(
        api,
        project_id=root,
        status=["created", "completed"],
        type=["training", "testing", "data_processing"],
        tag=[zoo.red, f"-{zoo.blue}"],
        user_id=zoo.t["a"]["user_id"],
        text="lr",
    )
    assert set(combined) == zoo.ids("a", "b")
    narrowed = _ids(
        api,
        project_id=root,
        include_subprojects=False,
        tag=zoo.big,
        type="data_processing",
        user_id=zoo.user_id,
        id=[zoo.t["h"]["id"], zoo.t["a"]["id"]],
    )
    assert narrowed == [zoo.t["h"]["id"]]
    children = _ids(api, parent_id=zoo.t["a"]["id"], status="failed", tag=zoo.big, text="VIT")
    assert children == [zoo.t["c"]["id"]]


def test_with_total_counts_every_match_not_the_page(api: httpx.Client, zoo: Zoo) -> None:
    root = zoo.pid[zoo.root]
    page = f.ok(api.get("/tasks", params={"project_id": root, "limit": 2, "with_total": True}))
    assert len(page["items"]) == 2
    assert page["total"] == 5
    plain = f.ok(api.get("/tasks", params={"project_id": root, "limit": 2}))
    assert plain["total"] is None
    tagged = f.ok(api.get("/tasks", params={"tag": zoo.red, "with_total": True, "limit": 1}))
    assert tagged["total"] == 5


# --- sorting -----------------------------------------------------------------------------

LR = [10, 9, 2.5, -3, 0.1, 100, 9, 9, None, 1e-5, -0.5, "missing", 9, -3]
OPT = ["sgd", "adam", "sgd", "rmsprop", "adam", "b", "sgd", "a", "sgd", "missing", "sgd", "c"]
LABEL = ["10", "9", "100", "2", "9", "1", "missing", "9", "10", "0", "3", "9"]
NAMES = ["bb", "aa", "bb", "cc", "aa", "bb", "dd", "aa", "bb", "bb", "cc", "aa", "bb", "ee"]
STATUS = [
    "created",
    "completed",
    "failed",
    "created",
    "in_progress",
    "completed",
    "created",
    "completed",
    "failed",
    "created",
    "completed",
    "created",
    "queued",
    "completed",
]
# loss/val per task (points in iteration order): last, min and max tie across tasks;
# None = no such series at all (some of those report another variant instead)
LOSS: list[list[float] | None] = [
    [0.9, 0.5, 0.7],
    [0.7],
    None,
    [0.4, 0.7, 0.7],
    [0.9, 0.2],
    None,
    [1.5, -0.25, 0.7],
    [0.7],
    [2.0, 0.5],
    None,
    [12.0, 3.0, 9.0],
    [0.5, 0.5],
    [0.2],
    None,
]


def _planned(values: list[Any], i: int) -> Any:
    """The planned hyperparameter value of task ``i``; ``None`` when missing or null."""
    value = values[i] if i < len(values) else "missing"
    return None if value == "missing" else value


@dataclass
class Ranked:
    pid: str
    #: task ids in the order of NAMES (creation order)
    order: list[str]
    items: dict[str, dict[str, Any]]

    @property
    def all(self) -> set[str]:
        return set(self.order)

    def planned(self, values: list[Any]) -> dict[str, Any]:
        return {task_id: _planned(values, i) for i, task_id in enumerate(self.order)}

    def loss(self, agg: str) -> dict[str, float | None]:
        return {task_id: _agg(LOSS[i], agg) for i, task_id in enumerate(self.order)}


def _agg(points: list[float] | None, agg: str) -> float | None:
    """What a metric summary keeps of a series: its last, min or max point."""
    if points is None:
        return None
    return {"last": points[-1], "min": min(points), "max": max(points)}[agg]


@pytest.fixture(scope="module")
def ranked(hub: Hub) -> Ranked:
    """Tasks with many ties and gaps in every sort key: names, statuses, params, metrics."""
    project = f.unique("ranked")
    order = []
    with hub.client() as api:
        for i, name in enumerate(NAMES):
            params = {}
            for key, values in (("lr", LR), ("opt", OPT), ("label", LABEL)):
                value = values[i] if i < len(values) else "missing"
                if value != "missing":
                    params[key] = value
            task_type = ("training", "testing", "inference")[i % 3]
            t = f.task(api, project, name=name, type=task_type, hyperparams=_hp(**params))
            loss = LOSS[i]
            if loss is not None:
                _report(api, t["id"], {("loss", "val"): loss, ("acc", "val"): [i / 10]})
            elif i % 2:
                _report(api, t["id"], {("loss", "train"): [0.1]})
            if STATUS[i] != "created":
                f.run_to(api, t["id"], STATUS[i])
            order.append(t["id"])
        pid = f.ok(api.get(f"/tasks/{order[0]}"))["project_id"]
        items = {t["id"]: t for t in _items(api, project_id=pid)}
    return Ranked(pid=pid, order=order, items=items)


def test_fixture_reported_metrics_as_planned(ranked: Ranked) -> None:
    for i, task_id in enumerate(ranked.order):
        series = ranked.items[task_id]["last_metrics"].get("loss", {}).get("val")
        if LOSS[i] is None:
            assert series is None
        else:
            got = [series["last"], series["min"], series["max"]]
            assert got == [_agg(LOSS[i], agg) for agg in ("last", "min", "max")]


FIELD_SORTS = ["name", "status", "type", "created_at", "started_at", "completed_at", "last_update"]


def _field_value(item: dict[str, Any], name: str) -> Any:
    value = item[name]
    if value is not None and name.endswith(("_at", "_update")):
        return datetime.fromisoformat(value)
    return value


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("name", FIELD_SORTS)
def test_sort_by_task_field(api: httpx.Client, ranked: Ranked, name: str, descending: bool) -> None:
    items = _items(api, project_id=ranked.pid, sort=("-" if descending else "") + name)
    by_id = {t["id"]: t for t in items}
    ids = [t["id"] for t in items]
    _assert_sorted(ids, lambda i: _field_value(by_id[i], name), descending, expected=ranked.all)


def test_sort_by_name_orders_ties_the_same_way_every_time(
    api: httpx.Client, ranked: Ranked
) -> None:
    first = _ids(api, project_id=ranked.pid, sort="name")
    assert [ranked.items[i]["name"] for i in first] == sorted(NAMES)
    assert _ids(api, project_id=ranked.pid, sort="name") == first
    last = _ids(api, project_id=ranked.pid, sort="-name")
    assert [ranked.items[i]["name"] for i in last] == sorted(NAMES, reverse=True)


def test_sort_by_numeric_hyperparameter_sorts_numbers_as_numbers(
    api: httpx.Client, ranked: Ranked
) -> None:
    lr = ranked.planned(LR)
    numbers = sorted(v for v in lr.values() if v is not None)
    gaps = [None] * (len(NAMES) - len(numbers))  # no such parameter, or a null value
    asc = _ids(api, project_id=ranked.pid, sort="param:Args:lr")
    assert [lr[i] for i in asc] == numbers + gaps
    desc = _ids(api, project_id=ranked.pid, sort="-param:Args:lr")
    assert [lr[i] for i in desc] == numbers[::-1] + gaps
    assert [lr[i] for i in desc][:3] == [100, 10, 9]
    assert [lr[i] for i in asc][:4] == [-3, -3, -0.5, 1e-5]


def test_sort_by_string_hyperparameter_sorts_as_text(api: httpx.Client, ranked: Ranked) -> None:
    for name, plan in (("opt", OPT), ("label", LABEL)):
        values = ranked.planned(plan)
        for descending in (False, True):
            sort = ("-" if descending else "") + f"param:Args:{name}"
            ids = _ids(api, project_id=ranked.pid, sort=sort)
            _assert_sorted(ids, values.get, descending, expected=ranked.all)
    # numeric-looking strings stay strings: "10" sorts before "9"
    label = ranked.planned(LABEL)
    ids = _ids(api, project_id=ranked.pid, sort="param:Args:label")
    assert [label[i] for i in ids][:6] == ["0", "1", "10", "10", "100", "2"]


def test_sort_by_unknown_hyperparameter_keeps_every_task(api: httpx.Client, ranked: Ranked) -> None:
    for sort in ("-param:Args:no_such_param", "param:NoSection:lr"):
        ids = _ids(api, project_id=ranked.pid, sort=sort)
        assert len(ids) == len(set(ids)) and set(ids) == ranked.all


def test_hyperparameter_names_are_percent_decoded(api: httpx.Client) -> None:
    project = f.unique("colon")
    hp = {"A:B": {"x/y": {"value": 2, "type": "int"}}}
    two = f.task(api, project, hyperparams=hp)
    hp["A:B"]["x/y"]["value"] = 1
    one = f.task(api, project, hyperparams=hp)
    none = f.task(api, project)
    ids = _ids(api, project_id=two["project_id"], sort="param:A%3AB:x%2Fy")
    assert ids == [one["id"], two["id"], none["id"]]


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("agg", ["last", "min", "max"])
def test_sort_by_metric_missing_ones_last(
    api: httpx.Client, ranked: Ranked, agg: str, descending: bool
) -> None:
    sort = ("-" if descending else "") + f"metric:loss:val:{agg}"
    ids = _ids(api, project_id=ranked.pid, sort=sort)
    values = ranked.loss(agg)
    _assert_sorted(ids, values.get, descending, expected=ranked.all)
    present = sorted((v for v in values.values() if v is not None), reverse=descending)
    assert [values[i] for i in ids] == present + [None] * LOSS.count(None)


def test_sort_by_metric_of_another_variant(api: httpx.Client, ranked: Ranked) -> None:
    reported = {ranked.order[i] for i in range(len(NAMES)) if LOSS[i] is None and i % 2}
    assert len(reported) == 3
    for sort in ("metric:loss:train:last", "-metric:loss:train:max"):
        ids = _ids(api, project_id=ranked.pid, sort=sort)
        assert set(ids[:3]) == reported
        assert set(ids) == ranked.all and len(ids) == len(NAMES)


def test_sort_by_acc_follows_creation_order(api: httpx.Client, ranked: Ranked) -> None:
    with_acc = [task_id for i, task_id in enumerate(ranked.order) if LOSS[i] is not None]
    ids = _ids(api, project_id=ranked.pid, sort="-metric:acc:val:last")
    assert ids[: len(with_acc)] == with_acc[::-1]


# --- cursor pagination --------------------------------------------------------------------

WALK_SORTS = [
    "-created_at",
    "created_at",
    "name",
    "-name",
    "-status",
    "started_at",
    "-completed_at",
    "param:Args:lr",
    "-param:Args:lr",
    "param:Args:opt",
    "-param:Args:label",
    "metric:loss:val:last",
    "-metric:loss:val:last",
    "-metric:loss:val:min",
    "metric:loss:val:max",
    "metric:nothing:here:last",
]


@pytest.mark.parametrize("size", [1, 2, 7])
@pytest.mark.parametrize("sort", WALK_SORTS)
def test_walking_pages_visits_every_task_once_in_order(
    api: httpx.Client, ranked: Ranked, sort: str, size: int
) -> None:
    whole = _ids(api, project_id=ranked.pid, sort=sort)
    assert set(whole) == ranked.all and len(whole) == len(ranked.all)
    walked = _walk(api, {"project_id": ranked.pid, "sort": sort}, size)
    assert walked == whole


LONG = 130
#: tagged rare: both ends of the metric order, a few without the metric (i % 9 == 4)
RARE = {0, 1, 4, 58, 85, 128, 129}


@dataclass
class LongList:
    """Many tasks with one metric of their own, a rare tag on a few, far apart in order.

    A page walks the sort index in growing windows and, when they find too few rows
    that pass the filters, lets the filters pick the rest: pages of 1 and 2 rows
    between rare tasks a hundred positions apart take that second path.
    """

    metric: str
    rare: str
    token: str
    order: list[str]

    def value(self, i: int) -> float | None:
        return None if i % 9 == 4 else float(i // 10)


@pytest.fixture(scope="module")
def long_list(hub: Hub) -> LongList:
    tag = uuid.uuid4().hex[:8]
    lst = LongList(metric=f"m-{tag}", rare=f"rare-{tag}", token=f"tok{tag}", order=[])
    project = f.unique("long")
    with hub.client() as api:
        for i in range(LONG):
            rare = i in RARE
            name = f"{lst.token} {i}" if rare else f"plain {i}"
            t = f.task(api, project, name=name, tags=[lst.rare] if rare else [])
            value = lst.value(i)
            if value is not None:
                _report(api, t["id"], {(lst.metric, "v"): [value]})
            lst.order.append(t["id"])
    return lst


@pytest.mark.parametrize("size", [1, 2, 7])
@pytest.mark.parametrize("sort", ["-metric:{m}:v:last", "metric:{m}:v:max", "-created_at"])
def test_selective_filter_on_a_long_sorted_list(
    api: httpx.Client, long_list: LongList, sort: str, size: int
) -> None:
    sort = sort.format(m=long_list.metric)
    rare = {long_list.order[i] for i in RARE}
    whole = _ids(api, tag=long_list.rare, sort=sort)
    if "metric" in sort:
        value = {long_list.order[i]: long_list.value(i) for i in range(LONG)}
        _assert_sorted(whole, value.get, sort.startswith("-"), expected=rare)
    else:
        assert whole == [long_list.order[i] for i in sorted(RARE, reverse=True)]
    assert _walk(api, {"tag": long_list.rare, "sort": sort}, size) == whole
    by_text = {"text": long_list.token, "sort": sort}
    assert _walk(api, by_text, size) == whole


@pytest.mark.parametrize("size", [2, 7])
def test_long_list_walks_whole_with_nulls_and_ties(
    api: httpx.Client, long_list: LongList, size: int
) -> None:
    sort = f"-metric:{long_list.metric}:v:min"
    whole = _ids(api, sort=sort, id=long_list.order)
    value = {long_list.order[i]: long_list.value(i) for i in range(LONG)}
    _assert_sorted(whole, value.get, True, expected=set(long_list.order))
    assert _walk(api, {"sort": sort, "id": long_list.order}, size) == whole


def test_walk_with_filters_and_total(api: httpx.Client, ranked: Ranked) -> None:
    params = {"project_id": ranked.pid, "status": ["created", "completed"], "sort": "name"}
    whole = _ids(api, **params)
    assert len(whole) == STATUS.count("created") + STATUS.count("completed")
    assert _walk(api, params, 3) == whole
    page = f.ok(api.get("/tasks", params={**params, "limit": 3, "with_total": True}))
    assert page["total"] == len(whole)


def test_last_page_has_no_cursor(api: httpx.Client, ranked: Ranked) -> None:
    n = len(ranked.all)
    exact = f.ok(api.get("/tasks", params={"project_id": ranked.pid, "limit": n}))
    assert len(exact["items"]) == n and exact["next_cursor"] is None
    short = f.ok(api.get("/tasks", params={"project_id": ranked.pid, "limit": n - 1}))
    assert short["next_cursor"]


def test_hyperparams_only_when_asked(api: httpx.Client, ranked: Ranked) -> None:
    plain = _items(api, project_id=ranked.pid, sort="param:Args:lr")
    assert all(t["hyperparams"] is None for t in plain)
    full = _items(api, project_id=ranked.pid, sort="param:Args:lr", include_hyperparams=True)
    assert full[0]["hyperparams"]["Args"]["lr"]["value"] == -3


@pytest.mark.parametrize(
    "sort", ["-created_at", "created_at", "name", "param:Args:lr", "-metric:loss:val:last"]
)
def test_tasks_created_while_paging_cause_no_repeats(api: httpx.Client, sort: str) -> None:
    project = f.unique("live")
    first = [f.task(api, project, name="same", hyperparams=_hp(lr=i % 3)) for i in range(7)]
    for i, t in enumerate(first[:5]):
        _report(api, t["id"], {("loss", "val"): [float(i % 2)]})
    pid = first[0]["project_id"]
    before = _ids(api, project_id=pid, sort=sort)

    def add(n: int) -> None:
        t = f.task(api, project, name="same", hyperparams=_hp(lr=n % 3))
        _report(api, t["id"], {("loss", "val"): [float(n % 2)]})

    walked = _walk(api, {"project_id": pid, "sort": sort}, 2, between=add)
    assert len(walked) == len(set(walked)), "a task came twice"
    assert [i for i in walked if i in set(before)] == before, "an old task was skipped or moved"


# --- bad input -------------------------------------------------------------------------------


def _problem(r: httpx.Response, status: int = 422) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return str(r.json()["detail"])


def test_cursor_of_another_sort_is_422(api: httpx.Client, ranked: Ranked) -> None:
    page = f.ok(api.get("/tasks", params={"project_id": ranked.pid, "sort": "name", "limit": 2}))
    for other in ("-name", "created_at", "param:Args:lr", "metric:loss:val:last"):
        r = api.get(
            "/tasks",
            params={"project_id": ranked.pid, "sort": other, "cursor": page["next_cursor"]},
        )
        assert "sorted differently" in _problem(r)


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("-created_at", "not a cursor!"),
        ("-created_at", "YWJj"),  # base64 of "abc"
        ("-created_at", _cursor([1, 2])),
        ("-created_at", _cursor({"s": "-created_at"})),
        ("-created_at", _cursor({"s": "-created_at", "v": "yesterday", "id": "a" * 32})),
        ("-created_at", _cursor({"s": "-created_at", "v": {"$dt": "nope"}, "id": "a" * 32})),
        ("-created_at", _cursor({"s": "-created_at", "v": {"$dt": 5}, "id": "a" * 32})),
        ("-created_at", _cursor({"s": "-created_at", "v": None, "id": 5})),
        ("name", _cursor({"s": "name", "v": 12, "id": "a" * 32})),
        ("name", _cursor({"s": "name", "v": "x", "id": ["a"]})),
        ("metric:loss:val:last", _cursor({"s": "metric:loss:val:last", "v": "x", "id": "a"})),
        ("metric:loss:val:last", _cursor({"s": "metric:loss:val:last", "v": True, "id": "a"})),
        ("param:Args:lr", _cursor({"s": "param:Args:lr", "v": 1, "id": None})),
    ],
)
def test_garbage_cursor_is_422(api: httpx.Client, sort: str, cursor: str) -> None:
    r = api.get("/tasks", params={"sort": sort, "cursor": cursor})
    assert "cursor" in _problem(r)


@pytest.mark.parametrize(
    "sort",
    [
        "nope",
        "-",
        "script",
        "hyperparams",
        "param:Args",
        "param:Args:lr:value",
        "param::lr",
        "metric:loss:val",
        "metric:loss:val:avg",
        "metric:loss::last",
        "-metric",
        "--name",
    ],
)
def test_unknown_sort_is_422_naming_allowed_forms(api: httpx.Client, sort: str) -> None:
    detail = _problem(api.get("/tasks", params={"sort": sort}))
    assert "param:SECTION:NAME" in detail
    assert "metric:METRIC:VARIANT:last|min|max" in detail
    assert "created_at" in detail


@pytest.mark.parametrize("limit", [0, -1, 501, 10_000])
def test_limit_out_of_range_is_422(api: httpx.Client, limit: int) -> None:
    r = api.get("/tasks", params={"limit": limit})
    assert r.status_code == 422, r.text


def test_limit_500_is_accepted(api: httpx.Client) -> None:
    assert api.get("/tasks", params={"limit": 500}).status_code == 200
