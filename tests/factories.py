"""Small builders for test data through the real API."""

from __future__ import annotations

import uuid
from typing import Any

import httpx


def unique(prefix: str = "p") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def ok(response: httpx.Response, status: int | tuple[int, ...] = (200, 201)) -> Any:
    expected = status if isinstance(status, tuple) else (status,)
    assert response.status_code in expected, f"{response.status_code}: {response.text}"
    return response.json() if response.content else None


def project(api: httpx.Client, name: str | None = None) -> dict[str, Any]:
    return ok(api.post("/projects", json={"name": name or unique("proj")}))


#: a password the hub's policy accepts (long, not a dictionary word, no user name in it)
STRONG_PASSWORD = "plum-orbit-cascade-velvet-42"


def user(
    api: httpx.Client,
    hub_url: str,
    *,
    role: str = "user",
    kind: str = "person",
    name: str | None = None,
    key: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], httpx.Client]:
    """A new user (made by the admin client ``api``) and a client with a key of theirs."""
    body: dict[str, Any] = {"name": name or unique("user"), "role": role}
    if kind != "person":
        body["kind"] = kind
    else:
        body["password"] = STRONG_PASSWORD
    made = ok(api.post("/users", json=body))
    return made, key_client(api, hub_url, made["id"], **(key or {}))


def key_client(api: httpx.Client, hub_url: str, user_id: str, **scope: Any) -> httpx.Client:
    """A client authenticated with a new key of ``user_id`` (``scope``: read_only, projects...)."""
    k = ok(api.post("/keys", json={"user_id": user_id, "label": "test", **scope}))
    return httpx.Client(
        base_url=hub_url + "/api/v1",
        headers={"Authorization": f"Bearer {k['access_key']}:{k['secret_key']}"},
        timeout=60,
    )


def member(
    api: httpx.Client, project_id: str, member: str, role: str = "editor", member_type: str = "user"
) -> Any:
    """Give a user (or team) a role on a project (the caller must own it or be an admin)."""
    body = {"member_type": member_type, "member": member, "role": role}
    return ok(api.put(f"/projects/{project_id}/members", json=body))


def task(api: httpx.Client, project_name: str | None = None, **fields: Any) -> dict[str, Any]:
    body = {"name": fields.pop("name", unique("task")), "project": project_name or unique("proj")}
    body.update(fields)
    return ok(api.post("/tasks", json=body))


def run_to(api: httpx.Client, task_id: str, status: str) -> dict[str, Any]:
    """Drive a draft task to ``status`` through the real actions."""
    paths = {
        "queued": ["enqueue"],
        "in_progress": ["start"],
        "completed": ["start", "complete"],
        "failed": ["start", "fail"],
        "stopped": ["start", "abort"],
        "published": ["start", "complete", "publish"],
    }
    result: dict[str, Any] = {}
    for action in paths[status]:
        result = ok(api.post(f"/tasks/{task_id}:{action}", json={}))
    return result


def scalar(metric: str, variant: str, iteration: int, value: float | None) -> dict[str, Any]:
    """One scalar point, as an event of a batch."""
    return {
        "type": "scalar",
        "metric": metric,
        "variant": variant,
        "iteration": iteration,
        "value": value,
    }


def send_events(
    api: httpx.Client, task_id: str, events: list[dict[str, Any]], batch_id: str | None = None
) -> httpx.Response:
    return api.post(
        f"/tasks/{task_id}/events",
        json={"batch_id": batch_id or uuid.uuid4().hex, "events": events},
    )


def post_json_text(api: httpx.Client, path: str, text: str) -> httpx.Response:
    """POST JSON written by hand: numbers such as NaN or Infinity that encoders refuse."""
    return api.post(path, content=text, headers={"content-type": "application/json"})
