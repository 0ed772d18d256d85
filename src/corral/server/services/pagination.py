"""Keyset (cursor) pagination over any sort expression, nulls last in both directions.

A sorted list is two segments read in turn:

1. rows whose sort value is not null, ordered by ``(value, id)``;
2. rows whose sort value is null, ordered by ``id``;

both ascending, or both descending for a descending sort (so a descending list
is the exact reverse of the ascending one, nulls apart). ``id`` breaks ties, so a
page boundary is one exact position: rows inserted or changed meanwhile are
neither skipped nor repeated unless their own sort value moves across it.

Each segment is a plain ``WHERE value >= :v ... ORDER BY value, id LIMIT n``
query that an index on the sort value can serve without sorting the table
(``ORDER BY value IS NULL, ...`` would defeat every index). A page reads ids and
sort values only; the caller then reads the rows of those ids, so that a sort
that no index serves moves two small columns through the sorter, not whole rows.

When a key names the index that yields its order (:class:`IndexOrder`), the
non-null segment is read in windows of that index, each candidate checked
against the filters by primary key, and if the filters turn out to keep too few
of them the filters drive the rest of the page (see :func:`_values_by_index`):
a common filter costs a few index windows, a rare one (a tag on 0.1% of 100,000
tasks) the few rows it matches, on SQLite too, which has no statistics to choose.

The cursor is opaque to clients: base64 of the sort it belongs to and the last
row's (value, id). It is checked on the way back in: a cursor of another sort, a
malformed one, or one whose value does not fit the sort is a 422, not a 500.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    Integer,
    Numeric,
    Select,
    String,
    literal,
    select,
)
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine

from corral.errors import ValidationError

#: the longest id a cursor may carry (ids are 32 hex characters)
ID_MAX = 64

#: a column or SQL expression, or a mapped attribute such as ``Task.id``
Column = ColumnElement[Any] | QueryableAttribute[Any]


def _identity(value: Any) -> Any:
    return value


def _python_kind(type_: TypeEngine[Any]) -> type | tuple[type, ...] | None:
    """The Python type a column of ``type_`` reads back as, or None if it varies (JSON)."""
    if isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    if isinstance(type_, Boolean):
        return bool
    if isinstance(type_, DateTime):
        return datetime
    if isinstance(type_, Integer):
        return int
    if isinstance(type_, (Float, Numeric)):
        return (int, float)
    if isinstance(type_, String):
        return str
    return None


def _fits(kind: type | tuple[type, ...] | None) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if kind is None:
            return isinstance(value, (str, int, float))
        if kind is not bool and isinstance(value, bool):
            return False
        return isinstance(value, kind)

    return check


def _nullable(expr: Column) -> bool:
    column = getattr(expr, "expression", expr)
    return bool(getattr(column, "nullable", True))


#: the first index window holds this many times the rows wanted (see _values_by_index)
WINDOW_FIRST = 4
#: index windows propose at most this many times the rows wanted, unless told otherwise
WINDOW_BUDGET = 40


@dataclass
class IndexOrder:
    """Rows in sort order straight from an index, before any filter.

    ``select(id, value).where(*where)`` ordered by ``(value, id)`` must be served by an
    index on ``value`` (ties are sorted in their small groups), e.g. metric summaries
    by ``(metric, variant, last)``.
    """

    id: Column
    value: Column
    where: Sequence[ColumnElement[bool]] = ()


@dataclass
class SortKey:
    """How a list is sorted. ``name`` is what the client asked for (echoed in the cursor).

    Example::

        SortKey("-created_at", Task.created_at, descending=True)
    """

    name: str
    expr: Column
    descending: bool = False
    #: turns a value read back from a cursor into something ``expr`` compares with
    bind: Callable[[Any], Any] = field(default=_identity)
    #: what the cursor stores for a row (``expr`` unless set); ``bind`` maps it back
    value_expr: Column | None = None
    #: whether a value read back from a cursor can be one of ``expr``; from its SQL type
    #: unless given
    accepts: Callable[[Any], bool] | None = None
    #: whether rows may have no value; from the column unless given
    nullable: bool | None = None
    #: an index that yields rows in this order; ``expr`` should then be an expression no
    #: index orders, so that the filters drive the query when the index windows do not
    index: IndexOrder | None = None

    def __post_init__(self) -> None:
        if self.value_expr is None:
            self.value_expr = self.expr
        if self.accepts is None:
            self.accepts = _fits(_python_kind(self.value_expr.type))
        if self.nullable is None:
            self.nullable = _nullable(self.expr)


# --- the cursor -------------------------------------------------------------------------


def _dump(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, float) and not math.isfinite(value):
        return {"$f": repr(value)}  # JSON has no inf/nan; orjson would write null
    return value


def _load(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$dt"} and isinstance(value["$dt"], str):
            return datetime.fromisoformat(value["$dt"])
        if set(value) == {"$f"} and value["$f"] in ("inf", "-inf", "nan"):
            return float(value["$f"])
        raise ValueError("unknown cursor value")
    return value


def encode_cursor(sort_name: str, value: Any, row_id: Any) -> str:
    raw = orjson.dumps({"s": sort_name, "v": _dump(value), "id": row_id})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str, sort_name: str, accepts: Callable[[Any], bool] | None = None
) -> tuple[Any, Any]:
    """Return the (value, id) a cursor of the sort ``sort_name`` stopped at.

    ``accepts`` checks the value (``None`` always passes: it marks the null segment).

    Raises:
        ValidationError: the cursor is malformed, belongs to another sort, or its value
            cannot be one of this sort.
    """
    invalid = "invalid cursor; pass back next_cursor exactly as received"
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = orjson.loads(raw)
        sort, value, row_id = data["s"], _load(data["v"]), data["id"]
    except Exception as e:
        raise ValidationError(invalid) from e
    if sort != sort_name:
        raise ValidationError(
            "this cursor belongs to a list sorted differently; start again without a cursor"
        )
    if not isinstance(row_id, str) or not row_id or len(row_id) > ID_MAX:
        raise ValidationError(invalid)
    if value is not None and accepts is not None and not accepts(value):
        raise ValidationError(invalid)
    return value, row_id


# --- pages ------------------------------------------------------------------------------


def _ordered(
    query: Select[Any],
    expr: Column,
    id_col: Column,
    descending: bool,
    after: tuple[Any, Any] | None,
    bind: Callable[[Any], Any],
) -> Select[Any]:
    """``query`` ordered by ``(expr, id)``, from just after the position ``after``."""
    if after is not None:
        bound, last_id = bind(after[0]), after[1]
        # `expr >= v AND (expr > v OR id > last)`: the first term bounds an index range
        if descending:
            query = query.where(expr <= bound, (expr < bound) | (id_col < last_id))
        else:
            query = query.where(expr >= bound, (expr > bound) | (id_col > last_id))
    if descending:
        return query.order_by(expr.desc(), id_col.desc())
    return query.order_by(expr.asc(), id_col.asc())


def _values_by_filters(
    session: Session,
    keyed: Select[Any],
    key: SortKey,
    id_col: Column,
    after: tuple[Any, Any] | None,
    want: int,
) -> list[Any]:
    """Rows with a value after ``after``: the database plans it (from the filters)."""
    if key.nullable:
        keyed = keyed.where(key.expr.is_not(None))
    q = _ordered(keyed, key.expr, id_col, key.descending, after, key.bind)
    return [tuple(r) for r in session.execute(q.limit(want))]


def _values_by_index(
    session: Session,
    check: Select[Any],
    keyed: Select[Any],
    key: SortKey,
    id_col: Column,
    after: tuple[Any, Any] | None,
    want: int,
    budget: int,
) -> list[Any]:
    """Rows with a value after ``after``: windows of the index in order, then the filters.

    Walking the sort index and checking each row against the filters is cheap when
    many rows match, and hopeless when few do (a rare tag: most of the index is read),
    where starting from the filters and sorting the few matches is cheap. A database
    without statistics (SQLite) cannot tell the two apart, so this reads windows of
    the index (each sized for the rows still wanted at the rate of matches seen so
    far) while they fit in ``budget`` rows, and past that lets the filters find the
    rest: the rows after the last window, by ``key.expr``, which no index orders.
    """
    index = key.index
    assert index is not None
    found: list[Any] = []
    examined = 0
    size = min(WINDOW_FIRST * want, budget)
    while True:
        window = select(index.id.label("id"), index.value.label("value"))
        window = window.where(*index.where, index.value.is_not(None))
        ordered = _ordered(window, index.value, index.id, key.descending, after, key.bind)
        w = ordered.limit(size).subquery("sort_window")
        # the filters checked per candidate by primary key (a correlated EXISTS), whatever
        # index the planner would rather start from for the filters alone
        passes = check.with_only_columns(literal(1)).where(id_col == w.c.id).exists()
        q: Select[Any] = select(w.c.id, w.c.value, passes)
        q = _ordered(q, w.c.value, w.c.id, key.descending, None, key.bind)
        candidates = session.execute(q).all()
        examined += len(candidates)
        found += [(c[0], c[1]) for c in candidates if c[2]]
        if len(found) >= want or len(candidates) < size:
            return found[:want]
        after = (candidates[-1][1], candidates[-1][0])
        # enough for the rows still wanted at the rate seen so far, with a margin
        rate = max(len(found), 1) / examined
        size = int((want - len(found)) / rate * 1.5) + want
        if examined + size > budget:
            break
    return found + _values_by_filters(session, keyed, key, id_col, after, want - len(found))


def page_ids(
    session: Session,
    query: Select[Any],
    key: SortKey,
    id_col: Column,
    *,
    limit: int,
    cursor: str | None,
    check: Select[Any] | None = None,
    window_budget: int | None = None,
) -> tuple[list[Any], str | None]:
    """The ids of one page of ``query`` (a select filtered, joined as ``key`` needs), in order.

    ``check`` is the same filter written to test one row at a time (``EXISTS`` where
    ``query`` has ``IN``), for the rows an index window proposes; ``query`` by default.
    ``window_budget``: how many rows the index windows of ``key.index`` may propose
    before the filters take over (``WINDOW_BUDGET`` times the rows wanted by default);
    larger when the filters have no index to start from.

    Returns (ids, next_cursor); ``next_cursor`` is None on the last page.

    Raises:
        ValidationError: a cursor that is malformed or belongs to another sort.
    """
    assert key.value_expr is not None
    keyed = query.with_only_columns(id_col, key.value_expr.label("_sort_value"))
    after: tuple[Any, Any] | None = None
    if cursor:
        after = decode_cursor(cursor, key.name, key.accepts)
    want = limit + 1  # one more than a page tells whether there is a next one
    rows: list[Any] = []
    if after is None or after[0] is not None:
        if key.index is not None:
            probe = query if check is None else check
            budget = window_budget if window_budget is not None else WINDOW_BUDGET * want
            rows = _values_by_index(session, probe, keyed, key, id_col, after, want, budget)
        else:
            rows = _values_by_filters(session, keyed, key, id_col, after, want)
    if len(rows) < want and key.nullable:
        nulls = keyed.where(key.expr.is_(None))
        if after is not None and after[0] is None:
            nulls = nulls.where(id_col < after[1] if key.descending else id_col > after[1])
        nulls = nulls.order_by(id_col.desc() if key.descending else id_col.asc())
        rows += [(r[0], None) for r in session.execute(nulls.limit(want - len(rows)))]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(key.name, rows[-1][1], rows[-1][0])
    return [r[0] for r in rows], next_cursor


def paginate(
    session: Session,
    query: Select[Any],
    key: SortKey,
    id_col: Column,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[Any], str | None]:
    """Run ``query`` (a select of one entity) for one page. Returns (entities, next_cursor)."""
    ids, next_cursor = page_ids(session, query, key, id_col, limit=limit, cursor=cursor)
    if not ids:
        return [], next_cursor
    entity = query.column_descriptions[0]["entity"]
    rows = session.scalars(select(entity).where(id_col.in_(ids)))
    found = {getattr(e, str(id_col.key)): e for e in rows}
    return [found[i] for i in ids if i in found], next_cursor
