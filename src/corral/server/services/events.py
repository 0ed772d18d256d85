"""Event ingestion: a batch of mixed events, checked whole, stored once, in one transaction.

The order of work in :func:`ingest`:

1. check the batch against the limits and turn scalars into numpy columns, one
   series per (metric, variant), before the database is touched: a rejected
   batch stores nothing;
2. lock the task row (PostgreSQL; SQLite's write transaction is already
   exclusive) so that concurrent batches of one task do not lose summary
   updates, and check that it accepts reports;
3. claim the batch id (an ``event_batches`` row, ``INSERT ... ON CONFLICT DO
   NOTHING``): a batch id already there, or inserted by a concurrent request,
   makes it a duplicate;
4. bulk-insert one ``scalar_chunks`` row per series, the console lines in
   order, the plots and debug samples; fold the scalars into the per-series
   summaries and the task's ``last_metrics``; record one change.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, cast

import orjson
from sqlalchemy import Connection, Table, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from corral.core.task_status import REPORTABLE, check_reportable
from corral.errors import NotFoundError, PayloadTooLargeError, ValidationError
from corral.schemas.events import (
    DebugSampleIn,
    EventBatchIn,
    IngestResult,
    LogIn,
    PlotIn,
    ScalarIn,
    ScalarsIn,
)
from corral.server.db.models import DebugSample, EventBatch, LogEvent, PlotEvent, Task
from corral.server.services import changes, scalars
from corral.server.settings import Limits

if TYPE_CHECKING:
    import numpy as np


@dataclass
class _Series:
    """The points of one (metric, variant) in this batch, in arrival order."""

    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    # per-point events are gathered in lists and turned into arrays once
    iterations: list[int] = field(default_factory=list)
    values: list[float | None] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        import numpy as np

        parts = list(self.parts)
        if self.iterations:
            parts.append(
                (
                    np.array(self.iterations, dtype=np.int64),
                    np.array(self.values, dtype=np.float64),
                    np.array(self.times, dtype=np.float64),
                )
            )
        if len(parts) == 1:
            return parts[0]
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
        )


@dataclass
class Prepared:
    """A batch checked against the limits, ready to store."""

    series: dict[tuple[str, str], _Series] = field(default_factory=dict)
    logs: list[dict[str, Any]] = field(default_factory=list)
    plots: list[dict[str, Any]] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    points: int = 0
    max_iteration: int | None = None

    @property
    def total(self) -> int:
        return self.points + len(self.logs) + len(self.plots) + len(self.samples)

    def saw_iteration(self, iteration: int) -> None:
        if self.max_iteration is None or iteration > self.max_iteration:
            self.max_iteration = iteration


#: series of the SDK's resource monitor, whose "iterations" are seconds since the run
#: started: they do not count towards the task's last iteration
MONITOR_PREFIX = ":monitor:"


def _field_error(index: int, name: str, msg: str, kind: str) -> list[dict[str, Any]]:
    return [{"loc": ["body", "events", index, name], "msg": msg, "type": kind}]


def _check_no_nul(index: int, event: Any, names: tuple[str, ...]) -> None:
    # PostgreSQL cannot store NUL in text; refuse it on both backends alike.
    for name in names:
        value = getattr(event, name)
        if value and "\x00" in value:
            raise ValidationError(
                f"events[{index}].{name}: NUL characters are not allowed",
                errors=_field_error(index, name, "NUL characters are not allowed", "string_nul"),
            )


def _count(batch: EventBatchIn) -> int:
    return sum(len(e.iterations) if type(e) is ScalarsIn else 1 for e in batch.events)


def prepare(batch: EventBatchIn, limits: Limits, now: float) -> Prepared:
    """Check a batch against ``limits`` and group its events; raises before any write."""
    total = _count(batch)
    if total > limits.events_per_batch:
        raise PayloadTooLargeError(
            f"the batch holds {total} events and points; the limit is "
            f"{limits.events_per_batch} per batch. Send smaller batches."
        )
    prep = Prepared()
    series = prep.series
    # the per-point form may bring 100k events: keep this loop lean
    for i, event in enumerate(batch.events):
        if type(event) is ScalarIn:
            s = series.get((event.metric, event.variant)) or _series(prep, i, event)
            s.iterations.append(event.iteration)
            s.values.append(event.value)
            s.times.append(now if event.time is None else event.time)
            prep.points += 1
        elif type(event) is ScalarsIn:
            _add_columns(prep, i, event, now)
        elif type(event) is LogIn:
            prep.logs.append(_log_row(i, event, limits, now))
        elif type(event) is PlotIn:
            prep.plots.append(_plot_row(i, event, limits, now))
            prep.saw_iteration(event.iteration)
        elif type(event) is DebugSampleIn:
            prep.samples.append(_sample_row(i, event, now))
            prep.saw_iteration(event.iteration)
    return prep


def _series(prep: Prepared, index: int, event: ScalarIn | ScalarsIn) -> _Series:
    key = (event.metric, event.variant)
    s = prep.series.get(key)
    if s is None:
        _check_no_nul(index, event, ("metric", "variant"))
        s = prep.series[key] = _Series()
    return s


def _add_columns(prep: Prepared, index: int, event: ScalarsIn, now: float) -> None:
    import numpy as np

    n = len(event.iterations)
    if n == 0:
        return
    try:
        its = np.array(event.iterations, dtype=np.int64)
    except OverflowError:
        msg = "every iteration must fit in a signed 64-bit integer"
        raise ValidationError(
            f"events[{index}].iterations: {msg}",
            errors=_field_error(index, "iterations", msg, "int_range"),
        ) from None
    values = np.array(event.values, dtype=np.float64)  # None -> NaN
    if event.times is not None:
        times = np.array(event.times, dtype=np.float64)
        if not np.isfinite(times).all():
            msg = "every time must be a finite number of seconds since the epoch"
            raise ValidationError(
                f"events[{index}].times: {msg}",
                errors=_field_error(index, "times", msg, "finite_number"),
            )
    else:
        times = np.full(n, now if event.time is None else event.time, dtype=np.float64)
    _series(prep, index, event).parts.append((its, values, times))
    prep.points += n


def _log_row(index: int, event: LogIn, limits: Limits, now: float) -> dict[str, Any]:
    if len(event.text) > limits.log_line_chars:
        msg = f"a console event may hold at most {limits.log_line_chars} characters"
        raise ValidationError(
            f"events[{index}].text: {msg}; split long output",
            errors=_field_error(index, "text", msg, "string_too_long"),
        )
    _check_no_nul(index, event, ("level", "worker"))
    text = event.text
    if "\x00" in text:
        # console output may carry anything; NUL cannot be stored, so it becomes visible
        text = text.replace("\x00", "\ufffd")
    return {
        "time": now if event.time is None else event.time,
        "stream": event.stream,
        "level": event.level,
        "text": text,
        "worker": event.worker,
    }


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _figure(index: int, figure: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """The figure as JSON and as the value to store: NaN and infinities become null
    (as in any plotly JSON export), so that every backend can store it."""
    try:
        data = orjson.dumps(figure)
        return data, orjson.loads(data)
    except orjson.JSONEncodeError:  # integers beyond 64 bits, which only json can write
        pass
    try:
        return json.dumps(figure, allow_nan=False).encode(), figure
    except ValueError:
        msg = "a figure with integers beyond 64 bits must not hold NaN or infinities"
        raise ValidationError(
            f"events[{index}].figure: {msg}",
            errors=_field_error(index, "figure", msg, "value_error"),
        ) from None


def _plot_row(index: int, event: PlotIn, limits: Limits, now: float) -> dict[str, Any]:
    _check_no_nul(index, event, ("metric", "variant"))
    data, figure = _figure(index, event.figure)
    if len(data) > limits.plot_bytes:
        raise PayloadTooLargeError(
            f"events[{index}]: the plot is {len(data)} bytes of JSON; the limit is "
            f"{limits.plot_bytes} bytes per plot. Reduce its points or report it as a file."
        )
    # cheap test first: a NUL in a string is escaped as \u0000 in the JSON
    if b"\\u0000" in data and _has_nul(figure):
        msg = "NUL characters are not allowed"
        raise ValidationError(
            f"events[{index}].figure: {msg}",
            errors=_field_error(index, "figure", msg, "string_nul"),
        )
    return {
        "metric": event.metric,
        "variant": event.variant,
        "iteration": event.iteration,
        "time": now if event.time is None else event.time,
        "figure": figure,
    }


def _sample_row(index: int, event: DebugSampleIn, now: float) -> dict[str, Any]:
    _check_no_nul(index, event, ("metric", "variant", "uri", "content_type"))
    return {
        "metric": event.metric,
        "variant": event.variant,
        "iteration": event.iteration,
        "time": now if event.time is None else event.time,
        "uri": event.uri,
        "content_type": event.content_type,
    }


# --- storing -------------------------------------------------------------------------------
# Statements are built once: a batch runs a handful of them, and building and
# caching SQLAlchemy constructs per call would cost more than executing them.

_tasks = cast(Table, Task.__table__)
_batches = cast(Table, EventBatch.__table__)
_event_tables = (
    cast(Table, LogEvent.__table__),
    cast(Table, PlotEvent.__table__),
    cast(Table, DebugSample.__table__),
)

_READ_TASK = select(
    _tasks.c.status, _tasks.c.project_id, _tasks.c.last_metrics, _tasks.c.last_iteration
).where(_tasks.c.id == bindparam("task_id"))
_READ_TASK_LOCKED = _READ_TASK.with_for_update()
_UPDATE_TASK = _tasks.update().where(_tasks.c.id == bindparam("task_id"))
_BATCH_SEEN = select(_batches.c.batch_id).where(
    _batches.c.task_id == bindparam("task_id"), _batches.c.batch_id == bindparam("batch_id")
)
_CLAIM_BATCH = {
    name: insert(_batches)
    .on_conflict_do_nothing(index_elements=["task_id", "batch_id"])
    .execution_options(preserve_rowcount=True)  # psycopg leaves it -1 otherwise
    for name, insert in (("sqlite", sqlite_insert), ("postgresql", pg_insert))
}


@dataclass
class _TaskState:
    id: str
    status: str
    project_id: str
    last_metrics: dict[str, Any]
    last_iteration: int | None


def _lock_task(conn: Connection, task_id: str) -> _TaskState:
    """What ingestion needs of the task, with its row locked for this transaction.

    PostgreSQL locks the row (``FOR UPDATE``), so that concurrent batches of one task
    fold their summaries one after the other; SQLite's write transaction is already
    exclusive. Only a few columns are read: a task's script may hold a large diff.
    """
    postgres = conn.dialect.name == "postgresql"
    row = conn.execute(_READ_TASK_LOCKED if postgres else _READ_TASK, {"task_id": task_id}).first()
    if row is None:
        raise NotFoundError(f"no task with id {task_id!r}")
    return _TaskState(
        task_id, row.status, row.project_id, row.last_metrics or {}, row.last_iteration
    )


def _claim_batch(conn: Connection, task_id: str, batch_id: str, events: int) -> bool:
    """Record the batch id; False if it is stored already (also by a concurrent request).

    ``ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL alike) answers in one statement
    what a look-up plus an insert in a savepoint would: a concurrent identical batch
    that commits first makes this insert a no-op instead of an IntegrityError.
    """
    result = conn.execute(
        _CLAIM_BATCH[conn.dialect.name],
        {
            "task_id": task_id,
            "batch_id": batch_id,
            "events": events,
            "received_at": datetime.now(timezone.utc),
        },
    )
    return result.rowcount == 1


def ingest(session: Session, task_id: str, batch: EventBatchIn, limits: Limits) -> IngestResult:
    """Store a batch of events for a task, once per ``batch.batch_id``.

    A batch id the task has already stored returns ``duplicate=True`` and stores
    nothing, even once the task is published (so that a client's retry succeeds).

    Raises:
        PayloadTooLargeError: too many events, or a plot over the size limit.
        ValidationError: a console line over the length limit, or a value that cannot
            be stored.
        NotFoundError: no such task.
        ConflictError: the task does not accept reports (it is published).
    """
    now = time.time()
    prep = prepare(batch, limits, now)
    conn = session.connection()  # Core statements: no ORM objects for what is written here
    task = _lock_task(conn, task_id)
    duplicate = IngestResult(batch_id=batch.batch_id, stored=0, duplicate=True)
    if task.status not in REPORTABLE:
        if conn.execute(_BATCH_SEEN, {"task_id": task_id, "batch_id": batch.batch_id}).first():
            return duplicate
        check_reportable(task.status)
    if not _claim_batch(conn, task_id, batch.batch_id, prep.total):
        return duplicate

    values: dict[str, Any] = {"last_update": datetime.fromtimestamp(now, timezone.utc)}
    if prep.series:
        columns = {key: s.columns() for key, s in prep.series.items()}
        for (metric, _), (its, _, _) in columns.items():
            if not metric.startswith(MONITOR_PREFIX):
                prep.saw_iteration(int(its.max()))
        values["last_metrics"] = scalars.store(conn, task_id, task.last_metrics, columns)
    for table, rows in zip(_event_tables, (prep.logs, prep.plots, prep.samples), strict=True):
        if rows:
            for row in rows:
                row["task_id"] = task_id
            conn.execute(table.insert(), rows)
    if prep.max_iteration is not None and (
        task.last_iteration is None or prep.max_iteration > task.last_iteration
    ):
        values["last_iteration"] = prep.max_iteration
    conn.execute(_UPDATE_TASK, {"task_id": task_id, **values})
    changes.record(
        session,
        "task",
        task_id,
        "events",
        project_id=task.project_id,
        payload={
            "batch_id": batch.batch_id,
            "scalars": prep.points,
            "logs": len(prep.logs),
            "plots": len(prep.plots),
            "debug_samples": len(prep.samples),
        },
    )
    return IngestResult(batch_id=batch.batch_id, stored=prep.total, duplicate=False)
