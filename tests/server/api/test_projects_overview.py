"""A project's overview (counts, compute time, running, recent, best) and its archive."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from tests import factories as f


def _metric(api: httpx.Client, task_id: str, values: list[float]) -> None:
    events = [f.scalar("acc", "val", i, v) for i, v in enumerate(values)]
    f.ok(f.send_events(api, task_id, events))


def _seconds(task: dict[str, Any]) -> float:
    start = datetime.fromisoformat(task["started_at"])
    end = datetime.fromisoformat(task["completed_at"] or task["last_update"])
    return (end - start).total_seconds()


def test_overview_counts_the_subtree_and_ranks_the_best(api: httpx.Client) -> None:
    root = f.unique("overview")
    sub = f"{root}/sub"
    done_low, done_high, failed, running, draft, archived = (
        f.task(api, root if i % 2 else sub)["id"] for i in range(6)
    )
    for tid, status in (
        (done_low, "completed"),
        (done_high, "completed"),
        (failed, "failed"),
        (running, "in_progress"),
        (archived, "completed"),
    ):
        f.run_to(api, tid, status)
    f.ok(api.post(f"/tasks/{archived}:archive", json={}))
    _metric(api, done_low, [0.1, 0.5])  # last 0.5, max 0.5
    _metric(api, done_high, [0.95, 0.9])  # last 0.9, max 0.95
    _metric(api, running, [0.7])
    project = f.ok(api.get("/projects", params={"name": root}))[0]
    sub_id = f.ok(api.get("/projects", params={"name": sub}))[0]["id"]
    f.ok(api.post("/models", json={"name": f.unique("m"), "project_id": sub_id}))

    o = f.ok(api.get(f"/projects/{project['id']}/overview", params={"metric": "acc:val:last"}))
    assert o["project"]["id"] == project["id"] and o["project"]["task_count"] == 6
    assert o["counts"] == {"completed": 2, "failed": 1, "in_progress": 1, "created": 1}
    assert o["archived_count"] == 1
    assert (o["model_count"], o["subproject_count"]) == (1, 1)
    assert [t["id"] for t in o["running"]] == [running]
    assert {t["id"] for t in o["recent"]} == {done_low, done_high, failed, running, draft}
    assert o["best_by"] == {"metric": "acc", "variant": "val", "value": "last", "order": "max"}
    assert [t["id"] for t in o["best"]] == [done_high, running, done_low]
    assert o["metric_series"] == ["acc:val"]
    # compute time: every started task's run time, as the tasks themselves tell it
    started = [
        f.ok(api.get(f"/tasks/{t}")) for t in (done_low, done_high, failed, running, archived)
    ]
    assert abs(o["compute_seconds"] - sum(_seconds(t) for t in started)) < 0.01

    lowest = f.ok(
        api.get(
            f"/projects/{project['id']}/overview",
            params={"metric": "acc:val:max", "order": "min"},
        )
    )
    assert [t["id"] for t in lowest["best"]] == [done_low, running, done_high]
    # the subproject alone
    o_sub = f.ok(api.get(f"/projects/{sub_id}/overview"))
    assert sum(o_sub["counts"].values()) + o_sub["archived_count"] == 3
    assert o_sub["best"] == [] and o_sub["best_by"] is None


def test_overview_bad_input_is_problem_json(api: httpx.Client) -> None:
    pid = f.project(api)["id"]
    for params, status in (
        ({"metric": "acc"}, 422),
        ({"metric": "acc:val:mean"}, 422),
        ({"metric": "acc::last"}, 422),
        ({"metric": "acc:val:last", "order": "up"}, 422),
        ({"order": "min"}, 422),
    ):
        r = api.get(f"/projects/{pid}/overview", params=params)
        assert r.status_code == status, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["detail"]
    r = api.get(f"/projects/{'0' * 32}/overview")
    assert r.status_code == 404 and r.json()["detail"]


def test_archive_hides_the_subtree_and_unarchive_brings_it_back(api: httpx.Client) -> None:
    root = f.unique("shelved")
    child = f.ok(api.post("/projects", json={"name": f"{root}/child"}))
    task = f.task(api, f"{root}/child")
    top_id = child["parent_id"]

    archived = f.ok(api.post(f"/projects/{top_id}:archive"))
    assert archived["archived"] is True and archived["task_count"] == 1
    assert f.ok(api.get("/projects", params={"search": root})) == []
    listed = f.ok(api.get("/projects", params={"search": root, "archived": "true"}))
    assert [(p["name"], p["archived"]) for p in listed] == [(root, True), (f"{root}/child", True)]
    # still found by name (the SDK), still readable, its task untouched
    assert [p["id"] for p in f.ok(api.get("/projects", params={"name": root}))] == [top_id]
    assert f.ok(api.get(f"/tasks/{task['id']}"))["archived"] is False
    entries = f.ok(api.get("/audit", params={"action": "project.archived", "target_id": top_id}))
    assert [e["target_name"] for e in entries["items"]] == [root]

    restored = f.ok(api.post(f"/projects/{top_id}:unarchive"))
    assert restored["archived"] is False
    names = [p["name"] for p in f.ok(api.get("/projects", params={"search": root}))]
    assert names == [root, f"{root}/child"]
    assert f.ok(api.get("/projects", params={"search": root, "archived": "true"})) == []
    entries = f.ok(api.get("/audit", params={"action": "project.unarchived", "target_id": top_id}))
    assert len(entries["items"]) == 1

    r = api.post(f"/projects/{'0' * 32}:archive")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
