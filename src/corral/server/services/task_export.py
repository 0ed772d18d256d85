"""The task list as CSV: every matching task, page by page, in the list's sort order.

Columns (``GET /tasks/export?column=...``):

* ``id``, ``name`` and any ``TaskBrief`` field (``status``, ``type``, ``created_at``,
  ``tags``...); ``user``, ``project`` and ``queue`` are names, ``duration`` the run
  time in seconds (as the ``duration`` sort computes it);
* ``param:SECTION:NAME``: the hyperparameter's value (header ``SECTION/NAME``);
* ``metric:METRIC:VARIANT:last|min|max`` (header ``METRIC/VARIANT (last)``).

Times are ISO 8601 in UTC, lists are joined with ``", "``, JSON objects written as JSON.
A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return and
is not a number gets a leading ``'``, so that a spreadsheet does not run it as a formula.

The first page is read in the request's transaction (a bad sort or filter is a 422
before anything is sent); the rest are read in short sessions of their own, 100 rows
at a time (``PAGE_SIZE``), while the response streams.

Example::

    cols = parse_columns(["name", "metric:loss:val:min"])
    first, cursor = page_csv(session, f, "-created_at", cols, None, header=True)
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from corral.core.value_filters import METRIC_AGGREGATES, as_number
from corral.errors import ValidationError
from corral.schemas.tasks import TaskBrief
from corral.server.db.models import Project, Queue, TaskMetricSummary, User
from corral.server.services.task_query import TaskFilter, list_tasks

DEFAULT_COLUMNS = ("id", "name", "status", "type", "user", "project", "started_at", "duration")
#: a task's fields as columns; ``user``/``project``/``queue`` are names, ``duration`` seconds
FIELD_COLUMNS = (
    *(n for n in TaskBrief.model_fields if n != "hyperparams"),
    "user",
    "project",
    "queue",
    "duration",
)
COLUMN_FORMS = (
    "use a task field (" + ", ".join(FIELD_COLUMNS) + "), 'param:SECTION:NAME' or "
    f"'metric:METRIC:VARIANT:{'|'.join(METRIC_AGGREGATES)}'"
)
#: rows per page read: memory stays bounded, and a page is one short list query
PAGE_SIZE = 100
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    spec: str
    kind: str  # "field", "param" or "metric"
    path: tuple[str, ...]

    @property
    def title(self) -> str:
        if self.kind == "param":
            return "/".join(self.path)
        if self.kind == "metric":
            return f"{self.path[0]}/{self.path[1]} ({self.path[2]})"
        return self.spec


def parse_columns(specs: Sequence[str]) -> list[Column]:
    """The columns asked for (``DEFAULT_COLUMNS`` when none).

    Raises:
        ValidationError: a column that is not one of ``COLUMN_FORMS``.
    """
    out = []
    for spec in specs or DEFAULT_COLUMNS:
        kind, _, rest = spec.partition(":")
        parts = tuple(unquote(p) for p in rest.split(":")) if rest else ()
        if spec in FIELD_COLUMNS:
            out.append(Column(spec, "field", (spec,)))
        elif kind == "param" and len(parts) == 2 and all(parts):
            out.append(Column(spec, "param", parts))
        elif kind == "metric" and len(parts) == 3 and all(parts) and parts[2] in METRIC_AGGREGATES:
            out.append(Column(spec, "metric", parts))
        else:
            raise ValidationError(f"unknown column {spec!r}: {COLUMN_FORMS}")
    return out


# --- cells ------------------------------------------------------------------------------


def _utc(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _number(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def cell(value: Any) -> str:
    """One value as CSV text, guarded against formula injection."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, (list, tuple)):
        text = ", ".join(v if isinstance(v, str) else json.dumps(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    if text.startswith(_FORMULA_START) and as_number(text) is None:
        return "'" + text
    return text


def _duration(row: Any) -> float | None:
    if row.started_at is None:
        return None
    end: datetime = row.completed_at or row.last_update
    started: datetime = row.started_at
    return round((end - started).total_seconds(), 3)


def _param(row: Any, path: tuple[str, ...]) -> Any:
    entry = (row.hyperparams or {}).get(path[0], {})
    entry = entry.get(path[1]) if isinstance(entry, dict) else None
    return entry.get("value") if isinstance(entry, dict) else None


# --- pages ------------------------------------------------------------------------------


def _names(session: Session, model: Any, ids: set[str | None]) -> dict[str, str]:
    ids.discard(None)
    if not ids:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def _metrics(session: Session, ids: list[str], cols: list[Column]) -> dict[tuple[str, ...], Any]:
    series = {(c.path[0], c.path[1]) for c in cols if c.kind == "metric"}
    if not series or not ids:
        return {}
    s = TaskMetricSummary
    q = select(s.task_id, s.metric, s.variant, s.last, s.min, s.max).where(
        s.task_id.in_(ids), tuple_(s.metric, s.variant).in_(sorted(series))
    )
    out: dict[tuple[str, ...], Any] = {}
    for r in session.execute(q):
        for agg in METRIC_AGGREGATES:
            out[(r.task_id, r.metric, r.variant, agg)] = getattr(r, agg)
    return out


def _rows_csv(session: Session, rows: list[Any], cols: list[Column], header: bool) -> bytes:
    kinds = {c.spec for c in cols}
    users = _names(session, User, {r.user_id for r in rows}) if "user" in kinds else {}
    projects = _names(session, Project, {r.project_id for r in rows}) if "project" in kinds else {}
    queues = _names(session, Queue, {r.queue_id for r in rows}) if "queue" in kinds else {}
    metrics = _metrics(session, [r.id for r in rows], cols)
    named = {"user": (users, "user_id"), "project": (projects, "project_id")}
    named["queue"] = (queues, "queue_id")
    buf = io.StringIO()
    out = csv.writer(buf)
    if header:
        out.writerow([cell(c.title) for c in cols])
    for row in rows:
        line = []
        for c in cols:
            if c.kind == "param":
                value = _param(row, c.path)
            elif c.kind == "metric":
                value = metrics.get((row.id, *c.path))
            elif c.spec in named:
                names, ref = named[c.spec]
                value = names.get(getattr(row, ref))
            elif c.spec == "duration":
                value = _duration(row)
            else:
                value = getattr(row, c.spec)
            line.append(cell(value))
        out.writerow(line)
    return buf.getvalue().encode()


def page_csv(
    session: Session,
    f: TaskFilter,
    sort: str,
    cols: list[Column],
    cursor: str | None,
    *,
    header: bool = False,
) -> tuple[bytes, str | None]:
    """One page of rows as CSV bytes (with the header row if asked) and the next cursor.

    Raises:
        ValidationError: a bad sort or cursor.
    """
    with_params = any(c.kind == "param" for c in cols)
    rows, next_cursor, _ = list_tasks(
        session, f, sort=sort, limit=PAGE_SIZE, cursor=cursor, include_hyperparams=with_params
    )
    return _rows_csv(session, rows, cols, header), next_cursor


def iter_csv(
    make_session: sessionmaker[Session],
    f: TaskFilter,
    sort: str,
    cols: list[Column],
    first: bytes,
    cursor: str | None,
) -> Iterator[bytes]:
    """``first`` (the header and first page), then every further page in its own session."""
    yield first
    while cursor is not None:
        with make_session() as session:
            chunk, cursor = page_csv(session, f, sort, cols, cursor)
        yield chunk
