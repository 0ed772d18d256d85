"""Scalars: stored as packed chunks with per-series summaries; read back downsampled.

A series is stored as chunks (one per ingested batch) of packed little-endian
arrays, and summarised (last/min/max/count) as batches arrive. A read decodes
the chunks with numpy (no per-point Python objects), merges them in iteration
order and cuts the result into at most ``max_points`` buckets with a min/max
envelope (``corral.core.downsample``).

A read may keep only an iteration range (a chart zoomed in): the chunks' iteration
bounds (``first_iteration`` is the last column of the series index) pick the chunks
that overlap it, so a zoom into a million-point series decodes only a few chunks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Table, bindparam, select
from sqlalchemy.orm import Session

from corral.core.downsample import downsample, merge_sorted
from corral.errors import NotFoundError, ValidationError
from corral.server.db.models import ScalarChunk, Task, TaskMetricSummary

if TYPE_CHECKING:
    import numpy as np


def check_tasks_exist(session: Session, task_ids: Sequence[str]) -> None:
    found = set(session.scalars(select(Task.id).where(Task.id.in_(task_ids))))
    missing = [t for t in task_ids if t not in found]
    if missing:
        raise NotFoundError(f"no task with id {missing[0]!r}")


def summaries(session: Session, task_id: str) -> list[TaskMetricSummary]:
    """Last/min/max/count of every series of a task, by metric and variant."""
    check_tasks_exist(session, [task_id])
    t = TaskMetricSummary
    q = select(t).where(t.task_id == task_id).order_by(t.metric, t.variant)
    return list(session.scalars(q))


@dataclass
class SeriesData:
    """One series ready to send: numpy columns.

    ``min``/``max`` are the envelope of a downsampled series; ``None`` at full
    resolution, where they would repeat ``values`` (twice the bytes to encode, send
    and decode for nothing).
    """

    task_id: str
    metric: str
    variant: str
    iterations: np.ndarray
    values: np.ndarray
    min: np.ndarray | None
    max: np.ndarray | None
    times: np.ndarray
    total_points: int
    downsampled: bool

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _decode(
    iterations: bytes, values: bytes, times: bytes
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import numpy as np

    return (
        np.frombuffer(iterations, dtype="<i8"),
        np.frombuffer(values, dtype="<f8"),
        np.frombuffer(times, dtype="<f8"),
    )


def _fetch(session: Session, q: Any) -> Sequence[Sequence[Any]]:
    """All rows of ``q``. On PostgreSQL the rows come in binary format: psycopg otherwise
    moves ``bytea`` as hex text, which makes a million-point read four times slower."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return conn.execute(q).all()
    compiled = q.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    raw: Any = conn.connection.dbapi_connection
    with raw.cursor(binary=True) as cur:
        cur.execute(compiled.string, compiled.params)
        return cast(Sequence[Sequence[Any]], cur.fetchall())


def read_series(
    session: Session,
    task_ids: Sequence[str],
    *,
    metric: str | None = None,
    variant: str | None = None,
    max_points: int = 2000,
    full: bool = False,
    first_iteration: int | None = None,
    last_iteration: int | None = None,
) -> list[SeriesData]:
    """Every series of ``task_ids`` (or those of ``metric``/``variant``), in iteration order.

    With ``full`` every point is returned; otherwise at most ``max_points`` per series.
    ``first_iteration``/``last_iteration`` (inclusive, either may be left out) keep the
    points in that range: they are what is downsampled, and ``total_points`` counts
    them. A series without a point in the range is left out. Chunks are read in arrival
    order so that, for points at the same iteration, the later report comes last.
    """
    if (
        first_iteration is not None
        and last_iteration is not None
        and first_iteration > last_iteration
    ):
        raise ValidationError(
            f"first_iteration ({first_iteration}) is after last_iteration ({last_iteration})"
        )
    check_tasks_exist(session, task_ids)
    c = ScalarChunk
    q = select(c.id, c.task_id, c.metric, c.variant, c.iterations, c.values, c.times).where(
        c.task_id.in_(task_ids)
    )
    if metric is not None:
        q = q.where(c.metric == metric)
    if variant is not None:
        q = q.where(c.variant == variant)
    # a chunk overlaps the range when it starts before its end and ends after its start
    if last_iteration is not None:
        q = q.where(c.first_iteration <= last_iteration)
    if first_iteration is not None:
        q = q.where(c.last_iteration >= first_iteration)
    # The order of the series index: sorting by anything else would make the database
    # copy every chunk's arrays through a sorter. Arrival order is restored below.
    q = q.order_by(c.task_id, c.metric, c.variant, c.first_iteration)
    grouped: dict[tuple[str, str, str], list[Any]] = {}
    for row in _fetch(session, q):
        grouped.setdefault((row[1], row[2], row[3]), []).append(row)
    order = {t: i for i, t in enumerate(task_ids)}
    out = []
    for (task_id, m, v), rows in sorted(grouped.items(), key=lambda kv: order[kv[0][0]]):
        rows.sort(key=lambda r: r[0])
        its, values, times = merge_sorted([_decode(r[4], r[5], r[6]) for r in rows])
        if first_iteration is not None or last_iteration is not None:
            its, values, times = _within(its, values, times, first_iteration, last_iteration)
            if len(its) == 0:
                continue
        n = len(its)
        if full or n <= max_points:
            out.append(SeriesData(task_id, m, v, its, values, None, None, times, n, False))
            continue
        s = downsample(its, values, times, max_points)
        out.append(
            SeriesData(task_id, m, v, s.iterations, s.values, s.min, s.max, s.times, n, True)
        )
    return out


def _within(
    its: np.ndarray,
    values: np.ndarray,
    times: np.ndarray,
    first: int | None,
    last: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points with ``first <= iteration <= last`` of a series sorted by iteration."""
    import numpy as np

    lo = 0 if first is None else int(np.searchsorted(its, first, side="left"))
    hi = len(its) if last is None else int(np.searchsorted(its, last, side="right"))
    return its[lo:hi], values[lo:hi], times[lo:hi]


# --- storing ---------------------------------------------------------------------------------

SeriesKey = tuple[str, str]

_chunks = cast(Table, ScalarChunk.__table__)
_summaries = cast(Table, TaskMetricSummary.__table__)
_READ_SUMMARIES = select(
    _summaries.c.metric,
    _summaries.c.variant,
    _summaries.c.last,
    _summaries.c.iteration,
    _summaries.c.last_time,
    _summaries.c.min,
    _summaries.c.max,
    _summaries.c.count,
).where(
    _summaries.c.task_id == bindparam("task_id"),
    _summaries.c.metric.in_(bindparam("metrics", expanding=True)),
)
_UPDATE_SUMMARY = _summaries.update().where(
    _summaries.c.task_id == bindparam("k_task"),
    _summaries.c.metric == bindparam("k_metric"),
    _summaries.c.variant == bindparam("k_variant"),
)


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


@dataclass
class Summary:
    """What a run of points says about its series: folded into the stored summary.

    ``last`` is the value at the highest iteration (a later report wins a tie);
    ``min``/``max`` leave out NaN and infinities; a non-finite ``last`` is ``None``.
    """

    last: float | None
    iteration: int
    last_time: float
    min: float | None
    max: float | None
    count: int

    @classmethod
    def of(cls, its: np.ndarray, values: np.ndarray, times: np.ndarray) -> Summary:
        import numpy as np

        # the last occurrence of the highest iteration: a later report wins a tie
        at = len(its) - 1 - int(np.argmax(its[::-1]))
        # NaN (a missing value) and infinities, which JSON cannot carry, are left out
        finite = np.isfinite(values)
        lo: float | None
        hi: float | None
        if finite.all():
            lo, hi = float(values.min()), float(values.max())
        elif finite.any():
            known = values[finite]
            lo, hi = float(known.min()), float(known.max())
        else:
            lo = hi = None
        return cls(
            last=_finite_or_none(float(values[at])),
            iteration=int(its[at]),
            last_time=float(times[at]),
            min=lo,
            max=hi,
            count=len(its),
        )

    def after(self, earlier: Summary) -> Summary:
        """This summary folded onto one of points reported before."""
        newer = self.iteration >= earlier.iteration
        head = self if newer else earlier
        return Summary(
            last=head.last,
            iteration=head.iteration,
            last_time=head.last_time,
            min=_pick(min, earlier.min, self.min),
            max=_pick(max, earlier.max, self.max),
            count=earlier.count + self.count,
        )

    def as_last_metric(self) -> dict[str, Any]:
        return {"last": self.last, "min": self.min, "max": self.max, "iteration": self.iteration}


def _pick(f: Any, a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return float(f(a, b))


def store(
    conn: Connection,
    task_id: str,
    last_metrics: dict[str, Any],
    series: dict[SeriesKey, tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> dict[str, Any]:
    """Store a batch's points: one chunk per series (iterations, values, times in arrival
    order), summaries folded in. Returns the task's new ``last_metrics``.

    The caller holds the task's row lock, so that summaries are folded one batch at a time.
    """
    chunks: list[dict[str, Any]] = []
    fresh: dict[SeriesKey, Summary] = {}
    for (metric, variant), (its, values, times) in series.items():
        chunks.append(
            {
                "task_id": task_id,
                "metric": metric,
                "variant": variant,
                "first_iteration": int(its.min()),
                "last_iteration": int(its.max()),
                "count": len(its),
                "iterations": its.astype("<i8", copy=False).tobytes(),
                "values": values.astype("<f8", copy=False).tobytes(),
                "times": times.astype("<f8", copy=False).tobytes(),
            }
        )
        fresh[(metric, variant)] = Summary.of(its, values, times)
    conn.execute(_chunks.insert(), chunks)
    return _fold_summaries(conn, task_id, last_metrics, fresh)


def _fold_summaries(
    conn: Connection,
    task_id: str,
    last_metrics: dict[str, Any],
    fresh: dict[SeriesKey, Summary],
) -> dict[str, Any]:
    """Fold this batch's summaries into the stored ones (the task row is locked)."""
    params = {"task_id": task_id, "metrics": sorted({m for m, _ in fresh})}
    stored = {
        (metric, variant): Summary(last, iteration, last_time, lo, hi, count)
        for metric, variant, last, iteration, last_time, lo, hi, count in conn.execute(
            _READ_SUMMARIES, params
        )
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    last_metrics = {m: dict(v) for m, v in last_metrics.items()}
    for (metric, variant), summary in fresh.items():
        before = stored.get((metric, variant))
        merged = summary if before is None else summary.after(before)
        row = {
            "last": merged.last,
            "iteration": merged.iteration,
            "last_time": merged.last_time,
            "min": merged.min,
            "max": merged.max,
            "count": merged.count,
        }
        if before is None:
            inserts.append({"task_id": task_id, "metric": metric, "variant": variant, **row})
        else:
            updates.append({"k_task": task_id, "k_metric": metric, "k_variant": variant, **row})
        last_metrics.setdefault(metric, {})[variant] = merged.as_last_metric()
    if inserts:
        conn.execute(_summaries.insert(), inserts)
    if updates:
        conn.execute(_UPDATE_SUMMARY, updates)
    return last_metrics
