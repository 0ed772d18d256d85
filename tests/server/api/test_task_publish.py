"""``POST /tasks/{id}:publish`` with and without its output models, on a real hub."""

from __future__ import annotations

from typing import Any

import httpx

from corral.testing.hub import Hub
from tests import factories as f


def _task_with_models(api: httpx.Client) -> tuple[str, dict[str, str]]:
    """A completed task with two output models (one archived), an input model and one
    output model already published by hand."""
    project = f.unique("publish")
    given = f.ok(api.post("/models", json={"name": f.unique("input"), "project": project}))
    task = f.task(api, project, models={"input": [{"name": "in", "model_id": given["id"]}]})
    f.run_to(api, task["id"], "in_progress")
    made = {
        name: f.ok(api.post("/models", json={"name": f.unique(name), "task_id": task["id"]}))["id"]
        for name in ("best", "last", "archived", "early")
    }
    f.ok(api.post(f"/tasks/{task['id']}:complete", json={}))
    f.ok(api.post(f"/models/{made['archived']}:archive"))
    f.ok(api.post(f"/models/{made['early']}:publish"))
    return task["id"], {**made, "input": given["id"]}


def _published(api: httpx.Client, model_id: str) -> bool:
    published: bool = f.ok(api.get(f"/models/{model_id}"))["published"]
    return published


def _audited(api: httpx.Client, model_id: str) -> list[dict[str, Any]]:
    params = {"action": "model.published", "target_id": model_id}
    items: list[dict[str, Any]] = f.ok(api.get("/audit", params=params))["items"]
    return items


def test_publish_publishes_the_output_models_unless_asked_not_to(api: httpx.Client) -> None:
    # the default (no body): the output models are published with the task
    task_id, m = _task_with_models(api)
    out = f.ok(api.post(f"/tasks/{task_id}:publish"))
    assert out["status"] == "published"
    assert _published(api, m["best"]) and _published(api, m["last"])
    assert not _published(api, m["archived"])  # archived: left alone
    assert not _published(api, m["input"])  # an input model is someone else's output
    assert len(_audited(api, m["best"])) == 1 and len(_audited(api, m["early"])) == 1
    assert _audited(api, m["best"])[0]["detail"]["task_id"] == task_id
    changes = f.ok(api.get("/changes", params={"entity_type": "model", "entity_id": m["best"]}))
    assert "published" in [c["action"] for c in changes["items"]]

    # publish_models=false: the task only
    task_id, m = _task_with_models(api)
    out = f.ok(api.post(f"/tasks/{task_id}:publish", json={"publish_models": False}))
    assert out["status"] == "published"
    assert not _published(api, m["best"]) and not _published(api, m["last"])
    assert _audited(api, m["best"]) == []

    # a task that cannot be published (still running) changes nothing, its models included
    running = f.task(api, f.unique("publish"))
    f.run_to(api, running["id"], "in_progress")
    body = {"name": f.unique("m"), "task_id": running["id"]}
    model = f.ok(api.post("/models", json=body))
    assert api.post(f"/tasks/{running['id']}:publish", json={}).status_code == 409
    assert not _published(api, model["id"])
    bad = api.post(f"/tasks/{running['id']}:publish", json={"publish_models": "maybe"})
    assert bad.status_code == 422


def test_publish_leaves_models_the_caller_may_not_change(hub: Hub, api: httpx.Client) -> None:
    _, client = f.user(api, hub.url)
    with client:
        project = f.unique("mine")
        task = f.task(client, project)
        f.run_to(client, task["id"], "in_progress")
        theirs = f.ok(
            api.post("/projects", json={"name": f.unique("theirs"), "visibility": "private"})
        )
        mine = f.ok(client.post("/models", json={"name": "mine", "task_id": task["id"]}))
        # an admin's model of a private project, reported as this task's output
        other = f.ok(
            api.post(
                "/models",
                json={"name": "other", "task_id": task["id"], "project_id": theirs["id"]},
            )
        )
        f.ok(client.post(f"/tasks/{task['id']}:complete", json={}))
        f.ok(client.post(f"/tasks/{task['id']}:publish", json={}))
        assert _published(api, mine["id"])
        assert not _published(api, other["id"])
