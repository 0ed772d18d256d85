"""The audit log, for admins: who did what, when, from where."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Query

from corral.schemas.audit import AuditEntryOut, Outcome
from corral.schemas.common import Page
from corral.server.api.deps import AdminUser, SessionDep
from corral.server.services.audit_query import AuditFilter, search

router = APIRouter(tags=["audit"])

#: the most entries one page holds
AUDIT_PAGE_MAX = 500

Short = Annotated[str | None, Query(max_length=255)]


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


@router.get("/audit", response_model=Page[AuditEntryOut])
def list_audit(
    session: SessionDep,
    _admin: AdminUser,
    actor: Short = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    target_type: Short = None,
    target_id: Short = None,
    outcome: Outcome | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=AUDIT_PAGE_MAX)] = 100,
) -> Page[AuditEntryOut]:
    """Entries newest first. ``actor``: user id or name; ``action``: exact or a prefix
    ending in ``*`` (``login.*``); ``since``/``until``: ISO times (UTC when no zone);
    pass ``next_cursor`` back as ``cursor`` for the next page."""
    where = AuditFilter(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        outcome=outcome,
        since=_utc(since),
        until=_utc(until),
    )
    rows, next_cursor = search(session, where, limit=limit, cursor=cursor)
    return Page[AuditEntryOut](
        items=[AuditEntryOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )
