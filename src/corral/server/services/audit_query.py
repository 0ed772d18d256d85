"""Reading the audit log: filters and a cursor, newest first (``GET /audit``).

The cursor is the id of the last entry of a page: the next page holds the
entries with a smaller id, so entries added meanwhile never shift a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from corral.errors import ValidationError
from corral.server.db.models import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    """What ``GET /audit`` filters on; empty fields match everything."""

    #: the actor's user id or name
    actor: str | None = None
    #: an exact action (``key.created``) or a prefix ending in ``*`` (``login.*``)
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _bad(field: str, message: str) -> ValidationError:
    return ValidationError(
        f"{field}: {message}",
        errors=[{"loc": ["query", field], "msg": message, "type": "value_error"}],
    )


def _cursor(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 19:
        raise _bad("cursor", "not a cursor of this list; pass next_cursor back as it came")
    return int(value)


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(
    session: Session, where: AuditFilter, *, limit: int, cursor: str | None = None
) -> tuple[list[AuditEntry], str | None]:
    """A page of entries, newest first, and the cursor of the next page (None: the end)."""
    q = select(AuditEntry)
    after = _cursor(cursor)
    if after is not None:
        q = q.where(AuditEntry.id < after)
    if where.actor:
        q = q.where(or_(AuditEntry.actor_id == where.actor, AuditEntry.actor_name == where.actor))
    if where.action:
        action = where.action
        if "*" in action[:-1]:
            raise _bad("action", "only a trailing * is understood, as in login.*")
        if action.endswith("*"):
            if action[:-1]:
                q = q.where(AuditEntry.action.like(_like_prefix(action[:-1]), escape="\\"))
        else:
            q = q.where(AuditEntry.action == action)
    if where.target_type:
        q = q.where(AuditEntry.target_type == where.target_type)
    if where.target_id:
        q = q.where(AuditEntry.target_id == where.target_id)
    if where.outcome:
        q = q.where(AuditEntry.outcome == where.outcome)
    if where.since is not None:
        q = q.where(AuditEntry.time >= where.since)
    if where.until is not None:
        q = q.where(AuditEntry.time < where.until)
    rows = list(session.scalars(q.order_by(AuditEntry.id.desc()).limit(limit + 1)))
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, str(rows[-1].id)
    return rows, None
