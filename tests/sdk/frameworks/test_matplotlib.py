"""matplotlib (real, Agg): show() and savefig() report a figure once per change."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from tests.sdk.frameworks.conftest import Capture, CollectingSink


@pytest.fixture(autouse=True)
def _no_open_figures(capture: Capture) -> Iterator[None]:
    plt.close("all")
    capture()
    yield
    plt.close("all")


def _reports(sink: CollectingSink) -> list[tuple[str, str, int]]:
    return [args[:3] for args in sink.of("report_matplotlib_figure")]


def test_savefig_reports_the_figure(sink: CollectingSink, tmp_path: Path) -> None:
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    ax.set_title("loss")
    fig.savefig(tmp_path / "a.png")

    assert _reports(sink) == [("loss", "plot", 0)]
    assert sink.of("report_matplotlib_figure")[0][3] is fig
    assert (tmp_path / "a.png").stat().st_size > 0


def test_an_unchanged_figure_is_not_reported_twice(sink: CollectingSink, tmp_path: Path) -> None:
    fig, ax = plt.subplots()
    line = ax.plot([1, 2, 3])[0]
    fig.savefig(tmp_path / "a.png")
    plt.show()
    fig.savefig(tmp_path / "b.png")
    assert len(_reports(sink)) == 1

    line.set_ydata([3, 2, 1])  # same artists, new data
    plt.show()
    plt.show()
    ax.plot([0, 1, 0])  # a new artist
    fig.savefig(tmp_path / "c.png")

    assert _reports(sink) == [
        ("Figure 1", "plot", 0),
        ("Figure 1", "plot", 1),
        ("Figure 1", "plot", 2),
    ]


def test_show_reports_every_open_figure(sink: CollectingSink) -> None:
    first = plt.figure()
    first.suptitle("overview")
    first.gca().plot([1, 2])
    second = plt.figure()
    second.gca().bar([1, 2], [3, 4])
    second.gca().set_title("counts")

    plt.show()

    assert sorted(_reports(sink)) == [("counts", "plot", 0), ("overview", "plot", 0)]


def test_a_figure_without_pyplot_is_titled_figure(sink: CollectingSink, tmp_path: Path) -> None:
    fig = Figure()
    fig.add_subplot().plot([1, 2])
    fig.savefig(tmp_path / "a.png")
    assert _reports(sink) == [("Figure", "plot", 0)]


def test_reported_figures_are_not_kept_alive(capture: Capture, tmp_path: Path) -> None:
    titles: list[str] = []

    class TitleSink(CollectingSink):
        def report_matplotlib_figure(
            self, title: str, series: str, iteration: int, figure: Any
        ) -> None:
            titles.append(title)

    capture(to=TitleSink())
    fig = Figure()
    fig.add_subplot().plot([1, 2])
    fig.savefig(tmp_path / "a.png")
    ref = weakref.ref(fig)
    del fig
    gc.collect()

    assert titles == ["Figure"]
    assert ref() is None
