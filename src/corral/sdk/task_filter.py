"""``task_filter`` of ``Task.get_tasks``/``Task.get_task``: ClearML's keys as ``GET /tasks`` queries.

ClearML passes ``task_filter`` straight to its server's ``tasks.get_all``. Corral reads
the keys a script commonly uses and turns them into the query parameters of
``GET /tasks`` (docs/api.md); a key it cannot honour is a ``ValueError`` that says what
to use instead, never a filter silently dropped.

=================  ==============================================================
key                meaning in Corral
=================  ==============================================================
``order_by``       sort; ``["-last_update"]``, ``["name"]``, ClearML field names
                   (``created``, ``started``, ``completed``, ``parent``...),
                   ``hyperparams.SECTION.NAME.value``, or Corral's own forms
                   ``-metric:METRIC:VARIANT:last|min|max`` and
                   ``param:SECTION:NAME``. One key: the hub sorts by one.
``page_size``      rows per page: one request for one page (at most 500)
``page``           which page, from 0 (with ``page_size``)
``status``         a status or a list of them
``type``           a task type or a list (names or ``Task.TaskTypes``)
``tags``           added to the ``tags`` argument (all must match; ``-tag`` excludes)
``system_tags``    only ``archived`` / ``-archived`` mean something; the rest is ignored
``user``           user ids
``parent``         the parent task's id
``id``             task ids
``project``        project ids
``search_text``    a part of the name or comment (any case), or the start of the id
``_any_``/``_all_``  ``{"fields": [...], "pattern": TEXT}`` over ``name``/``comment``/``id``
``only_fields``    ignored: rows always carry the task table's fields
``filter``         Corral's value filters, a string or a list (all must hold):
                   ``["metric:acc:val:last>0.9", "param:Args:opt=adam"]`` (the
                   forms of ``GET /tasks?filter=``, docs/api.md)
``hyperparams.SECTION.NAME.value``
                   the parameter's value equals this one (a list: one of these);
                   ``"0.01"`` and ``0.01`` are equal (values that read as numbers
                   compare as numbers)
``last_metrics.METRIC.VARIANT.value``
                   (or ``min_value``, ``max_value``) a range ``[low, high]``, either
                   end ``None``, both inclusive, as ClearML's range fields; a
                   single number means equal. Metric and variant by name, not by
                   ClearML's md5 hashes
=================  ==============================================================

Corral's own query parameters (``sort``, ``limit``, ``status``, ``type``, ``tag``,
``user_id``, ``id``, ``parent_id``, ``text``, ``archived``, ``project_id``,
``include_subprojects``) are accepted too.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from corral.core.task_status import TaskStatus
from corral.core.task_types import TaskType, task_type_name
from corral.core.value_filters import parse_filter

log = logging.getLogger("corral.sdk")

#: the most rows one ``GET /tasks`` answers
MAX_PAGE = 500

#: ClearML's task field names (for ``order_by``) -> Corral's sort names
_SORT_FIELDS = {
    "created": "created_at",
    "started": "started_at",
    "completed": "completed_at",
    "last_update": "last_update",
    "last_change": "last_update",
    "name": "name",
    "status": "status",
    "type": "type",
    "user": "user",
    "project": "project",
    "parent": "parent_id",
    "last_iteration": "last_iteration",
    "last_worker": "worker",
    "id": "id",
    "queue": "queue",
}
#: ClearML's ``last_metrics.M.V.<value>`` -> Corral's aggregate
_METRIC_VALUES = {"value": "last", "min_value": "min", "max_value": "max"}
_MD5 = re.compile(r"^[0-9a-f]{32}$")
#: fields ``_any_``/``_all_`` may search: the hub's text search covers these
_TEXT_FIELDS = {"name", "comment", "id"}
#: Corral's own ``GET /tasks`` parameters, passed through as they are
_NATIVE = {
    "sort",
    "status",
    "type",
    "tag",
    "user_id",
    "id",
    "parent_id",
    "text",
    "archived",
    "project_id",
    "include_subprojects",
}
_KEYS = sorted(
    _NATIVE
    | {"order_by", "page_size", "page", "limit", "tags", "system_tags", "user", "parent"}
    | {"project", "search_text", "_any_", "_all_", "only_fields", "filter"}
    | {"hyperparams.SECTION.NAME.value", "last_metrics.METRIC.VARIANT.value"}
)


@dataclass
class TaskQuery:
    """A ``GET /tasks`` query and the slice of its rows wanted.

    Attributes:
        params: query parameters (lists for repeated ones).
        page_size: rows per page (``None``: every row, or ``limit`` of them).
        page: which page, from 0.
        limit: at most this many rows (Corral's ``limit``), without pages.
    """

    params: dict[str, Any] = field(default_factory=dict)
    page_size: int | None = None
    page: int = 0
    limit: int | None = None

    @property
    def window(self) -> tuple[int, int | None]:
        """The rows wanted of the whole ordered result: ``(start, stop)``."""
        if self.page_size is not None:
            start = self.page * self.page_size
            return start, start + self.page_size
        return 0, self.limit


def translate(task_filter: Mapping[str, Any] | None, tags: Sequence[str] | None) -> TaskQuery:
    """The ``GET /tasks`` query for ``task_filter`` and ``tags`` (see the module's table).

    Raises:
        ValueError: an unknown key, a value of the wrong kind, or a sort Corral cannot
            do (the message says what to write instead).
        TypeError: ``task_filter`` is not a mapping.
    """
    if task_filter is not None and not isinstance(task_filter, Mapping):
        raise TypeError(f"task_filter must be a dict, not {type(task_filter).__name__}")
    q = TaskQuery(params={"sort": "-created_at"})
    all_tags = _tag_list(list(tags or []))
    filters: list[str] = []
    for key, value in (task_filter or {}).items():
        if value is None:
            continue
        if key == "filter":
            filters += [_checked(t) for t in ([value] if isinstance(value, str) else value)]
        elif key.startswith(("hyperparams.", "last_metrics.")):
            filters.append(_checked(_value_filter(key, value)))
        elif key == "order_by":
            q.params["sort"] = _order_by(value)
        elif key == "sort":
            q.params["sort"] = _text(key, value)
        elif key == "page_size":
            q.page_size = _count(key, value, low=1)
        elif key == "page":
            q.page = _count(key, value, low=0)
        elif key == "limit":
            q.limit = _count(key, value, low=1)
        elif key == "tags" or key == "tag":
            all_tags += _tag_list(_strings(key, value))
        elif key == "system_tags":
            _system_tags(q, _strings(key, value))
        elif key == "type":
            q.params["type"] = [task_type_name(t) for t in _items(key, value)]
        elif key == "status":
            q.params["status"] = [_status(s) for s in _items(key, value)]
        elif key in ("user", "user_id", "id", "project", "project_id"):
            name = {"user": "user_id", "project": "project_id"}.get(key, key)
            q.params[name] = _strings(key, value)
        elif key in ("parent", "parent_id"):
            q.params["parent_id"] = _text(key, value)
        elif key in ("search_text", "text"):
            q.params["text"] = _text(key, value)
        elif key in ("_any_", "_all_"):
            q.params["text"] = _pattern(key, value)
        elif key in ("archived", "include_subprojects"):
            q.params[key] = value
        elif key == "only_fields":
            continue
        else:
            raise ValueError(
                f"task_filter key {key!r} is not supported; use one of {', '.join(_KEYS)}"
            )
    if q.page and q.page_size is None:
        raise ValueError("task_filter 'page' needs 'page_size' (rows per page)")
    if all_tags:
        q.params["tag"] = all_tags
    if filters:
        q.params["filter"] = filters
    return q


def _checked(text: Any) -> str:
    """A Corral value filter, checked here so that a typo fails before any request."""
    if not isinstance(text, str):
        raise ValueError(f"task_filter 'filter' holds strings, not {type(text).__name__}")
    parse_filter(text)  # FilterSyntaxError is a ValueError naming the accepted forms
    return text


def _segment(name: str) -> str:
    return quote(name, safe="")


def _json_scalar(key: str, value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"task_filter {key!r}: {value!r} is not a value to compare with")
    if not isinstance(value, (str, int, float, bool)):
        raise ValueError(f"task_filter {key!r}: a string, a number or a list of them")
    return json.dumps(value)


def _value_filter(key: str, value: Any) -> str:
    """ClearML's ``hyperparams.S.N.value`` / ``last_metrics.M.V.value`` as a Corral filter."""
    parts = key.split(".")
    if parts[0] == "hyperparams" and len(parts) == 4 and parts[3] == "value":
        name = f"param:{_segment(parts[1])}:{_segment(parts[2])}"
        if isinstance(value, (list, tuple, set, frozenset)):
            return f"{name}=[{', '.join(_json_scalar(key, v) for v in value)}]"
        return f"{name}={_json_scalar(key, value)}"
    if parts[0] == "last_metrics" and len(parts) == 4 and parts[3] in _METRIC_VALUES:
        if _MD5.match(parts[1]) and _MD5.match(parts[2]):
            raise ValueError(
                f"task_filter {key!r}: Corral names metrics, not their hashes; write "
                "'last_metrics.TITLE.SERIES.value' or a filter 'metric:TITLE:SERIES:last>0.9'"
            )
        name = f"metric:{_segment(parts[1])}:{_segment(parts[2])}:{_METRIC_VALUES[parts[3]]}"
        if isinstance(value, (list, tuple)):
            if len(value) != 2 or not all(v is None or _number(v) for v in value):
                raise ValueError(
                    f"task_filter {key!r}: a range is [low, high] (numbers, either None)"
                )
            low, high = ("" if v is None else repr(float(v)) for v in value)
            if not low and not high:
                return f"{name}>=-1e308"  # [None, None]: any value
            return f"{name}={low}..{high}"
        if not _number(value):
            raise ValueError(f"task_filter {key!r}: a number or a range [low, high]")
        return f"{name}={float(value)!r}"
    raise ValueError(
        f"task_filter key {key!r} is not supported; use 'hyperparams.SECTION.NAME.value', "
        "'last_metrics.METRIC.VARIANT.value' (or min_value, max_value) or 'filter'"
    )


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _order_by(value: Any) -> str:
    keys = [value] if isinstance(value, str) else _strings("order_by", value)
    if not keys:
        return "-created_at"
    if len(keys) > 1:
        log.warning("corral sorts tasks by one key: sorting by %r only, not %r", keys[0], keys[1:])
    return sort_spec(keys[0])


def sort_spec(key: str) -> str:
    """Corral's sort for one ClearML ``order_by`` entry (Corral's own forms pass through).

    Raises:
        ValueError: a metric given by ClearML's hashed names, or an unknown field path.
    """
    descending = key.startswith("-")
    name = key[1:] if descending else key.lstrip("+")
    sign = "-" if descending else ""
    if ":" in name:
        return f"{sign}{name}"  # Corral's form: the hub checks it
    if name in _SORT_FIELDS:
        return f"{sign}{_SORT_FIELDS[name]}"
    parts = name.split(".")
    if parts[0] == "hyperparams" and len(parts) == 4 and parts[3] == "value":
        return f"{sign}param:{parts[1]}:{parts[2]}"
    if parts[0] == "last_metrics" and len(parts) == 4 and parts[3] in _METRIC_VALUES:
        if _MD5.match(parts[1]) and _MD5.match(parts[2]):
            raise ValueError(
                f"cannot sort by {key!r}: Corral names metrics, not their hashes; "
                "use '-metric:TITLE:SERIES:last' (or ':min', ':max')"
            )
        return f"{sign}metric:{parts[1]}:{parts[2]}:{_METRIC_VALUES[parts[3]]}"
    raise ValueError(
        f"cannot sort by {key!r}: use a task field ({', '.join(sorted(_SORT_FIELDS))}), "
        "'-metric:TITLE:SERIES:last|min|max' or 'param:SECTION:NAME'"
    )


def _status(value: Any) -> str:
    name = value.value if isinstance(value, TaskStatus) else value
    if name not in {s.value for s in TaskStatus}:
        raise ValueError(
            f"task status {value!r} is not one of {', '.join(s.value for s in TaskStatus)}"
        )
    return str(name)


def _tag_list(tags: list[str]) -> list[str]:
    """ClearML's tag operators: ``__$all`` (Corral's only mode), ``__$not`` (a ``-tag``)."""
    out: list[str] = []
    negate = False
    for tag in tags:
        if tag in ("__$all", "__$and"):
            continue
        if tag == "__$not":
            negate = True
            continue
        if tag in ("__$or", "__$any"):
            raise ValueError(
                "tags are all required in Corral ('__$all'); '__$or' is not supported: "
                "make one query per tag instead"
            )
        out.append(f"-{tag}" if negate else tag)
        negate = False
    return out


def _system_tags(q: TaskQuery, tags: list[str]) -> None:
    for tag in tags:
        if tag == "archived":
            q.params["archived"] = True
        elif tag == "-archived":
            q.params["archived"] = False
        # other system tags have no meaning in Corral: ignored (documented)


def _pattern(key: str, value: Any) -> str:
    if not isinstance(value, Mapping) or "pattern" not in value:
        raise ValueError(f"task_filter {key!r} must be a dict with 'fields' and 'pattern'")
    fields = set(_strings(f"{key}.fields", value.get("fields") or ["name"]))
    if not fields <= _TEXT_FIELDS or (key == "_all_" and len(fields) > 1):
        raise ValueError(
            f"task_filter {key!r} searches only name, comment or id in Corral "
            "(and '_all_' one of them); filter other fields in Python"
        )
    return _text(f"{key}.pattern", value["pattern"])


def _items(key: str, value: Any) -> list[Any]:
    if isinstance(value, (str, TaskType)):
        return [value]
    if isinstance(value, (Sequence, set, frozenset)):
        return list(value)
    raise ValueError(f"task_filter {key!r} must be a string or a list of strings")


def _strings(key: str, value: Any) -> list[str]:
    items = _items(key, value)
    if not all(isinstance(v, str) for v in items):
        raise ValueError(f"task_filter {key!r} must be a string or a list of strings")
    return [str(v) for v in items]


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"task_filter {key!r} must be a string, not {type(value).__name__}")
    return value


def _count(key: str, value: Any, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"task_filter {key!r} must be an integer >= {low}, not {value!r}")
    return value
