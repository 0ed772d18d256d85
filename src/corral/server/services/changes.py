"""The change log: every change is recorded in the transaction that makes it.

Readers follow the log by id (a cursor), so ids must become visible in order: a
change with a lower id must never commit after one with a higher id, or a reader
that already moved past it would miss it. SQLite has one writer at a time. On
PostgreSQL, ids come from a sequence and transactions commit in any order, so the
changes of a transaction are inserted just before it commits, under a transaction
advisory lock held until the commit: ids are taken and made visible one
transaction at a time, and only the last moment of each write waits for another.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session, sessionmaker

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
    session.info.setdefault(_PENDING, []).append(
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


_PENDING = "pending_changes"
#: key of the PostgreSQL advisory lock that orders change-log inserts
_LOCK_KEY = 0x636F7272616C  # "corral"


def _insert_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    session.add_all(pending)
    session.flush()


def _drop_pending(session: Session, *_: Any) -> None:
    session.info.pop(_PENDING, None)


def install(factory: sessionmaker[Session]) -> None:
    """Make sessions of ``factory`` write their recorded changes at commit."""
    event.listen(factory, "before_commit", _insert_pending)
    event.listen(factory, "after_rollback", _drop_pending)


def since(
    session: Session,
    cursor: int,
    *,
    limit: int,
    entity_type: str | None = None,
    entity_id: str | Sequence[str] | None = None,
    project_id: str | None = None,
) -> tuple[list[Change], int]:
    """Up to ``limit`` matching changes after ``cursor``, and the cursor to read on from.

    The next cursor is the last change returned, or, when fewer than ``limit``
    matched, the newest change looked at: a filtered reader moves past the
    changes that did not match instead of reading them again on its next call.
    (Changes become visible in id order, so nothing below it can appear later.)
    """
    newest = latest_id(session)
    q = select(Change).where(Change.id > cursor, Change.id <= newest)
    if entity_type:
        q = q.where(Change.entity_type == entity_type)
    if isinstance(entity_id, str):
        q = q.where(Change.entity_id == entity_id)
    elif entity_id:
        q = q.where(Change.entity_id.in_(list(entity_id)))
    if project_id:
        q = q.where(Change.project_id == project_id)
    rows = list(session.scalars(q.order_by(Change.id).limit(limit)))
    if len(rows) == limit:
        return rows, rows[-1].id
    return rows, max(cursor, newest)


def latest_id(session: Session) -> int:
    return int(session.scalar(select(func.max(Change.id))) or 0)
