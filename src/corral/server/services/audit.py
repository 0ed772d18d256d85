"""The audit log: who did what, when, from where.

Services call :func:`record` in the same transaction as the change it records,
so an entry exists exactly when the change does. The actor and the address are
the request's (``api.deps`` puts them in ``session.info``) unless given.
Failed logins are recorded by the login service in a transaction of their own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from corral.server.db.models import AuditEntry
from corral.server.services.clock import now

#: ``session.info`` key: (actor id, actor name, address) of the request
AUDIT_CONTEXT = "audit_context"


def set_context(
    session: Session, actor_id: str | None, actor_name: str, address: str | None
) -> None:
    session.info[AUDIT_CONTEXT] = (actor_id, actor_name, address)


def record(
    session: Session,
    action: str,
    *,
    target_type: str = "",
    target_id: str = "",
    target_name: str = "",
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
    actor: tuple[str | None, str] | None = None,
    address: str | None = None,
) -> AuditEntry:
    """Add one entry (``action`` is ``<noun>.<verb>``, e.g. ``key.revoked``)."""
    ctx_id, ctx_name, ctx_address = session.info.get(AUDIT_CONTEXT, (None, "", None))
    actor_id, actor_name = actor if actor is not None else (ctx_id, ctx_name)
    entry = AuditEntry(
        time=now(),
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_name=target_name[:1024],
        address=address if address is not None else ctx_address,
        outcome=outcome,
        detail=detail or {},
    )
    session.add(entry)
    session.flush()
    return entry


def prune(session: Session, days: float) -> int:
    """Drop entries older than ``days``; returns how many went."""
    cutoff: datetime = now() - timedelta(days=days)
    oldest = session.scalar(select(AuditEntry.id).where(AuditEntry.time < cutoff).limit(1))
    if oldest is None:
        return 0
    result = session.execute(delete(AuditEntry).where(AuditEntry.time < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
