"""Matplotlib figures as plotly figure dicts, or embedded pictures."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from corral.sdk.mpl_figures import from_matplotlib

matplotlib.use("Agg")  # headless; pyplot is imported after this
import matplotlib.pyplot as plt
from matplotlib.figure import Figure


def dumps(fig: Any) -> str:
    """Fail on NaN, Infinity or any non-JSON value, as the hub would."""
    return json.dumps(fig, allow_nan=False)


# -- matplotlib ---------------------------------------------------------------


def test_from_matplotlib_converts_lines_scatter_and_bars() -> None:
    fig = Figure(figsize=(6, 3))
    ax = fig.add_subplot(1, 2, 1)
    ax.plot([1, 2, 3], [1.0, 4.0, 9.0], label="squares", color="red")
    ax.plot([1, 2, 3], [3.0, 2.0, 1.0], "o--", label="down")
    ax.plot([1, 2], [0, 0], label="_private")
    ax.scatter([1.5, 2.5], [5.0, 6.0], label="points")
    ax.set_title("lines")
    ax.set_xlabel("step")
    ax.legend()
    bars = fig.add_subplot(1, 2, 2)
    bars.bar(["a", "b", "c"], [3, 2, 1], label="counts")
    bars.set_yscale("log")
    bars.set_title("bars")

    out = from_matplotlib(fig)

    dumps(out)
    assert out["layout"]["meta"] == {"source": "matplotlib", "rendered": "plotly"}
    traces = out["data"]
    assert [(t["type"], t.get("name")) for t in traces] == [
        ("scatter", "squares"),
        ("scatter", "down"),
        ("scatter", None),
        ("scatter", "points"),
        ("bar", "counts"),
    ]
    squares, down, private, points, counts = traces
    assert (squares["x"], squares["y"], squares["mode"]) == ([1, 2, 3], [1.0, 4.0, 9.0], "lines")
    assert squares["line"]["color"] == "#ff0000"
    assert (down["mode"], down["line"]["dash"], down["marker"]["symbol"]) == (
        "lines+markers",
        "dash",
        "circle",
    )
    assert private["showlegend"] is False
    assert (points["mode"], points["x"], points["y"]) == ("markers", [1.5, 2.5], [5.0, 6.0])
    assert (counts["x"], counts["y"]) == (["a", "b", "c"], [3.0, 2.0, 1.0])
    assert {t["xaxis"] for t in traces[:4]} == {"x"} and counts["xaxis"] == "x2"

    layout = out["layout"]
    assert layout["xaxis"]["title"]["text"] == "step"
    assert layout["yaxis2"]["type"] == "log"
    assert layout["xaxis2"]["type"] == "category"
    assert layout["xaxis"]["domain"][1] <= layout["xaxis2"]["domain"][0]
    assert layout["xaxis"]["range"] == pytest.approx(list(ax.get_xlim()))
    assert [a["text"] for a in layout["annotations"]] == ["lines", "bars"]
    assert (layout["width"], layout["height"]) == (600, 300)


def test_from_matplotlib_single_axes_title_and_dates() -> None:
    fig = Figure()
    ax = fig.add_subplot()
    days = [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2)]
    ax.plot(days, [1.0, float("nan")])
    ax.set_title("daily")
    out = from_matplotlib(fig)
    dumps(out)
    assert out["layout"]["title"]["text"] == "daily"
    assert out["data"][0]["x"] == ["2024-01-01T00:00:00", "2024-01-02T00:00:00"]
    assert out["data"][0]["y"] == [1.0, None]
    assert out["layout"]["xaxis"]["type"] == "date"


def test_from_matplotlib_histogram_bars_keep_bin_widths() -> None:
    fig = Figure()
    ax = fig.add_subplot()
    ax.hist([0.5, 1.5, 1.6, 2.5], bins=[0, 1, 2, 3])
    (trace,) = from_matplotlib(fig)["data"]
    assert trace["type"] == "bar"
    assert trace["x"] == [0.5, 1.5, 2.5]
    assert trace["y"] == [1.0, 2.0, 1.0]
    assert trace["width"] == [1.0, 1.0, 1.0]


def test_from_matplotlib_keeps_stacked_and_horizontal_bars() -> None:
    fig = Figure()
    ax = fig.add_subplot(1, 2, 1)
    ax.bar([0, 1], [1.0, 2.0])
    ax.bar([0, 1], [3.0, 4.0], bottom=[1.0, 2.0], label="top")
    fig.add_subplot(1, 2, 2).barh(["a", "b"], [5.0, 6.0])
    low, top, horizontal = from_matplotlib(fig)["data"]
    assert "base" not in low
    assert (top["name"], top["y"], top["base"]) == ("top", [3.0, 4.0], [1.0, 2.0])
    assert (horizontal["orientation"], horizontal["y"], horizontal["x"]) == (
        "h",
        ["a", "b"],
        [5.0, 6.0],
    )


def decoded_png(out: dict[str, Any]) -> Image.Image:
    (image,) = out["layout"]["images"]
    prefix = "data:image/png;base64,"
    assert image["source"].startswith(prefix)
    assert (image["xref"], image["yref"], image["sizing"]) == ("paper", "paper", "contain")
    png = Image.open(io.BytesIO(base64.b64decode(image["source"][len(prefix) :])))
    assert png.format == "PNG"
    return png


def test_from_matplotlib_falls_back_to_png_for_imshow() -> None:
    fig = Figure(figsize=(4, 3), dpi=100)
    fig.add_subplot().imshow(np.arange(100.0).reshape(10, 10))

    out = from_matplotlib(fig)

    dumps(out)
    assert out["data"] == []
    assert out["layout"]["meta"] == {"source": "matplotlib", "rendered": "image"}
    assert out["layout"]["xaxis"]["visible"] is False
    assert decoded_png(out).size == (400, 300)


@pytest.mark.parametrize(
    "draw",
    [
        lambda fig: fig.add_subplot(projection="3d").plot([0, 1], [0, 1], [0, 1]),
        lambda fig: fig.add_subplot(projection="polar").plot([0, 1], [1, 2]),
        lambda fig: fig.add_subplot().contourf(np.arange(16.0).reshape(4, 4)),
        lambda fig: fig.add_subplot().text(0.5, 0.5, "only words"),
        lambda fig: fig.add_subplot().axhline(1.0),
        lambda fig: pd.Series([1, 2], pd.date_range("2024-01-01", periods=2)).plot(ax=fig.gca()),
    ],
    ids=["3d", "polar", "contour", "text", "axhline", "pandas-period-dates"],
)
def test_from_matplotlib_renders_what_it_cannot_convert(draw: Any) -> None:
    fig = Figure(figsize=(2, 2), dpi=50)
    draw(fig)
    out = from_matplotlib(fig)
    assert out["layout"]["meta"]["rendered"] == "image"
    assert decoded_png(out).size == (100, 100)


def test_from_matplotlib_lowers_resolution_to_fit_max_bytes() -> None:
    fig = Figure(figsize=(4, 4), dpi=100)
    fig.add_subplot().imshow(np.random.default_rng(0).random((200, 200)))
    out = from_matplotlib(fig, max_bytes=40_000)
    assert len(out["layout"]["images"][0]["source"]) <= 40_000
    assert decoded_png(out).size[0] < 400
    assert (out["layout"]["width"], out["layout"]["height"]) == (400, 400)


def test_from_matplotlib_leaves_the_users_figure_alone() -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(4, 2))
    try:
        left.plot([1, 2], [3, 4], label="a")
        right.imshow(np.zeros((3, 3)))
        canvas, size, dpi = fig.canvas, tuple(fig.get_size_inches()), fig.dpi
        backend = matplotlib.get_backend()

        out = from_matplotlib(fig)

        assert out["layout"]["meta"]["rendered"] == "image"
        assert plt.fignum_exists(fig.number)
        assert (len(fig.axes), len(left.lines), len(right.images)) == (2, 1, 1)
        assert fig.canvas is canvas
        assert (tuple(fig.get_size_inches()), fig.dpi) == (size, dpi)
        assert matplotlib.get_backend() == backend
    finally:
        plt.close(fig)
