"""Anything to JSON the hub accepts: the last step of every reported figure.

:func:`sanitize` turns numpy arrays and scalars, pandas values, dates, decimals and
paths into plain JSON values, and NaN and infinities into ``null`` (the hub rejects
NaN). numpy and pandas are never imported here: an object can only be one of theirs
when its module is loaded already.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sys
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["sanitize"]


def sanitize(obj: Any) -> Any:
    """Convert ``obj`` deeply into values that ``json.dumps(..., allow_nan=False)`` accepts.

    numpy arrays and scalars become lists and Python numbers, NaN and infinities
    become ``None``, tuples and sets become lists, dates and times become ISO
    strings, non-string keys become their JSON text, and objects with
    ``to_plotly_json()``, ``tolist()`` or ``to_dict()`` (a plotly ``Figure``, a
    pandas Series) are converted through those.

    Raises:
        TypeError: for an object with no JSON form (e.g. a complex number).

    Example:
        >>> sanitize({"y": (1.0, float("nan")), 2: float("inf")})
        {'y': [1.0, None], '2': None}
    """
    if obj is None or type(obj) in (str, int, bool):
        return obj
    if isinstance(obj, float):  # also numpy.float64, a subclass
        return float(obj) if math.isfinite(obj) else None
    for exact in (bool, int, str):  # subclasses: numpy.str_, IntEnum...
        if isinstance(obj, exact):
            return exact(obj)
    if isinstance(obj, Mapping):
        return {_key(k): sanitize(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [sanitize(v) for v in obj]
    pd = sys.modules.get("pandas")
    if pd is not None and (obj is pd.NaT or obj is pd.NA):
        return None
    if isinstance(obj, (dt.datetime, dt.date, dt.time)):
        return obj.isoformat()
    np = sys.modules.get("numpy")  # an object can only be a numpy one if numpy is loaded
    if np is not None and isinstance(obj, (np.ndarray, np.generic)):
        return _sanitize_numpy(obj, np)
    if isinstance(obj, Decimal):
        return sanitize(float(obj))
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    for method in ("to_plotly_json", "tolist", "to_dict"):
        convert = getattr(obj, method, None)
        if callable(convert):
            return sanitize(convert())
    raise TypeError(f"cannot convert {type(obj).__name__} to JSON: {obj!r:.100}")


def _sanitize_numpy(obj: Any, np: Any) -> Any:
    if obj.dtype.kind == "M":
        text = np.datetime_as_string(obj, unit="auto")
        return sanitize(np.where(text == "NaT", None, text).tolist())
    if obj.dtype.kind == "m":
        obj = obj / np.timedelta64(1, "s")  # seconds; NaT becomes NaN, then None
    if obj.dtype.kind in "biu":  # fast paths: tolist() gives Python numbers already
        return obj.tolist()
    if obj.dtype.kind == "f":
        finite = np.isfinite(obj)
        return obj.tolist() if finite.all() else np.where(finite, obj, None).tolist()
    return sanitize(obj.tolist())


def _key(key: Any) -> str:
    value = sanitize(key)
    return value if isinstance(value, str) else json.dumps(value)
