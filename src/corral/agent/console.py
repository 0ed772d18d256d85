"""A task's console, shipped to the hub: lines in, batches of log events out.

The agent reads the task's stdout and stderr line by line (:func:`pump`) into a
:class:`ConsoleShipper`, which a thread of its own sends as
``POST /tasks/{id}/events`` batches every ``interval`` seconds or ``max_lines``
lines. Each batch carries a unique ``batch_id``; a batch that failed on the way
(network error, 5xx) is sent again with the *same* id, and the hub stores a batch id
once, so a line is neither lost nor doubled when the hub restarts or an answer is
lost. Lines longer than the hub accepts are split.

Example::

    shipper = ConsoleShipper(client, task_id, worker="gpu-1:0")
    shipper.write("epoch 1", "stdout")
    shipper.close()  # waits (bounded) until every line is on the hub
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from typing import IO, Any

from corral.client.http import HubClient
from corral.client.retry import SERVER_STATUSES, RetryPolicy
from corral.errors import CorralError, NotFoundError

log = logging.getLogger("corral.agent")

#: the hub's default ``CORRAL_LIMIT_LOG_LINE_CHARS``
LOG_LINE_CHARS = 64 * 1024
#: a batch stays well below the hub's request size limit (64 MiB by default)
BATCH_CHARS = 4 * 1024 * 1024
#: lines kept while the hub is away; older ones are dropped past this (and counted)
BUFFER_LINES = 200_000
#: a batch the hub could not take is tried again (lines are never dropped for a 5xx)
CONSOLE_RETRY = RetryPolicy(first=0.2, cap=5.0, statuses=SERVER_STATUSES)


class ConsoleShipper:
    """Buffers console lines of one task and sends them in batches from a thread.

    Args:
        client: a client of the hub (thread-safe; shared is fine).
        task_id: the task the lines belong to.
        worker: the worker id written on each line.
        interval: seconds between two batches while lines come in.
        max_lines: a batch is sent at once when this many lines wait.
        line_chars: longer lines are split into pieces of this size.
        retry: the pauses between tries of a failed batch, and which failures are
            worth another try (by default any server-side failure: lines are kept).
    """

    def __init__(
        self,
        client: HubClient,
        task_id: str,
        worker: str,
        *,
        interval: float = 0.2,
        max_lines: int = 1000,
        line_chars: int = LOG_LINE_CHARS,
        retry: RetryPolicy = CONSOLE_RETRY,
    ) -> None:
        self._client = client
        self._path = f"tasks/{task_id}/events"
        self._worker = worker
        self._interval = interval
        self._max_lines = max_lines
        self._line_chars = line_chars
        self._retry = retry
        self._lines: deque[dict[str, Any]] = deque()
        self._dropped = 0
        self._in_flight = 0
        #: flush() is waiting: send what there is without waiting for more
        self._urgent = 0
        self._closing = False
        self._give_up = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="corral-console", daemon=True)
        self._thread.start()

    def write(self, text: str, stream: str = "stdout") -> None:
        """Add one line (without its newline); split when longer than the hub accepts."""
        now = time.time()
        size = self._line_chars
        pieces = [text[i : i + size] for i in range(0, len(text), size)] or [""]
        with self._cond:
            for piece in pieces:
                if len(self._lines) >= BUFFER_LINES:
                    self._lines.popleft()
                    self._dropped += 1
                self._lines.append(
                    {
                        "type": "log",
                        "text": piece,
                        "stream": stream,
                        "time": now,
                        "worker": self._worker,
                    }
                )
            if len(self._lines) >= self._max_lines:
                self._cond.notify_all()

    def log(self, text: str) -> None:
        """A line of the agent's own (preparation, abort) in the task's console."""
        self.write(text, "stdout")

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every line written so far is on the hub; False when ``timeout`` ran out."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._urgent += 1
            self._cond.notify_all()
            try:
                while self._lines or self._in_flight:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or not self._thread.is_alive():
                        return False
                    self._cond.wait(min(remaining, 0.1))
            finally:
                self._urgent -= 1
        return True

    def close(self, timeout: float = 30.0) -> bool:
        """Flush (bounded by ``timeout``), then stop the thread; False if lines were lost."""
        delivered = self.flush(timeout)
        with self._cond:
            self._closing = True
            # what could not be sent in time is given up, so the agent can go on
            self._give_up = not delivered
            left = len(self._lines) + self._in_flight
            self._cond.notify_all()
        self._thread.join(5.0)
        if not delivered:
            log.warning("console of %s: %d lines could not be sent", self._path, left)
        return delivered

    # --- the sending thread ------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                self._gather()
                if self._closing and (not self._lines or self._give_up):
                    return
                batch = self._take()
            try:
                self._send(batch)
            except Exception:  # a bug must not stop the console of every later line
                log.exception("sending console lines of %s failed", self._path)
            with self._cond:
                self._in_flight = 0
                self._cond.notify_all()

    def _gather(self) -> None:
        """Wait (holding the condition) for a batch: ``interval`` or ``max_lines`` or a flush."""
        deadline = time.monotonic() + self._interval
        while not self._closing:
            if len(self._lines) >= self._max_lines or (self._urgent and self._lines):
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0 and self._lines:
                return
            self._cond.wait(remaining if remaining > 0 else self._interval)

    def _take(self) -> list[dict[str, Any]]:
        """Up to ``max_lines`` lines (and ``BATCH_CHARS`` characters) off the buffer."""
        batch: list[dict[str, Any]] = []
        if self._dropped:
            text = f"corral-agent: {self._dropped} console lines dropped (the hub was away)"
            batch.append({"type": "log", "text": text, "stream": "stderr", "time": time.time()})
            self._dropped = 0
        size = 0
        while self._lines and len(batch) < self._max_lines and size < BATCH_CHARS:
            line = self._lines.popleft()
            size += len(line["text"]) + 64
            batch.append(line)
        self._in_flight = len(batch)
        return batch

    def _send(self, batch: list[dict[str, Any]]) -> None:
        """Send one batch until it is stored, refused, or the shipper gives up on it."""
        # one id for every try: the hub stores a batch id once, so a retry after a lost
        # answer does not double the lines
        body = {"batch_id": uuid.uuid4().hex, "events": batch}
        backoff = self._retry.backoff()
        while True:
            try:
                self._client.post(self._path, json=body)
                return
            except NotFoundError:
                log.info("%s: the task is gone; dropping its console", self._path)
                with self._cond:
                    self._lines.clear()
                return
            except CorralError as e:
                if not self._retry.retryable(e):
                    log.warning(
                        "%s: the hub refused %d console lines: %s", self._path, len(batch), e
                    )
                    return
                delay = backoff.next(e)
                log.debug("console batch failed (%s); retrying in %.1fs", e, delay)
            with self._cond:
                if self._cond.wait_for(lambda: self._give_up, delay):
                    return


def pump(pipe: IO[bytes], stream: str, shipper: ConsoleShipper, line_bytes: int) -> None:
    """Read ``pipe`` line by line into ``shipper`` until it ends (run in a thread).

    A line without a newline is cut at ``line_bytes`` so that a process printing no
    newline cannot fill the agent's memory. A progress bar's carriage returns keep the
    text after the last one, as a terminal shows it.
    """
    try:
        for raw in iter(lambda: pipe.readline(line_bytes), b""):
            text = raw.decode("utf-8", errors="replace").rstrip("\n").removesuffix("\r")
            if "\r" in text:
                text = text.rsplit("\r", 1)[-1] or text.rstrip("\r").rsplit("\r", 1)[-1]
            shipper.write(text, stream)
    except (OSError, ValueError) as e:  # the pipe was closed under us
        log.debug("reading %s ended: %s", stream, e)
    finally:
        try:
            pipe.close()
        except OSError:
            pass
