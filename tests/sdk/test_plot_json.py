"""``sanitize``: anything a figure holds, as JSON the hub accepts."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from corral.sdk.plot_json import sanitize

# -- sanitize -----------------------------------------------------------------


def test_sanitize_replaces_nan_and_infinities_with_none() -> None:
    value = {"a": [1.0, float("nan"), float("inf"), -math.inf], "b": np.array([np.nan, 2.5])}
    assert sanitize(value) == {"a": [1.0, None, None, None], "b": [None, 2.5]}


def test_sanitize_converts_numpy_scalars_to_python_types() -> None:
    out = sanitize([np.float32(1.5), np.int64(3), np.bool_(True), np.str_("s")])
    assert out == [1.5, 3, True, "s"]
    assert [type(v) for v in out] == [float, int, bool, str]
    assert type(sanitize(np.float64(2.0))) is float


def test_sanitize_converts_tuples_dates_and_keys() -> None:
    value = {
        1: (1, 2),
        "when": dt.datetime(2024, 5, 1, 12, 30),
        "day": dt.date(2024, 5, 1),
        "stamps": np.array(["2024-01-01", "NaT"], dtype="datetime64[ns]"),
        "nat": pd.NaT,
    }
    assert sanitize(value) == {
        "1": [1, 2],
        "when": "2024-05-01T12:30:00",
        "day": "2024-05-01",
        "stamps": ["2024-01-01", None],
        "nat": None,
    }


def test_sanitize_uses_to_plotly_json_of_figure_objects() -> None:
    class FakePlotlyFigure:
        def to_plotly_json(self) -> dict[str, Any]:
            return {"data": [{"type": "scatter", "y": np.array([1.0, np.nan])}], "layout": {}}

    assert sanitize(FakePlotlyFigure()) == {
        "data": [{"type": "scatter", "y": [1.0, None]}],
        "layout": {},
    }


def test_sanitize_rejects_values_without_json_form() -> None:
    with pytest.raises(TypeError, match="complex"):
        sanitize({"z": 1 + 2j})
