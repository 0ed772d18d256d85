"""Tasks: create, read, update, status actions, clone, delete."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from corral.core.task_status import ACTIVE, FINAL, NEEDS_FORCE, S, check_editable, next_status
from corral.errors import ConflictError, NotFoundError, ValidationError
from corral.schemas.tasks import (
    Clone,
    ConfigurationPatch,
    Enqueue,
    HyperparamsPatch,
    TaskCreate,
    TaskUpdate,
)
from corral.server.db.models import (
    Artifact,
    DebugSample,
    EventBatch,
    LogEvent,
    PlotEvent,
    Queue,
    QueueEntry,
    ScalarChunk,
    Task,
    TaskMetricSummary,
    TaskTag,
    User,
    new_id,
)
from corral.server.services import changes, projects, stored_files
from corral.server.services.queue_stats import record_stat


def now() -> datetime:
    return datetime.now(timezone.utc)


def get_task(session: Session, task_id: str, *, for_update: bool = False) -> Task:
    q = select(Task).where(Task.id == task_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    task = session.scalar(q)
    if task is None:
        raise NotFoundError(f"no task with id {task_id!r}")
    return task


#: the change-log action of each status action: what happened, in the past tense
_DONE = {
    "dequeue": "dequeued",
    "start": "started",
    "complete": "completed",
    "fail": "failed",
    "stop": "stopped",
    "abort": "aborted",
    "publish": "published",
    "continue": "continued",
}


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


# --- status actions --------------------------------------------------------------------


def _queue(session: Session, name_or_id: str | None) -> Queue:
    key = name_or_id or "default"
    queue = session.get(Queue, key) or session.scalar(select(Queue).where(Queue.name == key))
    if queue is None:
        raise NotFoundError(f"no queue named {key!r}; create it first or use 'default'")
    return queue


def enqueue(session: Session, task_id: str, data: Enqueue) -> Task:
    task = get_task(session, task_id, for_update=True)
    if task.archived:
        raise ConflictError("an archived task cannot be enqueued; restore it first")
    task.status = next_status(task.status, "enqueue")
    queue = _queue(session, data.queue)
    agg = func.min if data.position == "top" else func.max
    edge = session.scalar(select(agg(QueueEntry.position)).where(QueueEntry.queue_id == queue.id))
    position = 0 if edge is None else (edge - 1 if data.position == "top" else edge + 1)
    session.add(QueueEntry(queue_id=queue.id, task_id=task.id, position=position))
    task.queue_id = queue.id
    task.worker = None
    task.status_reason = ""
    touch(task)
    session.flush()
    record_stat(session, queue.id, None)
    record_change(session, task, "enqueued", queue_id=queue.id, queue=queue.name)
    return task


def _leave_queue(session: Session, task: Task) -> None:
    session.execute(delete(QueueEntry).where(QueueEntry.task_id == task.id))


def change_status(
    session: Session,
    task_id: str,
    action: str,
    *,
    reason: str = "",
    message: str = "",
    worker: str | None = None,
    exit_code: int | None = None,
) -> Task:
    """Apply a status action (start, complete, fail, stop, abort, dequeue, publish)."""
    task = get_task(session, task_id, for_update=True)
    target = next_status(task.status, action)
    was_queued = task.status == S.queued
    if action == "start" and was_queued and worker and task.worker not in (None, worker):
        raise ConflictError(
            f"task {task.id} is leased to worker {task.worker!r}, not {worker!r}; "
            "it was given to another worker after this one went silent"
        )
    task.status = target
    task.status_reason = reason or ("aborted by user" if action == "abort" else "")
    task.status_message = message
    if was_queued and target != S.queued:
        _leave_queue(session, task)
    if action == "dequeue":
        task.queue_id = None
        task.worker = None
    if action == "start":
        task.started_at = now()
        task.completed_at = None
        if worker:
            task.worker = worker
    if action == "continue":
        task.completed_at = None
        task.exit_code = None
    if target in FINAL and action != "publish":
        task.completed_at = now()
    if exit_code is not None:
        task.exit_code = exit_code
    touch(task)
    session.flush()
    record_change(session, task, _DONE[action], reason=task.status_reason)
    return task


def set_archived(session: Session, task_id: str, archived: bool) -> Task:
    task = get_task(session, task_id, for_update=True)
    if archived and task.status in ACTIVE:
        raise ConflictError(f"a {task.status} task cannot be archived; abort it first")
    task.archived = archived
    touch(task)
    session.flush()
    record_change(session, task, "archived" if archived else "unarchived")
    return task


def clear_outputs(session: Session, task: Task) -> None:
    """Drop everything a run produced: events, summaries, output artifacts and their files."""
    uris = stored_files.uris_of_outputs(session, [task.id], inputs=False)
    for table in (ScalarChunk, LogEvent, PlotEvent, DebugSample, TaskMetricSummary, EventBatch):
        session.execute(delete(table).where(table.task_id == task.id))
    session.execute(delete(Artifact).where(Artifact.task_id == task.id, Artifact.mode == "output"))
    session.flush()
    stored_files.release_task_files(session, [task.id], uris)
    task.last_metrics = {}
    task.last_iteration = None
    task.models = {**task.models, "output": []}


def reset(session: Session, task_id: str, *, force: bool) -> Task:
    task = get_task(session, task_id, for_update=True)
    if task.status in NEEDS_FORCE and not force:
        raise ConflictError("the task is running; abort it first or reset with force=true")
    task.status = next_status(task.status, "reset")
    _leave_queue(session, task)
    clear_outputs(session, task)
    task.queue_id = None
    task.worker = None
    task.started_at = None
    task.completed_at = None
    task.exit_code = None
    task.status_reason = ""
    task.status_message = ""
    touch(task)
    session.flush()
    record_change(session, task, "reset")
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
    delete_tasks(session, [task.id])


def delete_tasks(session: Session, task_ids: list[str]) -> None:
    """Delete tasks with their events, artifacts and stored files (children are kept)."""
    if not task_ids:
        return
    for start in range(0, len(task_ids), 500):
        chunk = task_ids[start : start + 500]
        uris = stored_files.uris_of_outputs(session, chunk, inputs=True)
        rows = session.execute(
            select(Task.id, Task.project_id, Task.name).where(Task.id.in_(chunk))
        )
        for tid, project_id, name in rows:
            changes.record(
                session, "task", tid, "deleted", project_id=project_id, payload={"name": name}
            )
        session.execute(update(Task).where(Task.parent_id.in_(chunk)).values(parent_id=None))
        # Event tables are removed explicitly: they are large, and SQLite enforces
        # ON DELETE CASCADE only when foreign keys are on for that connection.
        for table in (
            ScalarChunk,
            LogEvent,
            PlotEvent,
            DebugSample,
            TaskMetricSummary,
            EventBatch,
            Artifact,
            TaskTag,
            QueueEntry,
        ):
            session.execute(delete(table).where(table.task_id.in_(chunk)))
        session.execute(delete(Task).where(Task.id.in_(chunk)))
        session.flush()
        stored_files.release_task_files(session, chunk, uris)
