"""Matplotlib figures as plotly figure dicts, or as an embedded picture when they cannot be.

:func:`from_matplotlib` turns a matplotlib figure into plotly traces when it is
made of things plotly draws the same way (lines, scatters, bars on ordinary
axes) and into an embedded PNG otherwise, so a figure is never reported wrong.

matplotlib and numpy are imported only inside the functions that use them (the
figure given is proof that matplotlib is loaded): importing this module is cheap.
"""

from __future__ import annotations

import base64
import io
import logging
import math
from typing import TYPE_CHECKING, Any

from corral.sdk.plot_json import sanitize

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["from_matplotlib"]

log = logging.getLogger(__name__)

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


def from_matplotlib(
    figure: Figure, *, max_bytes: int = 2_000_000, interactive: bool = True
) -> dict[str, Any]:
    """Convert a matplotlib figure to a plotly figure dict; the figure is left untouched.

    Lines, scatters and bars on ordinary (linear or log, numeric, date or
    categorical) axes become plotly traces, one subplot per axes. Anything else
    (images, contours, 3-D or polar axes, text, overlapping axes...) or any
    failure renders the whole figure to PNG instead, embedded as a data URI in
    ``layout.images`` at a resolution low enough for the URI to fit ``max_bytes``
    (down to 10 dpi). ``layout.meta.rendered`` says which: "plotly" or "image".
    ``interactive=False`` always renders the picture.

    Example:
        >>> from matplotlib.figure import Figure
        >>> fig = Figure()
        >>> _ = fig.add_subplot().plot([1, 2], [3, 4], label="loss")
        >>> from_matplotlib(fig)["data"][0]["name"]
        'loss'
    """
    if not interactive:
        return _image_figure(figure, max_bytes)
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
    figure_: dict[str, Any] = sanitize({"data": data, "layout": layout})
    return figure_


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
    return list(values.tolist() if hasattr(values, "tolist") else values)


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
