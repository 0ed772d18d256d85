"""Plots and debug samples of several tasks in one request (the compare page), like
``GET /scalars?task_id=..`` for scalars."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from corral.schemas.compare import (
    TaskDebugSampleOut,
    TaskDebugSamplesOut,
    TaskPlotOut,
    TaskPlotsOut,
    TaskSeriesIterations,
)
from corral.server.api.deps import AccessDep, SessionDep
from corral.server.api.events import MAX_COMPARED_TASKS, IterationQ, SeriesName, _json
from corral.server.api.guards import readable_tasks
from corral.server.services import plots
from corral.server.services.plots import Found

router = APIRouter(tags=["events"])

TaskIds = Annotated[list[str], Query(min_length=1, max_length=MAX_COMPARED_TASKS)]


def _iterations(task_id: str, found: Found) -> list[dict[str, Any]]:
    return [{"task_id": task_id, **it} for it in found.iterations_list()]


@router.get("/plots", response_model=TaskPlotsOut)
def compare_plots(
    session: SessionDep,
    access: AccessDep,
    task_id: TaskIds,
    metric: SeriesName = None,
    variant: SeriesName = None,
    iteration: IterationQ = None,
) -> Response:
    """The latest plot per (task, metric, variant) of several tasks (at most 12), or
    those at ``iteration``, with the iterations each task has per (metric, variant)."""
    ids = readable_tasks(access, session, task_id)
    items: list[dict[str, Any]] = []
    iterations: list[dict[str, Any]] = []
    for one in ids:
        found = plots.plots(session, one, metric=metric, variant=variant, iteration=iteration)
        items += [TaskPlotOut.model_validate(r).model_dump() for r in found.items]
        iterations += _iterations(one, found)
    # like GET /tasks/{id}/plots: orjson writes a figure's NaN and infinities as null
    return _json({"items": items, "iterations": iterations})


@router.get("/debug-samples", response_model=TaskDebugSamplesOut)
def compare_debug_samples(
    session: SessionDep,
    access: AccessDep,
    task_id: TaskIds,
    metric: SeriesName = None,
    variant: SeriesName = None,
    iteration: IterationQ = None,
) -> TaskDebugSamplesOut:
    """The latest debug sample per (task, metric, variant) of several tasks (at most 12),
    or those at ``iteration``, with the iterations each task has per (metric, variant)."""
    ids = readable_tasks(access, session, task_id)
    items: list[TaskDebugSampleOut] = []
    iterations: list[TaskSeriesIterations] = []
    for one in ids:
        found = plots.debug_samples(
            session, one, metric=metric, variant=variant, iteration=iteration
        )
        items += [TaskDebugSampleOut.model_validate(r) for r in found.items]
        iterations += [TaskSeriesIterations(**it) for it in _iterations(one, found)]
    return TaskDebugSamplesOut(items=items, iterations=iterations)
