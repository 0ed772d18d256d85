"""The change log: every change is recorded in the transaction that makes it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from corral.server.db.models import Change


def record(
    session: Session,
    entity_type: str,
    entity_id: str,
    action: str,
    *,
    project_id: str | None = None,
    user_id: str | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Append a change; readers (SSE, triggers, audit) see it once the transaction commits."""
    if user_id is None:
        user_id = session.info.get("user_id")
    session.add(
        Change(
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            project_id=project_id,
            user_id=user_id,
            payload=payload or {},
        )
    )
    session.info["changed"] = True


def since(
    session: Session,
    cursor: int,
    *,
    limit: int,
    entity_type: str | None = None,
    entity_id: str | None = None,
    project_id: str | None = None,
) -> list[Change]:
    q = select(Change).where(Change.id > cursor)
    if entity_type:
        q = q.where(Change.entity_type == entity_type)
    if entity_id:
        q = q.where(Change.entity_id == entity_id)
    if project_id:
        q = q.where(Change.project_id == project_id)
    return list(session.scalars(q.order_by(Change.id).limit(limit)))


def latest_id(session: Session) -> int:
    from sqlalchemy import func

    return int(session.scalar(select(func.max(Change.id))) or 0)
