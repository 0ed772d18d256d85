"""A task's life: status actions (enqueue, start, complete, abort...), reset, archive.

Each action follows the state machine of ``core.task_status`` (an action the
status does not allow is a 409) and records what happened in the change log. The
worker's lease of a queued task is taken in ``dispatch``. Whatever ends a run or a
lease (a final status, dequeue, reset) revokes the task's token (``task_tokens``).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from corral.core.task_status import ACTIVE, FINAL, NEEDS_FORCE, S, next_status
from corral.errors import ConflictError, NotFoundError
from corral.schemas.tasks import Enqueue
from corral.server.db.models import DatasetVersion, Model, Queue, QueueEntry, Task
from corral.server.services import deletion, models, task_tokens
from corral.server.services.clock import now
from corral.server.services.queue_stats import record_stat
from corral.server.services.tasks import get_task, record_change, touch

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
    task_tokens.revoke(session, [task.id])  # a token of an earlier run, if any is left
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
    if target not in ACTIVE:
        # the run (or the lease) is over: its token stops working now
        task_tokens.revoke(session, [task.id])
    session.flush()
    record_change(session, task, _DONE[action], reason=task.status_reason)
    return task


def publish(
    session: Session,
    task_id: str,
    *,
    publish_models: bool = True,
    may_publish: Callable[[Model], bool] = lambda model: True,
) -> tuple[Task, list[Model]]:
    """Publish a completed task and, with ``publish_models``, its output models.

    The models are published by the models service (its checks and change log), in the
    same transaction: all or nothing. Input models, models already published, archived
    ones and those ``may_publish`` refuses (the caller may not change them) are left
    alone. Returns the task and the models published now.
    """
    task = change_status(session, task_id, "publish")
    published: list[Model] = []
    if publish_models:
        ids = [m.get("model_id") for m in (task.models or {}).get("output", [])]
        for model_id in dict.fromkeys(i for i in ids if isinstance(i, str)):
            model = session.get(Model, model_id)
            if model is None or model.published or model.archived or not may_publish(model):
                continue
            published.append(models.publish_model(session, model_id))
    return task, published


def set_archived(session: Session, task_id: str, archived: bool) -> Task:
    task = get_task(session, task_id, for_update=True)
    if archived and task.status in ACTIVE:
        raise ConflictError(f"a {task.status} task cannot be archived; abort it first")
    task.archived = archived
    touch(task)
    session.flush()
    record_change(session, task, "archived" if archived else "unarchived")
    return task


def reset(session: Session, task_id: str, *, force: bool) -> Task:
    task = get_task(session, task_id, for_update=True)
    if task.status in NEEDS_FORCE and not force:
        raise ConflictError("the task is running; abort it first or reset with force=true")
    if session.get(DatasetVersion, task.id) is not None:
        raise ConflictError(
            "the task is a dataset version: it is not re-run; create a new version instead"
        )
    task.status = next_status(task.status, "reset")
    _leave_queue(session, task)
    deletion.clear_task_outputs(session, task)
    task.queue_id = None
    task.worker = None
    task.started_at = None
    task.completed_at = None
    task.exit_code = None
    task.status_reason = ""
    task.status_message = ""
    touch(task)
    task_tokens.revoke(session, [task.id])
    session.flush()
    record_change(session, task, "reset")
    return task
