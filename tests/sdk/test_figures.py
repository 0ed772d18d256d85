"""Plotly figure builders: histograms, scatters, lines, confusion matrices, tables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from corral.sdk import figures


def dumps(fig: Any) -> str:
    """Fail on NaN, Infinity or any non-JSON value, as the hub would."""
    return json.dumps(fig, allow_nan=False)


def test_importing_the_helpers_loads_no_numpy_or_pandas() -> None:
    code = (
        "import corral.sdk.figures, corral.sdk.mpl_figures, corral.sdk.plot_json, "
        "corral.sdk.images, corral.sdk.serialize, sys; "
        "assert 'numpy' not in sys.modules and 'pandas' not in sys.modules, "
        "sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'pandas'))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


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


def test_confusion_matrix_text_contrasts_with_its_cell() -> None:
    # the default scale runs from near white (few) to dark blue (many)
    fig = figures.confusion_matrix([[50, 1], [2, 40]])
    scale = fig["data"][0]["colorscale"]
    assert scale[0][1] == "#f7fbff" and scale[-1][1] == "#08306b"
    colours = {a["text"]: a["font"]["color"] for a in fig["layout"]["annotations"]}
    assert colours == {"50": "#ffffff", "40": "#ffffff", "1": "#111111", "2": "#111111"}
    # a named scale: the colour is left to the UI, which knows the scale as drawn
    named = figures.confusion_matrix([[50, 1], [2, 40]], colorscale="Viridis")
    assert all("font" not in a for a in named["layout"]["annotations"])


def test_confusion_matrix_not_reversed_puts_row_zero_at_the_bottom() -> None:
    fig = figures.confusion_matrix([[1, 2], [3, 4]], yaxis_reversed=False)
    assert "autorange" not in fig["layout"]["yaxis"]


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


# -- 3-D, line plots of SeriesInfo, layout merging ------------------------------


def test_surface_has_the_matrix_as_z_and_labelled_axes() -> None:
    fig = figures.surface(
        np.array([[1.0, np.nan], [3.0, 4.0]]),
        xlabels=["a", "b"],
        zaxis="loss",
        camera=(1, 2, 3),
    )
    dumps(fig)
    assert fig["data"] == [{"type": "surface", "z": [[1.0, None], [3.0, 4.0]]}]
    scene = fig["layout"]["scene"]
    assert (scene["xaxis"]["tickvals"], scene["xaxis"]["ticktext"]) == ([0, 1], ["a", "b"])
    assert scene["zaxis"]["title"]["text"] == "loss"
    assert scene["camera"] == {"eye": {"x": 1, "y": 2, "z": 3}}
    with pytest.raises(ValueError, match="ylabels has 3 labels for 2 values"):
        figures.surface([[1, 2], [3, 4]], ylabels=["a", "b", "c"])
    with pytest.raises(ValueError, match="camera must be"):
        figures.surface([[1]], camera=(1, 2))


def test_scatter3d_takes_one_array_or_a_list_of_them() -> None:
    (one,) = figures.scatter3d(np.arange(6).reshape(2, 3), name="pts")["data"]
    assert (one["x"], one["y"], one["z"], one["name"]) == ([0, 3], [1, 4], [2, 5], "pts")
    several = figures.scatter3d([np.zeros((2, 3)), [[1, 1, 1]]], name="s")["data"]
    assert [(len(t["x"]), t["name"]) for t in several] == [(2, "s"), (1, "s 1")]
    with pytest.raises(ValueError, match="N x 3"):
        figures.scatter3d([[1, 2]])
    with pytest.raises(ValueError, match="labels has 1 texts for 2 points"):
        figures.scatter3d([[1, 2, 3], [4, 5, 6]], labels=["a"])


def test_line_plot_of_series_info_and_dicts() -> None:
    fig = figures.line_plot(
        [
            figures.SeriesInfo("a", np.array([[0, 1], [2, 3]]), labels=["p", "q"]),
            {"name": "b", "data": [[5, 6]]},
        ],
        reverse_xaxis=True,
    )
    dumps(fig)
    assert [(t["name"], t["x"], t["y"]) for t in fig["data"]] == [
        ("a", [0, 2], [1, 3]),
        ("b", [5], [6]),
    ]
    assert fig["data"][0]["text"] == ["p", "q"]
    assert fig["layout"]["xaxis"]["autorange"] == "reversed"
    with pytest.raises(ValueError, match="labels has 1 texts for 2 points"):
        figures.SeriesInfo("a", [[0, 1], [2, 3]], labels=["p"])
    with pytest.raises(TypeError, match="SeriesInfo or dicts"):
        figures.line_plot([[0, 1]])


def test_merge_layout_merges_nested_dicts_and_traces() -> None:
    fig = figures.scatter2d([[0, 1]], xaxis="x")
    figures.merge_layout(fig, {"xaxis": {"type": "log"}, "height": np.int64(300)})
    figures.merge_layout(fig, {"opacity": 0.5}, key="data")
    assert fig["layout"]["xaxis"] == {"title": {"text": "x"}, "type": "log"}
    assert fig["layout"]["height"] == 300 and fig["data"][0]["opacity"] == 0.5
    with pytest.raises(TypeError, match="must be a dict"):
        figures.merge_layout(fig, [1])  # type: ignore[arg-type]
