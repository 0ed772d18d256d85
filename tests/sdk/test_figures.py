"""Plotly figure dicts: builders, sanitize, and matplotlib conversion."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from corral.sdk import figures

matplotlib.use("Agg")  # headless; pyplot is imported after this
import matplotlib.pyplot as plt
from matplotlib.figure import Figure


def dumps(fig: Any) -> str:
    """Fail on NaN, Infinity or any non-JSON value, as the hub would."""
    return json.dumps(fig, allow_nan=False)


def test_importing_the_helpers_loads_no_numpy_or_pandas() -> None:
    code = (
        "import corral.sdk.figures, corral.sdk.images, corral.sdk.serialize, sys; "
        "assert 'numpy' not in sys.modules and 'pandas' not in sys.modules, "
        "sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'pandas'))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# -- sanitize -----------------------------------------------------------------


def test_sanitize_replaces_nan_and_infinities_with_none() -> None:
    value = {"a": [1.0, float("nan"), float("inf"), -math.inf], "b": np.array([np.nan, 2.5])}
    assert figures.sanitize(value) == {"a": [1.0, None, None, None], "b": [None, 2.5]}


def test_sanitize_converts_numpy_scalars_to_python_types() -> None:
    out = figures.sanitize([np.float32(1.5), np.int64(3), np.bool_(True), np.str_("s")])
    assert out == [1.5, 3, True, "s"]
    assert [type(v) for v in out] == [float, int, bool, str]
    assert type(figures.sanitize(np.float64(2.0))) is float


def test_sanitize_converts_tuples_dates_and_keys() -> None:
    value = {
        1: (1, 2),
        "when": dt.datetime(2024, 5, 1, 12, 30),
        "day": dt.date(2024, 5, 1),
        "stamps": np.array(["2024-01-01", "NaT"], dtype="datetime64[ns]"),
        "nat": pd.NaT,
    }
    assert figures.sanitize(value) == {
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

    assert figures.sanitize(FakePlotlyFigure()) == {
        "data": [{"type": "scatter", "y": [1.0, None]}],
        "layout": {},
    }


def test_sanitize_rejects_values_without_json_form() -> None:
    with pytest.raises(TypeError, match="complex"):
        figures.sanitize({"z": 1 + 2j})


# -- builders -----------------------------------------------------------------


def test_histogram_of_one_series_is_one_bar_trace() -> None:
    fig = figures.histogram([3, 1, 2], xlabels=["a", "b", "c"], title="counts", xaxis="class")
    dumps(fig)
    assert [t["type"] for t in fig["data"]] == ["bar"]
    assert fig["data"][0]["x"] == ["a", "b", "c"]
    assert fig["data"][0]["y"] == [3, 1, 2]
    assert fig["layout"]["title"]["text"] == "counts"
    assert fig["layout"]["xaxis"]["title"]["text"] == "class"


def test_histogram_of_2d_values_has_one_series_per_column() -> None:
    values = np.array([[1.0, 10.0], [2.0, np.nan], [3.0, 30.0]])
    fig = figures.histogram(
        values, labels=["left", "right"], mode="stack", data_args={"opacity": 0.5}
    )
    dumps(fig)
    assert [(t["name"], t["x"], t["y"]) for t in fig["data"]] == [
        ("left", [0, 1, 2], [1.0, 2.0, 3.0]),
        ("right", [0, 1, 2], [10.0, None, 30.0]),
    ]
    assert all(t["opacity"] == 0.5 for t in fig["data"])
    assert fig["layout"]["barmode"] == "stack"


def test_histogram_rejects_labels_that_do_not_match_series() -> None:
    with pytest.raises(ValueError, match="labels has 1 names for 2 series"):
        figures.histogram([[1, 2]], labels=["only"])
    with pytest.raises(ValueError, match="mode must be one of"):
        figures.histogram([1], mode="sideways")


def test_scatter2d_splits_points_and_keeps_hover_labels() -> None:
    fig = figures.scatter2d(
        np.array([[0, 1.5], [1, np.inf], [2, 4]]),
        mode="markers",
        labels=["a", "b", "c"],
        name="pts",
        yaxis="y",
    )
    dumps(fig)
    (trace,) = fig["data"]
    assert trace["type"] == "scatter"
    assert trace["mode"] == "markers"
    assert trace["x"] == [0.0, 1.0, 2.0]
    assert trace["y"] == [1.5, None, 4.0]
    assert trace["text"] == ["a", "b", "c"]
    assert trace["name"] == "pts"


def test_scatter2d_rejects_points_that_are_not_pairs() -> None:
    with pytest.raises(ValueError, match="N x 2"):
        figures.scatter2d([[1, 2, 3]])


def test_line_plot_draws_one_line_per_series() -> None:
    fig = figures.line_plot(
        {"train": [0.9, 0.5, float("nan")], "val": (np.array([0, 2]), np.array([1.0, 0.7]))},
        xaxis="epoch",
    )
    dumps(fig)
    assert [(t["type"], t["name"], t["x"], t["y"]) for t in fig["data"]] == [
        ("scatter", "train", [0, 1, 2], [0.9, 0.5, None]),
        ("scatter", "val", [0, 2], [1.0, 0.7]),
    ]


def test_confusion_matrix_is_an_annotated_heatmap() -> None:
    fig = figures.confusion_matrix(
        np.array([[5, 1], [0, 7]]), xlabels=["cat", "dog"], ylabels=["cat", "dog"]
    )
    dumps(fig)
    (trace,) = fig["data"]
    assert trace["type"] == "heatmap"
    assert trace["z"] == [[5, 1], [0, 7]]
    assert trace["x"] == trace["y"] == ["cat", "dog"]
    cells = [(a["y"], a["x"], a["text"]) for a in fig["layout"]["annotations"]]
    assert cells == [
        ("cat", "cat", "5"),
        ("cat", "dog", "1"),
        ("dog", "cat", "0"),
        ("dog", "dog", "7"),
    ]
    assert fig["layout"]["xaxis"]["title"]["text"] == "Predicted"
    assert fig["layout"]["yaxis"]["autorange"] == "reversed"


def test_confusion_matrix_with_nan_has_null_cell_and_empty_text() -> None:
    fig = figures.confusion_matrix([[0.5, float("nan")], [0.25, 0.125]])
    dumps(fig)
    assert fig["data"][0]["z"] == [[0.5, None], [0.25, 0.125]]
    assert [a["text"] for a in fig["layout"]["annotations"]] == ["0.5", "", "0.25", "0.125"]


def test_table_from_dataframe_puts_index_first_and_truncates() -> None:
    frame = pd.DataFrame(
        {"score": [0.5, np.nan, 0.75], "when": pd.date_range("2024-01-01", periods=3)},
        index=pd.Index(["a", "b", "c"], name="run"),
    )
    fig = figures.table(frame, title="runs", max_rows=2)
    dumps(fig)
    (trace,) = fig["data"]
    assert trace["type"] == "table"
    assert trace["header"]["values"] == ["run", "score", "when"]
    assert trace["cells"]["values"] == [
        ["a", "b"],
        [0.5, None],
        ["2024-01-01T00:00:00", "2024-01-02T00:00:00"],
    ]
    assert fig["layout"]["title"]["text"] == "runs (first 2 of 3 rows)"


def test_table_from_csv_file_text_and_rows(tmp_path: Path) -> None:
    csv_text = "name,score\na,1\nb,2\n"
    path = tmp_path / "scores.csv"
    path.write_text(csv_text)
    expected = {
        "header": {"values": ["name", "score"]},
        "cells": {"values": [["a", "b"], ["1", "2"]]},
    }
    for source in (path, str(path), csv_text):
        (trace,) = figures.table(source)["data"]
        assert {k: trace[k] for k in ("header", "cells")} == expected
    fig = figures.table([["name", "score"], ["a", 1], ["b", float("nan")]])
    dumps(fig)
    assert fig["data"][0]["cells"]["values"] == [["a", "b"], [1, None]]
    assert fig["layout"]["title"]["text"] == ""


def test_table_of_missing_csv_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        figures.table(tmp_path / "missing.csv")


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

    out = figures.from_matplotlib(fig)

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
    out = figures.from_matplotlib(fig)
    dumps(out)
    assert out["layout"]["title"]["text"] == "daily"
    assert out["data"][0]["x"] == ["2024-01-01T00:00:00", "2024-01-02T00:00:00"]
    assert out["data"][0]["y"] == [1.0, None]
    assert out["layout"]["xaxis"]["type"] == "date"


def test_from_matplotlib_histogram_bars_keep_bin_widths() -> None:
    fig = Figure()
    ax = fig.add_subplot()
    ax.hist([0.5, 1.5, 1.6, 2.5], bins=[0, 1, 2, 3])
    (trace,) = figures.from_matplotlib(fig)["data"]
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
    low, top, horizontal = figures.from_matplotlib(fig)["data"]
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

    out = figures.from_matplotlib(fig)

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
    out = figures.from_matplotlib(fig)
    assert out["layout"]["meta"]["rendered"] == "image"
    assert decoded_png(out).size == (100, 100)


def test_from_matplotlib_lowers_resolution_to_fit_max_bytes() -> None:
    fig = Figure(figsize=(4, 4), dpi=100)
    fig.add_subplot().imshow(np.random.default_rng(0).random((200, 200)))
    out = figures.from_matplotlib(fig, max_bytes=40_000)
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

        out = figures.from_matplotlib(fig)

        assert out["layout"]["meta"]["rendered"] == "image"
        assert plt.fignum_exists(fig.number)
        assert (len(fig.axes), len(left.lines), len(right.images)) == (2, 1, 1)
        assert fig.canvas is canvas
        assert (tuple(fig.get_size_inches()), fig.dpi) == (size, dpi)
        assert matplotlib.get_backend() == backend
    finally:
        plt.close(fig)
