"""Finding tasks, models and projects by name for the SDK's class methods."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from corral.errors import NotFoundError, ValidationError
from corral.sdk import task_filter as task_filter_
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
    project_name: str | Sequence[str] | None,
    task_name: str | None,
    tags: Sequence[str] | None,
    allow_archived: bool,
    task_filter: Mapping[str, Any] | None = None,
    limit: int | None = None,
    exact: bool = True,
) -> list[TaskBrief]:
    """Task rows, newest first unless ``task_filter`` sorts them (``corral.sdk.task_filter``).

    ``exact``: the name must match whole, else it is a part of the name or comment (a
    name written ``^name$`` matches whole either way). A ``page_size`` (or ``limit``)
    asks the hub for that page only: one request for page 0.
    """
    query = task_filter_.translate(task_filter, tags)
    params = query.params
    if not allow_archived:
        params["archived"] = False
    elif "archived" not in params:
        params["archived"] = ""  # either
    if project_name:
        names = [project_name] if isinstance(project_name, str) else list(project_name)
        ids = [p["id"] for n in names if (p := hub_client().projects.find(n)) is not None]
        if not ids:
            return []  # no such project: nothing matches
        params["project_id"] = [*params.get("project_id", []), *ids]
    name = task_name or ""
    if len(name) > 1 and name.startswith("^") and name.endswith("$"):
        name, exact = name[1:-1], True
    if name:
        params["text"] = name
    start, stop = query.window
    if limit is not None:
        stop = start + limit if stop is None else min(stop, start + limit)
    try:
        if exact and name:
            # the hub's text search is a part of the name: read on until enough match whole
            rows: Iterator[TaskBrief] = (
                r for r in hub_client().tasks.iter(**params) if r["name"] == name
            )
            return list(itertools.islice(rows, start, stop))
        # exactly the rows up to the window's end: one request up to 500 rows
        return list(hub_client().tasks.iter(limit=stop, **params))[start:]
    except ValidationError as e:  # the hub refused the query (a sort in Corral's form...)
        raise ValueError(f"task_filter: {e.detail}") from e


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


# --- a task's reported results ------------------------------------------------------------

#: the most console lines one ``GET /tasks/{id}/logs`` answers
LOG_PAGE = 5000


def console_tail(task_id: str, count: int) -> list[str]:
    """The texts of the task's last ``count`` console reports, oldest first."""
    client = hub_client()
    page = client.tasks.logs(task_id, tail=min(count, LOG_PAGE))
    texts = [row["text"] for row in page["items"]]
    while len(texts) < count and page["has_more"] and page["first_seq"] is not None:
        size = min(count - len(texts), LOG_PAGE)
        page = client.tasks.logs(task_id, before=page["first_seq"], limit=size)
        texts = [row["text"] for row in page["items"]] + texts
    return texts


def plots(task_id: str, iterations: int) -> list[dict[str, Any]]:
    """The plots of the last ``iterations`` iterations of each (metric, variant), ClearML-style.

    One request for the latest plots (and which iterations each series has), then one per
    older iteration wanted.
    """
    client = hub_client()
    latest = client.request("GET", f"tasks/{task_id}/plots")
    wanted: dict[int, set[tuple[str, str]]] = {}
    for series in latest["iterations"]:
        for it in sorted(series["iterations"])[-iterations:]:
            wanted.setdefault(it, set()).add((series["metric"], series["variant"]))
    found = {(p["metric"], p["variant"], p["iteration"]): p for p in latest["items"]}
    for it, keys in sorted(wanted.items()):
        if all((m, v, it) in found for m, v in keys):
            continue
        for p in client.request("GET", f"tasks/{task_id}/plots", params={"iteration": it})["items"]:
            if (p["metric"], p["variant"]) in keys:
                found[(p["metric"], p["variant"], p["iteration"])] = p
    out = []
    for (metric, variant, it), p in sorted(found.items(), key=lambda kv: (kv[0][2], kv[0][:2])):
        if (metric, variant) not in wanted.get(it, set()):
            continue
        out.append(
            {
                "task": task_id,
                "type": "plot",
                "metric": metric,
                "variant": variant,
                "iter": it,
                "timestamp": round(float(p["time"]) * 1000),
                "plot_str": json.dumps(p["figure"]),
                "figure": p["figure"],
            }
        )
    return out
