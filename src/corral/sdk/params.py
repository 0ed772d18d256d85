"""Parameters on the wire: flat ``name -> {value, type, description}`` sections that keep types.

A connected dict ``{"lr": 0.1, "opt": {"name": "adam", "betas": [0.9, 0.99]}}`` becomes
the section ``{"lr": {...}, "opt/name": {...}, "opt/betas": {...}}``: nested dicts are
flattened with ``/`` so that each leaf is one editable row in the UI. Values stay JSON
values with their Python type name beside them, so a ``False`` edited in the UI comes
back as ``False`` and ``3`` stays an ``int``; a string typed into a numeric field of the
UI is cast back to the declared type.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from enum import Enum
from pathlib import PurePath
from typing import Any

#: the separator of nested keys in a flattened section
SEP = "/"

#: a flattened section: ``{"opt/name": {"value": "adam", "type": "str"}}``
Flat = dict[str, dict[str, Any]]


def type_name(value: Any) -> str:
    if value is None:
        return "NoneType"
    return type(value).__name__


def to_json_value(value: Any) -> Any:
    """A JSON-safe copy of ``value``: tuples and sets become lists, other objects strings."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Enum):
        return to_json_value(value.value)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json_value(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return to_json_value(item())
        except (TypeError, ValueError):
            pass
    return str(value)


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """``{"a": {"b": 1}}`` -> ``{"a/b": {"value": 1, "type": "int"}}`` (empty dicts kept as values)."""
    out: dict[str, dict[str, Any]] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, name + SEP))
        else:
            out[name] = {"value": to_json_value(value), "type": type_name(value)}
    return out


def unflatten(section: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`flatten` on stored values (each ``{"value", "type"}``)."""
    out: dict[str, Any] = {}
    for name, param in section.items():
        value = cast(param.get("value"), param.get("type", ""))
        node = out
        parts = name.split(SEP)
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    return out


def cast(value: Any, declared: str) -> Any:
    """Bring a stored value back to its declared type (the UI may send strings)."""
    if value is None or not declared:
        return value
    try:
        if declared == "bool":
            if isinstance(value, str):
                low = value.strip().lower()
                if low in ("true", "1", "yes", "on"):
                    return True
                if low in ("false", "0", "no", "off", ""):
                    return False
                return value
            return bool(value)
        if declared == "int" and not isinstance(value, bool):
            if isinstance(value, str):
                return int(value.strip())
            if isinstance(value, float) and value.is_integer():
                return int(value)
            return value
        if declared == "float" and not isinstance(value, bool):
            return float(value) if isinstance(value, (int, str)) else value
        if declared == "str":
            return value if isinstance(value, str) else json.dumps(value)
        if declared in ("list", "tuple", "dict") and isinstance(value, str):
            parsed = json.loads(value)
            return tuple(parsed) if declared == "tuple" and isinstance(parsed, list) else parsed
        if declared == "tuple" and isinstance(value, list):
            return tuple(value)
        if (
            declared == "NoneType"
            and isinstance(value, str)
            and value.strip().lower()
            in (
                "",
                "none",
                "null",
            )
        ):
            return None
    except (ValueError, TypeError):
        return value
    return value


def like(value: Any, original: Any) -> Any:
    """Cast a stored ``value`` to the type of the code's ``original`` value when they differ."""
    if original is None or value is None or type(value) is type(original):
        return value
    return cast(value, type_name(original))


def object_params(obj: Any) -> dict[str, Any]:
    """The public, non-callable attributes of an object or class (class attributes too)."""
    cls = obj if isinstance(obj, type) else type(obj)
    out: dict[str, Any] = {}
    for name in dir(obj):
        if name.startswith("_") or isinstance(getattr(cls, name, None), property):
            continue
        try:
            value = getattr(obj, name)
        except AttributeError:
            continue
        if callable(value) or isinstance(value, (staticmethod, classmethod)):
            continue
        out[name] = value
    return out
