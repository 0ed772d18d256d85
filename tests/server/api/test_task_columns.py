"""The task table's columns: ``GET /tasks/columns`` and the sorts by name and duration.

``/tasks/columns`` tells a table's column picker which hyperparameters and metric
series the tasks in scope have; ``sort=user|queue|project`` orders by the name the
task refers to, ``sort=duration`` by its run time. Each test builds its own projects.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import httpx
import pytest

from corral.testing.hub import Hub
from tests import factories as f


def _hp(section: str = "Args", **params: Any) -> dict[str, Any]:
    return {section: {k: {"value": v, "type": type(v).__name__} for k, v in params.items()}}


def _report(api: httpx.Client, task_id: str, *series: tuple[str, str]) -> None:
    events = [f.scalar(m, v, 0, 1.0) for m, v in series]
    f.ok(
        api.post(f"/tasks/{task_id}/events", json={"batch_id": uuid.uuid4().hex, "events": events})
    )


def _columns(api: httpx.Client, **params: Any) -> dict[str, Any]:
    return f.ok(api.get("/tasks/columns", params=params))


def _problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["detail"]
    return body


# --- /tasks/columns ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def tree(hub: Hub) -> dict[str, str]:
    """``root`` with a task, ``root/sub`` with another, each with its own names."""
    root = f.unique("cols")
    with hub.client() as api:
        a = f.task(api, root, hyperparams={**_hp(lr=0.1, batch=32), **_hp("General", seed=1)})
        b = f.task(api, f"{root}/sub", hyperparams=_hp(lr=0.01, momentum=0.9))
        _report(api, a["id"], ("loss", "train"), ("loss", "val"))
        _report(api, b["id"], ("accuracy", "val"), ("loss", "train"))
        return {"root": a["project_id"], "sub": b["project_id"]}


def test_columns_of_a_project_include_its_subprojects(api: httpx.Client, tree: dict) -> None:
    cols = _columns(api, project_id=tree["root"])
    assert cols["hyperparams"] == [
        {"section": "Args", "name": "batch"},
        {"section": "Args", "name": "lr"},
        {"section": "Args", "name": "momentum"},
        {"section": "General", "name": "seed"},
    ]
    assert cols["metrics"] == [
        {"metric": "accuracy", "variant": "val"},
        {"metric": "loss", "variant": "train"},
        {"metric": "loss", "variant": "val"},
    ]
    assert cols["truncated"] is False


def test_columns_without_subprojects_and_of_a_subproject(api: httpx.Client, tree: dict) -> None:
    own = _columns(api, project_id=tree["root"], include_subprojects=False)
    assert [(h["section"], h["name"]) for h in own["hyperparams"]] == [
        ("Args", "batch"),
        ("Args", "lr"),
        ("General", "seed"),
    ]
    assert [(m["metric"], m["variant"]) for m in own["metrics"]] == [
        ("loss", "train"),
        ("loss", "val"),
    ]
    sub = _columns(api, project_id=tree["sub"])
    assert [h["name"] for h in sub["hyperparams"]] == ["lr", "momentum"]
    assert [m["metric"] for m in sub["metrics"]] == ["accuracy", "loss"]


def test_columns_of_several_projects_and_of_all_tasks(api: httpx.Client, tree: dict) -> None:
    other = f.task(api, hyperparams=_hp("Custom", depth=3))
    both = _columns(api, project_id=[tree["sub"], other["project_id"]])
    assert [(h["section"], h["name"]) for h in both["hyperparams"]] == [
        ("Args", "lr"),
        ("Args", "momentum"),
        ("Custom", "depth"),
    ]
    everything = _columns(api)
    names = {(h["section"], h["name"]) for h in everything["hyperparams"]}
    assert {("Args", "batch"), ("Custom", "depth"), ("General", "seed")} <= names
    pairs = [(m["metric"], m["variant"]) for m in everything["metrics"]]
    assert pairs == sorted(set(pairs)) and ("accuracy", "val") in pairs


def test_columns_of_a_project_without_tasks_or_unknown_are_empty(api: httpx.Client) -> None:
    empty = f.project(api)
    for pid in (empty["id"], "0" * 32):
        assert _columns(api, project_id=pid) == {
            "hyperparams": [],
            "metrics": [],
            "truncated": False,
        }


def test_columns_names_with_odd_characters_come_back_as_written(api: httpx.Client) -> None:
    t = f.task(api, hyperparams=_hp("A/B: c", **{"x.y z": 1, 'q"uote': 2, "ü": 3}))
    _report(api, t["id"], ("m/1", "v:2"))
    cols = _columns(api, project_id=t["project_id"])
    assert [h["name"] for h in cols["hyperparams"]] == ['q"uote', "x.y z", "ü"]
    assert {h["section"] for h in cols["hyperparams"]} == {"A/B: c"}
    assert cols["metrics"] == [{"metric": "m/1", "variant": "v:2"}]


def test_columns_is_not_taken_for_a_task_id(api: httpx.Client) -> None:
    r = api.get("/tasks/columns")
    assert r.status_code == 200 and set(r.json()) == {"hyperparams", "metrics", "truncated"}
    _problem(api.get("/tasks/columnz"), 404)


def test_columns_bad_input_is_problem_json(api: httpx.Client) -> None:
    _problem(api.get("/tasks/columns", params={"include_subprojects": "perhaps"}), 422)
    too_many = [("project_id", f"p{i}") for i in range(201)]
    _problem(api.get("/tasks/columns", params=too_many), 422)


def test_columns_need_a_login(hub: Hub) -> None:
    with httpx.Client(base_url=hub.url + "/api/v1") as anon:
        assert anon.get("/tasks/columns").status_code == 401


# --- sort by names and duration -----------------------------------------------------------


def _names(api: httpx.Client, pid: str, sort: str) -> list[str]:
    page = f.ok(api.get("/tasks", params={"project_id": pid, "sort": sort, "limit": 500}))
    return [t["name"] for t in page["items"]]


def _walk(api: httpx.Client, pid: str, sort: str) -> list[str]:
    names, cursor = [], None
    while True:
        params = {
            "project_id": pid,
            "sort": sort,
            "limit": 2,
            **({"cursor": cursor} if cursor else {}),
        }
        page = f.ok(api.get("/tasks", params=params))
        names += [t["name"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return names


def test_sort_by_user_name(api: httpx.Client, hub: Hub) -> None:
    project = f.unique("by-user")
    project_id = f.project(api, project)["id"]
    people = {}
    for who in ("zed", "amy"):
        user = f.ok(api.post("/users", json={"name": f.unique(who)}))
        f.member(api, project_id, user["id"], "editor")
        key = f.ok(api.post("/keys", json={"user_id": user["id"]}))
        people[who] = {"Authorization": f"Bearer {key['access_key']}:{key['secret_key']}"}
    for name, who in (("t1", "zed"), ("t2", "amy"), ("t3", "zed")):
        with httpx.Client(base_url=hub.url + "/api/v1", headers=people[who]) as c:
            pid = f.task(c, project, name=name)["project_id"]
    assert _names(api, pid, "user")[0] == "t2"
    assert _names(api, pid, "-user")[-1] == "t2"
    assert _walk(api, pid, "user") == _names(api, pid, "user")


def test_sort_by_queue_name_tasks_without_a_queue_last(api: httpx.Client) -> None:
    project = f.unique("by-queue")
    queues = [f.ok(api.post("/queues", json={"name": f.unique(q)}))["name"] for q in ("b", "a")]
    t1 = f.task(api, project, name="on-b")
    t2 = f.task(api, project, name="on-a")
    f.task(api, project, name="none")
    f.ok(api.post(f"/tasks/{t1['id']}:enqueue", json={"queue": queues[0]}))
    f.ok(api.post(f"/tasks/{t2['id']}:enqueue", json={"queue": queues[1]}))
    pid = t1["project_id"]
    assert _names(api, pid, "queue") == ["on-a", "on-b", "none"]
    assert _names(api, pid, "-queue") == ["on-b", "on-a", "none"]
    assert _walk(api, pid, "-queue") == ["on-b", "on-a", "none"]


def test_sort_by_project_name_across_projects(api: httpx.Client) -> None:
    root = f.unique("by-project")
    f.task(api, f"{root}/zz", name="in-zz")
    top = f.task(api, f"{root}/aa", name="in-aa")
    pid = f.ok(api.get(f"/projects/{top['project_id']}"))["parent_id"]
    assert _names(api, pid, "project") == ["in-aa", "in-zz"]
    assert _names(api, pid, "-project") == ["in-zz", "in-aa"]


def test_sort_by_duration_not_started_last(api: httpx.Client) -> None:
    project = f.unique("by-duration")
    done = f.task(api, project, name="done")
    f.run_to(api, done["id"], "completed")
    running = f.task(api, project, name="running")
    f.run_to(api, running["id"], "in_progress")
    f.task(api, project, name="draft")
    pid = done["project_id"]
    asc = _names(api, pid, "duration")
    desc = _names(api, pid, "-duration")
    assert asc[-1] == desc[-1] == "draft"
    assert set(asc[:2]) == {"done", "running"} and asc[:2] == desc[:2][::-1]
    assert _walk(api, pid, "-duration") == desc


def test_sort_by_unknown_name_or_bad_cursor_is_problem_json(api: httpx.Client) -> None:
    body = _problem(api.get("/tasks", params={"sort": "-colour"}), 422)
    assert "duration" in body["detail"] and "user" in body["detail"]

    # a cursor of the duration sort whose value no duration can be
    def cursor(value: Any) -> str:
        raw = json.dumps({"s": "duration", "v": value, "id": "a" * 32}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    for bad in ("long", True):
        _problem(api.get("/tasks", params={"sort": "duration", "cursor": cursor(bad)}), 422)
    assert api.get("/tasks", params={"sort": "duration", "cursor": cursor(12.5)}).status_code == 200
