"""Plotly figures as plain dicts: histograms, scatters, lines, confusion matrices, tables.

Every builder returns ``{"data": [...], "layout": {...}}`` in plotly's JSON format,
so plotly itself is never needed, passed through :func:`corral.sdk.plot_json.sanitize`
(NaN and infinities become ``null``, numpy values plain Python). Matplotlib figures are
converted in :mod:`corral.sdk.mpl_figures`.

numpy and pandas are never imported here: importing this module is cheap.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from corral.sdk.plot_json import sanitize

__all__ = [
    "confusion_matrix",
    "histogram",
    "line_plot",
    "scatter2d",
    "table",
]

#: Above this many cells a confusion matrix is drawn without per-cell text:
#: thousands of annotations make the figure heavy and unreadable anyway.
MAX_ANNOTATED_CELLS = 2500
_BAR_MODES = ("group", "stack", "relative", "overlay")


def _tolist(values: Any) -> list[Any]:
    if hasattr(values, "to_numpy"):  # pandas
        values = values.to_numpy()
    if hasattr(values, "tolist"):  # numpy
        values = values.tolist()
    return list(values)


def _is_seq(value: Any) -> bool:
    if isinstance(value, (str, bytes)):
        return False
    return isinstance(value, Sequence) or getattr(value, "ndim", 0) > 0


def _rows(values: Any, what: str) -> list[list[Any]]:
    """A 2-D rectangular input as a list of rows."""
    rows = [_tolist(r) if _is_seq(r) else None for r in _tolist(values)]
    if any(r is None for r in rows) or len({len(r) for r in rows if r is not None}) > 1:
        raise ValueError(f"{what} must be 2-D with rows of equal length")
    return [r for r in rows if r is not None]


def _layout(title: str, xaxis: str, yaxis: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "xaxis": {"title": {"text": xaxis}},
        "yaxis": {"title": {"text": yaxis}},
        **extra,
    }


def _figure(data: list[dict[str, Any]], layout: dict[str, Any]) -> dict[str, Any]:
    figure: dict[str, Any] = sanitize({"data": data, "layout": layout})
    return figure


def histogram(
    values: Any,
    *,
    labels: Sequence[str] | None = None,
    xlabels: Sequence[Any] | None = None,
    xaxis: str = "",
    yaxis: str = "",
    title: str = "",
    mode: str = "group",
    data_args: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Bar chart of values that already are bin heights (ClearML's ``report_histogram``).

    Args:
        values: 1-D (one series) or 2-D (N bins x M series, one series per column).
        labels: a name per series (the legend).
        xlabels: a label per bin; default the bin indices.
        xaxis, yaxis, title: axis titles and figure title.
        mode: how several series share a bin: "group", "stack", "relative", "overlay".
        data_args: extra plotly trace attributes, one dict for all series or one per series.

    Example:
        >>> histogram([[1, 2], [3, 4]], labels=["a", "b"], xlabels=["lo", "hi"])["data"][1]["y"]
        [2, 4]
    """
    if mode not in _BAR_MODES:
        raise ValueError(f"mode must be one of {', '.join(_BAR_MODES)}; got {mode!r}")
    flat = _tolist(values)
    series = (
        [list(c) for c in zip(*_rows(flat, "values"), strict=True)]
        if flat and _is_seq(flat[0])
        else [flat]
    )
    if not series:  # 2-D with no column
        series = [[]]
    n = len(series[0])
    if labels is not None and len(labels) != len(series):
        raise ValueError(f"labels has {len(labels)} names for {len(series)} series")
    if xlabels is not None and len(xlabels) != n:
        raise ValueError(f"xlabels has {len(xlabels)} labels for {n} bins")
    if data_args is None or isinstance(data_args, Mapping):
        extras: list[Mapping[str, Any]] = [data_args or {}] * len(series)
    elif len(data_args) == len(series):
        extras = list(data_args)
    else:
        raise ValueError(f"data_args has {len(data_args)} dicts for {len(series)} series")
    x = _tolist(xlabels) if xlabels is not None else list(range(n))
    data = []
    for i, (ys, extra) in enumerate(zip(series, extras, strict=True)):
        trace: dict[str, Any] = {"type": "bar", "x": x, "y": ys}
        if labels is not None:
            trace["name"] = labels[i]
        data.append({**trace, **extra})
    return _figure(data, _layout(title, xaxis, yaxis, barmode=mode))


def scatter2d(
    points: Any,
    *,
    mode: str = "lines",
    xaxis: str = "",
    yaxis: str = "",
    labels: Sequence[str] | None = None,
    title: str = "",
    name: str = "",
) -> dict[str, Any]:
    """One series of (x, y) points: ``points`` is N x 2 (pairs or an ndarray).

    Args:
        points: the points, in order.
        mode: plotly's scatter mode: "lines", "markers", "lines+markers"...
        labels: a hover text per point.
        name: the series name (the legend).

    Example:
        >>> scatter2d([(0, 1), (1, 3)], mode="markers")["data"][0]["y"]
        [1, 3]
    """
    rows = _rows(points, "points") if _tolist(points) else []
    if rows and len(rows[0]) != 2:
        raise ValueError(f"points must be N x 2; got rows of {len(rows[0])}")
    trace: dict[str, Any] = {
        "type": "scatter",
        "mode": mode,
        "x": [r[0] for r in rows],
        "y": [r[1] for r in rows],
    }
    if labels is not None:
        if len(labels) != len(rows):
            raise ValueError(f"labels has {len(labels)} texts for {len(rows)} points")
        trace["text"] = list(labels)
    if name:
        trace["name"] = name
    return _figure([trace], _layout(title, xaxis, yaxis))


def line_plot(
    series: Mapping[str, Any],
    *,
    xaxis: str = "",
    yaxis: str = "",
    title: str = "",
    mode: str = "lines",
) -> dict[str, Any]:
    """Several named lines in one chart.

    Args:
        series: name -> ``y`` values (x is then 0, 1, 2...) or name -> ``(x, y)``.
        mode: plotly's scatter mode for every line.

    Example:
        >>> fig = line_plot({"train": [0.9, 0.5], "val": ([0, 2], [1.0, 0.7])})
        >>> [(t["name"], t["x"]) for t in fig["data"]]
        [('train', [0, 1]), ('val', [0, 2])]
    """
    data = []
    for name, values in series.items():
        if isinstance(values, tuple) and len(values) == 2 and all(map(_is_seq, values)):
            x, y = _tolist(values[0]), _tolist(values[1])
            if len(x) != len(y):
                raise ValueError(f"series {name!r}: {len(x)} x values for {len(y)} y values")
        else:
            y = _tolist(values)
            x = list(range(len(y)))
        data.append({"type": "scatter", "mode": mode, "name": name, "x": x, "y": y})
    return _figure(data, _layout(title, xaxis, yaxis))


def confusion_matrix(
    matrix: Any,
    *,
    xlabels: Sequence[Any] | None = None,
    ylabels: Sequence[Any] | None = None,
    xaxis: str = "Predicted",
    yaxis: str = "Actual",
    title: str = "",
    colorscale: str | list[Any] | None = None,
) -> dict[str, Any]:
    """A heatmap of ``matrix[actual][predicted]`` with each count written in its cell.

    Row 0 is drawn at the top, as confusion matrices are read.

    Example:
        >>> fig = confusion_matrix([[5, 1], [0, 7]], xlabels=["cat", "dog"], ylabels=["cat", "dog"])
        >>> [a["text"] for a in fig["layout"]["annotations"]]
        ['5', '1', '0', '7']
    """
    rows = _rows(matrix, "matrix")
    n_cols = len(rows[0]) if rows else 0
    x = _tolist(xlabels) if xlabels is not None else list(range(n_cols))
    y = _tolist(ylabels) if ylabels is not None else list(range(len(rows)))
    if len(x) != n_cols or len(y) != len(rows):
        raise ValueError(
            f"labels ({len(y)} y, {len(x)} x) do not fit a {len(rows)}x{n_cols} matrix"
        )
    finite = [v for r in rows for v in r if _number(v) is not None]
    middle = (min(finite) + max(finite)) / 2 if finite else 0
    annotations = []
    if len(rows) * n_cols <= MAX_ANNOTATED_CELLS:
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                v = _number(value)
                if isinstance(v, float) and v.is_integer():
                    v = int(v)
                annotations.append(
                    {
                        "x": x[j],
                        "y": y[i],
                        "text": "" if v is None else (str(v) if isinstance(v, int) else f"{v:.3g}"),
                        "showarrow": False,
                        "font": {"color": "white" if v is not None and v > middle else "black"},
                    }
                )
    trace = {"type": "heatmap", "z": rows, "x": x, "y": y, "colorscale": colorscale or "Blues"}
    layout = _layout(title, xaxis, yaxis, annotations=annotations)
    layout["yaxis"]["autorange"] = "reversed"
    return _figure([trace], layout)


def _number(value: Any) -> int | float | None:
    value = sanitize(value)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def table(data: Any, *, title: str = "", max_rows: int = 1000) -> dict[str, Any]:
    """A plotly table from a DataFrame, a CSV file or text, or a list of rows.

    Args:
        data: a pandas DataFrame (its index becomes the first column); a path to a
            CSV file (a ``Path``, or a ``str`` without a newline); CSV text (a ``str``
            with a newline); or a list of rows whose first row is the header.
        max_rows: rows kept; when there are more, the title says so.

    Example:
        >>> table([["name", "score"], ["a", 1], ["b", 2]])["data"][0]["cells"]["values"]
        [['a', 'b'], [1, 2]]
    """
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(data, pd.DataFrame):
        header, rows, total = _frame_rows(data, max_rows)
    else:
        if isinstance(data, os.PathLike) or (isinstance(data, str) and "\n" not in data):
            with Path(data).open(newline="", encoding="utf-8-sig") as f:
                header, rows, total = _head(csv.reader(f), max_rows)
        elif isinstance(data, str):
            header, rows, total = _head(csv.reader(io.StringIO(data)), max_rows)
        elif _is_seq(data):
            header, rows, total = _head((_tolist(r) for r in data), max_rows)
        else:
            raise TypeError(f"cannot make a table from {type(data).__name__}")
    width = max([len(header), *map(len, rows)])
    header = header + [""] * (width - len(header))
    columns = [[r[j] if j < len(r) else None for r in rows] for j in range(width)]
    if total > max_rows:
        title = f"{title} (first {max_rows} of {total} rows)".strip()
    trace = {"type": "table", "header": {"values": header}, "cells": {"values": columns}}
    return _figure([trace], {"title": {"text": title}})


def _head(rows: Any, max_rows: int) -> tuple[list[Any], list[list[Any]], int]:
    """Header, first ``max_rows`` rows and the row count of an iterator of rows."""
    it = iter(rows)
    header = list(next(it, []))
    kept = [list(r) for _, r in zip(range(max_rows), it, strict=False)]
    return header, kept, len(kept) + sum(1 for _ in it)


def _frame_rows(frame: Any, max_rows: int) -> tuple[list[Any], list[list[Any]], int]:
    def name(n: Any) -> str:
        return " / ".join(map(str, n)) if isinstance(n, tuple) else ("" if n is None else str(n))

    index_names = [name(n) for n in frame.index.names]
    header = [" / ".join(n for n in index_names if n), *map(name, frame.columns)]
    head = frame.head(max_rows)
    rows = [
        [name(i) if isinstance(i, tuple) else i, *r]
        for i, r in zip(head.index, head.values, strict=True)
    ]
    return header, rows, len(frame)
