"""Plot and debug-sample reads: the latest per (metric, variant), or those of one iteration.

Both come with the iterations available per (metric, variant), so that a UI can
offer a slider without reading every figure. Two queries each, portable to both
backends: the light columns of every matching row, then the chosen rows in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from corral.server.db.models import DebugSample, PlotEvent
from corral.server.services.scalars import check_tasks_exist

#: PlotEvent or DebugSample (same columns for what is read here)
Table = Any


@dataclass
class Found:
    items: list[Any]
    #: (metric, variant) -> iterations, ascending and unique
    iterations: dict[tuple[str, str], list[int]]

    def iterations_list(self) -> list[dict[str, Any]]:
        return [
            {"metric": m, "variant": v, "iterations": its}
            for (m, v), its in self.iterations.items()
        ]


def _find(
    session: Session,
    table: Table,
    task_id: str,
    *,
    metric: str | None,
    variant: str | None,
    iteration: int | None,
    every: bool = False,
    limit: int | None = None,
) -> Found:
    """The latest row per (metric, variant) at its highest iteration, or at ``iteration``;
    with ``every``, all rows (up to ``limit``). A later report wins a tie."""
    check_tasks_exist(session, [task_id])
    q = select(table.id, table.metric, table.variant, table.iteration).where(
        table.task_id == task_id
    )
    if metric is not None:
        q = q.where(table.metric == metric)
    if variant is not None:
        q = q.where(table.variant == variant)
    q = q.order_by(table.metric, table.variant, table.iteration, table.id)
    iterations: dict[tuple[str, str], list[int]] = {}
    chosen: dict[tuple[str, str], int] = {}
    every_id: list[int] = []
    for row in session.execute(q):
        key = (row.metric, row.variant)
        its = iterations.setdefault(key, [])
        if not its or its[-1] != row.iteration:
            its.append(row.iteration)
        if every:
            if iteration is None or row.iteration == iteration:
                every_id.append(row.id)
        elif iteration is None or row.iteration == iteration:
            chosen[key] = row.id  # rows come in (iteration, id) order: the last one wins
    ids = every_id[:limit] if every else list(chosen.values())
    if not ids:
        return Found([], iterations)
    rows = list(session.scalars(select(table).where(table.id.in_(ids))))
    rows.sort(key=lambda r: (r.metric, r.variant, r.iteration, r.id))
    return Found(rows, iterations)


def plots(
    session: Session,
    task_id: str,
    *,
    metric: str | None = None,
    variant: str | None = None,
    iteration: int | None = None,
    all_iterations: bool = False,
    limit: int = 100,
) -> Found:
    """Plots of a task: the latest per (metric, variant), those at ``iteration``, or with
    ``all_iterations`` every one (at most ``limit``) in iteration order."""
    return _find(
        session,
        PlotEvent,
        task_id,
        metric=metric,
        variant=variant,
        iteration=iteration,
        every=all_iterations,
        limit=limit,
    )


def debug_samples(
    session: Session,
    task_id: str,
    *,
    metric: str | None = None,
    variant: str | None = None,
    iteration: int | None = None,
) -> Found:
    """Debug samples of a task: the latest per (metric, variant), or those at ``iteration``."""
    return _find(session, DebugSample, task_id, metric=metric, variant=variant, iteration=iteration)
