"""Model reports: scalars and plots reported for a model, stored and read back.

A model's reports are few (a handful of curves, tables and single values), so they
are stored one row per point or plot in ``model_events`` and read back in the shapes
of a task's reads (``ScalarsOut``, ``PlotsOut``), so that the same charts draw them.
A scalar series is returned point by point, downsampled like a task's when it is long.
"""

from __future__ import annotations

import math
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from corral.core.downsample import downsample
from corral.errors import ValidationError
from corral.schemas.events import INT64_MAX, INT64_MIN, PlotIn, ScalarIn, ScalarsIn
from corral.schemas.models import ModelEventsIn
from corral.server.db.models import Model, ModelEvent
from corral.server.services.events import _check_no_nul, _plot_row
from corral.server.services.models import get_model
from corral.server.services.plots import Found
from corral.server.services.scalars import SeriesData
from corral.server.settings import Limits

SCALAR = "scalar"
PLOT = "plot"


def _value(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _scalar_rows(index: int, event: ScalarIn | ScalarsIn, now: float) -> list[dict[str, Any]]:
    _check_no_nul(index, event, ("metric", "variant"))
    base = {"kind": SCALAR, "metric": event.metric, "variant": event.variant}
    if isinstance(event, ScalarIn):
        t = now if event.time is None else event.time
        return [{**base, "iteration": event.iteration, "value": _value(event.value), "time": t}]
    rows = []
    for i, (iteration, value) in enumerate(zip(event.iterations, event.values, strict=True)):
        if not INT64_MIN <= iteration <= INT64_MAX:
            raise ValidationError(
                f"events[{index}].iterations[{i}]: {iteration} is outside the int64 range"
            )
        if event.times is not None:
            t = event.times[i]
        else:
            t = now if event.time is None else event.time
        rows.append({**base, "iteration": iteration, "value": _value(value), "time": t})
    return rows


def ingest(session: Session, model_id: str, batch: ModelEventsIn, limits: Limits) -> int:
    """Store a batch of a model's reports; returns the rows stored (0 for a duplicate).

    Raises:
        NotFoundError: no such model.
        ValidationError: a bad event (names the event).
        PayloadTooLargeError: a plot over the hub's plot size limit.
    """
    model: Model = get_model(session, model_id, for_update=True)
    now = time.time()
    rows: list[dict[str, Any]] = []
    for index, event in enumerate(batch.events):
        if isinstance(event, PlotIn):
            rows.append({**_plot_row(index, event, limits, now), "kind": PLOT})
        else:
            rows.extend(_scalar_rows(index, event, now))
    if len(rows) > limits.events_per_batch:
        raise ValidationError(
            f"the batch holds {len(rows)} points; the limit is {limits.events_per_batch}"
        )
    seen = session.scalar(
        select(ModelEvent.id)
        .where(ModelEvent.model_id == model.id, ModelEvent.batch_id == batch.batch_id)
        .limit(1)
    )
    if seen is not None:
        return 0
    session.add_all(ModelEvent(model_id=model.id, batch_id=batch.batch_id, **r) for r in rows)
    session.flush()
    return len(rows)


def read_scalars(
    session: Session,
    model_id: str,
    *,
    metric: str | None = None,
    variant: str | None = None,
    max_points: int = 2000,
) -> list[SeriesData]:
    """Every scalar series of the model, in iteration order (later reports last)."""
    import numpy as np

    get_model(session, model_id)
    e = ModelEvent
    q = select(e.metric, e.variant, e.iteration, e.value, e.time).where(
        e.model_id == model_id, e.kind == SCALAR
    )
    if metric is not None:
        q = q.where(e.metric == metric)
    if variant is not None:
        q = q.where(e.variant == variant)
    q = q.order_by(e.metric, e.variant, e.iteration, e.id)
    grouped: dict[tuple[str, str], list[Any]] = {}
    for row in session.execute(q):
        grouped.setdefault((row.metric, row.variant), []).append(row)
    out = []
    for (m, v), points in grouped.items():
        its = np.array([p.iteration for p in points], dtype=np.int64)
        values = np.array([_value(p.value) for p in points], dtype=np.float64)
        times = np.array([p.time for p in points], dtype=np.float64)
        n = len(its)
        if n <= max_points:
            out.append(SeriesData(model_id, m, v, its, values, None, None, times, n, False))
            continue
        s = downsample(its, values, times, max_points)
        out.append(
            SeriesData(model_id, m, v, s.iterations, s.values, s.min, s.max, s.times, n, True)
        )
    return out


def read_plots(
    session: Session,
    model_id: str,
    *,
    metric: str | None = None,
    variant: str | None = None,
    iteration: int | None = None,
) -> Found:
    """The model's latest plot per (metric, variant), or those at ``iteration``, with the
    iterations that have a plot per (metric, variant)."""
    get_model(session, model_id)
    e = ModelEvent
    q = select(e.id, e.metric, e.variant, e.iteration).where(e.model_id == model_id, e.kind == PLOT)
    if metric is not None:
        q = q.where(e.metric == metric)
    if variant is not None:
        q = q.where(e.variant == variant)
    q = q.order_by(e.metric, e.variant, e.iteration, e.id)
    iterations: dict[tuple[str, str], list[int]] = {}
    chosen: dict[tuple[str, str], int] = {}
    for row in session.execute(q):
        key = (row.metric, row.variant)
        its = iterations.setdefault(key, [])
        if not its or its[-1] != row.iteration:
            its.append(row.iteration)
        if iteration is None or row.iteration == iteration:
            chosen[key] = row.id  # (iteration, id) order: the last report wins
    if not chosen:
        return Found([], iterations)
    rows = list(session.scalars(select(e).where(e.id.in_(list(chosen.values())))))
    rows.sort(key=lambda r: (r.metric, r.variant, r.iteration, r.id))
    return Found(rows, iterations)
