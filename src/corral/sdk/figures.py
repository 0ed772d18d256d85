"""Plotly figures as plain dicts: histograms, scatters, lines, heatmaps, 3-D plots, tables.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corral.sdk.plot_json import sanitize

__all__ = [
    "SeriesInfo",
    "confusion_matrix",
    "histogram",
    "line_plot",
    "merge_layout",
    "scatter2d",
    "scatter3d",
    "surface",
    "table",
    "with_comment",
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


@dataclass
class SeriesInfo:
    """One line of :func:`line_plot` (ClearML's ``plotly_reporter.SeriesInfo``).

    Args:
        name: the line's name (the legend).
        data: its points, N x 2 (``[[x, y], ...]`` or an ndarray).
        labels: a hover text per point.

    Raises:
        ValueError: ``data`` is not N x 2, or ``labels`` does not have a text per point.

    Example:
        >>> SeriesInfo("train", [[0, 0.9], [1, 0.5]]).name
        'train'
    """

    name: str
    data: Any
    labels: Sequence[str] | None = None

    def __post_init__(self) -> None:
        rows = _rows(self.data, "SeriesInfo.data") if _tolist(self.data) else []
        if rows and len(rows[0]) != 2:
            raise ValueError(f"SeriesInfo.data must be N x 2 (x, y); got rows of {len(rows[0])}")
        if self.labels is not None and len(self.labels) != len(rows):
            raise ValueError(
                f"SeriesInfo.labels has {len(self.labels)} texts for {len(rows)} points"
            )


def line_plot(
    series: Mapping[str, Any] | Sequence[SeriesInfo | Mapping[str, Any]],
    *,
    xaxis: str = "",
    yaxis: str = "",
    title: str = "",
    mode: str = "lines",
    reverse_xaxis: bool = False,
) -> dict[str, Any]:
    """Several named lines in one chart.

    Args:
        series: name -> ``y`` values (x is then 0, 1, 2...) or name -> ``(x, y)``; or a
            list of :class:`SeriesInfo` (or dicts of its fields), as ClearML takes.
        mode: plotly's scatter mode for every line.
        reverse_xaxis: draw the x axis from high to low.

    Example:
        >>> fig = line_plot({"train": [0.9, 0.5], "val": ([0, 2], [1.0, 0.7])})
        >>> [(t["name"], t["x"]) for t in fig["data"]]
        [('train', [0, 1]), ('val', [0, 2])]
    """
    data = []
    if isinstance(series, Mapping):
        for name, values in series.items():
            if isinstance(values, tuple) and len(values) == 2 and all(map(_is_seq, values)):
                x, y = _tolist(values[0]), _tolist(values[1])
                if len(x) != len(y):
                    raise ValueError(f"series {name!r}: {len(x)} x values for {len(y)} y values")
            else:
                y = _tolist(values)
                x = list(range(len(y)))
            data.append({"type": "scatter", "mode": mode, "name": name, "x": x, "y": y})
    else:
        for item in series:
            info = SeriesInfo(**item) if isinstance(item, Mapping) else item
            if not isinstance(info, SeriesInfo):
                raise TypeError(
                    f"line plot series must be SeriesInfo or dicts, not {type(item).__name__}"
                )
            rows = _rows(info.data, "SeriesInfo.data") if _tolist(info.data) else []
            trace: dict[str, Any] = {
                "type": "scatter",
                "mode": mode,
                "name": info.name,
                "x": [r[0] for r in rows],
                "y": [r[1] for r in rows],
            }
            if info.labels is not None:
                trace["text"] = list(info.labels)
            data.append(trace)
    layout = _layout(title, xaxis, yaxis)
    if reverse_xaxis:
        layout["xaxis"]["autorange"] = "reversed"
    return _figure(data, layout)


def confusion_matrix(
    matrix: Any,
    *,
    xlabels: Sequence[Any] | None = None,
    ylabels: Sequence[Any] | None = None,
    xaxis: str = "Predicted",
    yaxis: str = "Actual",
    title: str = "",
    colorscale: str | list[Any] | None = None,
    yaxis_reversed: bool = True,
) -> dict[str, Any]:
    """A heatmap of ``matrix[actual][predicted]`` with each value written in its cell.

    Row 0 is drawn at the top, as confusion matrices are read; with
    ``yaxis_reversed=False`` at the bottom (plotly's default, and ClearML's
    ``Logger.report_confusion_matrix``'s).

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
    finite = [n for r in rows for v in r if (n := _number(v)) is not None]
    low, high = (min(finite), max(finite)) if finite else (0, 0)
    scale = _BLUES if colorscale is None else colorscale
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
                    }
                )
                cell = _scale_color(scale, low, high, v)
                if cell is not None:  # a named scale: the UI picks the colour as it draws
                    annotations[-1]["font"] = {"color": _text_on(cell)}
    trace = {"type": "heatmap", "z": rows, "x": x, "y": y, "colorscale": scale}
    layout = _layout(title, xaxis, yaxis, annotations=annotations)
    if yaxis_reversed:
        layout["yaxis"]["autorange"] = "reversed"
    return _figure([trace], layout)


#: the default scale of a confusion matrix: light for few, dark blue for many (plotly's
#: own "Blues" runs the other way, from dark blue to light grey)
_BLUES: list[list[Any]] = [[0.0, "#f7fbff"], [0.5, "#6baed6"], [1.0, "#08306b"]]


def _scale_color(
    scale: Any, low: float, high: float, value: float | None
) -> tuple[float, float, float] | None:
    """The RGB colour of ``value`` on a colour scale given as ``[[stop, "#rrggbb"], ...]``;
    None for a named scale, a colour in another notation, or no value."""
    if value is None or isinstance(scale, str):
        return None
    try:
        stops = [(float(stop), _rgb(str(color))) for stop, color in scale]
    except (TypeError, ValueError):
        return None
    t = 0.5 if high <= low else min(1.0, max(0.0, (value - low) / (high - low)))
    if not stops:
        return None
    i = 0
    while i < len(stops) - 2 and stops[i + 1][0] < t:
        i += 1
    (p0, c0), (p1, c1) = stops[i], stops[min(i + 1, len(stops) - 1)]
    f = 0.0 if p1 <= p0 else min(1.0, max(0.0, (t - p0) / (p1 - p0)))
    return (c0[0] + (c1[0] - c0[0]) * f, c0[1] + (c1[1] - c0[1]) * f, c0[2] + (c1[2] - c0[2]) * f)


def _rgb(color: str) -> tuple[float, float, float]:
    if not (color.startswith("#") and len(color) == 7):
        raise ValueError(color)
    return (int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16))


def _text_on(rgb: tuple[float, float, float]) -> str:
    """Near-black text on a light colour, white on a dark one (WCAG luminance)."""

    def lin(v: float) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2])
    return "#111111" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


def surface(
    matrix: Any,
    *,
    xlabels: Sequence[Any] | None = None,
    ylabels: Sequence[Any] | None = None,
    xaxis: str = "",
    yaxis: str = "",
    zaxis: str = "",
    camera: Sequence[float] | None = None,
    title: str = "",
) -> dict[str, Any]:
    """A 3-D surface whose height at (column j, row i) is ``matrix[i][j]``.

    Args:
        matrix: 2-D, rows of equal length.
        xlabels, ylabels: tick labels of the columns and of the rows.
        xaxis, yaxis, zaxis: axis titles.
        camera: where the viewer's eye is, ``(x, y, z)``; plotly's default ``(1.25, 1.25, 1.25)``.

    Example:
        >>> surface([[1, 2], [3, 4]], zaxis="loss")["data"][0]["z"]
        [[1, 2], [3, 4]]
    """
    rows = _rows(matrix, "matrix")
    n_cols = len(rows[0]) if rows else 0
    scene: dict[str, Any] = {}
    for axis, name, labels, count in (
        ("xaxis", xaxis, xlabels, n_cols),
        ("yaxis", yaxis, ylabels, len(rows)),
        ("zaxis", zaxis, None, None),
    ):
        spec: dict[str, Any] = {"title": {"text": name}}
        if labels is not None:
            if len(labels) != count:
                raise ValueError(f"{axis[0]}labels has {len(labels)} labels for {count} values")
            spec.update(tickvals=list(range(len(labels))), ticktext=_tolist(labels))
        scene[axis] = spec
    if camera is not None:
        eye = _tolist(camera)
        if len(eye) != 3:
            raise ValueError(f"camera must be (x, y, z); got {len(eye)} numbers")
        scene["camera"] = {"eye": dict(zip("xyz", eye, strict=True))}
    trace = {"type": "surface", "z": rows}
    return _figure([trace], {"title": {"text": title}, "scene": scene, "showlegend": False})


def scatter3d(
    points: Any,
    *,
    mode: str = "markers",
    fill: bool = False,
    xaxis: str = "",
    yaxis: str = "",
    zaxis: str = "",
    labels: Sequence[str] | None = None,
    title: str = "",
    name: str = "",
) -> dict[str, Any]:
    """3-D points: ``points`` is N x 3, or a list of N x 3 arrays (one trace each).

    Args:
        points: ``[[x, y, z], ...]`` or an ndarray; or a list of those.
        mode: plotly's scatter mode: "markers", "lines", "lines+markers".
        fill: fill the area under each line (down to z's floor).
        labels: a hover text per point (of each trace, for several).
        name: the trace name (several traces are named ``name``, ``name 1``, ...).

    Example:
        >>> scatter3d([[0, 1, 2], [3, 4, 5]])["data"][0]["z"]
        [2, 5]
    """
    flat = _tolist(points)
    several = bool(flat) and _is_seq(flat[0]) and bool(_tolist(flat[0]))
    several = several and _is_seq(_tolist(flat[0])[0])
    groups = [_rows(g, "points") if _tolist(g) else [] for g in flat] if several else None
    if groups is None:
        groups = [_rows(flat, "points") if flat else []]
    data = []
    for k, rows in enumerate(groups):
        if rows and len(rows[0]) != 3:
            raise ValueError(f"points must be N x 3; got rows of {len(rows[0])}")
        trace: dict[str, Any] = {
            "type": "scatter3d",
            "mode": mode,
            "x": [r[0] for r in rows],
            "y": [r[1] for r in rows],
            "z": [r[2] for r in rows],
        }
        if labels is not None:
            if len(labels) != len(rows):
                raise ValueError(f"labels has {len(labels)} texts for {len(rows)} points")
            trace["text"] = list(labels)
        if fill:
            trace["surfaceaxis"] = 2
        if name:
            trace["name"] = name if k == 0 else f"{name} {k}"
        data.append(trace)
    scene = {
        a: {"title": {"text": t}} for a, t in (("xaxis", xaxis), ("yaxis", yaxis), ("zaxis", zaxis))
    }
    return _figure(data, {"title": {"text": title}, "scene": scene})


def with_comment(title: str, comment: str | None) -> str:
    """The figure title with ``comment`` under it in small print, as ClearML draws it.

    Example:
        >>> with_comment("loss", "lower is better")
        'loss<br><sup>lower is better</sup>'
    """
    return f"{title}<br><sup>{comment}</sup>" if comment else title


def merge_layout(
    figure: dict[str, Any], extra: Mapping[str, Any] | None, key: str = "layout"
) -> None:
    """Merge ``extra`` into ``figure[key]`` in place, nested dicts key by key.

    ``key="data"`` merges it into every trace instead.

    Raises:
        TypeError: ``extra`` is not a dict.
    """
    if extra is None:
        return
    if not isinstance(extra, Mapping):
        raise TypeError(f"extra layout/data must be a dict, not {type(extra).__name__}")
    extra = sanitize(dict(extra))
    targets = figure["data"] if key == "data" else [figure.setdefault("layout", {})]
    for target in targets:
        _deep_merge(target, extra)


def _deep_merge(into: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for k, v in extra.items():
        if isinstance(v, Mapping) and isinstance(into.get(k), dict):
            _deep_merge(into[k], v)
        else:
            into[k] = v


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
