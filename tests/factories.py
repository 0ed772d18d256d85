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
