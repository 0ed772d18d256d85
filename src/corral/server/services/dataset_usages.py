"""Lineage reads: which tasks used a dataset version, which versions a task used."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from corral.errors import ValidationError
from corral.schemas.datasets import DatasetUsage as UsageOut
from corral.server.db.models import DatasetUsage, DatasetVersion, Task
from corral.server.services import pagination

_SORT = "used"


def to_out(session: Session, usages: Sequence[DatasetUsage]) -> list[UsageOut]:
    """The wire form (with the using task's name, project and status)."""
    ids = list({u.task_id for u in usages})
    tasks = {t.id: t for t in session.scalars(select(Task).where(Task.id.in_(ids)))} if ids else {}
    return [
        UsageOut(
            task_id=u.task_id,
            task_name=tasks[u.task_id].name,
            project_id=tasks[u.task_id].project_id,
            status=tasks[u.task_id].status,
            alias=u.alias,
            dataset_id=u.version_id,
            used_at=u.used_at,
        )
        for u in usages
        if u.task_id in tasks
    ]


def of_version(
    session: Session,
    version_id: str,
    visible: frozenset[str] | None,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[UsageOut], str | None]:
    """A page of the version's usages by readable tasks, newest first."""
    u = DatasetUsage
    q = select(u).join(Task, Task.id == u.task_id).where(u.version_id == version_id)
    if visible is not None:
        q = q.where(Task.project_id.in_(list(visible)))
    if cursor:
        used_at, key = pagination.decode_cursor(cursor, _SORT, lambda x: isinstance(x, datetime))
        task_id, _, alias = str(key).partition("/")
        if not task_id:
            raise ValidationError("invalid cursor; pass back next_cursor exactly as received")
        q = q.where(
            or_(
                u.used_at < used_at,
                and_(
                    u.used_at == used_at,
                    or_(u.task_id < task_id, and_(u.task_id == task_id, u.alias < alias)),
                ),
            )
        )
    q = q.order_by(u.used_at.desc(), u.task_id.desc(), u.alias.desc()).limit(limit + 1)
    rows = list(session.scalars(q))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = pagination.encode_cursor(_SORT, last.used_at, f"{last.task_id}/{last.alias}")
    return to_out(session, rows), next_cursor


def of_task(session: Session, task_id: str, visible: frozenset[str] | None) -> list[UsageOut]:
    """The versions the task used (those in the caller's projects), by alias."""
    u, v = DatasetUsage, DatasetVersion
    q = select(u).join(v, v.id == u.version_id).where(u.task_id == task_id).order_by(u.alias)
    if visible is not None:
        q = q.where(v.project_id.in_(list(visible)))
    return to_out(session, list(session.scalars(q)))
