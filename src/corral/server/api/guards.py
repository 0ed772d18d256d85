"""Authorization checks the routers share (the rules themselves are ``auth.policy``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from corral.errors import NotFoundError, PermissionDeniedError
from corral.server.auth.policy import Access, Action
from corral.server.db.models import Artifact, DatasetVersion, DebugSample, Model, Task
from corral.server.services import dataset_query, projects
from corral.server.storage.uris import hub_uri

#: the store's top folder of dataset blobs (``services.dataset_blobs``)
DATASETS_DIR = "datasets"


def task_for(
    access: Access, session: Session, task_id: str, action: Action, *, what: str = "task"
) -> Task:
    """The task, once the caller may ``action`` it (404 when it may not even read it)."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFoundError(f"no {what} with id {task_id!r}")
    access.require(action, task, what=f"{what} with id {task_id!r}")
    return task


def readable_tasks(access: Access, session: Session, task_ids: list[str]) -> list[str]:
    """``task_ids`` without repeats, in order, once the caller may read each (else 404)."""
    ids = list(dict.fromkeys(task_ids))
    for one in ids:
        task_for(access, session, one, "read")
    return ids


def require_target_project(
    access: Access, session: Session, name: str | None, project_id: str | None
) -> None:
    """May the caller put a new task (or model) into this project (given by name or id)?"""
    if project_id:
        access.require("write", project_id, what=f"project with id {project_id!r}")
        return
    if name:
        name = projects.normalize_name(name)
        existing = projects.find_by_name(session, name)
        if existing is not None:
            access.require("write", existing, what=f"project {name!r}")
        else:
            access.require_create_project(name)


def model_for(access: Access, session: Session, model_id: str, action: Action) -> Model:
    """The model, once the caller may ``action`` it (404 when it may not even read it)."""
    model = session.get(Model, model_id)
    if model is None:
        raise NotFoundError(f"no model with id {model_id!r}")
    access.require(action, model, what=f"model with id {model_id!r}")
    return model


def dataset_for(
    access: Access, session: Session, dataset_id: str, action: Action
) -> DatasetVersion:
    """The dataset version, once the caller may ``action`` its task (else 404 / 403)."""
    task_for(access, session, dataset_id, action, what="dataset version")
    return dataset_query.get_version(session, dataset_id, for_update=action == "write")


# --- stored files ------------------------------------------------------------------------


def _owner_of_path(path: str) -> tuple[str, str] | None:
    """("task"|"model", id) for ``tasks/<id>/...`` and ``models/<id>/...`` paths."""
    parts = path.strip("/").split("/")
    if len(parts) >= 2 and parts[0] in ("tasks", "models") and parts[1]:
        return parts[0][:-1], parts[1]
    return None


def require_path(access: Access, session: Session, path: str, action: Action) -> None:
    """May the caller ``action`` the stored file (or directory) at ``path``?

    Files under ``tasks/<id>/`` follow the task, under ``models/<id>/`` the model; a
    missing task is a 404 for writes (a missing model's folder is shared). The rest of the store is shared by the
    hub's users (not by agents' worker accounts). ``datasets/`` (dataset blobs, read
    through their versions only) is for admins: a 404 to anyone else.
    """
    if _is_dataset_path(path) and not access.principal.is_admin:
        raise NotFoundError(f"no file 'hub://{path}'")
    owner = _owner_of_path(path)
    if owner is not None:
        kind, object_id = owner
        obj: Task | Model | None = (
            session.get(Task, object_id) if kind == "task" else session.get(Model, object_id)
        )
        if obj is not None:
            access.require(action, obj, what=f"{kind} with id {object_id!r}")
            return
        if action == "read":
            # a file that outlived its task (a registered model's weights, a clone's
            # input): readable by whoever may read a record that still refers to it
            users = _referring(session, path)
            if any(access.can("read", record) for record in users):
                return
            if users or kind == "task":
                raise NotFoundError(f"no file 'hub://{path}'")
        elif kind == "task":
            raise NotFoundError(f"no {kind} with id {object_id!r} for the file 'hub://{path}'")
        # a folder of a model not registered (yet): shared like the rest of the store
    p = access.principal
    if p.role == "worker" and action != "read":
        raise PermissionDeniedError("an agent's account may not change shared files")


def _is_dataset_path(path: str) -> bool:
    return path.strip("/").split("/", 1)[0] == DATASETS_DIR


def _referring(session: Session, path: str) -> list[Task | Model]:
    """The tasks and models whose records refer to the stored file ``path``."""
    uri = hub_uri(path)
    records: list[Task | Model] = list(session.scalars(select(Model).where(Model.uri == uri)))
    task_ids = select(Artifact.task_id).where(Artifact.uri == uri)
    sample_ids = select(DebugSample.task_id).where(DebugSample.uri == uri)
    records += list(
        session.scalars(
            select(Task).where(Task.id.in_(task_ids.union(sample_ids).subquery().select()))
        )
    )
    return records


def readable_paths(access: Access, session: Session, paths: list[str]) -> set[str]:
    """The paths of a listing the caller may see (entries of unreadable tasks/models go)."""
    visible = access.visible_projects()
    owners = {path: _owner_of_path(path) for path in paths}
    task_ids = {o[1] for o in owners.values() if o and o[0] == "task"}
    model_ids = {o[1] for o in owners.values() if o and o[0] == "model"}
    allowed: set[tuple[str, str]] = set()
    if task_ids:
        for task in session.scalars(select(Task).where(Task.id.in_(task_ids))):
            if access.can("read", task):
                allowed.add(("task", task.id))
    found_models: set[str] = set()
    if model_ids:
        for model in session.scalars(select(Model).where(Model.id.in_(model_ids))):
            found_models.add(model.id)
            if access.can("read", model):
                allowed.add(("model", model.id))
    out = set()
    for path, owner in owners.items():
        if _is_dataset_path(path) and not access.principal.is_admin:
            continue
        if owner is None:
            if visible is not None and access.principal.role == "worker":
                continue
            out.add(path)
        elif owner in allowed or (owner[0] == "model" and owner[1] not in found_models):
            out.add(path)
    return out
