"""The ``Logger``: scalars, text, tables, plots, images, histograms of a task.

Every report is appended to the task's outbox and returns at once; a background
thread sends them in batches (``corral.sdk.outbox``).

Example::

    logger = task.get_logger()
    for i in range(100):
        logger.report_scalar("loss", "train", value=1 / (i + 1), iteration=i)
    logger.report_confusion_matrix("cm", "val", iteration=99, matrix=[[9, 1], [2, 8]])
"""

from __future__ import annotations

import io
import json
import mimetypes
import time
import uuid
from pathlib import Path
from typing import Any

from corral.sdk import figures
from corral.sdk.handle import RunHandle, current_handle
from corral.sdk.images import encode_image
from corral.sdk.mpl_figures import from_matplotlib
from corral.sdk.outbox import Weighted
from corral.sdk.plot_json import sanitize

_time = time.time


class Logger:
    """Reports of one task; get it with ``task.get_logger()`` or ``Logger.current_logger()``."""

    def __init__(self, handle: RunHandle) -> None:
        if handle.outbox is None:
            raise RuntimeError("only the task this process runs (Task.init) can report")
        self._handle = handle
        self._outbox = handle.outbox
        self._iteration_offset = handle.iteration_offset
        self._counters: dict[tuple[str, str], int] = {}

    @classmethod
    def current_logger(cls) -> Logger:
        """The logger of the task ``Task.init`` started in this process."""
        handle = current_handle()
        if handle is None:
            raise RuntimeError("no current task: call Task.init(...) first")
        return logger_for(handle)

    # --- scalars ------------------------------------------------------------------------

    def report_scalar(self, title: str, series: str, value: float, iteration: int) -> None:
        """One point of the series ``title/series`` (a chart per title, a line per series)."""
        self._outbox.scalar(
            title, series, int(iteration) + self._iteration_offset, float(value), _time()
        )

    def report_single_value(self, name: str, value: float) -> None:
        """A single number for the run (shown in the summary table), e.g. a final accuracy."""
        self._outbox.scalar("Summary", name, 0, float(value), _time())

    def set_default_upload_destination(self, uri: str) -> None:
        """Where images and files reported by this logger go (default: the task's output)."""
        self._handle.output_uri = uri

    def get_default_upload_destination(self) -> str:
        return self._handle.output_uri

    # --- text ---------------------------------------------------------------------------

    def report_text(self, msg: str, level: str = "info", print_console: bool = True) -> None:
        """A line in the task's console (and on this process's stdout unless ``print_console=False``)."""
        if print_console:
            print(msg)
            if self._handle.console_captured:
                return  # the console capture (or the agent) sends it
        for line in str(msg).splitlines() or [""]:
            self._outbox.event({"type": "log", "text": line, "level": level, "time": _time()})

    # --- plots --------------------------------------------------------------------------

    def report_plotly(self, title: str, series: str, figure: Any, iteration: int = 0) -> None:
        """A plotly figure: a dict (``{"data": [...], "layout": {...}}``) or a ``plotly`` Figure."""
        if hasattr(figure, "to_plotly_json"):
            figure = figure.to_plotly_json()
        elif hasattr(figure, "to_dict"):
            figure = figure.to_dict()
        if not isinstance(figure, dict):
            raise TypeError(f"report_plotly needs a dict or a plotly Figure, not {type(figure)}")
        self._plot(title, series, iteration, figure)

    def report_table(
        self,
        title: str,
        series: str,
        iteration: int = 0,
        table_plot: Any = None,
        csv: str | None = None,
        url: str | None = None,
    ) -> None:
        """A table: a pandas DataFrame (``table_plot``), a CSV file path or CSV text."""
        data = table_plot if table_plot is not None else (csv or url)
        if data is None:
            raise ValueError("report_table needs table_plot (a DataFrame), csv or url")
        self._plot(title, series, iteration, figures.table(data, title=title))

    def report_histogram(
        self,
        title: str,
        series: str,
        values: Any,
        iteration: int = 0,
        labels: list[str] | None = None,
        xlabels: list[str] | None = None,
        xaxis: str = "",
        yaxis: str = "",
        mode: str = "group",
    ) -> None:
        """Bars of ``values`` (bin heights; 2-D: one series per column named by ``labels``)."""
        fig = figures.histogram(
            values, labels=labels, xlabels=xlabels, xaxis=xaxis, yaxis=yaxis, title=title, mode=mode
        )
        self._plot(title, series, iteration, fig)

    def report_scatter2d(
        self,
        title: str,
        series: str,
        scatter: Any,
        iteration: int = 0,
        xaxis: str = "",
        yaxis: str = "",
        labels: list[str] | None = None,
        mode: str = "lines",
    ) -> None:
        """Points ``[[x, y], ...]`` as lines and/or markers."""
        fig = figures.scatter2d(
            scatter, mode=mode, xaxis=xaxis, yaxis=yaxis, labels=labels, title=title, name=series
        )
        self._plot(title, series, iteration, fig)

    def report_confusion_matrix(
        self,
        title: str,
        series: str,
        matrix: Any,
        iteration: int = 0,
        xaxis: str = "Predicted",
        yaxis: str = "Actual",
        xlabels: list[str] | None = None,
        ylabels: list[str] | None = None,
    ) -> None:
        fig = figures.confusion_matrix(
            matrix, xlabels=xlabels, ylabels=ylabels, xaxis=xaxis, yaxis=yaxis, title=title
        )
        self._plot(title, series, iteration, fig)

    def report_matplotlib_figure(
        self, title: str, series: str, figure: Any, iteration: int = 0, report_image: bool = False
    ) -> None:
        """A matplotlib figure, converted to plotly when it can be, else embedded as a picture.

        ``report_image=True`` reports it as a debug sample (PNG) instead.
        """
        if report_image:
            self.report_image(title, series, iteration=iteration, image=_render_png(figure))
            return
        self._plot(title, series, iteration, from_matplotlib(figure))

    def _plot(self, title: str, series: str, iteration: int, figure: dict[str, Any]) -> None:
        figure = sanitize(figure)
        event = Weighted(
            type="plot",
            metric=title,
            variant=series,
            iteration=int(iteration) + self._iteration_offset,
            figure=figure,
            time=_time(),
        )
        event.weight = len(json.dumps(figure, separators=(",", ":")))
        self._outbox.event(event)

    # --- debug samples ------------------------------------------------------------------

    def report_image(
        self,
        title: str,
        series: str,
        iteration: int = 0,
        local_path: str | None = None,
        image: Any = None,
        max_image_history: int | None = None,
    ) -> None:
        """An image (a numpy array, a PIL image, or a file) at an iteration: a debug sample."""
        source = image if image is not None else local_path
        if source is None:
            raise ValueError("report_image needs image= (array or PIL image) or local_path=")
        data, content_type, ext = encode_image(source)
        self._sample(title, series, iteration, data, content_type, ext)

    def report_media(
        self, title: str, series: str, iteration: int = 0, local_path: str | None = None
    ) -> None:
        """Any file (audio, video, HTML) at an iteration, as a debug sample."""
        if local_path is None:
            raise ValueError("report_media needs local_path=")
        path = Path(local_path)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self._sample(title, series, iteration, path.read_bytes(), content_type, path.suffix)

    def _sample(
        self, title: str, series: str, iteration: int, data: bytes, content_type: str, ext: str
    ) -> None:
        iteration = int(iteration) + self._iteration_offset
        src = self._handle.scratch_file(data, ext)
        name = f"{_safe(title)}/{_safe(series)}/{iteration:08d}-{uuid.uuid4().hex[:8]}{ext}"
        uri = self._handle.output_target("debug", name)
        self._handle.upload(src, uri, remove_src=True)
        self._outbox.event(
            {
                "type": "debug_sample",
                "metric": title,
                "variant": series,
                "iteration": iteration,
                "uri": uri,
                "content_type": content_type,
                "time": _time(),
            }
        )

    # --- misc ---------------------------------------------------------------------------

    def set_iteration_offset(self, offset: int) -> None:
        """Added to every reported iteration (a continued task goes on from its last one)."""
        self._iteration_offset = self._handle.iteration_offset = int(offset)

    def get_iteration_offset(self) -> int:
        return self._iteration_offset

    def flush(self, wait: bool = True, timeout: float = 30.0) -> bool:
        """Send what was reported so far; with ``wait``, until the hub has it."""
        return self._outbox.flush(timeout if wait else 0)


def logger_for(handle: RunHandle) -> Logger:
    """The ``Logger`` of a running task (one per task)."""
    if handle.logger is None:
        handle.logger = Logger(handle)
    logger: Logger = handle.logger
    return logger


def _safe(text: str) -> str:
    keep = "".join(c if c.isalnum() or c in "._-" else "_" for c in text)
    return keep.strip("._") or "x"


def _render_png(figure: Any) -> bytes:
    buf = io.BytesIO()
    figure.savefig(buf, format="png")
    return buf.getvalue()
