"""Reports of a model (``OutputModel.report_scalar``, ``report_table``...): how they travel.

A model's scalars and plots are stored on the hub for that model
(``POST /models/{id}/events``) and read back with ``GET /models/{id}/scalars`` and
``/plots``. :class:`ModelReporter` gathers them for up to a second and hands each
batch to the running task's outbox as one request, so a report never blocks the
script and is spooled like any other report when the hub is away. What is still
gathered when the task closes is handed over before the outbox's last flush.

Without a running task (a ``Model`` read by id in a plain script) each batch is
sent at once, in the caller's thread.

The figures are built by :mod:`corral.sdk.figures`, as the task's ``Logger`` builds them.
"""

from __future__ import annotations

import math
import threading
import uuid
from typing import Any

from corral.sdk import threads
from corral.sdk.handle import RunHandle
from corral.sdk.plot_json import sanitize
from corral.sdk.session import hub_client

#: seconds a report waits for others to share its request
GATHER = 1.0
#: events that make a batch go at once
BATCH_EVENTS = 1000


class ModelReporter:
    """Gathers the reports of one model and sends them in batches.

    Args:
        model_id: the model's id.
        handle: the running task whose outbox carries the batches; ``None``: sent at once.
    """

    def __init__(self, model_id: str, handle: RunHandle | None) -> None:
        self.model_id = model_id
        self._handle = handle
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []
        self._timer: threading.Timer | None = None
        #: the run's outbox still sends (it stops once the run has closed)
        self._outbox_open = handle is not None and handle.outbox is not None
        run = handle.run if handle is not None else None
        if run is not None:
            if run.active:
                run.on_stop(self.flush)  # before the outbox's last flush
                run.on_closed(self._outbox_closed)
            else:
                self._outbox_open = False

    def _outbox_closed(self) -> None:
        self._outbox_open = False

    def scalar(self, title: str, series: str, value: float, iteration: int) -> None:
        number = float(value)
        self._add(
            {
                "type": "scalar",
                "metric": str(title),
                "variant": str(series),
                "iteration": int(iteration),
                "value": number if math.isfinite(number) else None,
            }
        )

    def plot(self, title: str, series: str, iteration: int | None, figure: dict[str, Any]) -> None:
        self._add(
            {
                "type": "plot",
                "metric": str(title),
                "variant": str(series),
                "iteration": int(iteration or 0),
                "figure": sanitize(figure),
            }
        )

    def _add(self, event: dict[str, Any]) -> None:
        if not event["metric"] or not event["variant"]:
            raise ValueError("a model report needs a non-empty title and series")
        direct = not self._outbox_open
        with self._lock:
            self._pending.append(event)
            full = len(self._pending) >= BATCH_EVENTS
            if not direct and not full and self._timer is None:
                self._timer = threading.Timer(GATHER, self.flush)
                self._timer.daemon = True
                threads.start(self._timer)
        if direct or full:
            self.flush()

    def flush(self) -> None:
        """Hand what is gathered to the outbox (or send it, without a running task)."""
        with self._lock:
            events, self._pending = self._pending, []
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if not events:
            return
        batch_id = uuid.uuid4().hex
        handle = self._handle
        if self._outbox_open and handle is not None and handle.outbox is not None:
            handle.outbox.op(
                {
                    "kind": "request",
                    "method": "POST",
                    "path": f"models/{self.model_id}/events",
                    "json": {"batch_id": batch_id, "events": events},
                }
            )
            return
        hub_client().models.post_events(self.model_id, batch_id, events)


# --- figures this module builds ------------------------------------------------------------
