"""The plot reports shared by a task's ``Logger`` and a model (``OutputModel.report_*``).

ClearML gives both the same calls with the same arguments: tables, histograms and
vectors, line plots, 2-D and 3-D scatters, surfaces, confusion matrices and plotly
figures. :class:`PlotReports` builds each figure with :mod:`corral.sdk.figures` and hands
it to ``_plot``, which the ``Logger`` sends as a task event and a model as a model event.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from corral.sdk import figures


class PlotReports:
    """ClearML's plot calls; a subclass says where a figure goes (:meth:`_plot`)."""

    def _plot(self, title: str, series: str, iteration: int | None, figure: dict[str, Any]) -> None:
        raise NotImplementedError

    def report_plotly(
        self, title: str, series: str, figure: Any, iteration: int | None = None
    ) -> None:
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
        iteration: int | None = None,
        table_plot: Any = None,
        csv: str | os.PathLike[str] | None = None,
        url: str | None = None,
        extra_layout: Mapping[str, Any] | None = None,
        extra_data: Mapping[str, Any] | None = None,
    ) -> None:
        """A table: a pandas DataFrame or a list of rows (``table_plot``), or a CSV.

        Args:
            table_plot: a DataFrame (its index is the first column), or rows whose first
                row is the header.
            csv: a CSV file: a local path, any storage URL (``https://``, ``s3://``,
                ``hub://``...), or CSV text.
            url: a CSV at a URL (any storage URL, fetched through ``StorageManager``).
            extra_layout: plotly layout attributes merged into the figure's layout.
            extra_data: plotly trace attributes merged into the table trace.

        Raises:
            ValueError: none or several of ``table_plot``, ``csv``, ``url``.
            NotFoundError, ServerUnavailableError: the URL has no file or cannot be reached.

        Example::

            logger.report_table("data", "head", table_plot=frame.head(20))
            logger.report_table("data", "remote", url="https://example.com/data.csv")
        """
        given = [
            n for n, v in (("table_plot", table_plot), ("csv", csv), ("url", url)) if v is not None
        ]
        if len(given) != 1:
            got = f"got {', '.join(given)}" if given else "got none"
            raise ValueError(f"report_table needs exactly one of table_plot=, csv= or url= ({got})")
        data = table_plot
        if csv is not None:
            data = _csv_source(csv)
        elif url is not None:
            data = _csv_source(url)
        fig = figures.table(data, title=title)
        figures.merge_layout(fig, extra_data, key="data")
        figures.merge_layout(fig, extra_layout)
        self._plot(title, series, iteration, fig)

    def report_histogram(
        self,
        title: str,
        series: str,
        values: Any,
        iteration: int | None = None,
        labels: list[str] | None = None,
        xlabels: list[str] | None = None,
        xaxis: str | None = None,
        yaxis: str | None = None,
        mode: str | None = None,
        data_args: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        extra_layout: Mapping[str, Any] | None = None,
    ) -> None:
        """Bars of ``values`` (bin heights; 2-D: one series per column named by ``labels``).

        ``mode`` is how several series share a bin: "group" (default), "stack",
        "relative"; ``data_args`` are plotly bar attributes (one dict, or one per series).
        """
        fig = figures.histogram(
            values,
            labels=labels,
            xlabels=xlabels,
            xaxis=xaxis or "",
            yaxis=yaxis or "",
            title=title,
            mode=mode or "group",
            data_args=data_args,
        )
        figures.merge_layout(fig, extra_layout)
        self._plot(title, series, iteration, fig)

    def report_vector(
        self,
        title: str,
        series: str,
        values: Any,
        iteration: int | None = None,
        labels: list[str] | None = None,
        xlabels: list[str] | None = None,
        xaxis: str | None = None,
        yaxis: str | None = None,
        mode: str | None = None,
        extra_layout: Mapping[str, Any] | None = None,
    ) -> None:
        """The same as :meth:`report_histogram` (kept for ClearML scripts)."""
        self.report_histogram(
            title, series, values, iteration, labels, xlabels, xaxis, yaxis, mode,
            extra_layout=extra_layout,
        )  # fmt: skip

    def report_line_plot(
        self,
        title: str,
        series: Sequence[figures.SeriesInfo | Mapping[str, Any]],
        xaxis: str | None = None,
        yaxis: str | None = None,
        mode: str = "lines",
        iteration: int | None = None,
        reverse_xaxis: bool = False,
        comment: str | None = None,
        extra_layout: Mapping[str, Any] | None = None,
    ) -> None:
        """Several lines in one plot, each a :class:`SeriesInfo` (name, N x 2 data, labels).

        The plot is stored with ``title`` as both its title and its series.

        Example::

            from corral.utilities.plotly_reporter import SeriesInfo
            logger.report_line_plot("roc", [SeriesInfo("model", [[0, 0], [0.2, 0.8], [1, 1]])],
                                    xaxis="FPR", yaxis="TPR")
        """
        if isinstance(series, (str, bytes, Mapping)):
            raise TypeError("report_line_plot needs a list of SeriesInfo (one per line)")
        fig = figures.line_plot(
            list(series),
            xaxis=xaxis or "",
            yaxis=yaxis or "",
            title=figures.with_comment(title, comment),
            mode=plotly_mode(mode),
            reverse_xaxis=reverse_xaxis,
        )
        figures.merge_layout(fig, extra_layout)
        self._plot(title, title, iteration, fig)

    def report_scatter2d(
        self,
        title: str,
        series: str,
        scatter: Any,
        iteration: int | None = None,
        xaxis: str | None = None,
        yaxis: str | None = None,
        labels: list[str] | None = None,
        mode: str = "lines",
        comment: str | None = None,
        extra_layout: Mapping[str, Any] | None = None,
    ) -> None:
        """Points ``[[x, y], ...]`` as lines and/or markers (``mode``), a hover text per point."""
        fig = figures.scatter2d(
            scatter,
            mode=plotly_mode(mode),
            xaxis=xaxis or "",
            yaxis=yaxis or "",
            labels=labels,
            title=figures.with_comment(title, comment),
            name=series,
        )
        figures.merge_layout(fig, extra_layout)
        self._plot(title, series, iteration, fig)

    def report_scatter3d(
        self,
        title: str,
        series: str,
        scatter: Any,
        iteration: int | None = None,
        xaxis: str | None = None,
        yaxis: str | None = None,
        zaxis: str | None = None,
        labels: list[str] | None = None,
        mode: str = "markers",
        fill: bool = False,
        comment: str | None = None,
        extra_layout: Mapping[str, Any] | None = None,
    ) -> None:
        """3-D points: ``scatter`` is N x 3, or a list of N x 3 arrays (one trace each).

        Example::

            logger.report_scatter3d("cloud", "points", scatter=np.random.rand(50, 3), iteration=0)
        """
        fig = figures.scatter3d(
            scatter,
            mode=plotly_mode(mode),
            fill=fill,
            xaxis=xaxis or "",
            yaxis=yaxis or "",
            zaxis=zaxis or "",
            labels=labels,
            title=figures.with_comment(title, comment),
            name=series,
        )
        figures.merge_layout(fig, extra_layout)
        self._plot(title, series, iteration, fig)

    def report_surface(
        self,
        title: str,
        series: str,
        matrix: Any,
        iteration: int | None = None,
        xaxis: str | None = None,
        yaxis: str | None = None,
        zaxis: str | None = None,
        xlabels: list[str] | None = None,
        ylabels: list[str] | None = None,
        camera: Sequence[float] | None = None,
        comment: str | None = None,
        extra_layout: Mapping[str, Any] | None = None,
    ) -> None:
        """A 3-D surface: the height at (column, row) is ``matrix[row][column]``.

        ``camera`` is the viewer's eye ``(x, y, z)``.

        Example::

            logger.report_surface("loss landscape", "lr x wd", matrix=grid, zaxis="loss")
        """
        fig = figures.surface(
            matrix,
            xlabels=xlabels,
            ylabels=ylabels,
            xaxis=xaxis or "",
            yaxis=yaxis or "",
            zaxis=zaxis or "",
            camera=camera,
            title=figures.with_comment(title, comment),
        )
        figures.merge_layout(fig, extra_layout)
        self._plot(title, series, iteration, fig)

    def report_confusion_matrix(
        self,
        title: str,
        series: str,
        matrix: Any,
        iteration: int | None = None,
        xaxis: str | None = None,
        yaxis: str | None = None,
        xlabels: list[str] | None = None,
        ylabels: list[str] | None = None,
        yaxis_reversed: bool = False,
        comment: str | None = None,
        extra_layout: Mapping[str, Any] | None = None,
    ) -> None:
        """A heatmap with each value written in its cell.

        Row 0 is at the bottom; ``yaxis_reversed=True`` puts it at the top.
        """
        fig = figures.confusion_matrix(
            matrix,
            xlabels=xlabels,
            ylabels=ylabels,
            xaxis=xaxis or "",
            yaxis=yaxis or "",
            title=figures.with_comment(title, comment),
            yaxis_reversed=yaxis_reversed,
        )
        figures.merge_layout(fig, extra_layout)
        self._plot(title, series, iteration, fig)

    def report_matrix(
        self,
        title: str,
        series: str,
        matrix: Any,
        iteration: int | None = None,
        xaxis: str | None = None,
        yaxis: str | None = None,
        xlabels: list[str] | None = None,
        ylabels: list[str] | None = None,
        yaxis_reversed: bool = False,
        extra_layout: Mapping[str, Any] | None = None,
    ) -> None:
        """The same as :meth:`report_confusion_matrix` (kept for ClearML scripts)."""
        self.report_confusion_matrix(
            title, series, matrix, iteration, xaxis, yaxis, xlabels, ylabels, yaxis_reversed,
            extra_layout=extra_layout,
        )  # fmt: skip


def _csv_source(source: str | os.PathLike[str]) -> Any:
    """What ``figures.table`` reads for a ``csv``/``url`` argument: a URL is fetched first."""
    if isinstance(source, str) and "\n" not in source and "://" in source:
        from corral.sdk.storage import StorageManager  # fsspec and the cache, on first use

        return Path(StorageManager.get_local_copy(source))
    return source


def plotly_mode(mode: str) -> str:
    """plotly's scatter mode for ClearML's spellings too (``line`` is ``lines``...).

    Example:
        >>> plotly_mode("line+markers")
        'lines+markers'
    """
    return {"line": "lines", "marker": "markers", "line+markers": "lines+markers"}.get(mode, mode)
