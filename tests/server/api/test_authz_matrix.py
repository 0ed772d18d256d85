"""Every route x every role: the authorization matrix, failing closed.

Each route of the hub's OpenAPI schema has a declared rule in ``RULES``; a route
without one fails ``test_every_route_has_a_rule`` (so a new route cannot ship
unchecked), and ``test_route_obeys_its_rule`` calls every route as every role
against a private project and checks the outcome the rule gives:

* ``ok``: authorization let it through (any status but 401, 403 and 404);
* ``deny``: 403 (the caller may see the object but not do this);
* ``hidden``: 404 (the caller may not even know the object exists);
* ``anon``: 401 (no credentials).

The roles: ``admin``; ``owner``, ``editor`` and ``viewer`` of the private project;
``outsider`` (a user who is not a member); ``readonly`` (the editor's read-only
key); ``worker`` (an agent's service account); ``anonymous``.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from corral.testing.hub import Hub
from tests import factories as f

ROLES = ("admin", "owner", "editor", "viewer", "outsider", "readonly", "worker", "anonymous")

#: what each kind of rule expects of each role
EXPECT: dict[str, dict[str, str]] = {
    # anyone signed in (lists are filtered by what each may read)
    "user": {r: "ok" for r in ROLES} | {"anonymous": "anon"},
    # anyone signed in but an agent's account
    "person": {r: "ok" for r in ROLES} | {"worker": "deny", "anonymous": "anon"},
    # signed in, and a change: read-only keys are refused every change
    "user-write": {r: "ok" for r in ROLES} | {"readonly": "deny", "anonymous": "anon"},
    # creating something new: not with a read-only key, not as an agent's account
    "create": {r: "ok" for r in ROLES}
    | {"readonly": "deny", "worker": "deny", "anonymous": "anon"},
    # reading an object of the private project
    "read": {
        "admin": "ok",
        "owner": "ok",
        "editor": "ok",
        "viewer": "ok",
        "readonly": "ok",
        "outsider": "hidden",
        "worker": "hidden",
        "anonymous": "anon",
    },
    # changing an object of the private project
    "write": {
        "admin": "ok",
        "owner": "ok",
        "editor": "ok",
        "viewer": "deny",
        "readonly": "deny",
        "outsider": "hidden",
        "worker": "hidden",
        "anonymous": "anon",
    },
    # the project's members, visibility, name, deletion
    "manage": {
        "admin": "ok",
        "owner": "ok",
        "editor": "deny",
        "viewer": "deny",
        "readonly": "deny",
        "outsider": "hidden",
        "worker": "hidden",
        "anonymous": "anon",
    },
    # hub administration
    "admin": {r: "deny" for r in ROLES} | {"admin": "ok", "anonymous": "anon"},
    # hub administration on objects others may not know of
    "admin-hidden": {r: "hidden" for r in ROLES}
    | {"admin": "ok", "readonly": "deny", "anonymous": "anon"},
    # about one user (the owner): themself and admins only
    "self": {r: "deny" for r in ROLES} | {"admin": "ok", "owner": "ok", "anonymous": "anon"},
    # what agents do: register, heartbeat, dequeue
    "work": {r: "deny" for r in ROLES} | {"admin": "ok", "worker": "ok", "anonymous": "anon"},
    # no credentials needed
    "anonymous": {r: "ok" for r in ROLES},
    # changing one's own password with the old one (the call sends the users' password,
    # which is not the admin's; a service account has none; read-only keys change nothing)
    "own-password": {r: "ok" for r in ROLES}
    | {"admin": "deny", "readonly": "deny", "worker": "deny", "anonymous": "anon"},
}


@dataclass
class World:
    """A private project with one object of each kind, and a client per role."""

    hub: Hub
    clients: dict[str, httpx.Client] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    project_id: str = ""
    project_name: str = ""
    task_id: str = ""
    model_id: str = ""
    queue: str = ""
    worker_id: str = ""
    file_path: str = ""
    #: dataset versions made on first use (``_draft``, ``_final``)
    datasets: dict[str, str] = field(default_factory=dict)

    @property
    def admin(self) -> httpx.Client:
        return self.clients["admin"]

    @property
    def owner(self) -> httpx.Client:
        return self.clients["owner"]

    def new_task(self) -> str:
        return str(f.task(self.owner, self.project_name)["id"])

    def new_model(self) -> str:
        body = {"name": f.unique("model"), "project_id": self.project_id}
        return str(f.ok(self.owner.post("/models", json=body))["id"])

    def new_project(self) -> str:
        body = {"name": f"{self.project_name}/{f.unique('sub')}"}
        return str(f.ok(self.owner.post("/projects", json=body))["id"])

    def new_queue(self) -> str:
        return str(f.ok(self.admin.post("/queues", json={"name": f.unique("q")}))["name"])

    def new_file(self) -> str:
        path = f"tasks/{self.task_id}/{f.unique('file')}.txt"
        f.ok(self.owner.put(f"/files/{path}", content=b"data"))
        return path


@pytest.fixture(scope="module")
def world(hub: Hub) -> Iterator[World]:
    w = World(hub=hub)
    w.clients["admin"] = hub.client()
    w.clients["anonymous"] = hub.anonymous()
    for role in ("owner", "editor", "viewer", "outsider"):
        w.users[role], w.clients[role] = f.user(w.admin, hub.url)
    w.users["worker"], w.clients["worker"] = f.user(w.admin, hub.url, role="worker", kind="service")
    w.project_name = f.unique("private")
    project = f.ok(
        w.owner.post("/projects", json={"name": w.project_name, "visibility": "private"})
    )
    w.project_id = project["id"]
    f.member(w.owner, w.project_id, w.users["editor"]["id"], "editor")
    f.member(w.owner, w.project_id, w.users["viewer"]["id"], "viewer")
    w.clients["readonly"] = f.key_client(w.admin, hub.url, w.users["editor"]["id"], read_only=True)
    w.task_id = w.new_task()
    f.ok(
        w.owner.post(
            f"/tasks/{w.task_id}/artifacts",
            json={"name": "a1", "type": "json", "uri": "", "preview": "{}"},
        )
    )
    w.model_id = w.new_model()
    w.queue = w.new_queue()
    w.worker_id = f.unique("worker")
    f.ok(w.clients["worker"].post("/workers", json={"id": w.worker_id, "queues": [w.queue]}))
    w.file_path = w.new_file()
    yield w
    for c in w.clients.values():
        c.close()


# --- the rules ------------------------------------------------------------------------------

Params = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Rule:
    """How a route is guarded, and how to call it."""

    kind: str
    #: path parameters (and, as ``json``/``content``/``params``, the request) for one call;
    #: called once per role, so a destructive call gets a fresh object each time
    call: Params = lambda w: {}


def _team(w: World, member: str | None = None) -> str:
    """A new team (with ``member`` in it)."""
    team = f.ok(w.admin.post("/teams", json={"name": f.unique("team")}))
    if member:
        f.ok(w.admin.put(f"/teams/{team['id']}/members/{member}"))
    return str(team["id"])


def _task(w: World) -> dict[str, Any]:
    return {"task_id": w.task_id}


def _fresh_task(w: World) -> dict[str, Any]:
    return {"task_id": w.new_task()}


def _model(w: World) -> dict[str, Any]:
    return {"model_id": w.model_id}


def _fresh_model(w: World) -> dict[str, Any]:
    return {"model_id": w.new_model()}


def _new_session(w: World) -> dict[str, Any]:
    """A browser session of a new user (its public id)."""
    user, client = f.user(w.admin, w.hub.url)
    client.close()
    with httpx.Client(base_url=w.hub.url + "/api/v1", timeout=60) as browser:
        login = {"username": user["name"], "password": f.STRONG_PASSWORD}
        f.ok(browser.post("/auth/login", json=login))
        return {"session_id": f.ok(browser.get("/auth/sessions"))[0]["id"]}


def _failed_login(w: World) -> dict[str, Any]:
    """A user name with one failed login (a row of ``/lockouts``)."""
    name = f.unique("guessed")
    r = w.clients["anonymous"].post("/auth/login", json={"username": name, "password": "x"})
    assert r.status_code == 401, r.text
    return {"subject": f"user:{name}"}


_BLOB = b"dataset bytes"


def _new_draft(w: World) -> str:
    body = {"name": f.unique("ds"), "project_id": w.project_id}
    return str(f.ok(w.owner.post("/datasets", json=body), 201)["id"])


def _new_final(w: World) -> str:
    version = _new_draft(w)
    data = _BLOB + version.encode()
    digest = hashlib.sha256(data).hexdigest()
    row = {"path": "a.bin", "size": len(data), "sha256": digest}
    f.ok(w.owner.post(f"/datasets/{version}/files", json={"files": [row]}))
    f.ok(w.owner.put(f"/datasets/{version}/blobs/{digest}", params={"kind": "file"}, content=data))
    f.ok(w.owner.post(f"/datasets/{version}:finalize"))
    w.datasets.setdefault("blob:" + version, digest)
    return version


def _dataset(kind: str) -> Params:
    """A version of the private project (``draft``, ``final``, ``final2``), made once."""

    def call(w: World) -> dict[str, Any]:
        if kind not in w.datasets:
            w.datasets[kind] = _new_draft(w) if kind == "draft" else _new_final(w)
        return {"dataset_id": w.datasets[kind]}

    return call


def _fresh_draft(w: World) -> dict[str, Any]:
    return {"dataset_id": _new_draft(w)}


def _chunk_of(data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(hashlib.sha256(data).hexdigest(), data)
    return buf.getvalue()


def _blob_upload(w: World) -> dict[str, Any]:
    chunk = _chunk_of(uuid.uuid4().bytes)
    digest = hashlib.sha256(chunk).hexdigest()
    return _dataset("draft")(w) | {
        "blob_id": digest,
        "params": {"kind": "chunk"},
        "content": chunk,
    }


def _final_blob(w: World) -> dict[str, Any]:
    args = _dataset("final")(w)
    return args | {"blob_id": w.datasets["blob:" + args["dataset_id"]]}


def _event_batch(w: World) -> dict[str, Any]:
    body = {"batch_id": uuid.uuid4().hex, "events": []}
    return {"task_id": w.task_id, "json": body}


RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/health"): Rule("anonymous"),
    ("GET", "/api/v1/health"): Rule("anonymous"),
    ("POST", "/api/v1/auth/login"): Rule(
        "anonymous", lambda w: {"json": {"username": "nobody", "password": "x"}, "accept": {401}}
    ),
    # single sign-on: off on this hub, so its two routes answer 404 to everyone
    ("GET", "/api/v1/auth/providers"): Rule("anonymous"),
    ("GET", "/api/v1/auth/oidc/login"): Rule(
        "anonymous", lambda w: {"params": {"next": "/"}, "accept": {404}}
    ),
    ("GET", "/api/v1/auth/oidc/callback"): Rule(
        "anonymous", lambda w: {"params": {"code": "c", "state": "s"}, "accept": {404}}
    ),
    ("POST", "/api/v1/auth/logout"): Rule("user-write"),
    ("GET", "/api/v1/auth/me"): Rule("user"),
    ("GET", "/api/v1/auth/sessions"): Rule("user"),
    ("DELETE", "/api/v1/auth/sessions/{session_id}"): Rule("admin-hidden", _new_session),
    ("POST", "/api/v1/auth/password"): Rule(
        "own-password",
        lambda w: {
            "json": {
                "old_password": f.STRONG_PASSWORD,
                "new_password": "quartz-lantern-meadow-" + uuid.uuid4().hex[:8],
            }
        },
    ),
    ("GET", "/api/v1/lockouts"): Rule("admin"),
    ("DELETE", "/api/v1/lockouts/{subject}"): Rule("admin", _failed_login),
    # users and keys
    ("GET", "/api/v1/users"): Rule("person"),
    ("POST", "/api/v1/users"): Rule(
        "admin", lambda w: {"json": {"name": f.unique("u"), "password": f.STRONG_PASSWORD}}
    ),
    ("GET", "/api/v1/users/{user_id}"): Rule(
        "person", lambda w: {"user_id": w.users["owner"]["id"]}
    ),
    ("PATCH", "/api/v1/users/{user_id}"): Rule(
        "admin",
        lambda w: {"user_id": f.user(w.admin, w.hub.url)[0]["id"], "json": {"email": "v@x.org"}},
    ),
    ("DELETE", "/api/v1/users/{user_id}"): Rule(
        "admin", lambda w: {"user_id": f.user(w.admin, w.hub.url)[0]["id"]}
    ),
    ("GET", "/api/v1/keys"): Rule("user"),
    ("POST", "/api/v1/keys"): Rule("user-write", lambda w: {"json": {"label": "matrix"}}),
    ("DELETE", "/api/v1/keys/{key_id}"): Rule(
        "admin-hidden",
        lambda w: {
            "key_id": f.ok(
                w.admin.post("/keys", json={"user_id": f.user(w.admin, w.hub.url)[0]["id"]})
            )["id"]
        },
    ),
    # teams
    ("GET", "/api/v1/teams"): Rule("person"),
    ("POST", "/api/v1/teams"): Rule("admin", lambda w: {"json": {"name": f.unique("team")}}),
    ("GET", "/api/v1/teams/{team}"): Rule("person", lambda w: {"team": _team(w)}),
    ("PATCH", "/api/v1/teams/{team}"): Rule(
        "admin", lambda w: {"team": _team(w), "json": {"description": "edited"}}
    ),
    ("DELETE", "/api/v1/teams/{team}"): Rule("admin", lambda w: {"team": _team(w)}),
    ("PUT", "/api/v1/teams/{team}/members/{user}"): Rule(
        "admin", lambda w: {"team": _team(w), "user": w.users["viewer"]["id"]}
    ),
    ("DELETE", "/api/v1/teams/{team}/members/{user}"): Rule(
        "admin",
        lambda w: {
            "team": _team(w, member=w.users["viewer"]["id"]),
            "user": w.users["viewer"]["id"],
        },
    ),
    # the audit log
    ("GET", "/api/v1/audit"): Rule("admin"),
    # projects
    ("GET", "/api/v1/projects"): Rule("user"),
    ("POST", "/api/v1/projects"): Rule("create", lambda w: {"json": {"name": f.unique("top")}}),
    ("GET", "/api/v1/projects/{project_id}"): Rule("read", lambda w: {"project_id": w.project_id}),
    ("PATCH", "/api/v1/projects/{project_id}"): Rule(
        "write", lambda w: {"project_id": w.project_id, "json": {"description": "edited"}}
    ),
    ("DELETE", "/api/v1/projects/{project_id}"): Rule(
        "manage", lambda w: {"project_id": w.new_project()}
    ),
    ("GET", "/api/v1/projects/{project_id}/overview"): Rule(
        "read", lambda w: {"project_id": w.project_id, "params": {"metric": "m:v:last"}}
    ),
    ("POST", "/api/v1/projects/{project_id}:archive"): Rule(
        "manage", lambda w: {"project_id": w.new_project()}
    ),
    ("POST", "/api/v1/projects/{project_id}:unarchive"): Rule(
        "manage", lambda w: {"project_id": w.new_project()}
    ),
    ("GET", "/api/v1/projects/{project_id}/members"): Rule(
        "read", lambda w: {"project_id": w.project_id}
    ),
    ("PUT", "/api/v1/projects/{project_id}/members"): Rule(
        "manage",
        lambda w: {
            "project_id": w.new_project(),
            "json": {"member": w.users["viewer"]["id"], "role": "viewer"},
        },
    ),
    ("DELETE", "/api/v1/projects/{project_id}/members/{member_type}/{member}"): Rule(
        "manage",
        lambda w: {
            "project_id": (pid := w.new_project()),
            "member_type": "user",
            "member": f.member(w.owner, pid, w.users["viewer"]["id"], "viewer")
            and w.users["viewer"]["id"],
        },
    ),
    # tasks
    ("GET", "/api/v1/tasks"): Rule("user"),
    ("POST", "/api/v1/tasks"): Rule(
        "write", lambda w: {"json": {"name": "t", "project_id": w.project_id}}
    ),
    ("GET", "/api/v1/tasks/columns"): Rule("user"),
    # filtered by what each may read, like the list (a private task never leaks: see
    # test_task_filters.py)
    ("GET", "/api/v1/tasks/export"): Rule("user"),
    ("GET", "/api/v1/tasks/{task_id}"): Rule("read", _task),
    ("PATCH", "/api/v1/tasks/{task_id}"): Rule(
        "write", lambda w: _task(w) | {"json": {"comment": "x"}}
    ),
    ("DELETE", "/api/v1/tasks/{task_id}"): Rule("write", _fresh_task),
    ("GET", "/api/v1/tasks/{task_id}/hyperparams"): Rule("read", _task),
    ("PATCH", "/api/v1/tasks/{task_id}/hyperparams"): Rule(
        "write", lambda w: _task(w) | {"json": {"hyperparams": {"General": {"x": {"value": 1}}}}}
    ),
    ("GET", "/api/v1/tasks/{task_id}/configuration"): Rule("read", _task),
    ("PATCH", "/api/v1/tasks/{task_id}/configuration"): Rule(
        "write", lambda w: _task(w) | {"json": {"configuration": {"c": {"value": "x"}}}}
    ),
    ("POST", "/api/v1/tasks/{task_id}:clone"): Rule("write", lambda w: _task(w) | {"json": {}}),
    ("POST", "/api/v1/tasks/{task_id}:enqueue"): Rule(
        "write", lambda w: _fresh_task(w) | {"json": {"queue": w.queue}}
    ),
    ("POST", "/api/v1/tasks/{task_id}:dequeue"): Rule("write", _fresh_task),
    ("POST", "/api/v1/tasks/{task_id}:start"): Rule(
        "write", lambda w: _fresh_task(w) | {"json": {}}
    ),
    ("POST", "/api/v1/tasks/{task_id}:complete"): Rule("write", lambda w: _task(w) | {"json": {}}),
    ("POST", "/api/v1/tasks/{task_id}:fail"): Rule("write", lambda w: _task(w) | {"json": {}}),
    ("POST", "/api/v1/tasks/{task_id}:stop"): Rule("write", lambda w: _task(w) | {"json": {}}),
    ("POST", "/api/v1/tasks/{task_id}:continue"): Rule("write", _task),
    ("POST", "/api/v1/tasks/{task_id}:abort"): Rule(
        "write", lambda w: _fresh_task(w) | {"json": {}}
    ),
    ("POST", "/api/v1/tasks/{task_id}:reset"): Rule(
        "write", lambda w: _fresh_task(w) | {"json": {}}
    ),
    ("POST", "/api/v1/tasks/{task_id}:publish"): Rule("write", _task),
    ("POST", "/api/v1/tasks/{task_id}:archive"): Rule("write", _fresh_task),
    ("POST", "/api/v1/tasks/{task_id}:unarchive"): Rule("write", _fresh_task),
    ("GET", "/api/v1/tasks/{task_id}/artifacts"): Rule("read", _task),
    ("POST", "/api/v1/tasks/{task_id}/artifacts"): Rule(
        "write",
        lambda w: _task(w) | {"json": {"name": f.unique("art"), "type": "json", "preview": "{}"}},
    ),
    ("GET", "/api/v1/tasks/{task_id}/artifacts/{name}"): Rule(
        "read", lambda w: _task(w) | {"name": "a1"}
    ),
    ("DELETE", "/api/v1/tasks/{task_id}/artifacts/{name}"): Rule(
        "write",
        lambda w: (
            _task(w)
            | {
                "name": f.ok(
                    w.owner.post(
                        f"/tasks/{w.task_id}/artifacts",
                        json={"name": (n := f.unique("art")), "type": "json", "preview": "{}"},
                    )
                )["name"]
                or n
            }
        ),
    ),
    ("POST", "/api/v1/tasks/{task_id}/events"): Rule("write", _event_batch),
    ("GET", "/api/v1/tasks/{task_id}/metrics"): Rule("read", _task),
    ("GET", "/api/v1/tasks/{task_id}/scalars"): Rule("read", _task),
    ("GET", "/api/v1/scalars"): Rule("read", lambda w: {"params": {"task_id": w.task_id}}),
    ("GET", "/api/v1/plots"): Rule("read", lambda w: {"params": {"task_id": w.task_id}}),
    ("GET", "/api/v1/debug-samples"): Rule("read", lambda w: {"params": {"task_id": w.task_id}}),
    ("GET", "/api/v1/tasks/{task_id}/logs"): Rule("read", _task),
    ("GET", "/api/v1/tasks/{task_id}/logs/download"): Rule("read", _task),
    ("GET", "/api/v1/tasks/{task_id}/plots"): Rule("read", _task),
    ("GET", "/api/v1/tasks/{task_id}/debug-samples"): Rule("read", _task),
    # files
    ("PUT", "/api/v1/files/{path}"): Rule(
        "write", lambda w: {"path": f"tasks/{w.task_id}/{f.unique('up')}.bin", "content": b"x"}
    ),
    ("HEAD", "/api/v1/files/{path}"): Rule("read", lambda w: {"path": w.file_path}),
    ("GET", "/api/v1/files/{path}"): Rule("read", lambda w: {"path": w.file_path}),
    ("DELETE", "/api/v1/files/{path}"): Rule("write", lambda w: {"path": w.new_file()}),
    ("GET", "/api/v1/files"): Rule("read", lambda w: {"params": {"prefix": f"tasks/{w.task_id}"}}),
    # datasets (a version is a task: read and write are the task's)
    ("GET", "/api/v1/datasets"): Rule("user"),
    ("GET", "/api/v1/datasets/names"): Rule("user"),
    ("POST", "/api/v1/datasets"): Rule(
        "write", lambda w: {"json": {"name": f.unique("ds"), "project_id": w.project_id}}
    ),
    ("POST", "/api/v1/datasets:squash"): Rule(
        "write",
        lambda w: {
            "json": {
                "name": f.unique("squashed"),
                "ids": [_dataset("final")(w)["dataset_id"], _dataset("final2")(w)["dataset_id"]],
            }
        },
    ),
    ("GET", "/api/v1/datasets/{dataset_id}"): Rule("read", _dataset("draft")),
    ("PATCH", "/api/v1/datasets/{dataset_id}"): Rule(
        "write", lambda w: _dataset("draft")(w) | {"json": {"description": "d"}}
    ),
    ("DELETE", "/api/v1/datasets/{dataset_id}"): Rule("write", _fresh_draft),
    ("POST", "/api/v1/datasets/{dataset_id}:finalize"): Rule("write", _fresh_draft),
    ("POST", "/api/v1/datasets/{dataset_id}:move"): Rule(
        "write", lambda w: _fresh_draft(w) | {"json": {"project": f"{w.project_name}/moved"}}
    ),
    ("GET", "/api/v1/datasets/{dataset_id}/graph"): Rule("read", _dataset("final")),
    ("POST", "/api/v1/datasets/{dataset_id}/files"): Rule(
        "write",
        lambda w: (
            _dataset("draft")(w)
            | {"json": {"files": [{"path": "x.txt", "size": 1, "sha256": "a" * 64}]}}
        ),
    ),
    ("POST", "/api/v1/datasets/{dataset_id}/files:remove"): Rule(
        "write", lambda w: _dataset("draft")(w) | {"json": {"paths": ["nothing.txt"]}}
    ),
    ("GET", "/api/v1/datasets/{dataset_id}/files"): Rule("read", _dataset("final")),
    ("GET", "/api/v1/datasets/{dataset_id}/diff"): Rule("read", _dataset("final")),
    ("GET", "/api/v1/datasets/{dataset_id}/diff/summary"): Rule("read", _dataset("final")),
    ("PUT", "/api/v1/datasets/{dataset_id}/blobs/{blob_id}"): Rule("write", _blob_upload),
    ("POST", "/api/v1/datasets/{dataset_id}/blobs"): Rule(
        "write",
        lambda w: (
            _dataset("draft")(w)
            | {
                "json": {
                    "id": uuid.uuid4().hex * 2,
                    "uri": f"s3://bucket/{f.unique('blob')}",
                    "size": 1,
                    "kind": "file",
                }
            }
        ),
    ),
    ("GET", "/api/v1/datasets/{dataset_id}/blobs/{blob_id}"): Rule("read", _final_blob),
    ("HEAD", "/api/v1/datasets/{dataset_id}/blobs/{blob_id}"): Rule("read", _final_blob),
    ("POST", "/api/v1/datasets/{dataset_id}/usages"): Rule(
        "write", lambda w: _dataset("final")(w) | {"json": {"task_id": w.task_id, "alias": "d"}}
    ),
    ("GET", "/api/v1/datasets/{dataset_id}/usages"): Rule("read", _dataset("final")),
    ("GET", "/api/v1/tasks/{task_id}/datasets"): Rule("read", _task),
    # the change log
    ("GET", "/api/v1/changes"): Rule("user", lambda w: {"params": {"cursor": "latest"}}),
    ("GET", "/api/v1/changes/latest"): Rule("user"),
    ("GET", "/api/v1/changes/stream"): Rule("user", lambda w: {"stream": True}),
    # queues
    ("GET", "/api/v1/queues"): Rule("user"),
    ("POST", "/api/v1/queues"): Rule("admin", lambda w: {"json": {"name": f.unique("q")}}),
    ("GET", "/api/v1/queues/{queue}"): Rule("user", lambda w: {"queue": w.queue}),
    ("PATCH", "/api/v1/queues/{queue}"): Rule(
        "admin", lambda w: {"queue": w.queue, "json": {"tags": ["x"]}}
    ),
    ("DELETE", "/api/v1/queues/{queue}"): Rule("admin", lambda w: {"queue": w.new_queue()}),
    ("POST", "/api/v1/queues/{queue}:reorder"): Rule(
        "admin",
        lambda w: {"queue": w.queue, "json": {"task_id": _queued(w), "index": 0}},
    ),
    ("DELETE", "/api/v1/queues/{queue}/entries/{task_id}"): Rule(
        "write", lambda w: {"queue": w.queue, "task_id": _queued(w)}
    ),
    ("POST", "/api/v1/queues/{queue}:clear"): Rule("admin", lambda w: {"queue": w.new_queue()}),
    ("GET", "/api/v1/queues/{queue}/stats"): Rule("user", lambda w: {"queue": w.queue}),
    ("POST", "/api/v1/queues:dequeue"): Rule(
        "work", lambda w: {"json": {"worker": _worker(w), "queues": [w.new_queue()]}}
    ),
    # workers
    ("GET", "/api/v1/workers"): Rule("user"),
    ("POST", "/api/v1/workers"): Rule(
        "work", lambda w: {"json": {"id": f.unique("w"), "queues": [w.queue]}}
    ),
    ("GET", "/api/v1/workers/{worker_id}"): Rule("user", lambda w: {"worker_id": w.worker_id}),
    ("DELETE", "/api/v1/workers/{worker_id}"): Rule("work", lambda w: {"worker_id": _worker(w)}),
    ("POST", "/api/v1/workers/{worker_id}:heartbeat"): Rule(
        "work", lambda w: {"worker_id": w.worker_id, "json": {}}
    ),
    ("GET", "/api/v1/workers/{worker_id}/stats"): Rule(
        "user", lambda w: {"worker_id": w.worker_id}
    ),
    ("POST", "/api/v1/workers/{worker_id}:token"): Rule("work", lambda w: _leased(w)),
    # models
    ("GET", "/api/v1/models"): Rule("user"),
    ("POST", "/api/v1/models"): Rule(
        "write", lambda w: {"json": {"name": f.unique("m"), "project_id": w.project_id}}
    ),
    ("GET", "/api/v1/models/{model_id}"): Rule("read", _model),
    ("PATCH", "/api/v1/models/{model_id}"): Rule(
        "write", lambda w: _model(w) | {"json": {"comment": "x"}}
    ),
    ("DELETE", "/api/v1/models/{model_id}"): Rule("write", _fresh_model),
    ("POST", "/api/v1/models/{model_id}:publish"): Rule("write", _fresh_model),
    ("POST", "/api/v1/models/{model_id}:archive"): Rule("write", _fresh_model),
    ("POST", "/api/v1/models/{model_id}:unarchive"): Rule("write", _fresh_model),
    ("POST", "/api/v1/models/{model_id}/events"): Rule(
        "write",
        lambda w: _model(w) | {"json": {"batch_id": uuid.uuid4().hex, "events": []}},
    ),
    ("GET", "/api/v1/models/{model_id}/scalars"): Rule("read", _model),
    ("GET", "/api/v1/models/{model_id}/plots"): Rule("read", _model),
    # quotas
    ("GET", "/api/v1/quotas"): Rule("user"),
    ("PUT", "/api/v1/quotas"): Rule(
        "admin", lambda w: {"json": {"subject": w.users["owner"]["id"], "max_running": 5}}
    ),
    ("DELETE", "/api/v1/quotas/{quota_id}"): Rule(
        "admin",
        lambda w: {
            "quota_id": f.ok(
                w.admin.put(
                    "/quotas",
                    json={
                        "subject": w.users["owner"]["id"],
                        "queue": w.new_queue(),
                        "max_running": 1,
                    },
                )
            )["id"]
        },
    ),
    ("GET", "/api/v1/users/{user_id}/usage"): Rule(
        "self", lambda w: {"user_id": w.users["owner"]["id"]}
    ),
}


def _queued(w: World) -> str:
    task_id = w.new_task()
    f.ok(w.owner.post(f"/tasks/{task_id}:enqueue", json={"queue": w.queue}))
    return task_id


def _worker(w: World) -> str:
    """A worker of the worker account (the admin's are the admin's own)."""
    worker_id = f.unique("w")
    f.ok(w.clients["worker"].post("/workers", json={"id": worker_id, "queues": [w.queue]}))
    return worker_id


def _leased(w: World) -> dict[str, Any]:
    """A task leased to a new worker of the worker account (for a new token of it)."""
    queue = w.new_queue()
    task_id = w.new_task()
    f.ok(w.owner.post(f"/tasks/{task_id}:enqueue", json={"queue": queue}))
    worker_id = _worker(w)
    body = {"worker": worker_id, "queues": [queue]}
    f.ok(w.clients["worker"].post("/queues:dequeue", json=body))
    return {"worker_id": worker_id, "json": {"task_id": task_id}}


# --- the tests ------------------------------------------------------------------------------


def _schema_routes(hub: Hub) -> set[tuple[str, str]]:
    with hub.client() as api:
        schema = httpx.get(hub.url + "/api/v1/openapi.json", headers=api.headers).json()
    return {
        (method.upper(), path)
        for path, ops in schema["paths"].items()
        for method in ops
        if method.upper() in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
    }


def test_every_route_has_a_rule(hub: Hub) -> None:
    """Fails closed: a route without a declared rule (or a rule without a route) fails."""
    routes = _schema_routes(hub)
    missing = sorted(routes - set(RULES))
    stale = sorted(set(RULES) - routes)
    assert not missing, f"routes without an authorization rule in RULES: {missing}"
    assert not stale, f"rules for routes that no longer exist: {stale}"


def _outcome(status: int) -> str:
    if status == 401:
        return "anon"
    if status == 403:
        return "deny"
    if status == 404:
        return "hidden"
    return "ok"


def _call(w: World, role: str, method: str, path: str, rule: Rule) -> httpx.Response:
    args = rule.call(w)
    url = path.removeprefix("/api/v1")
    for name in list(args):
        token = "{" + name + "}"
        if token in url:
            url = url.replace(token, str(args.pop(name)))
    client = w.clients[role]
    args.pop("accept", None)
    if path == "/health" or path == "/api/v1/health":
        url = w.hub.url + path
    if args.pop("stream", False):
        with client.stream(method, url, params={"heartbeat": 1}, timeout=30) as r:
            return r
    return client.request(method, url, **args)


@pytest.mark.parametrize("route", sorted(RULES), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_obeys_its_rule(world: World, route: tuple[str, str]) -> None:
    method, path = route
    rule = RULES[route]
    accepted = rule.call(world).get("accept", set()) if rule.kind == "anonymous" else set()
    got = {}
    for role in ROLES:
        response = _call(world, role, method, path, rule)
        assert response.status_code < 500, (role, response.status_code, response.text)
        # a 422 would hide the check (bodies are validated before the route body runs)
        assert response.status_code != 422, (role, response.text)
        got[role] = _outcome(response.status_code)
        if response.status_code in accepted:
            got[role] = "ok"
    assert got == EXPECT[rule.kind], f"{method} {path}: {got}"
