"""matplotlib: figures shown or saved by the script are reported as plots.

``pyplot.show()`` reports every open figure (before showing them: an interactive
``show`` may close them), ``Figure.savefig(...)`` reports that figure once it is saved.
A figure that has not changed since it was last reported is not reported again (a
``savefig`` followed by ``show`` is one report): a weak map keeps a cheap fingerprint of
each reported figure (its artists, and a checksum of their data).

A figure the script reported itself (``Logger.report_matplotlib_figure``, which calls
:func:`note_explicit_report`) is not captured again by ``show``/``savefig`` while it is
unchanged since that report: otherwise it would appear twice, once under the script's
title and once as ``"<title> / plot"`` at iteration 0 (ClearML marks such a figure
"explicit" for the same reason). Changed afterwards, it is captured as any other.

Title: the figure's suptitle, else the first axes' title, else ``"Figure <number>"``;
series ``"plot"``; iteration: a counter per title, from 0.
"""

from __future__ import annotations

import itertools
import sys
import threading
import weakref
import zlib
from collections import defaultdict
from typing import Any

from corral.sdk.capture.frameworks.base import Binding, CaptureSink, logger

# what an artist's data is made of: lines, scatter points, images/colours, text, bars
_DATA_GETTERS = ("get_xydata", "get_offsets", "get_array", "get_text", "get_bbox")


def _crc(data: Any, crc: int) -> int:
    import numpy as np

    arr = np.ascontiguousarray(data)
    if arr.dtype.hasobject:  # dates, units, None: the text form
        return zlib.crc32(repr(data).encode(), crc)
    return zlib.crc32(arr.data, crc)


def fingerprint(figure: Any) -> tuple[int, int]:
    """(number of artists, checksum of titles, limits and artist data) of ``figure``."""
    count = len(figure.axes) + len(figure.texts)
    crc = zlib.crc32(repr([t.get_text() for t in figure.texts]).encode())
    for ax in figure.axes:
        children = ax.get_children()
        count += len(children)
        head = (ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), ax.get_xlim(), ax.get_ylim())
        crc = zlib.crc32(repr(head).encode(), crc)
        for artist in children:
            for getter in _DATA_GETTERS:
                method = getattr(artist, getter, None)
                data = method() if method is not None else None
                if data is not None:
                    crc = _crc(getattr(data, "bounds", data), crc)  # a Bbox by its bounds
    return count, crc


#: figures the script reported explicitly -> their fingerprint at that report
_explicit: weakref.WeakKeyDictionary[Any, tuple[int, int]] = weakref.WeakKeyDictionary()
_explicit_lock = threading.Lock()


def note_explicit_report(figure: Any) -> None:
    """``figure`` was just reported by the script itself: do not capture it again unchanged.

    Never raises (a figure that cannot be fingerprinted is simply not remembered).
    """
    try:
        print_ = fingerprint(figure)
        with _explicit_lock:
            _explicit[figure] = print_
    except Exception:
        logger.debug("framework capture: fingerprinting a reported figure failed", exc_info=True)


def reported_explicitly(figure: Any, print_: tuple[int, int]) -> bool:
    """Whether the script reported ``figure`` itself and it has not changed since."""
    with _explicit_lock:
        return _explicit.get(figure) == print_


def figure_title(figure: Any) -> str:
    """The suptitle, else the first axes' title, else ``"Figure <number>"``."""
    suptitle = figure.get_suptitle() if hasattr(figure, "get_suptitle") else ""
    if suptitle:
        return str(suptitle)
    if figure.axes and figure.axes[0].get_title():
        return str(figure.axes[0].get_title())
    number = getattr(figure, "number", None)  # only figures made by pyplot have one
    return f"Figure {number}" if number is not None else "Figure"


class MatplotlibBinding(Binding):
    """Reports figures on ``pyplot.show()`` and ``Figure.savefig()``."""

    name = "matplotlib"
    modules = ("matplotlib.figure", "matplotlib.pyplot")

    def __init__(self) -> None:
        super().__init__()
        self._reported: weakref.WeakKeyDictionary[Any, tuple[int, int]] = (
            weakref.WeakKeyDictionary()
        )
        self._counters: defaultdict[str, itertools.count[int]] = defaultdict(itertools.count)

    def install(self, sink: CaptureSink) -> None:
        """Patch ``Figure.savefig`` and ``pyplot.show``, whichever is imported."""
        with self._lock:
            self.sink = sink
            if "matplotlib.figure" in sys.modules:
                self.patch_path("matplotlib.figure", "Figure.savefig", after=self._saved)
            if "matplotlib.pyplot" in sys.modules:
                self.patch_path("matplotlib.pyplot", "show", before=self._show)

    def report(self, figure: Any) -> bool:
        """Report ``figure`` unless it is unchanged since its last report; True if reported."""
        sink = self.sink
        if sink is None:
            return False
        print_ = fingerprint(figure)
        if self._reported.get(figure) == print_ or reported_explicitly(figure, print_):
            return False
        title = figure_title(figure)
        with self._lock:
            counter = self._counters[title]
        sink.report_matplotlib_figure(title, "plot", next(counter), figure)
        self._reported[figure] = print_
        return True

    def _saved(self, result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.report(args[0])

    def _show(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        from matplotlib._pylab_helpers import Gcf  # pyplot's figure registry, loaded by pyplot

        for manager in Gcf.get_all_fig_managers():
            try:
                self.report(manager.canvas.figure)
            except Exception:  # one bad figure must not hide the others
                logger.debug("framework capture: reporting a figure failed", exc_info=True)
