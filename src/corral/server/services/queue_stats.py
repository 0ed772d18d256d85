"""The queue statistics time series (length and wait), written on enqueue and dequeue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from corral.server.db.models import QueueEntry, QueueStat


def record_stat(session: Session, queue_id: str, wait: float | None) -> None:
    """Note the queue's length now (after an enqueue or dequeue) and a dequeued task's wait."""
    session.flush()
    pending = session.scalar(select(func.count()).where(QueueEntry.queue_id == queue_id)) or 0
    session.add(QueueStat(queue_id=queue_id, pending=pending, wait=wait))


def prune(session: Session, before: datetime) -> None:
    session.execute(delete(QueueStat).where(QueueStat.time < before))
