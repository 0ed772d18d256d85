"""Typed methods for the hub's resources: ``client.tasks.get(task_id) -> Task``.

Each class wraps one collection of the REST API (docs/api.md) and answers with the
``TypedDict`` views of ``corral.client.types``: the URL strings live here, once,
and callers get keys mypy can check. Query parameters are passed through as the
API names them (``project_id=``, ``status=[...]``, ``tag=[...]``...); ``None``
values are left out.

Example::

    with HubClient.from_config() as client:
        for row in client.tasks.iter(project_id=pid, status=["queued"]):
            client.tasks.action(row["id"], "dequeue")
        client.queues.create("gpu", tags=["a100"])
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

import orjson

if TYPE_CHECKING:
    from corral.client.types import (
        AuditEntry,
        AuditPage,
        Cleared,
        Key,
        KeyCreated,
        LogPage,
        Model,
        ModelBrief,
        ModelPage,
        Ok,
        Project,
        Queue,
        QueueDetail,
        Task,
        TaskBrief,
        TaskPage,
        Team,
        User,
        Worker,
    )


#: rows asked for per page by the ``iter`` methods
PAGE = 500


class Requester(Protocol):
    """What a resource needs of a client: one call that maps errors to ``corral.errors``."""

    def request(self, method: str, path: str, **kwargs: Any) -> Any: ...


def _params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


class _Resource:
    def __init__(self, client: Requester) -> None:
        self._client = client

    def _get(self, path: str, **params: Any) -> Any:
        return self._client.request("GET", path, params=_params(params) or None)

    def _pages(self, path: str, limit: int | None, params: dict[str, Any]) -> Iterator[Any]:
        """Every row of a cursor-paged list, at most ``limit``."""
        seen, cursor = 0, None
        while True:
            size = min(PAGE, limit - seen) if limit else PAGE
            page = self._get(path, **params, limit=size, cursor=cursor)
            for row in page["items"]:
                yield row
                seen += 1
            cursor = page.get("next_cursor")
            if not cursor or (limit and seen >= limit):
                return


class Tasks(_Resource):
    """``/tasks``: tasks, their actions and logs."""

    def get(self, task_id: str) -> Task:
        return cast("Task", self._get(f"tasks/{task_id}"))

    def list(self, **params: Any) -> TaskPage:
        """One page (``limit``, ``cursor``, ``project_id``, ``status``, ``tag``, ``text``...)."""
        return cast("TaskPage", self._get("tasks", **params))

    def iter(self, *, limit: int | None = None, **params: Any) -> Iterator[TaskBrief]:
        """Every matching row across pages, at most ``limit``."""
        return self._pages("tasks", limit, params)

    def create(self, **body: Any) -> Task:
        return cast("Task", self._client.request("POST", "tasks", json=body))

    def update(self, task_id: str, **fields: Any) -> Task:
        return cast("Task", self._client.request("PATCH", f"tasks/{task_id}", json=fields))

    def delete(self, task_id: str) -> Ok:
        return cast("Ok", self._client.request("DELETE", f"tasks/{task_id}"))

    def action(self, task_id: str, action: str, **body: Any) -> Task:
        """``POST /tasks/{id}:{action}`` (``enqueue``, ``abort``, ``reset``, ``clone``...)."""
        return cast("Task", self._client.request("POST", f"tasks/{task_id}:{action}", json=body))

    def patch_hyperparams(self, task_id: str, hyperparams: dict[str, Any]) -> Task:
        path = f"tasks/{task_id}/hyperparams"
        return cast("Task", self._client.request("PATCH", path, json={"hyperparams": hyperparams}))

    def logs(self, task_id: str, **params: Any) -> LogPage:
        """A page of the console log (``tail``, ``after_seq``, ``limit``...)."""
        return cast("LogPage", self._get(f"tasks/{task_id}/logs", **params))


class Queues(_Resource):
    """``/queues``: a queue is named by its name or id."""

    def list(self) -> list[Queue]:
        return cast("list[Queue]", self._get("queues"))

    def get(self, queue: str) -> QueueDetail:
        return cast("QueueDetail", self._get(f"queues/{queue}"))

    def create(self, name: str, tags: Sequence[str] = ()) -> Queue:
        body = {"name": name, "tags": list(tags)}
        return cast("Queue", self._client.request("POST", "queues", json=body))

    def update(self, queue: str, **fields: Any) -> Queue:
        return cast("Queue", self._client.request("PATCH", f"queues/{queue}", json=fields))

    def delete(self, queue: str, *, force: bool = False) -> Ok:
        params = {"force": force}
        return cast("Ok", self._client.request("DELETE", f"queues/{queue}", params=params))

    def clear(self, queue: str) -> Cleared:
        return cast("Cleared", self._client.request("POST", f"queues/{queue}:clear", json={}))

    def reorder(self, queue: str, task_id: str, index: int) -> QueueDetail:
        body = {"task_id": task_id, "index": index}
        return cast(
            "QueueDetail", self._client.request("POST", f"queues/{queue}:reorder", json=body)
        )

    def remove(self, queue: str, task_id: str) -> Ok:
        """Take one waiting task out (back to draft)."""
        return cast("Ok", self._client.request("DELETE", f"queues/{queue}/entries/{task_id}"))


class Workers(_Resource):
    """``/workers``."""

    def list(self, *, include_gone: bool = False) -> list[Worker]:
        return cast("list[Worker]", self._get("workers", include_gone=include_gone))

    def get(self, worker_id: str) -> Worker:
        return cast("Worker", self._get(f"workers/{worker_id}"))


class Models(_Resource):
    """``/models``."""

    def get(self, model_id: str) -> Model:
        return cast("Model", self._get(f"models/{model_id}"))

    def list(self, **params: Any) -> ModelPage:
        return cast("ModelPage", self._get("models", **params))

    def iter(self, *, limit: int | None = None, **params: Any) -> Iterator[ModelBrief]:
        return self._pages("models", limit, params)

    def create(self, **body: Any) -> Model:
        return cast("Model", self._client.request("POST", "models", json=body))

    def update(self, model_id: str, **fields: Any) -> Model:
        return cast("Model", self._client.request("PATCH", f"models/{model_id}", json=fields))

    def delete(self, model_id: str) -> Ok:
        return cast("Ok", self._client.request("DELETE", f"models/{model_id}"))

    def action(self, model_id: str, action: str, **body: Any) -> Model:
        """``POST /models/{id}:{action}`` (``publish``, ``archive``, ``unarchive``)."""
        return cast("Model", self._client.request("POST", f"models/{model_id}:{action}", json=body))

    def post_events(self, model_id: str, batch_id: str, events: Sequence[dict[str, Any]]) -> Any:
        """Store a batch of the model's reports (scalars, plots); a ``batch_id`` is stored once."""
        body = orjson.dumps({"batch_id": batch_id, "events": events})
        return self._client.request(
            "POST",
            f"models/{model_id}/events",
            content=body,
            headers={"Content-Type": "application/json"},
        )

    def scalars(self, model_id: str, **params: Any) -> dict[str, Any]:
        """``GET /models/{id}/scalars``: ``{"series": [...]}`` (``metric=``, ``variant=``)."""
        return cast("dict[str, Any]", self._get(f"models/{model_id}/scalars", **params))

    def plots(self, model_id: str, **params: Any) -> dict[str, Any]:
        """``GET /models/{id}/plots``: ``{"items": [...], "iterations": [...]}``."""
        return cast("dict[str, Any]", self._get(f"models/{model_id}/plots", **params))


class Projects(_Resource):
    """``/projects``."""

    def list(self, *, search: str | None = None, name: str | None = None) -> list[Project]:
        """Projects whose name or description contains ``search``, or named ``name``."""
        return cast("list[Project]", self._get("projects", search=search, name=name))

    def get(self, project_id: str) -> Project:
        return cast("Project", self._get(f"projects/{project_id}"))

    def find(self, name: str) -> Project | None:
        """The project named exactly ``name`` (a hierarchical name like ``a/b``)."""
        return next((p for p in self.list(name=name) if p["name"] == name), None)

    def create(self, name: str, **body: Any) -> Project:
        return cast(
            "Project", self._client.request("POST", "projects", json={"name": name, **body})
        )


class Users(_Resource):
    """``/users`` and ``/auth/me``: a user is named by id or name."""

    def me(self) -> dict[str, Any]:
        """The caller: a ``User``, or a session ``{"user": User, ...}`` for a UI cookie."""
        return cast("dict[str, Any]", self._get("auth/me"))

    def list(self) -> list[User]:
        return cast("list[User]", self._get("users"))

    def get(self, user: str) -> User:
        return cast("User", self._get(f"users/{user}"))

    def create(self, name: str, **body: Any) -> User:
        """``password``, ``email``, ``role``, ``kind`` (``person``/``service``), ``allowed_ips``."""
        return cast("User", self._client.request("POST", "users", json={"name": name, **body}))

    def update(self, user: str, **fields: Any) -> User:
        """Admins: ``role``, ``active``, ``email``, ``allowed_ips``, ``password`` (a reset)."""
        return cast("User", self._client.request("PATCH", f"users/{user}", json=fields))

    def delete(self, user: str) -> User:
        """Deactivate a user (by id or name)."""
        return cast("User", self._client.request("DELETE", f"users/{user}"))


class Teams(_Resource):
    """``/teams``: a team is named by id or name, a member by user id or name."""

    def list(self) -> list[Team]:
        return cast("list[Team]", self._get("teams"))

    def get(self, team: str) -> Team:
        return cast("Team", self._get(f"teams/{team}"))

    def create(self, name: str, description: str = "") -> Team:
        body = {"name": name, "description": description}
        return cast("Team", self._client.request("POST", "teams", json=body))

    def update(self, team: str, **fields: Any) -> Team:
        return cast("Team", self._client.request("PATCH", f"teams/{team}", json=fields))

    def delete(self, team: str) -> Ok:
        return cast("Ok", self._client.request("DELETE", f"teams/{team}"))

    def add(self, team: str, user: str) -> Team:
        return cast("Team", self._client.request("PUT", f"teams/{team}/members/{user}"))

    def remove(self, team: str, user: str) -> Team:
        return cast("Team", self._client.request("DELETE", f"teams/{team}/members/{user}"))


class Keys(_Resource):
    """``/keys``: API keys."""

    def list(
        self, *, all_users: bool = False, user: str | None = None, kind: str | None = None
    ) -> list[Key]:
        return cast("list[Key]", self._get("keys", all=all_users, user=user, kind=kind))

    def create(
        self,
        label: str = "",
        user_id: str | None = None,
        *,
        read_only: bool = False,
        projects: Sequence[str] = (),
        expires_at: str | None = None,
        allowed_ips: Sequence[str] = (),
    ) -> KeyCreated:
        """A new key; ``projects`` are ids or names, ``expires_at`` an ISO time."""
        body = {
            "label": label,
            "user_id": user_id,
            "read_only": read_only,
            "projects": list(projects),
            "expires_at": expires_at,
            "allowed_ips": list(allowed_ips),
        }
        return cast("KeyCreated", self._client.request("POST", "keys", json=body))

    def revoke(self, key: str) -> Key:
        return cast("Key", self._client.request("DELETE", f"keys/{key}"))


class Audit(_Resource):
    """``/audit`` (admins): the audit log, newest first."""

    def list(self, **params: Any) -> AuditPage:
        """One page (``actor``, ``action``, ``target_type``, ``target_id``, ``outcome``,
        ``since``, ``until``, ``limit``, ``cursor``)."""
        return cast("AuditPage", self._get("audit", **params))

    def iter(self, *, limit: int | None = None, **params: Any) -> Iterator[AuditEntry]:
        """Every matching entry, newest first, across pages, at most ``limit``."""
        return self._pages("audit", limit, params)


class Events(_Resource):
    """``/tasks/{id}/events``: reported events, sent in batches."""

    def post_batch(self, task_id: str, batch_id: str, events: list[dict[str, Any]]) -> Any:
        """Send one batch; the hub stores a ``batch_id`` once, so a retried batch is safe."""
        # orjson: several times faster than json for 50,000-point batches; NaN -> null
        body = orjson.dumps({"batch_id": batch_id, "events": events})
        return self._client.request(
            "POST",
            f"tasks/{task_id}/events",
            content=body,
            headers={"Content-Type": "application/json"},
        )
