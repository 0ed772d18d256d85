"""Queues: create, rename, delete, order, clear, and the figures shown for each.

A queue's entries are ordered by ``position`` (smaller runs first). Enqueue at the
back takes max+1, at the front min-1 (``services.task_lifecycle.enqueue``); a move renumbers
the queue's entries, which stays cheap for the few thousand entries a queue holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from corral.errors import ConflictError, NotFoundError
from corral.schemas.queues import QueueCreate, QueueEntryOut, QueueOut, QueueUpdate
from corral.server.db.models import Queue, QueueEntry, QueueStat, Task, Worker
from corral.server.services import changes
from corral.server.services.clock import now
from corral.server.services.queue_stats import record_stat
from corral.server.services.task_lifecycle import change_status

#: queues every hub has from its first start; they cannot be renamed or deleted
BUILTIN = ("default", "services")
#: the average wait covers the tasks dequeued in this window
AVG_WAIT_WINDOW = timedelta(hours=1)


def get_queue(session: Session, key: str) -> Queue:
    """A queue by id or name."""
    queue = session.get(Queue, key) or session.scalar(select(Queue).where(Queue.name == key))
    if queue is None:
        raise NotFoundError(f"no queue named {key!r}; `corral queue list` shows the queues")
    return queue


def get_queues(session: Session, keys: Iterable[str]) -> list[Queue]:
    return [get_queue(session, key) for key in dict.fromkeys(keys)]


def _record(session: Session, queue: Queue, action: str, **payload: Any) -> None:
    changes.record(session, "queue", queue.id, action, payload={"name": queue.name, **payload})


def describe(session: Session, queues: Sequence[Queue]) -> list[QueueOut]:
    """Queues with their pending count, serving workers and waits, in the given order."""
    ids = [q.id for q in queues]
    if not ids:
        return []
    t = now()
    pending: dict[str, tuple[int, datetime | None]] = {
        qid: (count, oldest)
        for qid, count, oldest in session.execute(
            select(QueueEntry.queue_id, func.count(), func.min(QueueEntry.enqueued_at))
            .where(QueueEntry.queue_id.in_(ids))
            .group_by(QueueEntry.queue_id)
        )
    }
    waits: dict[str, float | None] = dict(
        session.execute(
            select(QueueStat.queue_id, func.avg(QueueStat.wait))
            .where(
                QueueStat.queue_id.in_(ids),
                QueueStat.wait.is_not(None),
                QueueStat.time >= t - AVG_WAIT_WINDOW,
            )
            .group_by(QueueStat.queue_id)
        ).all()
    )
    live = session.execute(select(Worker.id, Worker.queues).where(Worker.gone_at.is_(None))).all()
    out = []
    for q in queues:
        count, oldest = pending.get(q.id, (0, None))
        oldest = _aware(oldest)
        out.append(
            QueueOut(
                id=q.id,
                name=q.name,
                tags=list(q.tags),
                created_at=q.created_at,
                builtin=q.name in BUILTIN,
                pending=count,
                workers=sorted(w for w, names in live if q.name in names or q.id in names),
                avg_wait=_float(waits.get(q.id)),
                current_wait=(t - oldest).total_seconds() if oldest is not None else None,
            )
        )
    return out


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _aware(value: Any) -> datetime | None:
    """``min()`` over a column skips the column's type: make the naive UTC value aware."""
    if value is None or (isinstance(value, datetime) and value.tzinfo is not None):
        return value
    if isinstance(value, str):  # SQLite returns the stored text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc)


def list_queues(session: Session) -> list[QueueOut]:
    return describe(session, list(session.scalars(select(Queue).order_by(Queue.name))))


def entries(session: Session, queue: Queue) -> list[QueueEntryOut]:
    """The queue's tasks in the order they will run."""
    t = now()
    rows = session.execute(
        select(QueueEntry, Task)
        .join(Task, Task.id == QueueEntry.task_id)
        .where(QueueEntry.queue_id == queue.id)
        .order_by(QueueEntry.position, QueueEntry.id)
    ).all()
    return [
        QueueEntryOut(
            task_id=task.id,
            task_name=task.name,
            status=task.status,
            project_id=task.project_id,
            user_id=task.user_id,
            index=i,
            enqueued_at=entry.enqueued_at,
            wait=(t - entry.enqueued_at).total_seconds(),
        )
        for i, (entry, task) in enumerate(rows)
    ]


def create_queue(session: Session, data: QueueCreate) -> Queue:
    if session.scalar(select(Queue.id).where(Queue.name == data.name)) is not None:
        raise ConflictError(f"a queue named {data.name!r} already exists")
    queue = Queue(name=data.name, tags=list(dict.fromkeys(data.tags)))
    session.add(queue)
    session.flush()
    _record(session, queue, "created")
    return queue


def update_queue(session: Session, queue: Queue, data: QueueUpdate) -> Queue:
    if data.name is not None and data.name != queue.name:
        if queue.name in BUILTIN:
            raise ConflictError(f"the {queue.name!r} queue is built in and cannot be renamed")
        if session.scalar(select(Queue.id).where(Queue.name == data.name)) is not None:
            raise ConflictError(f"a queue named {data.name!r} already exists")
        old = queue.name
        queue.name = data.name
        _rename_in_workers(session, old, data.name)
    if data.tags is not None:
        queue.tags = list(dict.fromkeys(data.tags))
    session.flush()
    _record(session, queue, "updated")
    return queue


def _rename_in_workers(session: Session, old: str, new: str) -> None:
    # workers name the queues they serve; keep them serving the renamed queue
    for worker in session.scalars(select(Worker).where(Worker.gone_at.is_(None))):
        if old in worker.queues:
            worker.queues = [new if q == old else q for q in worker.queues]


def delete_queue(session: Session, queue: Queue, *, force: bool) -> None:
    if queue.name in BUILTIN:
        raise ConflictError(f"the {queue.name!r} queue is built in and cannot be deleted")
    waiting = session.scalar(select(func.count()).where(QueueEntry.queue_id == queue.id)) or 0
    if waiting and not force:
        raise ConflictError(
            f"the queue {queue.name!r} has {waiting} pending task(s); clear it first or delete "
            "with force=true (its tasks go back to draft)"
        )
    clear(session, queue)
    # leased tasks keep running; only the reference goes
    session.execute(update(Task).where(Task.queue_id == queue.id).values(queue_id=None))
    session.execute(delete(QueueStat).where(QueueStat.queue_id == queue.id))
    _record(session, queue, "deleted")
    session.delete(queue)
    session.flush()


def clear(session: Session, queue: Queue) -> int:
    """Take every pending task out of the queue, back to draft. Returns how many."""
    task_ids = list(
        session.scalars(
            select(QueueEntry.task_id)
            .where(QueueEntry.queue_id == queue.id)
            .order_by(QueueEntry.position)
        )
    )
    for task_id in task_ids:
        change_status(session, task_id, "dequeue", reason=f"removed from queue {queue.name}")
    if task_ids:
        record_stat(session, queue.id, None)
        _record(session, queue, "cleared", removed=len(task_ids))
    return len(task_ids)


def remove(session: Session, queue: Queue, task_id: str) -> None:
    """Take one task out of the queue, back to draft."""
    entry = session.scalar(
        select(QueueEntry).where(QueueEntry.queue_id == queue.id, QueueEntry.task_id == task_id)
    )
    if entry is None:
        raise NotFoundError(f"task {task_id} is not waiting in queue {queue.name!r}")
    change_status(session, task_id, "dequeue", reason=f"removed from queue {queue.name}")
    record_stat(session, queue.id, None)


def reorder(session: Session, queue: Queue, task_id: str, index: int) -> None:
    """Move a waiting task to ``index`` (0: runs next; negative counts from the back)."""
    rows = list(
        session.scalars(
            select(QueueEntry)
            .where(QueueEntry.queue_id == queue.id)
            .order_by(QueueEntry.position, QueueEntry.id)
        )
    )
    moving = next((e for e in rows if e.task_id == task_id), None)
    if moving is None:
        raise NotFoundError(f"task {task_id} is not waiting in queue {queue.name!r}")
    rows.remove(moving)
    where = index if index >= 0 else len(rows) + 1 + index
    rows.insert(max(0, min(where, len(rows))), moving)
    moved = [{"id": e.id, "position": i} for i, e in enumerate(rows) if e.position != i]
    if moved:
        session.execute(update(QueueEntry), moved)
    _record(session, queue, "reordered", task_id=task_id, index=rows.index(moving))


def stats(session: Session, queue: Queue, since: datetime | None, limit: int) -> list[QueueStat]:
    q = select(QueueStat).where(QueueStat.queue_id == queue.id)
    if since is not None:
        q = q.where(QueueStat.time >= since)
    rows = list(
        session.scalars(q.order_by(QueueStat.time.desc(), QueueStat.id.desc()).limit(limit))
    )
    return rows[::-1]
