"""Queues (the orchestration issue adds create/reorder/dequeue; here: listing)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from sqlalchemy import func, select

from corral.schemas.common import Output
from corral.server.api.deps import CurrentUser, SessionDep
from corral.server.db.models import Queue, QueueEntry

router = APIRouter(prefix="/queues", tags=["queues"])


class QueueOut(Output):
    id: str
    name: str
    tags: list[str]
    created_at: datetime
    pending: int = 0


@router.get("", response_model=list[QueueOut])
def list_queues(session: SessionDep, _user: CurrentUser) -> list[QueueOut]:
    counts = dict(
        session.execute(
            select(QueueEntry.queue_id, func.count()).group_by(QueueEntry.queue_id)
        ).all()
    )
    queues = session.scalars(select(Queue).order_by(Queue.name))
    return [
        QueueOut.model_validate(q).model_copy(update={"pending": counts.get(q.id, 0)})
        for q in queues
    ]
