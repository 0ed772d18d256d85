"""Private projects are invisible to outsiders on every read path; roles and scopes hold.

Real hub, real users and keys. An outsider is a user who is not a member of the
private project; a member is given a role with ``PUT /projects/{id}/members``.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from corral.testing.hub import Hub
from tests import factories as f
from tests.agents import wait_for


@dataclass
class Secret:
    """A private project with one of everything, its owner and an outsider."""

    owner: httpx.Client
    outsider: httpx.Client
    owner_id: str
    outsider_id: str
    project_id: str
    project_name: str
    task_id: str
    model_id: str
    metric: str
    file_path: str
    queue: str


@pytest.fixture(scope="module")
def secret(hub: Hub) -> Iterator[Secret]:
    with hub.client() as admin:
        owner_user, owner = f.user(admin, hub.url)
        outsider_user, outsider = f.user(admin, hub.url)
        queue = f.ok(admin.post("/queues", json={"name": f.unique("q")}))["name"]
    name = f.unique("secret")
    project = f.ok(owner.post("/projects", json={"name": name, "visibility": "private"}))
    task = f.task(owner, name, name=f.unique("hidden-run"))
    metric = f.unique("metric")
    batch = {
        "batch_id": uuid.uuid4().hex,
        "events": [
            {"type": "scalar", "metric": metric, "variant": "v", "iteration": 0, "value": 1.0}
        ],
    }
    f.ok(owner.post(f"/tasks/{task['id']}/events", json=batch))
    f.ok(
        owner.patch(
            f"/tasks/{task['id']}/hyperparams",
            json={"hyperparams": {"Secret": {"p": {"value": 1}}}},
        )
    )
    model = f.ok(owner.post("/models", json={"name": f.unique("m"), "project_id": project["id"]}))
    path = f"tasks/{task['id']}/secret.txt"
    f.ok(owner.put(f"/files/{path}", content=b"top secret"))
    queued = f.task(owner, name, name=f.unique("queued"))
    f.ok(owner.post(f"/tasks/{queued['id']}:enqueue", json={"queue": queue}))
    yield Secret(
        owner=owner,
        outsider=outsider,
        owner_id=owner_user["id"],
        outsider_id=outsider_user["id"],
        project_id=project["id"],
        project_name=name,
        task_id=task["id"],
        model_id=model["id"],
        metric=metric,
        file_path=path,
        queue=queue,
    )
    owner.close()
    outsider.close()


def test_outsider_sees_nothing_of_a_private_project(secret: Secret) -> None:
    o, s = secret.outsider, secret
    assert s.project_id not in {p["id"] for p in f.ok(o.get("/projects"))}
    assert f.ok(o.get("/projects", params={"name": s.project_name})) == []
    assert o.get(f"/projects/{s.project_id}").status_code == 404
    assert o.get(f"/projects/{s.project_id}/members").status_code == 404
    # tasks: the list, a text search, a direct read and everything under it
    assert s.task_id not in {t["id"] for t in f.ok(o.get("/tasks", params={"limit": 500}))["items"]}
    found = f.ok(o.get("/tasks", params={"text": "hidden-run", "limit": 500}))["items"]
    assert all(t["project_id"] != s.project_id for t in found)
    assert f.ok(o.get("/tasks", params={"project_id": s.project_id}))["items"] == []
    for path in ("", "/artifacts", "/hyperparams", "/metrics", "/scalars", "/logs", "/plots"):
        assert o.get(f"/tasks/{s.task_id}{path}").status_code == 404, path
    assert o.get("/scalars", params={"task_id": s.task_id}).status_code == 404
    # the columns of the table do not name its metric or parameters
    columns = f.ok(o.get("/tasks/columns"))
    assert s.metric not in {m["metric"] for m in columns["metrics"]}
    assert "Secret" not in {h["section"] for h in columns["hyperparams"]}
    # models and files
    assert s.model_id not in {
        m["id"] for m in f.ok(o.get("/models", params={"limit": 500}))["items"]
    }
    assert o.get(f"/models/{s.model_id}").status_code == 404
    assert o.get(f"/files/{s.file_path}").status_code == 404
    assert o.head(f"/files/{s.file_path}").status_code == 404
    listed = f.ok(o.get("/files", params={"prefix": "tasks/", "limit": 500}))["items"]
    assert f"tasks/{s.task_id}/" not in {e["path"] for e in listed}
    assert o.get("/files", params={"prefix": f"tasks/{s.task_id}"}).status_code == 404
    # the queue shows a waiting task's place, not what it is
    entries = f.ok(o.get(f"/queues/{s.queue}"))["entries"]
    assert entries and all(e["task_id"] == "" and e["project_id"] is None for e in entries)
    # the change log
    changes = f.ok(o.get("/changes", params={"cursor": 0, "limit": 1000}))
    cursor = changes["next_cursor"]
    seen = list(changes["items"])
    while len(changes["items"]) == 1000:
        changes = f.ok(o.get("/changes", params={"cursor": cursor, "limit": 1000}))
        cursor = changes["next_cursor"]
        seen += changes["items"]
    assert not [c for c in seen if c["project_id"] == s.project_id]
    # changes are refused as if nothing were there
    assert o.patch(f"/tasks/{s.task_id}", json={"comment": "x"}).status_code == 404
    assert o.delete(f"/files/{s.file_path}").status_code == 404
    assert o.post("/tasks", json={"name": "x", "project_id": s.project_id}).status_code == 404


def test_the_owner_sees_it_all(secret: Secret) -> None:
    s = secret
    assert f.ok(s.owner.get(f"/projects/{s.project_id}"))["my_role"] == "owner"
    assert f.ok(s.owner.get(f"/tasks/{s.task_id}"))["id"] == s.task_id
    assert s.owner.get(f"/files/{s.file_path}").content == b"top secret"
    entries = f.ok(s.owner.get(f"/queues/{s.queue}"))["entries"]
    assert all(e["task_id"] for e in entries)


def test_a_role_given_and_taken_away(hub: Hub, secret: Secret) -> None:
    s = secret
    with hub.client() as admin:
        user, client = f.user(admin, hub.url)
    with client:
        assert client.get(f"/tasks/{s.task_id}").status_code == 404
        f.member(s.owner, s.project_id, user["name"], "viewer")
        assert f.ok(client.get(f"/tasks/{s.task_id}"))["id"] == s.task_id
        r = client.patch(f"/tasks/{s.task_id}", json={"comment": "viewer edit"})
        assert r.status_code == 403 and "editor" in r.json()["detail"]
        f.member(s.owner, s.project_id, user["id"], "editor")
        f.ok(client.patch(f"/tasks/{s.task_id}", json={"comment": "editor edit"}))
        # an editor may not manage members or the visibility
        assert (
            client.put(
                f"/projects/{s.project_id}/members",
                json={"member": user["id"], "role": "owner"},
            ).status_code
            == 403
        )
        assert (
            client.patch(f"/projects/{s.project_id}", json={"visibility": "public"}).status_code
            == 403
        )
        f.ok(s.owner.delete(f"/projects/{s.project_id}/members/user/{user['id']}"))
        assert client.get(f"/tasks/{s.task_id}").status_code == 404


def test_roles_are_inherited_by_subprojects(hub: Hub) -> None:
    with hub.client() as admin:
        _, owner = f.user(admin, hub.url)
        user, client = f.user(admin, hub.url)
    root = f.unique("tree")
    f.ok(owner.post("/projects", json={"name": root, "visibility": "private"}))
    deep = f.task(owner, f"{root}/a/b")
    root_id = f.ok(owner.get("/projects", params={"name": root}))[0]["id"]
    assert client.get(f"/tasks/{deep['id']}").status_code == 404
    f.member(owner, root_id, user["id"], "viewer")
    assert f.ok(client.get(f"/tasks/{deep['id']}"))["id"] == deep["id"]
    members = f.ok(client.get(f"/projects/{deep['project_id']}/members"))
    mine = next(m for m in members if m["member_id"] == user["id"])
    assert (mine["role"], mine["inherited_from"]) == ("viewer", root_id)
    owner.close()
    client.close()


def test_public_projects_are_read_only_to_non_members(hub: Hub, api: httpx.Client) -> None:
    with hub.client() as admin:
        _, client = f.user(admin, hub.url)
    with client:
        t = f.task(api, f.unique("open"))
        assert f.ok(client.get(f"/tasks/{t['id']}"))["id"] == t["id"]
        r = client.patch(f"/tasks/{t['id']}", json={"comment": "x"})
        assert r.status_code == 403
        assert "viewer" in r.json()["detail"]
        # creating a project of one's own is fine, and it is the creator's
        mine = f.ok(client.post("/projects", json={"name": f.unique("mine")}))
        assert mine["my_role"] == "owner"


def test_read_only_and_project_limited_keys(hub: Hub, secret: Secret) -> None:
    s = secret
    with hub.client() as admin:
        ro = f.key_client(admin, hub.url, s.owner_id, read_only=True)
        limited = f.key_client(admin, hub.url, s.owner_id, projects=[s.project_id])
        other = f.task(s.owner, f.unique("elsewhere"))
    with ro, limited:
        assert f.ok(ro.get(f"/tasks/{s.task_id}"))["id"] == s.task_id
        r = ro.patch(f"/tasks/{s.task_id}", json={"comment": "x"})
        assert r.status_code == 403 and "read-only" in r.json()["detail"]
        assert ro.post("/keys", json={"label": "escalate"}).status_code == 403
        assert f.ok(limited.get(f"/tasks/{s.task_id}"))["id"] == s.task_id
        assert limited.get(f"/tasks/{other['id']}").status_code == 404
        assert {t["project_id"] for t in f.ok(limited.get("/tasks"))["items"]} <= {s.project_id}
        assert limited.post("/projects", json={"name": f.unique("top")}).status_code == 403


def _events(response: httpx.Response, got: list[dict[str, Any]], ended: threading.Event) -> None:
    event: dict[str, Any] = {}
    try:
        for line in response.iter_lines():
            if line == "":
                if "data" in event:
                    got.append(json.loads(event["data"]))
                event = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                event[name] = value.lstrip()
    except httpx.HTTPError:
        pass
    ended.set()


def test_stream_hides_private_changes_and_ends_when_its_key_is_revoked(
    hub: Hub, secret: Secret, api: httpx.Client
) -> None:
    s = secret
    key = f.ok(api.post("/keys", json={"user_id": s.outsider_id, "label": "stream"}))
    headers = {"Authorization": f"Bearer {key['access_key']}:{key['secret_key']}"}
    public = f.task(api, f.unique("pub"))
    got: list[dict[str, Any]] = []
    ended = threading.Event()
    with httpx.Client(base_url=hub.url + "/api/v1", headers=headers, timeout=60) as c:
        with c.stream("GET", "/changes/stream", params={"heartbeat": 1}) as response:
            assert response.status_code == 200
            reader = threading.Thread(target=_events, args=(response, got, ended), daemon=True)
            reader.start()
            f.ok(s.owner.patch(f"/tasks/{s.task_id}", json={"comment": uuid.uuid4().hex}))
            f.ok(api.patch(f"/tasks/{public['id']}", json={"comment": "public"}))
            wait_for(
                lambda: any(c["entity_id"] == public["id"] for c in got),
                "the public change on the stream",
            )
            assert not [c for c in got if c["project_id"] == s.project_id]
            f.ok(api.delete(f"/keys/{key['id']}"))
            wait_for(ended.is_set, "the stream to end after its key was revoked")
            reader.join(10)
        assert c.get("/changes/latest").status_code == 401


def test_a_stream_shows_a_new_public_project_at_once_and_never_a_new_private_one(
    hub: Hub, secret: Secret, api: httpx.Client
) -> None:
    s = secret
    got: list[dict[str, Any]] = []
    ended = threading.Event()
    with s.outsider.stream("GET", "/changes/stream", params={"heartbeat": 1}) as response:
        reader = threading.Thread(target=_events, args=(response, got, ended), daemon=True)
        reader.start()
        hidden = f.ok(
            s.owner.post(
                "/projects", json={"name": f.unique("new-private"), "visibility": "private"}
            )
        )
        f.task(s.owner, f"{hidden['name']}/inside")
        shown = f.task(api, f.unique("new-public"))
        wait_for(
            lambda: any(c["entity_id"] == shown["id"] for c in got),
            "the task of the new public project on the stream",
        )
        assert not [c for c in got if c["project_id"] == hidden["id"]]
        assert not [
            c for c in got if (c["payload"] or {}).get("name", "").startswith(hidden["name"])
        ]
        assert not ended.is_set()
        response.close()
