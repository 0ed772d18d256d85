"""Listing tasks: filters, sort by any field, hyperparameter or metric, cursor pages.

Sort keys (prefix ``-`` for descending):

* a task field: ``created_at``, ``name``, ``status``, ``started_at``, ...
* a name the task refers to: ``user``, ``queue``, ``project`` (the user's, queue's or
  project's name, not its id)
* ``duration``: seconds from ``started_at`` to ``completed_at`` (a running task: to its
  ``last_update``, so that the value moves only when the task reports)
* a hyperparameter: ``param:SECTION:NAME`` (e.g. ``param:Args:lr``)
* a metric summary: ``metric:METRIC:VARIANT:last|min|max`` (e.g. ``-metric:loss:val:min``)

Segments are percent-decoded, so a ``:`` inside a name is written ``%3A``.

Tasks without a value (a null field, no such parameter or a ``null`` one, no such
metric) come last in both directions. Hyperparameters sort as JSON values: numbers
as numbers and strings as text on both databases. A parameter holding numbers for
some tasks and strings for others sorts numbers first on SQLite and strings first on
PostgreSQL (each database's own order of JSON types).

Example::

    rows, cursor, total = list_tasks(
        session, TaskFilter(tags=["best"]), sort="-metric:acc:val:max", limit=50, cursor=None
    )
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from sqlalchemy import (
    Float,
    Text,
    bindparam,
    case,
    cast,
    exists,
    extract,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Session, aliased

from corral.core.value_filters import ValueFilter
from corral.errors import ValidationError
from corral.schemas.tasks import TaskBrief
from corral.server.db.models import Project, Queue, Task, TaskMetricSummary, TaskTag, User
from corral.server.services import task_filters
from corral.server.services.pagination import IndexOrder, SortKey, page_ids

TASK_SORT_FIELDS = (
    "created_at",
    "started_at",
    "completed_at",
    "last_update",
    "name",
    "status",
    "type",
    "user_id",
    "project_id",
    "worker",
    "last_iteration",
    "id",
    "parent_id",
    "queue_id",
)
#: sorts by the name of what a task refers to, or by a value computed from its fields
NAMED_SORT_FIELDS = ("user", "queue", "project", "duration")
METRIC_AGGREGATES = ("last", "min", "max")
SORT_FORMS = (
    f"use a task field ({', '.join(TASK_SORT_FIELDS + NAMED_SORT_FIELDS)}), "
    "'param:SECTION:NAME' or "
    f"'metric:METRIC:VARIANT:{'|'.join(METRIC_AGGREGATES)}', with '-' in front for descending"
)

#: the columns of a table row (``TaskBrief``); the heavy ones (script, freeze...) stay behind
_BRIEF_COLUMNS = tuple(
    getattr(Task, name) for name in TaskBrief.model_fields if name != "hyperparams"
)


@dataclass
class TaskFilter:
    project_ids: list[str] = field(default_factory=list)
    include_subprojects: bool = True
    status: list[str] = field(default_factory=list)
    type: list[str] = field(default_factory=list)
    #: every tag must be present; a tag written ``-name`` must be absent
    tags: list[str] = field(default_factory=list)
    user_ids: list[str] = field(default_factory=list)
    parent_id: str | None = None
    ids: list[str] = field(default_factory=list)
    #: a substring of the name or comment (any case), or the start of the id
    text: str | None = None
    #: False hides archived tasks, True lists only them, None both
    archived: bool | None = False
    #: the projects the caller may read (None: all); see ``auth.policy.Access``
    visible: frozenset[str] | None = None
    #: conditions on metric and hyperparameter values (``core.value_filters``), all must hold
    values: list[ValueFilter] = field(default_factory=list)


# --- filters ----------------------------------------------------------------------------


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _project_scope(project_ids: list[str], include_sub: bool) -> Any:
    """The given projects, and with ``include_sub`` every project below them.

    A subproject is one whose name starts with ``parent name + "/"``, compared
    case-sensitively (``LIKE`` ignores case on SQLite: ``Team/x`` is not under ``team``).
    """
    if not include_sub:
        return project_ids
    root, sub = aliased(Project), aliased(Project)
    prefix = root.name + "/"
    return (
        select(sub.id)
        .join(root, root.id.in_(project_ids))
        .where(or_(sub.id == root.id, func.substr(sub.name, 1, func.length(prefix)) == prefix))
    )


def _visible(q: Any, f: TaskFilter) -> Any:
    """Only the tasks of projects the caller may read."""
    if f.visible is None:
        return q
    return q.where(Task.project_id.in_(sorted(f.visible)))


def apply_filter(session: Session, q: Any, f: TaskFilter, *, per_row: bool = False) -> Any:
    """``q`` (a select from ``tasks``) narrowed to the tasks ``f`` matches.

    Tags are tested with ``IN (tasks of the tag)``, from which the database may start;
    ``per_row`` writes them as ``EXISTS`` probes instead, cheaper for checking a few rows
    already found by primary key.
    """
    if f.project_ids:
        q = q.where(Task.project_id.in_(_project_scope(f.project_ids, f.include_subprojects)))
    q = _visible(q, f)
    if f.status:
        q = q.where(Task.status.in_(f.status))
    if f.type:
        q = q.where(Task.type.in_(f.type))
    if f.user_ids:
        q = q.where(Task.user_id.in_(f.user_ids))
    if f.parent_id:
        q = q.where(Task.parent_id == f.parent_id)
    if f.ids:
        q = q.where(Task.id.in_(f.ids))
    if f.archived is not None:
        q = q.where(Task.archived == f.archived)
    for tag in dict.fromkeys(f.tags):
        if tag.startswith("-") and len(tag) > 1:
            q = q.where(~exists().where(TaskTag.task_id == Task.id, TaskTag.tag == tag[1:]))
        elif per_row:
            q = q.where(exists().where(TaskTag.task_id == Task.id, TaskTag.tag == tag))
        else:
            q = q.where(Task.id.in_(select(TaskTag.task_id).where(TaskTag.tag == tag)))
    if f.text:
        pattern = _like(f.text)
        q = q.where(
            or_(
                Task.name.ilike(pattern, escape="\\"),
                Task.comment.ilike(pattern, escape="\\"),
                Task.id.startswith(f.text.lower(), autoescape=True),
            )
        )
    drive = not _indexed(f)
    for value_filter in f.values:
        q = q.where(task_filters.condition(session, value_filter, per_row=per_row, drive=drive))
    return q


def _indexed(f: TaskFilter) -> bool:
    """Whether a filter an index serves (projects, tags, status...) narrows the tasks."""
    return bool(
        f.text
        or f.project_ids
        or f.ids
        or f.parent_id
        or f.user_ids
        or f.status
        or any(not t.startswith("-") for t in f.tags)
    )


# --- sort keys ----------------------------------------------------------------------------


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json_text(value: Any) -> bool:
    """A cursor's PostgreSQL parameter value: JSON text that ``jsonb`` accepts."""
    if not isinstance(value, str):
        return False
    try:
        json.loads(value, parse_constant=_no_constants)
    except ValueError:
        return False
    return True


def _sqlite_value(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not (
        isinstance(value, float) and not math.isfinite(value)
    )


def _finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _param_key(session: Session, spec: str, descending: bool, path: list[str]) -> SortKey:
    """A hyperparameter's ``value``, compared as a JSON value; a JSON ``null`` is no value.

    The path is written into the SQL as a literal, not a parameter, so that an index
    on the same expression (one per popular parameter, see the module docstring) can
    serve the sort.
    """
    if any('"' in p or "\\" in p or not p.isprintable() for p in path):
        raise ValidationError(
            f"cannot sort by {spec!r}: a name with '\"', '\\' or control characters "
            "cannot be sorted by"
        )
    if session.get_bind().dialect.name == "postgresql":
        at = bindparam("param_path", [*path, "value"], ARRAY(Text), literal_execute=True)
        value = Task.hyperparams.op("#>", return_type=JSONB)(at)
        expr = func.nullif(value, literal_column("'null'", JSONB), type_=JSONB)
        # the cursor keeps the value as JSON text, so it compares back exactly
        return SortKey(
            spec,
            expr,
            descending,
            bind=lambda v: cast(literal(v, Text), JSONB),
            value_expr=cast(expr, Text),
            accepts=_json_text,
            nullable=True,
        )
    json_path = "$" + "".join(f'."{p}"' for p in [*path, "value"])
    at = bindparam("param_path", json_path, Text, literal_execute=True)
    expr = func.json_extract(Task.hyperparams, at)
    return SortKey(spec, expr, descending, accepts=_sqlite_value, nullable=True)


def _created_key(spec: str, descending: bool) -> SortKey:
    """Newest or oldest first: windows of ``ix_tasks_created``, then the filters."""
    # coalesce(x, x) is x, but no index orders it: past the windows the filters drive
    unindexed = func.coalesce(Task.created_at, Task.created_at)
    index = IndexOrder(Task.id, Task.created_at)
    return SortKey(spec, unindexed, descending, nullable=False, index=index)


def _metric_key(spec: str, descending: bool, metric: str, variant: str, agg: str) -> SortKey:
    """A metric's last/min/max: windows of ``ix_metric_summaries_<agg>``, then the filters.

    Past the windows the value is read per task (a correlated subquery no index orders),
    so that a selective filter (a rare tag, a small project) drives the query.
    """
    summary = TaskMetricSummary.__table__.alias("sort_summary")
    value = summary.c[agg]
    series = (summary.c.metric == metric, summary.c.variant == variant)
    per_task = select(value).where(summary.c.task_id == Task.id, *series).scalar_subquery()
    index = IndexOrder(summary.c.task_id, value, series)
    return SortKey(spec, per_task, descending, nullable=True, index=index)


def _named_key(session: Session, spec: str, descending: bool, name: str) -> SortKey:
    """The name of the task's user, queue or project, or its run time in seconds.

    Read per task (a correlated subquery or an expression no index orders): the filters
    drive the query, as for a hyperparameter.
    """
    if name == "duration":
        # null when the task has not started (null arithmetic)
        end = func.coalesce(Task.completed_at, Task.last_update)
        seconds: Any
        if session.get_bind().dialect.name == "postgresql":
            seconds = cast(extract("epoch", end - Task.started_at), Float)
        else:
            seconds = (func.julianday(end) - func.julianday(Task.started_at)) * 86400.0
        return SortKey(spec, seconds, descending, accepts=_finite_number, nullable=True)
    name_col, id_col, ref = {
        "user": (User.name, User.id, Task.user_id),
        "queue": (Queue.name, Queue.id, Task.queue_id),
        "project": (Project.name, Project.id, Task.project_id),
    }[name]
    named = select(name_col).where(id_col == ref).scalar_subquery()
    return SortKey(spec, named, descending, accepts=lambda v: isinstance(v, str), nullable=True)


def _parts(rest: str, count: int) -> list[str] | None:
    parts = [unquote(p) for p in rest.split(":")]
    return parts if len(parts) == count and all(parts) else None


def sort_key(session: Session, spec: str, q: Any) -> tuple[SortKey, Any]:
    """Parse a sort spec; returns the key and the query joined as the key needs.

    Raises:
        ValidationError: not one of the forms in ``SORT_FORMS``.
    """
    descending = spec.startswith("-")
    name = spec[1:] if descending else spec
    if name == "created_at":
        return _created_key(spec, descending), q
    if name in TASK_SORT_FIELDS:
        return SortKey(spec, getattr(Task, name), descending), q
    if name in NAMED_SORT_FIELDS:
        return _named_key(session, spec, descending, name), q
    kind, _, rest = name.partition(":")
    if kind == "param" and (parts := _parts(rest, 2)):
        return _param_key(session, spec, descending, parts), q
    if kind == "metric" and (parts := _parts(rest, 3)) and parts[2] in METRIC_AGGREGATES:
        return _metric_key(spec, descending, *parts), q
    raise ValidationError(f"cannot sort by {spec!r}: {SORT_FORMS}")


def _window_budget(f: TaskFilter, want: int) -> int:
    """How many rows a sort index may propose before the filters take over.

    Checking a proposed row costs about what reading one row costs. A filter that an
    index serves (projects, tags, status, user, parent, ids) finds its rows cheaply,
    so after a few thousand proposals it takes over; so does a metric value filter (the
    summaries' index finds the tasks in its range). A text search reads the whole
    table either way, and finds a common word in the first windows. Other filters
    (archived, type) would read the whole table, so the index goes on much longer.
    """
    drives = _indexed(f) or any(v.kind == "metric" for v in f.values)
    return want * (40 if drives else 600)


# --- the list -----------------------------------------------------------------------------


def list_tasks(
    session: Session,
    f: TaskFilter,
    *,
    sort: str,
    limit: int,
    cursor: str | None,
    with_total: bool = False,
    include_hyperparams: bool = False,
) -> tuple[list[Any], str | None, int | None]:
    """One page of the task table. Returns (rows, next_cursor, total).

    Rows carry the ``TaskBrief`` columns (and ``hyperparams`` if asked), not whole tasks.
    ``total`` (the number of matching tasks) is counted only ``with_total``.
    """
    key, query = sort_key(session, sort, apply_filter(session, select(Task.id), f))
    check = apply_filter(session, select(Task.id), f, per_row=True)
    ids, next_cursor = page_ids(
        session,
        query,
        key,
        Task.id,
        limit=limit,
        cursor=cursor,
        check=check,
        window_budget=_window_budget(f, limit + 1),
    )
    rows: list[Any] = []
    if ids:
        columns = [*_BRIEF_COLUMNS, Task.hyperparams] if include_hyperparams else _BRIEF_COLUMNS
        found = {r.id: r for r in session.execute(select(*columns).where(Task.id.in_(ids)))}
        rows = [found[i] for i in ids if i in found]
    total = None
    if with_total:
        total = session.scalar(apply_filter(session, select(func.count()).select_from(Task), f))
    return rows, next_cursor, total


# --- the columns a table can show ---------------------------------------------------------


@dataclass
class Columns:
    """What the tasks in scope have: hyperparameter names and metric series, sorted."""

    #: (section, name)
    hyperparams: list[tuple[str, str]]
    #: (metric, variant)
    metrics: list[tuple[str, str]]
    #: more names exist than ``limit``; the lists hold the first ones
    truncated: bool


def _scope_ids(f: TaskFilter) -> Any:
    """The ids of the tasks in scope (archived ones too: the table can show them)."""
    q = select(Task.id)
    if f.project_ids:
        q = q.where(Task.project_id.in_(_project_scope(f.project_ids, f.include_subprojects)))
    q = _visible(q, f)
    return q


def _hyperparam_names(session: Session, f: TaskFilter) -> Any:
    """``(section, name)`` of every hyperparameter, read from the tasks' JSON.

    Both databases expand the JSON object of objects in SQL (a section that is not an
    object has no names), so only distinct pairs leave the database.
    """
    if session.get_bind().dialect.name == "postgresql":
        sections = func.jsonb_each(Task.hyperparams).table_valued("key", "value").alias("sec")
        is_object = func.jsonb_typeof(sections.c.value) == "object"
        empty: Any = literal_column("'{}'::jsonb", JSONB)
        names = func.jsonb_object_keys(case((is_object, sections.c.value), else_=empty))
        param = names.table_valued("key").render_derived(name="par")
        name_col = param.c.key
    else:
        sections = func.json_each(Task.hyperparams).table_valued("key", "value", "type")
        sections = sections.alias("sec")
        is_object = sections.c.type == "object"
        inner = func.json_each(case((is_object, sections.c.value), else_="{}"))
        param = inner.table_valued("key").alias("par")
        name_col = param.c.key
    q = select(sections.c.key.label("section"), name_col.label("name")).select_from(Task)
    q = q.join(sections, true()).join(param, true())
    if f.project_ids:
        q = q.where(Task.project_id.in_(_project_scope(f.project_ids, f.include_subprojects)))
    q = _visible(q, f)
    return q.distinct()


def _metric_series(f: TaskFilter) -> Any:
    """``(metric, variant)`` of every reported series, from the metric summaries."""
    q = select(TaskMetricSummary.metric, TaskMetricSummary.variant).distinct()
    if f.project_ids or f.visible is not None:
        q = q.where(TaskMetricSummary.task_id.in_(_scope_ids(f)))
    return q


def task_columns(session: Session, f: TaskFilter, *, limit: int = 2000) -> Columns:
    """The hyperparameters and metric series of the tasks in the projects of ``f``.

    Only ``f.project_ids`` and ``f.include_subprojects`` narrow the scope; no projects
    means every task. Each list holds at most ``limit`` entries, in order.

    Metric series come from the summaries' index; hyperparameter names are read from
    the JSON of every task in scope (about 0.3-0.8 s for 100,000 tasks on either
    database), which is why the web UI asks only when its column picker opens.

    Example::

        cols = task_columns(session, TaskFilter(project_ids=[pid]))
        cols.hyperparams  # [("Args", "batch_size"), ("Args", "lr"), ...]
    """
    hp = _hyperparam_names(session, f).subquery()
    hp_rows = session.execute(
        select(hp.c.section, hp.c.name).order_by(hp.c.section, hp.c.name).limit(limit + 1)
    ).all()
    ms = _metric_series(f).subquery()
    metric_rows = session.execute(
        select(ms.c.metric, ms.c.variant).order_by(ms.c.metric, ms.c.variant).limit(limit + 1)
    ).all()
    # the database chose which to keep in its collation; the order is the same on both
    return Columns(
        hyperparams=sorted((str(r[0]), str(r[1])) for r in hp_rows[:limit]),
        metrics=sorted((r[0], r[1]) for r in metric_rows[:limit]),
        truncated=len(hp_rows) > limit or len(metric_rows) > limit,
    )
