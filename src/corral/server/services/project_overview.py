"""A project at a glance: its subtree's tasks by status, compute time, running, recent, best.

Every figure covers the project and all its subprojects the caller may read (the
``visible`` projects of ``auth.policy.Access``). The counts are one ``GROUP BY`` over
the subtree; the lists are pages of ``task_query.list_tasks`` (so they sort exactly as
the experiments table does).

Example::

    overview = project_overview(session, project_id, visible=None, best_by=parse_best_by(
        "accuracy:val:max", "max"
    ))
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from sqlalchemy import Float, cast, extract, func, select
from sqlalchemy.orm import Session

from corral.errors import ValidationError
from corral.schemas.projects import BestBy, ProjectOut, ProjectOverview
from corral.schemas.tasks import TaskBrief
from corral.server.db.models import Model, Project, Task, TaskMetricSummary
from corral.server.services import projects
from corral.server.services.task_query import (
    METRIC_AGGREGATES,
    TaskFilter,
    apply_filter,
    list_tasks,
)

RUNNING_MAX = 20
RECENT_MAX = 10
BEST_MAX = 10
SERIES_MAX = 500


def parse_best_by(metric: str | None, order: str | None) -> BestBy | None:
    """``METRIC:VARIANT:last|min|max`` (segments percent-decoded) and ``max|min``.

    Raises:
        ValidationError: a malformed metric or order.
    """
    if order is not None and order not in ("max", "min"):
        raise ValidationError(f"order must be 'max' or 'min', not {order!r}")
    if not metric:
        if order is not None:
            raise ValidationError("order needs a metric (metric=METRIC:VARIANT:last|min|max)")
        return None
    parts = [unquote(p) for p in metric.split(":")]
    if len(parts) != 3 or not all(parts) or parts[2] not in METRIC_AGGREGATES:
        raise ValidationError(
            f"metric must be METRIC:VARIANT:{'|'.join(METRIC_AGGREGATES)} "
            f"(a ':' in a name written %3A), not {metric!r}"
        )
    return BestBy(metric=parts[0], variant=parts[1], value=parts[2], order=order or "max")  # type: ignore[arg-type]


def _duration_seconds(session: Session) -> Any:
    """Seconds from a task's start to its end (a running task: to its last report)."""
    end = func.coalesce(Task.completed_at, Task.last_update)
    if session.get_bind().dialect.name == "postgresql":
        return cast(extract("epoch", end - Task.started_at), Float)
    return (func.julianday(end) - func.julianday(Task.started_at)) * 86400.0


def _briefs(session: Session, f: TaskFilter, sort: str, limit: int) -> list[TaskBrief]:
    rows, _, _ = list_tasks(session, f, sort=sort, limit=limit, cursor=None)
    return [TaskBrief.model_validate(r) for r in rows]


def project_overview(
    session: Session,
    project: ProjectOut,
    *,
    visible: frozenset[str] | None,
    best_by: BestBy | None,
) -> ProjectOverview:
    """The overview of ``project`` (its ``ProjectOut``, with the subtree's figures)."""
    scope = TaskFilter(project_ids=[project.id], archived=None, visible=visible)
    ids = apply_filter(session, select(Task.id), scope).subquery("scope")
    counts: dict[str, int] = {}
    archived = 0
    compute = 0.0
    by_status = (
        select(
            Task.status,
            Task.archived,
            func.count(),
            func.coalesce(func.sum(_duration_seconds(session)), 0.0),
        )
        .where(Task.id.in_(select(ids.c.id)))
        .group_by(Task.status, Task.archived)
    )
    for status, is_archived, n, seconds in session.execute(by_status):
        if is_archived:
            archived += int(n)
        else:
            counts[status] = counts.get(status, 0) + int(n)
        compute += max(float(seconds or 0.0), 0.0)

    subtree = [project.id, *(p.id for p in projects.descendants(session, _row(session, project)))]
    if visible is not None:
        subtree = [pid for pid in subtree if pid in visible]
    model_count = session.scalar(
        select(func.count()).select_from(Model).where(Model.project_id.in_(subtree))
    )
    series = session.execute(
        select(TaskMetricSummary.metric, TaskMetricSummary.variant)
        .where(TaskMetricSummary.task_id.in_(select(ids.c.id)))
        .distinct()
        .order_by(TaskMetricSummary.metric, TaskMetricSummary.variant)
        .limit(SERIES_MAX)
    )
    live = TaskFilter(project_ids=[project.id], visible=visible)
    running = TaskFilter(project_ids=[project.id], visible=visible, status=["in_progress"])
    best: list[TaskBrief] = []
    if best_by is not None:
        sign = "-" if best_by.order == "max" else ""
        spec = f"{sign}metric:{_quote(best_by.metric)}:{_quote(best_by.variant)}:{best_by.value}"
        ranked = _briefs(session, live, spec, BEST_MAX)
        # tasks without the series come last in both directions: they are not "best"
        best = [t for t in ranked if _has(t, best_by)]
    return ProjectOverview(
        project=project,
        counts=counts,
        archived_count=archived,
        model_count=int(model_count or 0),
        subproject_count=len(subtree) - 1,
        compute_seconds=round(compute, 3),
        running=_briefs(session, running, "-last_update", RUNNING_MAX),
        recent=_briefs(session, live, "-last_update", RECENT_MAX),
        best=best,
        best_by=best_by,
        metric_series=[f"{_quote(m)}:{_quote(v)}" for m, v in series],
    )


def _row(session: Session, project: ProjectOut) -> Project:
    return projects.get_project(session, project.id)


def _quote(segment: str) -> str:
    return segment.replace("%", "%25").replace(":", "%3A")


def _has(task: TaskBrief, best_by: BestBy) -> bool:
    value = (task.last_metrics.get(best_by.metric) or {}).get(best_by.variant) or {}
    return value.get(best_by.value) is not None
