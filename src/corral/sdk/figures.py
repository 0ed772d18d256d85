"""Plotly figures as plain dicts, and the conversion of anything else to JSON.

Every builder returns ``{"data": [...], "layout": {...}}`` in plotly's JSON
format, so plotly itself is never needed. Everything goes through
:func:`sanitize` on the way out: NaN and infinities become ``null`` (the hub
rejects NaN), numpy arrays and scalars become plain Python.

:func:`from_matplotlib` turns a matplotlib figure into plotly traces when it is
made of things plotly draws the same way (lines, scatters, bars on ordinary
axes) and into an embedded PNG otherwise, so a figure is never reported wrong.

numpy, pandas and matplotlib are imported only inside the functions that use
them: importing this module is cheap.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import logging
import math
import os
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "confusion_matrix",
    "from_matplotlib",
    "histogram",
    "line_plot",
    "sanitize",
    "scatter2d",
    "table",
]

log = logging.getLogger(__name__)

#: Above this many cells a confusion matrix is drawn without per-cell text:
#: thousands of annotations make the figure heavy and unreadable anyway.
MAX_ANNOTATED_CELLS = 2500
_BAR_MODES = ("group", "stack", "relative", "overlay")


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


# -- matplotlib ----------------------------------------------------------------

_PT = 4 / 3  # plotly sizes are pixels, matplotlib's points (1/72 in) at 96 dpi
_DASHES = {"-": "solid", "--": "dash", ":": "dot", "-.": "dashdot"}
_STEPS = {"steps": "vh", "steps-pre": "vh", "steps-post": "hv", "steps-mid": "hvh"}
_SYMBOLS = {
    "o": "circle", ".": "circle", "s": "square", ",": "square", "D": "diamond",
    "d": "diamond-tall", "^": "triangle-up", "v": "triangle-down", "<": "triangle-left",
    ">": "triangle-right", "x": "x", "X": "x", "+": "cross", "P": "cross", "*": "star",
    "p": "pentagon", "h": "hexagon", "H": "hexagon2", "8": "octagon",
}  # fmt: skip
_MIN_DPI = 10.0


class _Unsupported(Exception):
    """The figure holds something plotly would not draw the same way."""


def from_matplotlib(figure: Figure, *, max_bytes: int = 2_000_000) -> dict[str, Any]:
    """Convert a matplotlib figure to a plotly figure dict; the figure is left untouched.

    Lines, scatters and bars on ordinary (linear or log, numeric, date or
    categorical) axes become plotly traces, one subplot per axes. Anything else
    (images, contours, 3-D or polar axes, text, overlapping axes...) or any
    failure renders the whole figure to PNG instead, embedded as a data URI in
    ``layout.images`` at a resolution low enough for the URI to fit ``max_bytes``
    (down to 10 dpi). ``layout.meta.rendered`` says which: "plotly" or "image".

    Example:
        >>> from matplotlib.figure import Figure
        >>> fig = Figure()
        >>> _ = fig.add_subplot().plot([1, 2], [3, 4], label="loss")
        >>> from_matplotlib(fig)["data"][0]["name"]
        'loss'
    """
    try:
        return _convert(figure)
    except _Unsupported as e:
        log.debug("matplotlib figure rendered as an image: %s", e)
    except Exception:  # a bug of ours: the image is still right
        log.debug("matplotlib figure conversion failed, rendering it", exc_info=True)
    return _image_figure(figure, max_bytes)


def _convert(figure: Figure) -> dict[str, Any]:
    suptitle = figure.get_suptitle()
    texts = [t for t in figure.texts if t.get_visible() and t.get_text() not in ("", suptitle)]
    if texts or figure.images or figure.lines or figure.patches or figure.artists or figure.subfigs:
        raise _Unsupported("figure-level artists")
    axes = [ax for ax in figure.get_axes() if ax.get_visible()]
    for i, a in enumerate(axes):
        if a.name != "rectilinear":
            raise _Unsupported(f"{a.name} axes")
        if any(_overlap(a.get_position(), b.get_position()) for b in axes[:i]):
            raise _Unsupported("overlapping axes")
    width, height = figure.get_size_inches() * figure.dpi
    layout: dict[str, Any] = {
        "width": round(width),
        "height": round(height),
        "showlegend": any(ax.get_legend() is not None for ax in axes),
        "title": {"text": suptitle},
        "meta": {"source": "matplotlib", "rendered": "plotly"},
    }
    data: list[dict[str, Any]] = []
    annotations = []
    for i, ax in enumerate(axes, start=1):
        n = "" if i == 1 else str(i)
        for trace in _axes_traces(ax):
            data.append({**trace, "xaxis": f"x{n}", "yaxis": f"y{n}"})
        box = ax.get_position()
        layout[f"xaxis{n}"] = {**_axis(ax, "x"), "domain": [box.x0, box.x1], "anchor": f"y{n}"}
        layout[f"yaxis{n}"] = {**_axis(ax, "y"), "domain": [box.y0, box.y1], "anchor": f"x{n}"}
        title = ax.get_title() or ax.get_title("left") or ax.get_title("right")
        if title and len(axes) == 1 and not suptitle:
            layout["title"] = {"text": title}
        elif title:  # plotly has no per-subplot title: an annotation, as make_subplots does
            annotations.append(
                {"text": title, "showarrow": False, "xref": "paper", "yref": "paper",
                 "x": (box.x0 + box.x1) / 2, "y": box.y1, "xanchor": "center", "yanchor": "bottom"}
            )  # fmt: skip
    if not data:
        raise _Unsupported("nothing plotly can draw")
    layout["annotations"] = annotations
    return _figure(data, layout)


def _overlap(a: Any, b: Any, eps: float = 1e-6) -> bool:
    """Whether two figure boxes share area (touching subplots do not)."""
    return bool(a.x0 < b.x1 - eps and b.x0 < a.x1 - eps and a.y0 < b.y1 - eps and b.y0 < a.y1 - eps)


def _axes_traces(ax: Any) -> list[dict[str, Any]]:
    from matplotlib.collections import PathCollection
    from matplotlib.container import BarContainer

    if ax.images or ax.texts or ax.tables or ax.artists or ax.child_axes:
        raise _Unsupported("images, texts, tables or inset axes")
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    in_bars = {id(p) for c in bars for p in c.patches}
    if any(id(p) not in in_bars for p in ax.patches):
        raise _Unsupported("patches other than bars")
    if any(not isinstance(c, PathCollection) for c in ax.collections):
        raise _Unsupported("collections other than scatters")
    traces = [_line_trace(ax, line) for line in ax.lines if line.get_visible()]
    traces += [_scatter_trace(ax, c) for c in ax.collections if c.get_visible()]
    traces += [_bar_trace(ax, c) for c in bars]
    return [t for t in traces if t]


def _hex(color: Any) -> str | None:
    from matplotlib.colors import to_hex, to_rgba

    return None if to_rgba(color)[3] == 0 else to_hex(color)


def _name(trace: dict[str, Any], label: Any) -> dict[str, Any]:
    label = str(label or "")
    if label and not label.startswith("_"):
        trace["name"] = label
    else:
        trace["showlegend"] = False
    return trace


def _line_trace(ax: Any, line: Any) -> dict[str, Any] | None:
    if line.get_transform() is not ax.transData:
        raise _Unsupported("line not in data coordinates (axhline, transform=...)")
    style, marker = line.get_linestyle(), line.get_marker()
    has_line = style not in ("None", "none", "", " ")
    has_marker = isinstance(marker, str) and marker not in ("None", "none", "", " ")
    if not (has_line or has_marker):
        return None
    trace: dict[str, Any] = {"type": "scatter", "x": _plain(line.get_xdata())}
    trace["y"] = _plain(line.get_ydata())
    trace["mode"] = "+".join(m for m, on in (("lines", has_line), ("markers", has_marker)) if on)
    if has_line:
        trace["line"] = {
            "color": _hex(line.get_color()),
            "width": line.get_linewidth() * _PT,
            "dash": _DASHES.get(style, "solid"),
            "shape": _STEPS.get(line.get_drawstyle(), "linear"),
        }
    if has_marker:
        face = _hex(line.get_markerfacecolor())
        symbol = _SYMBOLS.get(marker, "circle")
        trace["marker"] = {
            "symbol": symbol if face else f"{symbol}-open",
            "size": line.get_markersize() * _PT,
            "color": face or _hex(line.get_markeredgecolor()),
        }
    if line.get_alpha() is not None:
        trace["opacity"] = line.get_alpha()
    return _name(trace, line.get_label())


def _plain(values: Any) -> Any:
    """Line data as given (dates, categories...), masked points as NaN."""
    import numpy as np

    array = np.ma.asarray(values)
    return np.ma.filled(array.astype(float), np.nan) if np.ma.is_masked(array) else array.data


def _scatter_trace(ax: Any, coll: Any) -> dict[str, Any]:
    import numpy as np

    if coll.get_offset_transform() is not ax.transData:
        raise _Unsupported("scatter not in data coordinates")
    offsets: Any = np.ma.filled(np.ma.asarray(coll.get_offsets(), dtype=float), np.nan)
    offsets = offsets.reshape(-1, 2)
    array = coll.get_array()  # c=values: colours come from the colormap at draw time
    rgba = coll.to_rgba(array) if array is not None else coll.get_facecolors()
    colors = [_hex(c) for c in rgba]
    sizes = (np.sqrt(coll.get_sizes()) * _PT).tolist()
    trace = {
        "type": "scatter",
        "mode": "markers",
        "x": _axis_values(ax.xaxis, offsets[:, 0]),
        "y": _axis_values(ax.yaxis, offsets[:, 1]),
        "marker": {
            "color": colors[0] if len(set(colors)) == 1 else colors,
            "size": sizes[0] if len(set(sizes)) == 1 else sizes,
        },
    }
    if coll.get_alpha() is not None:
        trace["opacity"] = coll.get_alpha()
    return _name(trace, coll.get_label())


def _bar_trace(ax: Any, container: Any) -> dict[str, Any]:
    import numpy as np

    rects = container.patches
    if any(r.get_data_transform() is not ax.transData for r in rects):
        raise _Unsupported("bars not in data coordinates")
    boxes = np.array([(r.get_x(), r.get_y(), r.get_width(), r.get_height()) for r in rects])
    x0, y0, w, h = boxes.reshape(-1, 4).T
    if container.orientation == "horizontal":
        where, along, pos, thick, base, length = ax.yaxis, ax.xaxis, y0 + h / 2, h, x0, w
    else:
        where, along, pos, thick, base, length = ax.xaxis, ax.yaxis, x0 + w / 2, w, y0, h
    if _is_dates(along) or _is_categorical(along):
        raise _Unsupported("bar lengths on a date or categorical axis")
    if _is_dates(where):
        thick = thick * 86_400_000  # matplotlib dates are days, plotly's bar widths milliseconds
    horizontal = container.orientation == "horizontal"
    trace: dict[str, Any] = {"type": "bar", "orientation": "h" if horizontal else "v"}
    trace["y" if horizontal else "x"] = _axis_values(where, pos)
    trace["x" if horizontal else "y"] = length
    trace["width"] = thick
    if base.any():  # stacked bars
        trace["base"] = base
    colors = [_hex(r.get_facecolor()) for r in rects]
    trace["marker"] = {"color": colors[0] if len(set(colors)) <= 1 else colors}
    if rects and rects[0].get_facecolor()[3] < 1:
        trace["opacity"] = rects[0].get_facecolor()[3]
    return _name(trace, container.get_label())


def _is_dates(axis: Any) -> bool:
    from matplotlib import dates

    formatters = (dates.AutoDateFormatter, dates.ConciseDateFormatter, dates.DateFormatter)
    return isinstance(axis.get_major_formatter(), formatters)


def _is_categorical(axis: Any) -> bool:
    from matplotlib.category import UnitData

    return isinstance(axis.get_units(), UnitData)


def _axis_values(axis: Any, values: Any) -> list[Any]:
    """Numbers matplotlib converted (categories, dates) back to what the user gave."""
    from matplotlib import dates
    from matplotlib.category import StrCategoryFormatter

    if _is_categorical(axis):
        formatter = axis.get_major_formatter()
        if not isinstance(formatter, StrCategoryFormatter):
            raise _Unsupported("categorical axis with a custom formatter")
        return list(formatter.format_ticks(values))
    if _is_dates(axis):
        return [dates.num2date(v).replace(tzinfo=None).isoformat() for v in values]
    return _tolist(values)


def _axis(ax: Any, which: str) -> dict[str, Any]:
    from matplotlib import ticker
    from matplotlib.category import StrCategoryFormatter

    axis = ax.xaxis if which == "x" else ax.yaxis
    # A formatter of its own (pandas' period dates, FuncFormatter...) means the
    # numbers on the axis are not what the ticks say: plotly would show them raw.
    known = (ticker.ScalarFormatter, ticker.LogFormatter, StrCategoryFormatter)
    if not (isinstance(axis.get_major_formatter(), known) or _is_dates(axis)):
        raise _Unsupported(f"{type(axis.get_major_formatter()).__name__} tick labels")
    scale = axis.get_scale()
    lo, hi = ax.get_xlim() if which == "x" else ax.get_ylim()
    layout: dict[str, Any] = {"title": {"text": axis.get_label_text()}, "range": [lo, hi]}
    if scale == "log":
        layout.update(type="log", range=[math.log10(lo), math.log10(hi)])
    elif scale != "linear":
        raise _Unsupported(f"{scale} scale")
    elif _is_dates(axis):
        layout.update(type="date", range=_axis_values(axis, [lo, hi]))
    elif _is_categorical(axis):
        layout["type"] = "category"
    if not ax.axison:
        layout["visible"] = False
    return layout


def _image_figure(figure: Figure, max_bytes: int) -> dict[str, Any]:
    """The figure rendered to PNG (Agg) inside a layout-only plotly figure."""
    width, height = figure.get_size_inches() * figure.dpi
    dpi = float(figure.dpi)
    while True:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi)  # savefig renders with Agg, backend untouched
        uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
        if len(uri) <= max_bytes or dpi <= _MIN_DPI:
            break
        dpi = max(_MIN_DPI, dpi * min(0.9, math.sqrt(max_bytes / len(uri))))
    image = {
        "source": uri, "xref": "paper", "yref": "paper", "x": 0, "y": 1,
        "sizex": 1, "sizey": 1, "xanchor": "left", "yanchor": "top",
        "sizing": "contain", "layer": "below",
    }  # fmt: skip
    hidden = {"visible": False, "showgrid": False, "zeroline": False}
    layout = {
        "images": [image],
        "xaxis": hidden,
        "yaxis": dict(hidden),
        "width": round(width),
        "height": round(height),
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "meta": {"source": "matplotlib", "rendered": "image"},
    }
    return {"data": [], "layout": layout}
