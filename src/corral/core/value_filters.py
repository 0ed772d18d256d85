"""Value filters on a task's metrics and hyperparameters: ``KEY OP VALUE`` parsed.

The syntax of ``GET /tasks?filter=...`` (docs/api.md "Filters on values"):

* KEY: ``metric:METRIC:VARIANT:last|min|max`` or ``param:SECTION:NAME``, the forms of
  the ``sort`` key; segments are percent-decoded (``%3A`` for a ``:`` in a name, and
  ``%3C``, ``%3E``, ``%3D``, ``%21`` for ``<``, ``>``, ``=``, ``!``).
* OP: ``>``, ``>=``, ``<``, ``<=``, ``=``, ``!=`` (spaces around it allowed).
* VALUE: a JSON value when it parses as one (``0.5``, ``"x"``, ``true``), else the bare
  text as a string. ``KEY=LO..HI`` is an inclusive numeric range (either end may be
  empty), ``KEY=[...]`` a set and ``KEY!=[...]`` its complement.

Pure parsing, no I/O: the hub turns a :class:`ValueFilter` into SQL and the SDK checks
filters before sending them.

Example::

    parse_filter("metric:acc:val:max >= 0.9")
    # ValueFilter(kind='metric', path=('acc', 'val', 'max'), op='>=', value=0.9, ...)
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

OPERATORS = (">=", "<=", "!=", ">", "<", "=")
METRIC_AGGREGATES = ("last", "min", "max")
FILTER_FORMS = (
    "write KEY OP VALUE: KEY is 'metric:METRIC:VARIANT:last|min|max' or "
    "'param:SECTION:NAME', OP one of > >= < <= = !=, VALUE a number, a JSON value or "
    "text; 'KEY=LO..HI' is a range (either end may be empty), 'KEY=[...]' a set and "
    "'KEY!=[...]' its complement (e.g. 'metric:loss:val:last<0.1', 'param:Args:opt=adam')"
)

_SPLIT = re.compile(r"^\s*((?:metric|param):[^<>=!]*?)\s*(>=|<=|!=|>|<|=)\s*(.*?)\s*$", re.S)
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"^({_NUMBER})?\s*\.\.\s*({_NUMBER})?$")

#: a scalar a filter compares with: a number, a string or a boolean
Scalar = float | int | str | bool


class FilterSyntaxError(ValueError):
    """A filter that is not one of the forms in ``FILTER_FORMS``."""


@dataclass(frozen=True)
class ValueFilter:
    """One parsed filter.

    ``op`` is one of ``OPERATORS``, or ``"range"`` (``lo``/``hi``, either may be None),
    ``"in"`` or ``"not in"`` (``values``); the others compare with ``value``.
    """

    text: str
    kind: str  # "metric" or "param"
    path: tuple[str, ...]  # (metric, variant, agg) or (section, name)
    op: str
    value: Scalar | None = None
    values: tuple[Scalar, ...] = ()
    lo: float | None = None
    hi: float | None = None


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def as_number(value: Scalar) -> float | int | None:
    """``value`` as a number: a number, or a string holding one (``"0.01"``); else None."""
    if is_number(value):
        return value  # type: ignore[return-value]
    if isinstance(value, str) and re.fullmatch(_NUMBER, value.strip()):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def _fail(text: str, why: str) -> FilterSyntaxError:
    return FilterSyntaxError(f"invalid filter {text!r}: {why}; {FILTER_FORMS}")


def _key(text: str, key: str) -> tuple[str, tuple[str, ...]]:
    kind, _, rest = key.partition(":")
    parts = tuple(unquote(p) for p in rest.split(":"))
    if not all(parts):
        raise _fail(text, "a key segment is empty")
    if kind == "metric":
        if len(parts) != 3 or parts[2] not in METRIC_AGGREGATES:
            raise _fail(text, "a metric key is 'metric:METRIC:VARIANT:last|min|max'")
    elif len(parts) != 2:
        raise _fail(text, "a parameter key is 'param:SECTION:NAME'")
    if kind == "param" and any('"' in p or "\\" in p or not p.isprintable() for p in parts):
        raise _fail(text, "a parameter name with '\"', '\\' or control characters")
    return kind, parts


def _value(text: str, raw: str) -> Any:
    if raw == "":
        raise _fail(text, 'no value (write "" for the empty string)')
    try:
        return json.loads(raw, parse_constant=_no_constants)
    except ValueError:
        return raw  # bare text


def _scalar(text: str, value: Any, kind: str) -> Scalar:
    if value is None:
        raise _fail(text, "null is no value (a task without the value never matches)")
    if isinstance(value, (dict, list)):
        raise _fail(text, "a value is a number, a string or a boolean")
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(text, "a number must be finite")
    if kind == "metric" and as_number(value) is None:
        raise _fail(text, "a metric compares with a number")
    return value  # type: ignore[no-any-return]


def parse_filter(text: str) -> ValueFilter:
    """Parse one ``KEY OP VALUE`` filter.

    Raises:
        FilterSyntaxError: not one of the forms in ``FILTER_FORMS`` (the message names
            the filter and the accepted forms).
    """
    m = _SPLIT.match(text)
    if m is None:
        raise _fail(text, "no 'metric:' or 'param:' key followed by an operator")
    kind, path = _key(text, m.group(1))
    op, raw = m.group(2), m.group(3)
    if op == "=" and (r := _RANGE.match(raw)) and (r.group(1) or r.group(2)):
        lo = float(r.group(1)) if r.group(1) else None
        hi = float(r.group(2)) if r.group(2) else None
        if any(v is not None and not math.isfinite(v) for v in (lo, hi)):
            raise _fail(text, "a range's ends must be finite numbers")
        return ValueFilter(text, kind, path, "range", lo=lo, hi=hi)
    value = _value(text, raw)
    if isinstance(value, list):
        if op not in ("=", "!="):
            raise _fail(text, "a set ([...]) goes with '=' or '!='")
        if not value:
            raise _fail(text, "an empty set")
        items = tuple(_scalar(text, v, kind) for v in value)
        return ValueFilter(text, kind, path, "in" if op == "=" else "not in", values=items)
    scalar = _scalar(text, value, kind)
    if op in ("<", "<=", ">", ">=") and as_number(scalar) is None:
        raise _fail(text, f"'{op}' compares with a number")
    return ValueFilter(text, kind, path, op, value=scalar)


def parse_filters(texts: list[str]) -> list[ValueFilter]:
    """Parse every filter; the first malformed one raises ``FilterSyntaxError``."""
    return [parse_filter(t) for t in texts]
