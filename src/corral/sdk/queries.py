"""Finding tasks, models and projects by name for the SDK's class methods."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from corral.errors import NotFoundError
from corral.sdk.session import hub_client

if TYPE_CHECKING:
    from corral.client.types import ModelBrief, TaskBrief


def project_id(name: str) -> str:
    """The id of the project named exactly ``name`` (a hierarchical name like ``a/b``)."""
    project = hub_client().projects.find(name)
    if project is None:
        raise NotFoundError(f"no project named {name!r}")
    return project["id"]


def _base_params(
    project_name: str | None, tags: Sequence[str] | None, *, include_archived: bool
) -> dict[str, Any] | None:
    """Query parameters shared by task and model searches; ``None``: the project is unknown."""
    params: dict[str, Any] = {"sort": "-created_at"}
    if project_name:
        try:
            params["project_id"] = project_id(project_name)
        except NotFoundError:
            return None
    if tags:
        params["tag"] = list(tags)
    if include_archived:
        params["archived"] = ""
    return params


def find_tasks(
    *,
    project_name: str | None,
    task_name: str | None,
    tags: Sequence[str] | None,
    allow_archived: bool,
    extra: Mapping[str, Any] | None = None,
    limit: int | None = None,
    exact: bool = True,
) -> list[TaskBrief]:
    """Task rows, newest first. ``exact``: the name must match whole, else it is a part."""
    params = _base_params(project_name, tags, include_archived=allow_archived)
    if params is None:
        return []  # no such project: nothing matches
    if task_name:
        params["text"] = task_name
    params.update(extra or {})
    rows = list(hub_client().tasks.iter(limit=None if (exact and task_name) else limit, **params))
    if exact and task_name:
        rows = [r for r in rows if r["name"] == task_name]
        rows = rows[:limit] if limit else rows
    return rows


def find_models(
    *,
    project_name: str | None,
    name: str | None,
    tags: Sequence[str] | None,
    only_published: bool,
    include_archived: bool,
    framework: str | None,
    task_id: str | None,
    limit: int | None,
) -> list[ModelBrief]:
    params = _base_params(project_name, tags, include_archived=include_archived)
    if params is None:
        return []  # no such project: nothing matches
    if name:
        params["name"] = name
    if only_published:
        params["published"] = "true"
    if framework:
        params["framework"] = framework
    if task_id:
        params["task_id"] = task_id
    return list(hub_client().models.iter(limit=limit, **params))
