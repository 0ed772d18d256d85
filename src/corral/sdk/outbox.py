"""The outbox: what a task reports reaches the hub in order, in batches, exactly once.

The caller's thread only appends to a deque (``report_scalar`` costs an append of a
tuple). One background thread ("corral-outbox") takes items off the deque in order,
packs runs of events into batches (a series' points in the columnar ``scalars``
form), and sends each batch or operation (see ``corral.sdk.sender``).

When the hub cannot be reached, the item in hand and everything after it go to a
spool folder on disk (``corral.sdk.spool``) and the thread retries with backoff;
once the hub answers, the spool is replayed in order, then direct sending resumes.
A spool left behind by a process that exited before the hub came back is replayed
by the next ``Task.init`` on this machine, or by ``corral task import FOLDER``.
An item the hub refuses for good (bad input: a 4xx but 401/408/429) is told once on
stderr with the hub's reason and set aside in ``~/.corral/rejected/`` (see
``spool.set_aside``); it never holds back what comes after it.
Batches carry ids, creates carry the client's id: a retried item is stored once.

An offline outbox writes everything to its folder and never sends.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from corral.client.http import HubClient
from corral.client.retry import RetryPolicy
from corral.sdk import spool, threads
from corral.sdk.sender import Op, Refused, Transient, Unauthorized, describe, send
from corral.sdk.spool import set_aside

log = logging.getLogger("corral.sdk")

#: points (or events) per batch; far below the hub's default limit of 200,000
BATCH_POINTS = 50_000
#: estimated bytes of non-scalar events per batch (the hub takes 64 MiB bodies, plots
#: up to 4 MiB each): logs weigh their text, plots their ``weight`` (see ``Weighted``)
BATCH_BYTES = 16 * 1024 * 1024
#: a deque this long wakes the shipper before its interval is up
WAKE_AT = 20_000
#: refused items told one by one on stderr; past that, one line says more are set aside
REFUSALS_SHOWN = 5
#: pauses while the hub is away: 1 s doubled up to 30 s (with jitter)
RETRY = RetryPolicy(first=1.0, cap=30.0)


class _Marker:
    """Put in the deque by ``flush``: set when everything before it is sent or spooled."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.delivered = True


class Outbox:
    """Ship a task's reports in order; never block the caller, never lose a report.

    Args:
        client: a callable returning the hub client (built lazily, so offline runs need none).
        folder: the spool folder (offline: the offline folder); created only when used.
        meta: written to the folder's ``meta.json`` (task id, name, project).
        offline: write everything to ``folder`` and send nothing.
        interval: seconds between sends when little is reported.
    """

    def __init__(
        self,
        client: Callable[[], HubClient],
        folder: Path,
        meta: dict[str, Any],
        *,
        offline: bool = False,
        interval: float = 1.0,
        on_refused: Callable[[Op, str], None] | None = None,
    ) -> None:
        self._client = client
        self.folder = folder
        self._meta = meta
        self.offline = offline
        self._interval = interval
        self._on_refused = on_refused
        self._q: deque[Any] = deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()  # guards the spool writer and the in-flight item
        self._writer: spool.SpoolWriter | None = None
        self._inflight: list[Op] = []
        self._batch_ids = (f"{uuid.uuid4().hex[:20]}-{n:010d}" for n in itertools.count())
        self._warned_down = False
        self._unauthorized = False
        #: under an agent, a refusal of the task's credentials is said at the end, and only
        #: if the agent did not stop the task (then the refusal was the stop, not a fault)
        self.held_auth_warning: str | None = None
        self._refusals = 0
        self._closing = False
        self._backoff = RETRY.backoff()
        self.sent_ops = 0
        self._thread = threading.Thread(target=self._run, name="corral-outbox", daemon=True)
        threads.start(self._thread)

    # --- the caller's side: cheap appends --------------------------------------------

    def scalar(self, metric: str, variant: str, iteration: int, value: float, t: float) -> None:
        q = self._q
        q.append((metric, variant, iteration, value, t))
        if len(q) >= WAKE_AT:
            self._wake.set()

    def event(self, event: dict[str, Any]) -> None:
        """A log, plot or debug sample event (a dict in the hub's batch format)."""
        self._q.append(event)

    def op(self, op: Op) -> None:
        """A request or upload, sent after everything reported before it."""
        self._q.append(_OpItem(op))
        self._wake.set()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything reported so far is on the hub (``True``) or spooled/timed out."""
        if not self._thread.is_alive():
            return False
        marker = _Marker()
        self._q.append(marker)
        self._wake.set()
        if not marker.reached.wait(timeout):
            return False
        return marker.delivered

    def close(self, timeout: float = 10.0) -> bool:
        """Flush, then stop the thread. What could not be sent in ``timeout`` is spooled.

        Returns ``True`` when the hub has everything.
        """
        deadline = time.monotonic() + timeout
        self._closing = True
        delivered = self.flush(timeout)
        if not delivered and not self.offline and not self._unauthorized and self.sent_ops:
            # the hub went away during the run: give it the rest of the timeout to come back
            # (a hub never reached in this run is not waited for: the spool keeps it all)
            while self._writer is not None and time.monotonic() < deadline:
                self._wake.set()
                time.sleep(0.05)
            delivered = self._writer is None and self._thread.is_alive()
        self._stop.set()
        self._wake.set()
        self._thread.join(min(timeout, 5.0) if delivered else 2.0)
        if self._thread.is_alive():
            # stuck on a hub that does not answer: write what is left ourselves
            self._spool_rest()
            delivered = False
        with self._lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        if not delivered and not self.offline and self.pending_on_disk():
            log.warning(
                "corral: the hub has not received everything; it is kept in %s and will be "
                "sent by the next run on this machine, or by `corral task import %s`",
                self.folder,
                self.folder,
            )
        return delivered and not self.pending_on_disk()

    def pending_on_disk(self) -> bool:
        return spool.count_ops(self.folder) > spool.read_done(self.folder)

    # --- the shipper thread -----------------------------------------------------------

    def _run(self) -> None:
        with threads.uncaptured():  # what this thread logs (a refused batch...) is not sent again
            self._loop()

    def _loop(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            stopping = self._stop.is_set()
            try:
                self._cycle()
            except Exception:  # never let the thread die: log and go on
                log.exception("corral: the outbox failed to send; will retry")
                time.sleep(1.0)
            if stopping and not self._q:
                return

    def _cycle(self) -> None:
        if not self.offline and self._writer is not None and not self._drain_spool():
            self._to_spool_all()
            return
        for item in self._items():
            if isinstance(item, _Marker):
                item.delivered = self._writer is None
                item.reached.set()
                continue
            if self.offline or self._writer is not None:
                self._append(item)
                continue
            self._send(item)

    def _items(self) -> Any:
        """Take the deque's items in order, packing runs of events into batches."""
        q = self._q
        batch: list[Any] = []
        weight = 0
        while q:
            item = q.popleft()
            if isinstance(item, (_OpItem, _Marker)):
                if batch:
                    yield self._batch(batch)
                    batch, weight = [], 0
                yield item.op if isinstance(item, _OpItem) else item
                continue
            batch.append(item)
            if not isinstance(item, tuple):
                weight += getattr(item, "weight", 0) or len(item.get("text", "")) + 256
            if len(batch) >= BATCH_POINTS or weight >= BATCH_BYTES:
                yield self._batch(batch)
                batch, weight = [], 0
        if batch:
            yield self._batch(batch)

    def _batch(self, items: list[Any]) -> Op:
        events: list[dict[str, Any]] = []
        columns: dict[tuple[str, str], tuple[list[int], list[float], list[float]]] = {}
        get = columns.get
        for item in items:
            if item.__class__ is tuple:
                cols = get((item[0], item[1]))
                if cols is None:
                    cols = columns[(item[0], item[1])] = ([], [], [])
                    events.append(
                        {"type": "scalars", "metric": item[0], "variant": item[1], "_cols": cols}
                    )
                cols[0].append(item[2])
                cols[1].append(item[3])  # NaN and infinities are sent as null (orjson)
                cols[2].append(item[4])
            else:
                events.append(item)
        for event in events:
            cols = event.pop("_cols", None)
            if cols is not None:
                event["iterations"], event["values"], event["times"] = cols
        return {
            "kind": "events",
            "path": f"tasks/{self._meta['task_id']}/events",
            "batch_id": next(self._batch_ids),
            "events": events,
        }

    def _send(self, op: Op) -> None:
        with self._lock:
            self._inflight = [op]
        try:
            send(self._client(), op)
            self.sent_ops += 1
            if self._warned_down:
                log.warning("corral: the hub is reachable again; sending what was kept")
                self._warned_down = False
        except Transient as e:
            self._hub_down(str(e))
            self._append(op)
        except Unauthorized as e:
            self._refused_auth(str(e))
            self._append(op)
        except Refused as e:
            self._refused(op, str(e))
        except Exception as e:  # a bug or a broken config: keep the item, never lose it
            log.warning("corral: could not send %s: %r; keeping it on disk", op["kind"], e)
            self._append(op)
        finally:
            with self._lock:
                self._inflight = []

    def _drain_spool(self) -> bool:
        """Replay the spool in order; ``True`` when it is empty again."""
        if self._unauthorized:
            return False
        assert self._writer is not None
        with self._lock:
            self._writer.flush()
        done = spool.read_done(self.folder)
        delay = 0.0
        for n, op in spool.pending(self.folder):
            try:
                send(self._client(), op)
            except Transient:
                pause = self._backoff.next()
                delay = 0.2 if self._closing else pause
                break
            except Unauthorized as e:
                self._refused_auth(str(e))
                return False
            except Refused as e:
                self._refused(op, str(e))
            done = n + 1
            spool.mark_done(self.folder, done)
        else:
            self._backoff.reset()
            with self._lock:
                if spool.count_ops(self.folder) == done:
                    self._writer.close()
                    self._writer = None
                    _remove_folder(self.folder)
                    log.warning("corral: the hub has everything that was kept on disk")
                    return True
            return False
        self._stop.wait(delay)
        return False

    def _to_spool_all(self) -> None:
        for item in self._items():
            if isinstance(item, _Marker):
                item.delivered = False
                item.reached.set()
            else:
                self._append(item)

    def _append(self, op: Op) -> None:
        with self._lock:
            if self._writer is None:
                self._writer = spool.SpoolWriter(self.folder, self._meta)
            self._writer.append(op)

    def _spool_rest(self) -> None:
        """At exit with the thread stuck: write the in-flight item and the rest to disk."""
        with self._lock:
            items = list(self._inflight)
        for item in self._items():
            if isinstance(item, _Marker):
                item.delivered = False
                item.reached.set()
            else:
                items.append(item)
        for op in items:
            self._append(op)

    def _hub_down(self, reason: str) -> None:
        if not self._warned_down:
            if reason.startswith("507"):  # not the network: the hub's own disk
                log.warning(
                    "corral: the hub is out of disk space (%s); keeping reports on disk and "
                    "retrying",
                    reason,
                )
            else:
                log.warning("corral: cannot reach the hub (%s); keeping reports on disk", reason)
            self._warned_down = True

    def _refused_auth(self, reason: str) -> None:
        if not self._unauthorized:
            self._unauthorized = True
            if os.environ.get("CORRAL_AGENT"):
                # an abort revokes the task's token a moment before the agent's SIGTERM
                self.held_auth_warning = reason
                return
            log.warning("corral: the hub refused the credentials (%s); keeping reports", reason)

    def _refused(self, op: Op, reason: str) -> None:
        """Set a refused item aside (never retried, never in the way) and say so once."""
        self._refusals += 1
        where = set_aside(op, reason, str(self._meta.get("task_id", "")))
        if self._refusals <= REFUSALS_SHOWN:
            log.warning(
                "corral: the hub refused %s of task %s (%s); it is set aside in %s, "
                "and later reports are sent as usual",
                describe(op),
                self._meta.get("task_id", ""),
                reason,
                where,
            )
        elif self._refusals == REFUSALS_SHOWN + 1:
            log.warning("corral: the hub refuses more reports; they are set aside in %s", where)
        if self._on_refused is not None:
            self._on_refused(op, reason)


class Weighted(dict[str, Any]):
    """An event that knows its encoded size (a plot), so batches stay under the body limit."""

    weight: int = 0


class _OpItem:
    __slots__ = ("op",)

    def __init__(self, op: Op) -> None:
        self.op = op


def _remove_folder(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
