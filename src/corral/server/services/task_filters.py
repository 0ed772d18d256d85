"""Value filters of the task list in SQL: a metric's last/min/max, a hyperparameter's value.

The syntax is parsed by ``core.value_filters``; this module turns a
:class:`~corral.core.value_filters.ValueFilter` into a condition on ``tasks``.

How values compare (the same on SQLite and PostgreSQL):

* A metric compares as a number with the summary's ``last``, ``min`` or ``max``.
* A hyperparameter's stored ``value`` is read as a number when it is a JSON number or a
  string holding one (ClearML stores ``"0.01"``), as text when it is a string, and as a
  boolean when it is ``true``/``false`` (or the strings ``"true"``/``"True"``...).
* A filter value that reads as a number (``32``, ``"32"``, a range) compares
  numerically: ``param:Args:bs=32`` matches both ``32`` and ``"32"``. Another string
  compares as text, exactly (case-sensitive). A boolean matches booleans.
* A task without the value (no such metric or parameter, or a ``null`` one) never
  matches, not for ``!=`` either; ``!=`` and ``!=[...]`` match every other value.

Plans. A metric filter is ``tasks.id IN (summaries of the series in the range)``, which
the ``(metric, variant, last|min|max)`` index serves, so it can find the tasks itself;
when another filter with an index narrows the list (a project, tags...), SQLite is kept
from starting at the summaries (it has no statistics and would look up every task in
range: 536 ms against 38 ms for a filtered page of a 2,000-task project among 22,000,
on a loaded machine). ``per_row`` writes it as an ``EXISTS`` probe, for checking the
rows a sort's index window proposes.

A hyperparameter filter reads the task's JSON column, which has no index. For the first
page that costs little: it runs on the rows the sort's index windows propose, or on the
tasks the other filters leave (a project). A ``with_total`` count, or a rare match over a
large scope, reads every task in scope: on SQLite each read also walks the row's
overflow pages (``hyperparams`` comes after the large ``script``), about 10-50 us a task
(benchmarks/task_table.py: ``filter_with_total``). An index table of parameter values
(``task_id, section, name, number, text``) would answer those from an index; it is not
built because every hyperparameter write (create, edit, clone, the running script's
reports) would have to keep it up to date, and the first page, which the table shows,
is within its budget without it.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    Float,
    Numeric,
    Text,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Session

from corral.core.value_filters import ValueFilter, as_number
from corral.server.db.models import Task, TaskMetricSummary

#: a PostgreSQL string that casts to ``numeric`` (the exponent bounded: no overflow)
_PG_NUMBER = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\s*$"
_TRUE_TEXT = ("true", "True", "TRUE")
_FALSE_TEXT = ("false", "False", "FALSE")


def _compare(expr: Any, op: str, value: Any) -> Any:
    return {
        "=": expr == value,
        "!=": expr != value,
        ">": expr > value,
        ">=": expr >= value,
        "<": expr < value,
        "<=": expr <= value,
    }[op]


def _numeric(expr: Any, f: ValueFilter, bind: Any) -> Any:
    """``f`` on a numeric expression (null when the task has no number)."""
    if f.op == "range":
        parts = [expr.is_not(None)]
        if f.lo is not None:
            parts.append(expr >= bind(f.lo))
        if f.hi is not None:
            parts.append(expr <= bind(f.hi))
        return and_(*parts)
    if f.op in ("in", "not in"):
        numbers = [n for v in f.values if (n := as_number(v)) is not None]
        hit = expr.in_([bind(n) for n in numbers]) if numbers else literal(False)
        return hit if f.op == "in" else and_(expr.is_not(None), not_(hit))
    number = as_number(f.value)  # type: ignore[arg-type]
    return and_(expr.is_not(None), _compare(expr, f.op, bind(number)))


# --- metrics ----------------------------------------------------------------------------


def _metric(session: Session, f: ValueFilter, per_row: bool, drive: bool) -> Any:
    metric, variant, agg = f.path
    s = TaskMetricSummary.__table__.alias("filter_summary")
    cond = _numeric(s.c[agg], f, lambda v: literal(float(v), Float))
    series = (s.c.metric == metric, s.c.variant == variant, cond)
    if per_row:
        return exists().where(s.c.task_id == Task.id, *series)
    in_range = select(s.c.task_id).where(*series)
    if not drive and session.get_bind().dialect.name == "sqlite":
        # SQLite has no statistics: "id IN (list)" looks more selective to it than any
        # other index, so it would look up every task in range (80,000 for "loss > 0.5")
        # even inside a project of 5,000. `id || ''` keeps the list a test on each row
        # that another filter's index found (see the module docstring for the figures).
        return Task.id.concat("").in_(in_range)
    return Task.id.in_(in_range)


# --- hyperparameters --------------------------------------------------------------------


class _Param:
    """The parts of a stored hyperparameter value each comparison needs, per database."""

    type: Any
    value: Any
    text: Any
    number: Any
    string: Any

    def __init__(self, session: Session, path: tuple[str, ...]) -> None:
        self.postgres = session.get_bind().dialect.name == "postgresql"
        if self.postgres:
            at = bindparam(
                "filter_path", [*path, "value"], ARRAY(Text), literal_execute=True, unique=True
            )
            value = Task.hyperparams.op("#>", return_type=JSONB)(at)
            self.value = value
            self.type = func.jsonb_typeof(value)
            self.text = Task.hyperparams.op("#>>", return_type=Text)(at)
            number_text = case(
                (self.type == "number", self.text),
                (
                    and_(self.type == "string", self.text.op("~")(_PG_NUMBER)),
                    func.btrim(self.text),
                ),
            )
            self.number = cast(number_text, Numeric)
            self.string = case((self.type == "string", self.text))
        else:
            json_path = "$" + "".join(f'."{p}"' for p in [*path, "value"])
            at = bindparam("filter_path", json_path, Text, literal_execute=True, unique=True)
            self.type = func.json_type(Task.hyperparams, at)
            raw = func.json_extract(Task.hyperparams, at)
            self.text = raw
            self.number = case(
                (self.type.in_(("integer", "real")), raw),
                (
                    and_(self.type == "text", _sqlite_number_text(func.trim(raw))),
                    cast(func.trim(raw), Float),
                ),
            )
            self.string = case((self.type == "text", raw))

    def bind_number(self, value: float | int) -> Any:
        if self.postgres:
            return literal(str(value), Text).cast(Numeric)
        return literal(float(value), Float)

    def is_bool(self, truth: bool) -> Any:
        if self.postgres:
            json_bool = and_(self.type == "boolean", self.text == ("true" if truth else "false"))
        else:
            json_bool = self.type == ("true" if truth else "false")
        text = and_(self.string.is_not(None), self.string.in_(_TRUE_TEXT if truth else _FALSE_TEXT))
        return or_(json_bool, text)

    def text_equals(self, text: str) -> Any:
        """The value is the JSON string ``text``, tested with one read of the JSON first."""
        if self.postgres:
            # jsonb equality compares type and value: "32" is not 32
            return and_(
                self.value.is_not(None), self.value == cast(literal(json.dumps(text)), JSONB)
            )
        # the extracted value first (a number is never equal to text in SQLite), then its
        # type (an object's JSON text is text too); AND stops at the first false
        return and_(self.text == literal(text, Text), self.type == "text")

    def present(self) -> Any:
        return and_(self.type.is_not(None), self.type != "null")


def _strip_sign(t: Any) -> Any:
    return case((func.substr(t, 1, 1).in_(("+", "-")), func.substr(t, 2)), else_=t)


def _sqlite_number_text(t: Any) -> Any:
    """Whether the string ``t`` holds a number; SQLite has no regular expressions.

    ``[sign] digits with at most one '.' [e [sign] digits]``, told apart with GLOBs:
    CAST would read the leading number of any text (``'12abc'`` is 12).
    """
    low = func.lower(t)
    e_at = func.instr(low, "e")
    mantissa = _strip_sign(case((e_at > 0, func.substr(low, 1, e_at - 1)), else_=low))
    exponent = _strip_sign(case((e_at > 0, func.substr(low, e_at + 1)), else_="0"))
    return and_(
        mantissa.op("GLOB")("*[0-9]*"),
        mantissa.op("NOT GLOB")("*[^0-9.]*"),
        mantissa.op("NOT GLOB")("*.*.*"),
        exponent != "",
        exponent.op("NOT GLOB")("*[^0-9]*"),
    )


def _param(session: Session, f: ValueFilter) -> Any:
    p = _Param(session, f.path)
    if f.op == "range" or f.op in ("<", "<=", ">", ">="):
        return _numeric(p.number, f, p.bind_number)
    values = f.values if f.op in ("in", "not in") else (f.value,)
    hits = []
    for v in values:
        assert v is not None
        number = as_number(v)
        if number is not None:
            hits.append(and_(p.number.is_not(None), p.number == p.bind_number(number)))
        elif isinstance(v, bool):
            hits.append(p.is_bool(v))
        else:
            hits.append(p.text_equals(str(v)))
    hit = or_(*hits)
    if f.op in ("=", "in"):
        return hit
    return and_(p.present(), not_(hit))


def condition(
    session: Session, f: ValueFilter, *, per_row: bool = False, drive: bool = True
) -> Any:
    """The SQL condition on ``tasks`` of one value filter.

    ``drive=False``: another filter with an index (a project, tags...) should find the
    rows; a metric filter then only tests them (on SQLite, which cannot tell).
    """
    if f.kind == "metric":
        return _metric(session, f, per_row, drive)
    return _param(session, f)
