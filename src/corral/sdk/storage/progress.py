"""Transfer progress: a Rich bar on stderr for large transfers, nothing otherwise.

Transfers report progress through a plain callable, :data:`ProgressFn`, called
with the bytes moved so far and the transfer's size (``None`` while unknown). A
retried transfer starts again from zero, which the bar follows.

:class:`TransferBar` turns those calls into one bar, shared by the files of a
folder transfer (each file gets its own callable from :meth:`TransferBar.file`).
The bar appears only when stderr is a terminal and the transfer is at least
:data:`BAR_THRESHOLD` bytes; Rich is imported only then.

Example::

    with TransferBar("upload data.bin") as bar:
        hub_put(Path("data.bin"), "tasks/abc/data.bin", progress=bar.file())
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

#: ``progress(done, total)``: bytes moved so far, and the size when known
ProgressFn = Callable[[int, "int | None"], None]

#: smaller transfers are silent
BAR_THRESHOLD = 10 * 1024 * 1024


def stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


class TransferBar:
    """One progress bar for a transfer of one file or of many.

    Args:
        description: what the bar says ("upload x.csv").
        total: the size of the whole transfer when known up front (a folder's
            total); otherwise each file's own size is used.
        enabled: ``False`` keeps it silent whatever the size (background uploads,
            whose bars would fight over the terminal).

    Thread-safe: the files of a folder transfer report from worker threads.
    """

    def __init__(self, description: str, total: int | None = None, *, enabled: bool = True) -> None:
        self.description = description
        self.total = total
        self.enabled = enabled
        self._lock = threading.Lock()
        self._done_by_file: dict[int, int] = {}
        self._next_id = 0
        self._progress: Any = None  # rich.progress.Progress, once shown
        self._task: Any = None
        self._decided = False

    def __enter__(self) -> TransferBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def shown(self) -> bool:
        """Whether the bar is on the screen."""
        return self._progress is not None

    def file(self) -> ProgressFn:
        """A callable for one file's transfer, feeding this bar."""
        with self._lock:
            file_id = self._next_id
            self._next_id += 1
            self._done_by_file[file_id] = 0

        def report(done: int, total: int | None) -> None:
            with self._lock:
                self._done_by_file[file_id] = done
                if self.total is None and total is not None and len(self._done_by_file) == 1:
                    self.total = total
                self._show(sum(self._done_by_file.values()))

        return report

    def _show(self, done: int) -> None:
        if not self._decided:
            if self.total is None:
                return  # decide once the size is known
            self._decided = True
            if self.enabled and self.total >= BAR_THRESHOLD and stderr_is_tty():
                self._start()
        if self._progress is not None:
            self._progress.update(self._task, completed=done, total=self.total)

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        try:
            self._progress.start()
        except Exception:  # another live display is active (rich.errors.LiveError)
            self._progress = None
            return
        self._task = self._progress.add_task(self.description, total=self.total)

    def close(self) -> None:
        """Remove the bar (if it was shown)."""
        with self._lock:
            if self._progress is not None:
                self._progress.stop()
                self._progress = None
