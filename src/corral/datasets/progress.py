"""Progress of a dataset transfer: one Rich bar with files and bytes, rate and ETA.

Shown on stderr when it is a terminal (or when ``force``); silent otherwise, so logs
and pipes stay clean. Thread-safe: uploads and downloads report from worker threads.

Example::

    with DatasetProgress("upload", files=1200, nbytes=52_428_800) as bar:
        bar.advance(files=1, nbytes=4096)
"""

from __future__ import annotations

import threading
from typing import Any

from corral.sdk.storage.progress import stderr_is_tty


class DatasetProgress:
    """A bar counting files and bytes toward known totals.

    Args:
        description: what is moving ("upload parking 1.0.2").
        files: how many files in all.
        nbytes: how many bytes in all.
        enabled: ``False`` keeps it silent (``show_progress=False``).
        force: show it even when stderr is not a terminal.
    """

    def __init__(
        self,
        description: str,
        *,
        files: int,
        nbytes: int,
        enabled: bool = True,
        force: bool = False,
    ) -> None:
        self.files_total = files
        self.bytes_total = nbytes
        self.files_done = 0
        self.bytes_done = 0
        self._lock = threading.Lock()
        self._progress: Any = None
        self._task: Any = None
        if enabled and (force or stderr_is_tty()) and (files or nbytes):
            self._start(description)

    def _start(self, description: str) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._files_column = MofNCompleteColumn()
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[files]} files"),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        try:
            self._progress.start()
        except Exception:  # another live display is active (rich.errors.LiveError)
            self._progress = None
            return
        self._task = self._progress.add_task(
            description, total=self.bytes_total or None, files=f"0/{self.files_total}"
        )

    def __enter__(self) -> DatasetProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def shown(self) -> bool:
        return self._progress is not None

    def advance(self, *, files: int = 0, nbytes: int = 0) -> None:
        """Count ``files`` more files and ``nbytes`` more bytes as done."""
        with self._lock:
            self.files_done += files
            self.bytes_done += nbytes
            if self._progress is not None:
                self._progress.update(
                    self._task,
                    completed=self.bytes_done,
                    files=f"{self.files_done}/{self.files_total}",
                )

    def close(self) -> None:
        with self._lock:
            if self._progress is not None:
                self._progress.stop()
                self._progress = None
