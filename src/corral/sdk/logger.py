"""The ``Logger``: scalars, text, tables, plots, images, media and histograms of a task.

Every report is appended to the task's outbox and returns at once; a background
thread sends them in batches (``corral.sdk.outbox``). The methods take the same
arguments as ClearML's ``Logger`` (``iteration=None`` is iteration 0); the few that
cannot be honoured are accepted and documented in docs/sdk.md.

Example::

    logger = task.get_logger()
    for i in range(100):
        logger.report_scalar("loss", "train", value=1 / (i + 1), iteration=i)
    logger.report_confusion_matrix("cm", "val", iteration=99, matrix=[[9, 1], [2, 8]])
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import os
import shutil
import time
import types
import uuid
from typing import Any, ClassVar

from corral.sdk.capture.frameworks.base import paused
from corral.sdk.capture.frameworks.matplotlib import note_explicit_report
from corral.sdk.figures import SeriesInfo
from corral.sdk.handle import RunHandle, current_handle
from corral.sdk.images import encode_image
from corral.sdk.media import MediaSource, content_type_of, media_source
from corral.sdk.mpl_figures import from_matplotlib
from corral.sdk.outbox import Weighted
from corral.sdk.plot_json import sanitize
from corral.sdk.plot_reports import PlotReports

log = logging.getLogger("corral.sdk")
_time = time.time

#: the longest level name the hub stores
_LEVEL_MAX = 16


class Logger(PlotReports):
    """Reports of one task; get it with ``task.get_logger()`` or ``Logger.current_logger()``."""

    #: ClearML's line-plot series type, also at ``corral.utilities.plotly_reporter``
    SeriesInfo = SeriesInfo

    # process-wide switches (class methods, as in ClearML)
    _force_non_interactive: ClassVar[bool] = False
    _nan_value: ClassVar[float | None] = None
    _inf_value: ClassVar[float | None] = None
    _replace_warn_period: ClassVar[int] = 1000
    _tensorboard_group_scalars: ClassVar[bool] = False
    _tensorboard_single_series: ClassVar[bool] = False

    def __init__(self, handle: RunHandle) -> None:
        if handle.outbox is None:
            raise RuntimeError("only the task this process runs (Task.init) can report")
        self._handle = handle
        self._outbox = handle.outbox
        self._iteration_offset = handle.iteration_offset
        self._counters: dict[tuple[str, str], int] = {}
        self._flush_period: float | None = None
        self._sample_history: int | None = None
        self._replaced = 0

    @classmethod
    def current_logger(cls) -> Logger:
        """The logger of the task ``Task.init`` started in this process."""
        handle = current_handle()
        if handle is None:
            raise RuntimeError("no current task: call Task.init(...) first")
        return logger_for(handle)

    # --- scalars ------------------------------------------------------------------------

    def report_scalar(self, title: str, series: str, value: float, iteration: int) -> None:
        """One point of the series ``title/series`` (a chart per title, a line per series).

        NaN is stored as a missing point unless :meth:`set_reporting_nan_value` says otherwise.
        """
        value = float(value)
        if (self._nan_value is not None or self._inf_value is not None) and not math.isfinite(
            value
        ):
            value = self._replaced_value(title, series, value)
        self._outbox.scalar(title, series, int(iteration) + self._iteration_offset, value, _time())

    def _replaced_value(self, title: str, series: str, value: float) -> float:
        replacement = self._nan_value if math.isnan(value) else self._inf_value
        if replacement is None:
            return value
        if self._replaced % max(1, self._replace_warn_period) == 0:
            log.warning("corral: %s/%s: %s reported as %s", title, series, value, replacement)
        self._replaced += 1
        return float(replacement)

    def report_single_value(self, name: str, value: float) -> None:
        """A single number for the run (shown in the summary table), e.g. a final accuracy."""
        self._outbox.scalar("Summary", name, 0, float(value), _time())

    # --- text ---------------------------------------------------------------------------

    def report_text(
        self,
        msg: str,
        level: int | str = logging.INFO,
        print_console: bool = True,
        *_: Any,
        **__: Any,
    ) -> None:
        """A line in the task's console (and on this process's stdout unless ``print_console=False``).

        Args:
            msg: the text; several lines are sent as several lines.
            level: a ``logging`` level (``logging.WARNING``) or its name (``"warning"``).
            print_console: also print it here.
        """
        level_name = _level_name(level)
        if print_console:
            print(msg)
            if self._handle.console_captured:
                return  # the console capture (or the agent) sends it
        for line in str(msg).splitlines() or [""]:
            self._outbox.event({"type": "log", "text": line, "level": level_name, "time": _time()})

    # --- plots --------------------------------------------------------------------------

    def report_matplotlib_figure(
        self,
        title: str,
        series: str,
        figure: Any,
        iteration: int | None = None,
        report_image: bool = False,
        report_interactive: bool = True,
    ) -> None:
        """A matplotlib figure (or ``matplotlib.pyplot`` itself: its current figure).

        By default it is converted to plotly when it can be, else embedded as a picture;
        ``report_interactive=False`` (or :meth:`matplotlib_force_report_non_interactive`)
        always embeds the picture; ``report_image=True`` reports it as a debug sample
        (PNG) instead of a plot.

        Example::

            plt.plot(losses)
            logger.report_matplotlib_figure("loss", "train", figure=plt, iteration=0)
        """
        figure = _figure_of(figure)
        with paused():  # our own savefig is not a figure the script saved
            if report_image:
                buffer = io.BytesIO()
                figure.savefig(buffer, format="png")
                self.report_image(title, series, iteration=iteration, image=buffer.getvalue())
                note_explicit_report(figure)
                return
            interactive = report_interactive and not self._force_non_interactive
            fig = from_matplotlib(figure, interactive=interactive)
        self._plot(title, series, iteration, fig)
        note_explicit_report(figure)  # plt.show()/savefig do not capture it a second time

    def _plot(self, title: str, series: str, iteration: int | None, figure: dict[str, Any]) -> None:
        title, series = _names(title, series)
        figure = sanitize(figure)
        event = Weighted(
            type="plot",
            metric=title,
            variant=series,
            iteration=int(iteration or 0) + self._iteration_offset,
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
        iteration: int | None = None,
        local_path: str | os.PathLike[str] | None = None,
        image: Any = None,
        matrix: Any = None,
        max_image_history: int | None = None,
        delete_after_upload: bool = False,
        url: str | None = None,
    ) -> None:
        """An image at an iteration (a debug sample).

        Give exactly one of: ``image`` (a numpy array, a PIL image or encoded bytes;
        ``matrix`` is an older name of it), ``local_path`` (an image file) or ``url``
        (an image that lives elsewhere: recorded as it is, nothing is uploaded).

        Args:
            delete_after_upload: remove ``local_path`` once it is uploaded.
            max_image_history: accepted for ClearML scripts; the hub keeps every sample.

        Raises:
            ValueError: none or several sources.
        """
        if image is not None and matrix is not None:
            raise ValueError("report_image takes image= or matrix= (the same thing), not both")
        image = image if image is not None else matrix
        given = [
            n
            for n, v in (("image", image), ("local_path", local_path), ("url", url))
            if v is not None
        ]
        if len(given) != 1:
            got = f"got {', '.join(given)}" if given else "got none"
            raise ValueError(
                f"report_image needs exactly one of image= (array or PIL image), "
                f"local_path= or url= ({got})"
            )
        if url is not None:
            self._sample(title, series, iteration, media_source("report_image", url=url))
            return
        data, content_type, ext = encode_image(image if image is not None else local_path)
        self._sample(title, series, iteration, MediaSource(data=data, ext=ext), content_type)
        if local_path is not None and delete_after_upload:
            with contextlib.suppress(FileNotFoundError):
                os.remove(local_path)

    def report_image_and_upload(
        self,
        title: str,
        series: str,
        iteration: int | None = None,
        path: str | None = None,
        matrix: Any = None,
        max_image_history: int | None = None,
        delete_after_upload: bool = False,
    ) -> None:
        """An older name of :meth:`report_image` (kept for ClearML scripts)."""
        self.report_image(
            title, series, iteration, local_path=path, image=matrix,
            delete_after_upload=delete_after_upload,
        )  # fmt: skip

    def report_media(
        self,
        title: str,
        series: str,
        iteration: int | None = None,
        local_path: str | os.PathLike[str] | None = None,
        stream: Any = None,
        file_extension: str | None = None,
        max_history: int | None = None,
        delete_after_upload: bool = False,
        url: str | None = None,
    ) -> None:
        """Any file (audio, video, HTML...) at an iteration, as a debug sample.

        Give exactly one of ``local_path`` (a file, uploaded), ``stream`` (a file object
        such as ``io.BytesIO``, read and uploaded; ``file_extension`` names its type when
        the stream has no file name) or ``url`` (recorded as it is: nothing is uploaded,
        the web UI shows or links it).

        Args:
            file_extension: the stored file's extension (``".mp4"`` or ``"mp4"``).
            delete_after_upload: remove ``local_path`` once it is uploaded.
            max_history: accepted for ClearML scripts; the hub keeps every sample.

        Raises:
            ValueError: none or several sources; a nameless stream without ``file_extension``.

        Example::

            logger.report_media("audio", "clip", iteration=1, local_path="clip.wav")
            logger.report_media("video", "remote", url="https://example.com/run.mp4")
            logger.report_media("html", "page", stream=io.StringIO(html), file_extension="html")
        """
        source = media_source(
            "report_media",
            local_path=local_path,
            stream=stream,
            url=url,
            file_extension=file_extension,
        )
        self._sample(title, series, iteration, source, remove_path=delete_after_upload)

    def _sample(
        self,
        title: str,
        series: str,
        iteration: int | None,
        source: MediaSource,
        content_type: str | None = None,
        *,
        remove_path: bool = False,
    ) -> None:
        title, series = _names(title, series)
        it = int(iteration or 0) + self._iteration_offset
        if source.url is not None:
            uri = source.url
            content_type = content_type or content_type_of(source.ext or source.url)
        else:
            ext = source.ext
            content_type = content_type or content_type_of(f"x{ext}")
            if source.path is not None and remove_path:
                src, remove = source.path, True  # the user gives the file up: no copy
            elif source.path is not None:
                # a copy: the script may overwrite its file before the upload starts
                src, remove = self._handle.scratch_dir() / f"{uuid.uuid4().hex}{ext}", True
                shutil.copyfile(source.path, src)
            else:
                src, remove = self._handle.scratch_file(source.data or b"", ext), True
            name = f"{_safe(title)}/{_safe(series)}/{it:08d}-{uuid.uuid4().hex[:8]}{ext}"
            uri = self._handle.output_target("debug", name)
            self._handle.upload(src, uri, remove_src=remove)
        self._outbox.event(
            {
                "type": "debug_sample",
                "metric": title,
                "variant": series,
                "iteration": it,
                "uri": uri,
                "content_type": content_type,
                "time": _time(),
            }
        )

    def set_default_debug_sample_history(self, max_history: int) -> None:
        """Accepted for ClearML scripts: the hub keeps every debug sample."""
        self._sample_history = int(max_history)

    def get_default_debug_sample_history(self) -> int | None:
        """What :meth:`set_default_debug_sample_history` was given (``None``: keep all)."""
        return self._sample_history

    # --- where files go, sending ----------------------------------------------------------

    def set_default_upload_destination(self, uri: str) -> None:
        """Where images and files reported by this logger go (default: the task's output).

        Raises:
            ValidationError: a URL scheme no storage backend serves (or whose extra is
                not installed).
        """
        from corral.sdk.storage import backend_for  # fsspec, on first use

        backend_for(uri)
        self._handle.output_uri = uri

    def get_default_upload_destination(self) -> str:
        """Where images and files reported by this logger go (``hub://`` when not set)."""
        return self._handle.output_uri or "hub://"

    def flush(self, wait: bool = False, timeout: float = 30.0) -> bool:
        """Send what was reported so far.

        Args:
            wait: wait until the hub has it (at most ``timeout`` seconds).

        Returns:
            ``True`` when sending started (``wait=False``) or the hub has everything.
        """
        if not wait:
            self._outbox.flush(0)
            return True
        return self._outbox.flush(timeout)

    def set_flush_period(self, period: float | None) -> None:
        """Accepted for ClearML scripts: reports are always sent within about a second."""
        self._flush_period = None if period is None else float(period)

    def get_flush_period(self) -> float | None:
        """What :meth:`set_flush_period` was given (``None`` until then)."""
        return self._flush_period

    # --- iterations -----------------------------------------------------------------------

    def set_iteration_offset(self, offset: int) -> None:
        """Added to every reported iteration (a continued task goes on from its last one)."""
        self._iteration_offset = self._handle.iteration_offset = int(offset)

    def get_iteration_offset(self) -> int:
        """What is added to every reported iteration."""
        return self._iteration_offset

    # --- process-wide switches ------------------------------------------------------------

    def capture_logging(self) -> contextlib.AbstractContextManager[None]:
        """A context manager, for ClearML scripts: ``logging`` output always reaches the
        task's console already (through the captured stdout/stderr)."""
        return contextlib.nullcontext()

    @classmethod
    def tensorboard_auto_group_scalars(cls, group_scalars: bool = False) -> None:
        """Accepted for ClearML scripts: a TensorBoard tag without ``/`` is always both
        the title and the series of its scalars."""
        cls._tensorboard_group_scalars = bool(group_scalars)

    @classmethod
    def tensorboard_single_series_per_graph(cls, single_series: bool = False) -> None:
        """Accepted for ClearML scripts: how series share charts is chosen in the web UI."""
        cls._tensorboard_single_series = bool(single_series)

    @classmethod
    def matplotlib_force_report_non_interactive(cls, force: bool) -> None:
        """``True``: every matplotlib figure (reported or captured) is a picture, never
        converted to plotly."""
        cls._force_non_interactive = bool(force)

    @classmethod
    def set_reporting_nan_value(cls, value: float, warn_period: int = 1000) -> None:
        """Report NaN scalars as ``value`` (with a warning every ``warn_period`` of them).

        By default a NaN is stored as a missing point.
        """
        cls._nan_value = float(value)
        cls._replace_warn_period = int(warn_period)

    @classmethod
    def set_reporting_inf_value(cls, value: float, warn_period: int = 1000) -> None:
        """Report infinite scalars (either sign) as ``value``, with a warning every
        ``warn_period`` of them. By default they are stored as missing points."""
        cls._inf_value = float(value)
        cls._replace_warn_period = int(warn_period)


def logger_for(handle: RunHandle) -> Logger:
    """The ``Logger`` of a running task (one per task)."""
    if handle.logger is None:
        handle.logger = Logger(handle)
    logger: Logger = handle.logger
    return logger


def _names(title: str, series: str) -> tuple[str, str]:
    """(title, series) as the hub stores them: an empty series is the title (as ClearML's
    UI shows it)."""
    title, series = str(title), str(series) if series is not None else ""
    if not title:
        raise ValueError("the title of a report must not be empty")
    return title, series or title


def _level_name(level: int | str) -> str:
    if isinstance(level, bool) or not isinstance(level, (int, str)):
        raise TypeError(f"level must be a logging level or its name, not {level!r}")
    name = logging.getLevelName(level).lower() if isinstance(level, int) else level.lower()
    if not name or len(name) > _LEVEL_MAX:
        raise ValueError(f"level name must be 1 to {_LEVEL_MAX} characters; got {name!r}")
    return name


def _figure_of(figure: Any) -> Any:
    """A matplotlib Figure from a Figure or the ``pyplot`` module (its current figure)."""
    if isinstance(figure, types.ModuleType):
        gcf = getattr(figure, "gcf", None)
        if not callable(gcf):
            raise TypeError(
                f"report_matplotlib_figure takes a Figure or matplotlib.pyplot, not {figure.__name__}"
            )
        return gcf()
    if not callable(getattr(figure, "savefig", None)):
        raise TypeError(
            f"report_matplotlib_figure needs a matplotlib Figure or pyplot, not {type(figure).__name__}"
        )
    return figure


def _safe(text: str) -> str:
    keep = "".join(c if c.isalnum() or c in "._-" else "_" for c in text)
    return keep.strip("._") or "x"
