"""Typed resource methods round-trip against a real hub."""

from __future__ import annotations

import uuid

import pytest

from corral.client.http import HubClient
from corral.errors import ConflictError, NotFoundError
from tests.factories import scalar, unique


def test_task_create_get_update_action_and_delete(client: HubClient) -> None:
    made = client.tasks.create(name="t", project=unique("proj"), tags=["a"])
    assert client.tasks.get(made["id"])["tags"] == ["a"]
    assert client.tasks.update(made["id"], comment="hi")["comment"] == "hi"
    assert client.tasks.action(made["id"], "enqueue", queue="default")["status"] == "queued"
    with pytest.raises(ConflictError):
        client.tasks.action(made["id"], "enqueue", queue="default")
    client.tasks.action(made["id"], "dequeue")
    assert client.tasks.delete(made["id"])["ok"]
    with pytest.raises(NotFoundError):
        client.tasks.get(made["id"])


def test_task_list_pages_and_iter_follow_the_cursor(
    client: HubClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = client.projects.create(unique("proj"))
    ids = {client.tasks.create(name=f"t{i}", project_id=project["id"])["id"] for i in range(5)}
    page = client.tasks.list(project_id=project["id"], limit=2)
    assert len(page["items"]) == 2 and page["next_cursor"]
    monkeypatch.setattr("corral.client.resources.PAGE", 2)  # three pages for five rows
    assert {r["id"] for r in client.tasks.iter(project_id=project["id"])} == ids
    assert len(list(client.tasks.iter(project_id=project["id"], limit=3))) == 3


def test_hyperparams_and_logs(client: HubClient) -> None:
    task = client.tasks.create(name="t", project=unique("proj"))
    patched = client.tasks.patch_hyperparams(
        task["id"], {"Args": {"lr": {"value": 0.1, "type": "float"}}}
    )
    assert patched["hyperparams"] is not None
    batch = [{"type": "log", "text": "hello", "level": "info", "stream": "stdout"}]
    client.events.post_batch(task["id"], uuid.uuid4().hex, batch)
    client.events.post_batch(task["id"], uuid.uuid4().hex, [scalar("loss", "train", 0, 1.0)])
    assert [line["text"] for line in client.tasks.logs(task["id"])["items"]] == ["hello"]


def test_queue_lifecycle(client: HubClient) -> None:
    name = unique("q")
    queue = client.queues.create(name, tags=["gpu"])
    assert name in {q["name"] for q in client.queues.list()}
    task = client.tasks.create(name="t", project=unique("proj"))
    other = client.tasks.create(name="u", project=unique("proj"))
    client.tasks.action(task["id"], "enqueue", queue=name)
    client.tasks.action(other["id"], "enqueue", queue=name)
    detail = client.queues.reorder(name, other["id"], 0)
    assert [e["task_id"] for e in detail["entries"]] == [other["id"], task["id"]]
    client.queues.remove(name, other["id"])
    assert [e["task_id"] for e in client.queues.get(queue["id"])["entries"]] == [task["id"]]
    renamed = client.queues.update(name, name=name + "-2")
    assert renamed["name"] == name + "-2"
    assert client.queues.clear(renamed["name"])["removed"] == 1
    assert client.queues.delete(renamed["name"])["ok"]


def test_projects_find_models_users_keys_workers(client: HubClient) -> None:
    project = client.projects.create(unique("proj"))
    assert client.projects.find(project["name"]) == client.projects.get(project["id"])
    assert client.projects.find(unique("none")) is None
    model = client.models.create(name="m", project_id=project["id"], uri="file:///m.bin")
    assert client.models.get(model["id"])["name"] == "m"
    assert client.models.action(model["id"], "publish")["published"]
    assert model["id"] in {m["id"] for m in client.models.iter(project_id=project["id"])}
    me = client.users.me()
    assert me.get("role") or me.get("user")
    key = client.keys.create(label="ci")
    assert key["secret_key"] and key["id"] in {k["id"] for k in client.keys.list()}
    assert client.keys.revoke(key["id"])["revoked_at"]
    assert isinstance(client.workers.list(include_gone=True), list)
