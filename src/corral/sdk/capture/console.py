"""Console capture: what the script prints still reaches the terminal, and the task's log.

``sys.stdout`` and ``sys.stderr`` are wrapped: every write goes to the original stream
first, then complete lines go to ``sink(stream, text)``. A carriage return (progress
bars) keeps only the text after it, so a progress bar arrives as its final state when
its line ends. Partial lines are sent on ``flush_partial()`` (called at close).
Output of child processes and C extensions, which bypasses ``sys.stdout``, is not seen
here; under an agent the agent captures the whole process output instead. Logging
handlers made before the capture started (``logging.basicConfig`` at the top of a
script, or by Hydra) hold the original stream: they are pointed at the wrapper too, and
back at the original when the capture stops.

What the SDK writes itself is never captured, so that it cannot feed back into what it
sends: writes made while the sink runs, during a hub request (e.g. a user's logging
handler printing a record), and on a thread inside ``corral.sdk.threads.uncaptured`` (the thread that
ships the console: a warning it logs about a batch must not become another batch).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from typing import Any, TextIO

from corral.client.http import in_hub_request
from corral.sdk.threads import is_uncaptured

#: a longer line is cut into pieces of this many characters (the hub's limit is 64 KiB)
MAX_LINE = 32 * 1024

Sink = Callable[[str, str], None]


class _Tee:
    """A text stream that writes through to ``original`` and hands lines to the sink."""

    def __init__(self, original: TextIO, stream: str, sink: Sink) -> None:
        self._original = original
        self._stream = stream
        self._sink = sink
        self._partial = ""
        self._lock = threading.Lock()
        self._busy = threading.local()

    def write(self, text: str) -> int:
        n = self._original.write(text)
        if getattr(self._busy, "on", False) or is_uncaptured() or in_hub_request():
            return n  # the SDK's own output: do not capture it again
        try:
            self._capture(text)
        except Exception:  # capture must never break the user's print
            pass
        return n

    def _capture(self, text: str) -> None:
        if not isinstance(text, str) or not text:
            return
        with self._lock:
            data = self._partial + text
            lines = data.split("\n")
            self._partial = lines.pop()
        for line in lines:
            self._emit(line)
        if len(self._partial) > MAX_LINE:
            with self._lock:
                long, self._partial = self._partial, ""
            self._emit(long)

    def _emit(self, line: str) -> None:
        if "\r" in line:
            line = line.rstrip("\r").rsplit("\r", 1)[-1]
        self._busy.on = True
        try:
            for start in range(0, max(len(line), 1), MAX_LINE):
                self._sink(self._stream, line[start : start + MAX_LINE])
        finally:
            self._busy.on = False

    def flush_partial(self) -> None:
        with self._lock:
            rest, self._partial = self._partial, ""
        if rest:
            self._emit(rest)

    def flush(self) -> None:
        self._original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


class ConsoleCapture:
    """Install with :meth:`start`, remove with :meth:`stop` (restores the original streams)."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self._tees: list[tuple[str, _Tee, TextIO]] = []
        self._handlers: list[tuple[logging.StreamHandler[Any], _Tee, TextIO]] = []

    def start(self) -> None:
        if self._tees:
            return
        for name in ("stdout", "stderr"):
            original = getattr(sys, name)
            if original is None or isinstance(original, _Tee):
                continue
            tee = _Tee(original, name, self._sink)
            setattr(sys, name, tee)
            self._tees.append((name, tee, original))
        self._retarget_handlers()

    def _retarget_handlers(self) -> None:
        """Point the logging handlers that write to a wrapped stream at its wrapper."""
        tees = {id(original): (tee, original) for _, tee, original in self._tees}
        loggers: list[Any] = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
        for owner in loggers:
            for handler in list(getattr(owner, "handlers", ())):  # placeholders have none
                if not isinstance(handler, logging.StreamHandler):
                    continue
                found = tees.get(id(handler.stream))
                if found is not None and handler.stream is found[1]:
                    handler.setStream(found[0])
                    self._handlers.append((handler, *found))

    def flush_partial(self) -> None:
        for _, tee, _ in self._tees:
            tee.flush_partial()

    def stop(self) -> None:
        self.flush_partial()
        for handler, tee, original in self._handlers:
            if handler.stream is tee:
                handler.setStream(original)
        self._handlers = []
        for name, tee, original in self._tees:
            if getattr(sys, name) is tee:
                setattr(sys, name, original)
        self._tees = []
