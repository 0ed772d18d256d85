"""Task records: create, read, update (fields, hyperparameters, configuration), clone, delete.

A task's life (enqueue, start, complete, abort, reset, publish, archive) is in
``task_lifecycle``; what a deletion takes with it is in ``deletion``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from corral.core.task_status import NEEDS_FORCE, S, check_editable
from corral.errors import ConflictError, NotFoundError, ValidationError
from corral.schemas.tasks import Clone, ConfigurationPatch, HyperparamsPatch, TaskCreate, TaskUpdate
from corral.server.db.models import Artifact, DatasetVersion, Task, TaskTag, User, new_id
from corral.server.services import changes, deletion, projects
from corral.server.services.clock import now


def get_task(session: Session, task_id: str, *, for_update: bool = False) -> Task:
    q = select(Task).where(Task.id == task_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    task = session.scalar(q)
    if task is None:
        raise NotFoundError(f"no task with id {task_id!r}")
    return task


def record_change(session: Session, task: Task, action: str, **payload: Any) -> None:
    """A task change for the log: its status and name, plus ``payload``."""
    changes.record(
        session,
        "task",
        task.id,
        action,
        project_id=task.project_id,
        payload={"status": task.status, "name": task.name, **payload},
    )


def set_tags(session: Session, task: Task, tags: Iterable[str]) -> None:
    """Tags live on the task (to read) and in ``task_tags`` (to filter with an index)."""
    unique = list(dict.fromkeys(tags))
    task.tags = unique
    session.execute(delete(TaskTag).where(TaskTag.task_id == task.id))
    if unique:
        session.execute(insert(TaskTag), [{"task_id": task.id, "tag": t} for t in unique])


def _resolve_project(
    session: Session, user: User | None, project: str | None, project_id: str | None
) -> str:
    if project_id:
        return projects.get_project(session, project_id).id
    if project:
        return projects.ensure_project(session, project, user).id
    raise ValidationError(
        "give the task's project: 'project' (a name) or 'project_id'",
        errors=[{"loc": ["body", "project"], "msg": "required", "type": "missing"}],
    )


def _check_parent(session: Session, parent_id: str | None) -> None:
    if parent_id and session.get(Task, parent_id) is None:
        raise NotFoundError(f"no parent task with id {parent_id!r}")


def create_task(session: Session, data: TaskCreate, user: User) -> Task:
    if data.id is not None and session.get(Task, data.id) is not None:
        raise ConflictError(f"a task with id {data.id} already exists")
    project_id = _resolve_project(session, user, data.project, data.project_id)
    _check_parent(session, data.parent_id)
    task = Task(
        id=data.id or new_id(),
        name=data.name,
        project_id=project_id,
        type=data.type,
        system_tags=list(dict.fromkeys(data.system_tags)),
        comment=data.comment,
        parent_id=data.parent_id,
        user_id=user.id,
        script=data.script.model_dump(),
        container=data.container.model_dump(),
        hyperparams=_dump_hyperparams(data.hyperparams),
        configuration={k: v.model_dump() for k, v in data.configuration.items()},
        runtime=data.runtime,
        models=data.models.model_dump(),
        tags=[],
    )
    session.add(task)
    session.flush()
    set_tags(session, task, data.tags)
    record_change(session, task, "created")
    return task


def _dump_hyperparams(hp: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {s: {n: p.model_dump() for n, p in params.items()} for s, params in hp.items()}


def touch(task: Task) -> None:
    task.last_update = now()


def update_task(session: Session, task_id: str, data: TaskUpdate, *, force: bool = False) -> Task:
    """Change a task's fields (see ``TaskUpdate``); ``force`` lets the running task set its inputs."""
    task = get_task(session, task_id, for_update=True)
    fields = data.model_fields_set
    if task.status == S.published and fields - {"tags", "system_tags", "comment"}:
        raise ConflictError(
            "a published task is read-only (tags, system tags and comment excepted)"
        )
    for name in ("type", "script", "container", "parent_id"):
        if name in fields:
            _check_inputs_editable(task, name, force)
    if data.models is not None and "input" in data.models.model_fields_set:
        _check_inputs_editable(task, "input models", force)
    _check_dataset_fields(session, task, data)
    if data.name is not None:
        task.name = data.name
    if data.comment is not None:
        task.comment = data.comment
    if data.tags is not None:
        set_tags(session, task, data.tags)
    if data.system_tags is not None:
        task.system_tags = list(dict.fromkeys(data.system_tags))
    if data.project_id is not None:
        task.project_id = projects.get_project(session, data.project_id).id
    if data.type is not None:
        task.type = data.type
    if "parent_id" in fields:
        _check_parent(session, data.parent_id)
        task.parent_id = data.parent_id
    if data.script is not None:
        # merge: a client may send only the fields it knows (e.g. the freeze at the end)
        task.script = {**task.script, **data.script.model_dump(exclude_unset=True)}
    if data.container is not None:
        task.container = {**task.container, **data.container.model_dump(exclude_unset=True)}
    if data.runtime is not None:
        task.runtime = {**task.runtime, **data.runtime}
    if data.models is not None:
        # each list given replaces that list; the other stays
        task.models = {**task.models, **data.models.model_dump(exclude_unset=True)}
    touch(task)
    session.flush()
    record_change(session, task, "updated", fields=sorted(fields))
    return task


def _check_dataset_fields(session: Session, task: Task, data: TaskUpdate) -> None:
    """A dataset version's name and project are the dataset's: they change through it."""
    renamed = data.name is not None and data.name != task.name
    moved = data.project_id is not None and data.project_id != task.project_id
    if (renamed or moved) and session.get(DatasetVersion, task.id) is not None:
        raise ConflictError(
            "the task is a dataset version: its name and project are the dataset's "
            "(move every version with POST /datasets/{id}:move)"
        )


def _check_inputs_editable(task: Task, what: str, force: bool) -> None:
    # The running task itself reports its own parameters (argparse, connect) with force.
    if force and task.status == S.in_progress:
        return
    check_editable(task.status, what)


def patch_hyperparams(
    session: Session, task_id: str, data: HyperparamsPatch, *, force: bool = False
) -> Task:
    task = get_task(session, task_id, for_update=True)
    _check_inputs_editable(task, "hyperparameters", force)
    current: dict[str, Any] = {} if data.replace else dict(task.hyperparams)
    for section, params in data.hyperparams.items():
        if params is None:
            current.pop(section, None)
            continue
        merged = dict(current.get(section, {}))
        for name, param in params.items():
            if param is None:
                merged.pop(name, None)
            else:
                merged[name] = param.model_dump()
        if merged:
            current[section] = merged
        else:
            current.pop(section, None)
    task.hyperparams = current
    touch(task)
    session.flush()
    record_change(session, task, "hyperparams")
    return task


def patch_configuration(
    session: Session, task_id: str, data: ConfigurationPatch, *, force: bool = False
) -> Task:
    task = get_task(session, task_id, for_update=True)
    _check_inputs_editable(task, "configuration", force)
    current: dict[str, Any] = {} if data.replace else dict(task.configuration)
    for name, item in data.configuration.items():
        if item is None:
            current.pop(name, None)
        else:
            current[name] = item.model_dump()
    task.configuration = current
    touch(task)
    session.flush()
    record_change(session, task, "configuration")
    return task


def clone(session: Session, task_id: str, data: Clone, user: User) -> Task:
    """A new draft with the source's inputs (code, container, parameters, input models)."""
    source = get_task(session, task_id)
    if data.project or data.project_id:
        project_id = _resolve_project(session, user, data.project, data.project_id)
    else:
        project_id = source.project_id
    parent_id = data.parent_id or source.id
    _check_parent(session, parent_id)
    task = Task(
        name=data.name or f"Clone of {source.name}"[:255],
        project_id=project_id,
        type=source.type,
        comment=data.comment if data.comment is not None else source.comment,
        parent_id=parent_id,
        user_id=user.id,
        system_tags=[t for t in source.system_tags if t not in ("archived",)],
        script={**source.script},
        container={**source.container},
        hyperparams=dict(source.hyperparams),
        configuration=dict(source.configuration),
        models={"input": list(source.models.get("input", [])), "output": []},
        tags=[],
    )
    session.add(task)
    session.flush()
    set_tags(session, task, data.tags if data.tags is not None else source.tags)
    input_artifacts = session.scalars(
        select(Artifact).where(Artifact.task_id == source.id, Artifact.mode == "input")
    )
    for art in input_artifacts:
        session.add(
            Artifact(
                task_id=task.id,
                name=art.name,
                type=art.type,
                mode="input",
                uri=art.uri,
                size=art.size,
                hash=art.hash,
                content_type=art.content_type,
                preview=art.preview,
                meta=art.meta,
            )
        )
    session.flush()
    record_change(session, task, "created", cloned_from=source.id)
    return task


# --- delete ----------------------------------------------------------------------------


def delete_task(session: Session, task_id: str, *, force: bool) -> None:
    task = get_task(session, task_id, for_update=True)
    if task.status in NEEDS_FORCE and not force:
        raise ConflictError("the task is running; abort it first or delete with force=true")
    deletion.delete_tasks(session, [task.id])
