"""Finding dataset versions on the hub: by id, by project/name/version/tags; aliases.

The helpers of ``Dataset.get``, ``Dataset.list_datasets``, ``Dataset.delete`` and
``Dataset.move_to_project``; they speak to ``client.datasets`` and return the hub's
``DatasetVersion`` dicts.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from corral.errors import ConflictError, NotFoundError, ValidationError

if TYPE_CHECKING:
    from corral.client.http import HubClient

#: the hyperparameter section ``Dataset.get(alias=...)`` records the ids in
ALIAS_SECTION = "Datasets"


def _describe(project: str | None, name: str | None, version: str | None, tags: Any) -> str:
    parts = [
        f"project {project!r}" if project else "",
        f"name {name!r}" if name else "",
        f"version {version!r}" if version else "",
        f"tags {list(tags)}" if tags else "",
    ]
    return ", ".join(p for p in parts if p) or "any"


def query(
    *,
    project: str | None = None,
    name: str | None = None,
    version: str | None = None,
    tags: Sequence[str] | None = None,
    only_final: bool = False,
    partial_name: str | None = None,
    ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The query parameters of ``GET /datasets`` for these criteria."""
    params: dict[str, Any] = {
        "project": project or None,
        "name": name or None,
        "version": version or None,
        "tag": list(tags) if tags else None,
        "partial_name": partial_name or None,
        "id": list(ids) if ids else None,
    }
    if only_final:
        params["only_final"] = "true"
    return params


def find_one(
    client: HubClient,
    *,
    project: str | None,
    name: str | None,
    version: str | None,
    tags: Sequence[str] | None,
    only_final: bool,
) -> dict[str, Any] | None:
    """The highest version matching, or ``None``."""
    params = query(project=project, name=name, version=version, tags=tags, only_final=only_final)
    page = client.datasets.list(**params, sort="-version", limit=1)
    items = page.get("items") or []
    return items[0] if items else None


def find_all(
    client: HubClient,
    *,
    project: str | None = None,
    name: str | None = None,
    version: str | None = None,
    tags: Sequence[str] | None = None,
    only_final: bool = False,
    partial_name: str | None = None,
    ids: Sequence[str] | None = None,
    project_id: str | None = None,
    sort: str = "-version",
) -> Iterator[dict[str, Any]]:
    """Every version matching, across pages."""
    params = query(
        project=project,
        name=name,
        version=version,
        tags=tags,
        only_final=only_final,
        partial_name=partial_name,
        ids=ids,
    )
    if project_id:
        params["project_id"] = project_id
    return client.datasets.iter(**params, sort=sort)


def subproject_ids(client: HubClient, project: str) -> list[str]:
    """Ids of the projects below ``project`` (``project/...``), not of itself."""
    below = project.strip("/") + "/"
    return [p["id"] for p in client.projects.list(search=below) if p["name"].startswith(below)]


def resolve(
    client: HubClient,
    *,
    dataset_id: str | None,
    project: str | None,
    name: str | None,
    version: str | None,
    tags: Sequence[str] | None,
    only_completed: bool,
) -> dict[str, Any] | None:
    """The version ``Dataset.get`` means; ``None`` when nothing matches by name.

    Raises:
        NotFoundError: an unknown id.
        ConflictError: ``only_completed`` and the version with that id is not final.
    """
    if dataset_id:
        data = client.datasets.get(dataset_id)
        if only_completed and data["state"] != "final":
            raise ConflictError(
                f"dataset version {dataset_id} is not final (state {data['state']}): "
                "finalize it, or pass only_completed=False"
            )
        return data
    return find_one(
        client, project=project, name=name, version=version, tags=tags, only_final=only_completed
    )


def not_found(
    project: str | None, name: str | None, version: str | None, tags: Any, only_completed: bool
) -> NotFoundError:
    final = " final" if only_completed else ""
    return NotFoundError(
        f"no{final} dataset version matches {_describe(project, name, version, tags)}"
        + (" (only_completed=True: drafts are left out)" if only_completed else "")
    )


def ids_to_delete(
    client: HubClient,
    *,
    dataset_id: str | None,
    project: str | None,
    name: str | None,
    version: str | None,
    entire_dataset: bool,
    force: bool,
) -> list[str]:
    """The versions ``Dataset.delete`` removes, children before parents (highest first)."""
    if dataset_id:
        client.datasets.get(dataset_id)  # 404 for an unknown id
        return [dataset_id]
    if not (project or name):
        raise ValidationError("Dataset.delete needs dataset_id, or dataset_project/dataset_name")
    rows = list(find_all(client, project=project, name=name, version=version))
    if not rows:
        raise not_found(project, name, version, None, False)
    if len(rows) > 1 and not entire_dataset:
        raise ValidationError(
            f"{len(rows)} dataset versions match {_describe(project, name, version, None)}: "
            "pass dataset_version, or entire_dataset=True and force=True to delete them all"
        )
    if len(rows) > 1 and not force:
        raise ValidationError("entire_dataset=True deletes every version: pass force=True as well")
    return [row["id"] for row in rows]


def aliased_id(alias: str, dataset_id: str) -> str:
    """Record ``Datasets/<alias>`` on the current task; the id to use.

    When the current task already has ``Datasets/<alias>`` set (a clone whose
    parameter was edited, run by an agent), that id wins over ``dataset_id``.
    """
    from corral.sdk.task import Task

    task = Task.current_task()
    if task is None:
        return dataset_id
    key = f"{ALIAS_SECTION}/{alias}"
    current = task.get_parameter(key)
    if isinstance(current, str) and current.strip() and current.strip() != dataset_id:
        return current.strip()
    return dataset_id


def record_alias(alias: str, dataset_id: str) -> None:
    """Set ``Datasets/<alias>`` = id on the current task and record the usage edge."""
    from corral.sdk.task import Task

    task = Task.current_task()
    if task is None:
        return
    key = f"{ALIAS_SECTION}/{alias}"
    if task.get_parameter(key) != dataset_id:
        task.set_parameter(key, dataset_id, description="dataset version used (Dataset.get alias)")
    # through the task's outbox: after the task's own creation, retried, never blocking
    task.handle.request(
        "POST",
        f"datasets/{dataset_id}/usages",
        {"task_id": task.id, "alias": alias},
        force=False,
    )


__all__ = [
    "ALIAS_SECTION",
    "aliased_id",
    "find_all",
    "find_one",
    "ids_to_delete",
    "not_found",
    "record_alias",
    "resolve",
    "subproject_ids",
]
