"""Handing queued tasks to workers: the dequeue, the lease, and what a lost worker leaves.

A dequeued task is *leased*: it leaves its queue but stays ``queued``, with
``worker`` set, until the worker starts it. If the worker goes silent first
(no heartbeat for ``worker_timeout``), the lease ends and the task goes back to the
front of its queue. If it goes silent while the task runs, the task ends ``failed``
with the reason ``worker lost``. Nothing is left running forever or dropped.

The dequeue is atomic: on SQLite the write transaction is ``BEGIN IMMEDIATE`` (one
writer at a time); on PostgreSQL the entry is taken with ``FOR UPDATE SKIP LOCKED``,
so concurrent dequeues (also from several hub processes) each get a different task.

Each lease comes with a task token (``task_tokens``): the key the task's process
uses, acting as the task's owner. A task whose owner is gone or deactivated is not
leased: it ends ``failed`` with the reason, and the next task is taken. Every way a
lease or a run ends here (lease expired, worker lost or stopped) revokes the token.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from corral.core.task_status import ACTIVE, S
from corral.errors import ConflictError, NotFoundError
from corral.schemas.queues import TaskToken
from corral.server.db.models import Queue, QueueEntry, Task, Worker, WorkerStat
from corral.server.services import (
    changes,
    queue_stats,
    quotas,
    task_lifecycle,
    task_tokens,
    tasks,
)
from corral.server.services.clock import now

#: the reason a task ends with when its worker stopped heartbeating while it ran
WORKER_LOST = "worker lost"


def live_worker(session: Session, worker_id: str) -> Worker:
    worker = session.get(Worker, worker_id)
    if worker is None:
        raise NotFoundError(f"no worker {worker_id!r}; register it first (POST /workers)")
    if worker.gone_at is not None:
        raise ConflictError(
            f"worker {worker_id!r} was marked gone (no heartbeat in time); register it again"
        )
    return worker


def has_waiting(session: Session, queue_ids: Sequence[str]) -> bool:
    """A cheap read: is anything waiting? (Spares an idle poll a write transaction.)"""
    q = select(QueueEntry.id).where(QueueEntry.queue_id.in_(list(queue_ids))).limit(1)
    return session.scalar(q) is not None


#: queue entries read at once while looking for one a quota does not hold back
_BATCH = 50


@dataclass(frozen=True)
class _Waiting:
    """A queue entry and the little of its task a quota check needs."""

    entry_id: int
    position: int
    task_id: str
    user_id: str | None
    status_reason: str


def _waiting(session: Session, queue: Queue) -> Iterator[_Waiting]:
    """The queue's entries in order, read in batches of a few columns, without locks."""
    after: _Waiting | None = None
    while True:
        q = (
            select(QueueEntry.id, QueueEntry.position, Task.id, Task.user_id, Task.status_reason)
            .join(Task, Task.id == QueueEntry.task_id)
            .where(QueueEntry.queue_id == queue.id)
        )
        if after is not None:
            q = q.where(
                or_(
                    QueueEntry.position > after.position,
                    and_(QueueEntry.position == after.position, QueueEntry.id > after.entry_id),
                )
            )
        rows = session.execute(q.order_by(QueueEntry.position, QueueEntry.id).limit(_BATCH)).all()
        for row in rows:
            after = _Waiting(*row)
            yield after
        if len(rows) < _BATCH:
            return


def _claim(session: Session, entry_id: int, postgres: bool) -> QueueEntry | None:
    """The entry, locked for this transaction; None if another dequeue has it."""
    q = select(QueueEntry).where(QueueEntry.id == entry_id)
    if postgres:
        q = q.with_for_update(skip_locked=True)
    return session.scalar(q)


@dataclass(frozen=True)
class Lease:
    """A task leased to a worker, the queue it came from, and its token (shown once)."""

    task: Task
    queue: Queue
    token: TaskToken


def take(
    session: Session, worker: Worker, queues: Sequence[Queue], *, token_minutes: float
) -> Lease | None:
    """Lease the first task of the first non-empty queue to ``worker``; None if all are empty.

    The lease carries a new token for the task's owner, valid ``token_minutes``. A
    task whose owner is at a running-task quota (``services.quotas``) stays in its
    queue with the reason shown; the next task is leased instead.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    for queue in queues:
        for waiting in _waiting(session, queue):
            reason = quotas.blocked(session, waiting, queue)
            if reason is not None:
                quotas.hold(session, waiting.task_id, reason, shown=waiting.status_reason)
                continue
            entry = _claim(session, waiting.entry_id, postgres)
            if entry is None:
                continue
            task = tasks.get_task(session, entry.task_id, for_update=True)
            problem = task_tokens.owner_problem(session, task)
            if problem is not None:
                # nobody to run it as: it ends here, visibly, instead of blocking the queue
                task_lifecycle.change_status(session, task.id, "fail", reason=problem)
                continue
            return _lease(session, worker, queue, entry, task, token_minutes)
    return None


def _lease(
    session: Session,
    worker: Worker,
    queue: Queue,
    entry: QueueEntry,
    task: Task,
    token_minutes: float,
) -> Lease:
    t = now()
    wait = (t - entry.enqueued_at).total_seconds()
    session.delete(entry)
    task.worker = worker.id
    task.status_reason = ""  # a quota's "waiting: ..." is over
    tasks.touch(task)
    worker.task_id = task.id
    worker.leased_at = t
    worker.last_heartbeat = t
    session.flush()
    queue_stats.record_stat(session, queue.id, wait)
    tasks.record_change(session, task, "leased", worker=worker.id, queue=queue.name)
    token = task_tokens.issue(session, task, minutes=token_minutes)
    return Lease(task, queue, token)


def reissue(session: Session, worker: Worker, task_id: str, *, token_minutes: float) -> TaskToken:
    """A new token for a task leased to (or run by) ``worker``, whose first one was lost.

    Raises:
        NotFoundError: no such task is leased to or run by this worker (another's tasks
            are not revealed).
        ConflictError: the task's owner is deactivated.
    """
    task = session.get(Task, task_id, with_for_update=True)
    if task is None or task.worker != worker.id or task.status not in ACTIVE:
        raise NotFoundError(f"no task {task_id!r} is leased to or run by worker {worker.id!r}")
    problem = task_tokens.owner_problem(session, task)
    if problem is not None:
        raise ConflictError(problem)
    return task_tokens.issue(session, task, minutes=token_minutes)


def worker_tasks(session: Session, worker_ids: Sequence[str]) -> list[Task]:
    """Tasks leased to or run by these workers."""
    if not worker_ids:
        return []
    return list(
        session.scalars(
            select(Task)
            .where(Task.worker.in_(worker_ids), Task.status.in_([s.value for s in ACTIVE]))
            .order_by(Task.started_at)
        )
    )


def release(session: Session, worker: Worker, reason: str) -> None:
    """The worker is gone: leases go back to the front of their queues, running tasks fail."""
    for task in worker_tasks(session, [worker.id]):
        if task.status == S.in_progress:
            task_lifecycle.change_status(session, task.id, "fail", reason=reason, worker=worker.id)
        elif session.scalar(select(QueueEntry.id).where(QueueEntry.task_id == task.id)) is None:
            _requeue_front(session, task)
    worker.task_id = None
    worker.leased_at = None


def _requeue_front(session: Session, task: Task) -> None:
    queue = session.get(Queue, task.queue_id) if task.queue_id else None
    if queue is None:
        queue = session.scalar(select(Queue).where(Queue.name == "default"))
    if queue is None:  # no queue left to go back to: the task is not dropped, it becomes a draft
        task_lifecycle.change_status(session, task.id, "dequeue", reason="its queue was deleted")
        return
    first = session.scalar(
        select(func.min(QueueEntry.position)).where(QueueEntry.queue_id == queue.id)
    )
    session.add(
        QueueEntry(queue_id=queue.id, task_id=task.id, position=0 if first is None else first - 1)
    )
    task.worker = None
    task.queue_id = queue.id
    tasks.touch(task)
    task_tokens.revoke(session, [task.id])
    session.flush()
    queue_stats.record_stat(session, queue.id, None)
    tasks.record_change(session, task, "requeued", queue=queue.name, reason="lease expired")


def silent_workers(session: Session, timeout: float) -> list[str]:
    cutoff = now() - timedelta(seconds=timeout)
    return list(
        session.scalars(
            select(Worker.id).where(Worker.gone_at.is_(None), Worker.last_heartbeat < cutoff)
        )
    )


def mark_gone(session: Session, worker_id: str, timeout: float) -> bool:
    """Mark one silent worker gone and release what it held. False if it came back meanwhile."""
    q = select(Worker).where(Worker.id == worker_id)
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    worker = session.scalar(q)
    cutoff = now() - timedelta(seconds=timeout)
    if worker is None or worker.gone_at is not None or worker.last_heartbeat >= cutoff:
        return False
    worker.gone_at = now()
    release(session, worker, WORKER_LOST)
    changes.record(session, "worker", worker.id, "gone", payload={"reason": "no heartbeat"})
    session.flush()
    return True


def prune_stats(session: Session, before: datetime) -> None:
    """Drop statistics older than ``before`` so that they do not grow forever."""
    session.execute(delete(WorkerStat).where(WorkerStat.time < before))
    queue_stats.prune(session, before)
