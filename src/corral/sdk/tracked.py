"""Connected objects stay tracked: changes made after ``connect()`` reach the task.

``task.connect(params)`` returns ``params`` itself, so the script keeps writing to its
own dict (or object). Writes cost nothing: nothing wraps the dict. Instead the
:class:`Tracker` of the run keeps each connected object and the flat typed section it
last sent, and at flush points flattens the objects again and sends only the
difference - changed and added rows, ``null`` for removed ones - as one ``PATCH``
through the outbox (never blocking, spooled when the hub is away).

The flush points: a background look every ``CORRAL_CONNECT_INTERVAL`` seconds (1 by
default; longer when the connected objects are large, so that looking never costs
more than about 1% of a core), every ``task.flush()`` (and whatever else flushes the
run) and the end of the run, before its final status.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from corral.sdk import params as P
from corral.sdk import threads
from corral.sdk.handle import RunHandle

log = logging.getLogger("corral.sdk")

Flat = P.Flat

#: a look at the connected objects may take at most this share of the time between looks
MAX_SHARE = 0.01

_trackers: weakref.WeakKeyDictionary[RunHandle, Tracker] = weakref.WeakKeyDictionary()
_trackers_lock = threading.Lock()


def _interval() -> float:
    try:
        return max(0.05, float(os.environ.get("CORRAL_CONNECT_INTERVAL", "1") or 1))
    except ValueError:
        return 1.0


class _Entry:
    __slots__ = ("obj", "read")

    def __init__(self, obj: Any, read: Callable[[], Mapping[str, Any]]) -> None:
        self.obj = obj
        self.read = read


class Tracker:
    """The connected objects of one run and what the hub last got from them, by section."""

    def __init__(self, handle: RunHandle) -> None:
        self._handle = handle
        self._entries: dict[str, list[_Entry]] = {}
        self._sent: dict[str, Flat] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False

    def track(
        self,
        section: str,
        obj: Any,
        read: Callable[[], Mapping[str, Any]],
        sent: Flat,
        publish: Callable[[], None],
    ) -> None:
        """Follow ``obj`` (its values as ``read()`` returns them) in ``section``.

        ``publish()`` sends ``sent``, the rows that are the starting point; it runs
        while no look is under way, so a look never sends a section half old, half new.
        The same object connected again to the same section is followed once.
        """
        with self._lock:
            publish()
            entries = self._entries.setdefault(section, [])
            entries[:] = [e for e in entries if e.obj is not obj]
            entries.append(_Entry(obj, read))
            self._sent.setdefault(section, {}).update(sent)
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._watch, name="corral-connect", daemon=True
                )
                threads.start(self._thread)

    def sync(self) -> None:
        """Send what changed in the connected objects since the last look."""
        with self._lock:
            if self._closed:
                return  # the run has ended: its outbox takes nothing more
            for section, entries in self._entries.items():
                try:
                    current: Flat = {}
                    for entry in entries:
                        current.update(P.flatten(entry.read()))
                except RuntimeError:
                    # the script changed a dict while it was read (this thread is not the
                    # script's): the next look sees it whole
                    continue
                except Exception:
                    log.debug("corral: reading connected section %s failed", section, exc_info=True)
                    continue
                sent = self._sent.get(section, {})
                diff: dict[str, dict[str, Any] | None] = {
                    key: row for key, row in current.items() if sent.get(key) != row
                }
                diff.update({key: None for key in sent if key not in current})
                if diff:
                    self._sent[section] = current
                    self._send(section, diff)

    def close(self) -> None:
        """Stop looking in the background, then send the last changes (the run is ending)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(5.0)
        self.sync()
        with self._lock:
            self._closed = True

    def _send(self, section: str, diff: dict[str, dict[str, Any] | None]) -> None:
        hp = self._handle.data.setdefault("hyperparams", {})
        rows = dict(hp.get(section) or {})
        out: dict[str, dict[str, Any] | None] = {}
        for key, row in diff.items():
            if row is None:
                rows.pop(key, None)
                out[key] = None
            else:
                # a row is replaced whole on the hub: keep its description
                described = {**row, "description": (rows.get(key) or {}).get("description", "")}
                rows[key] = out[key] = described
        hp[section] = rows
        self._handle.request(
            "PATCH", f"tasks/{self._handle.id}/hyperparams", {"hyperparams": {section: out}}
        )

    def _watch(self) -> None:
        interval = _interval()
        while not self._stop.wait(interval):
            began = time.perf_counter()
            try:
                self.sync()
            except Exception:
                log.debug("corral: tracking connected objects failed", exc_info=True)
            cost = time.perf_counter() - began
            interval = max(_interval(), cost / MAX_SHARE)


def tracker_for(handle: RunHandle) -> Tracker | None:
    """The tracker of the run ``handle`` belongs to; ``None`` when no run of this process
    owns the task (its changes are sent as they are made, nothing is followed)."""
    run = handle.run
    if run is None or not run.active:
        return None
    with _trackers_lock:
        tracker = _trackers.get(handle)
        if tracker is None:
            tracker = _trackers[handle] = Tracker(handle)
            handle.before_flush.append(tracker.sync)
            run.on_stop(tracker.close)
    return tracker


def sync(handle: RunHandle) -> None:
    """Send (and note in ``handle.data``) what changed in the connected objects, if any."""
    with _trackers_lock:
        tracker = _trackers.get(handle)
    if tracker is not None:
        tracker.sync()
