"""One follower of the change log per hub process, fanned out in memory.

The feed reads new changes from the database once for the whole process: woken by
the ``ChangesNotifier`` after a commit here, and every ``POLL_INTERVAL`` seconds to
see what other hub processes committed (PostgreSQL). It hands each batch to every
listener of the process: the readers of SSE streams and long-polls (``ChangeReader``,
each with its own filters, applied here in memory) and the dequeue waiters
(``Watch``, woken when a change of interest arrives).

Ordering. Changes become visible in id order (``services/changes.py``), so the feed
keeps one cursor, ``head``: every change up to it has been read. It also keeps the
newest changes in a window: every change after ``floor`` and up to ``head`` is in
it. A reader whose cursor is at or after ``floor`` joins the fan-out at once (the
window supplies what it has not seen); an older cursor (a client resuming from far
behind) reads the database first, then joins. A listener only takes changes after
its own cursor, so the hand-over neither skips nor repeats one.

Slow readers. Each reader queues at most ``buffer`` changes; one more and it leaves
the fan-out (nothing is dropped: it goes on from the database after the last
change it queued, and joins again once it has caught up). A stalled SSE client thus
never blocks the feed, nor holds more than ``buffer`` changes in memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from corral.schemas.changes import ChangeOut
from corral.server.notifier import ChangesNotifier
from corral.server.services import changes

log = logging.getLogger("corral.server")

#: seconds between two reads of the log when no commit in this process woke the feed
POLL_INTERVAL = 0.5
#: changes read per query by the feed; a larger backlog is read in several
FEED_BATCH = 1000
#: default size of the window of recent changes kept in memory
WINDOW = 2048
#: default number of changes queued for one reader before it reads the database instead
BUFFER = 1000


class Entry:
    """One change as read by the feed, shared by every reader (rendered once for SSE)."""

    __slots__ = ("_sse", "change", "id")

    def __init__(self, change: ChangeOut) -> None:
        self.change = change
        self.id = change.id
        self._sse: bytes | None = None

    @property
    def sse(self) -> bytes:
        """The change as one Server-Sent Event (``id``, ``event: change``, ``data``)."""
        if self._sse is None:
            data = self.change.model_dump_json()
            self._sse = f"id: {self.id}\nevent: change\ndata: {data}\n\n".encode()
        return self._sse


@dataclass(frozen=True)
class ChangeFilter:
    """The filters of ``GET /changes``: exact matches; an empty field matches anything."""

    entity_type: str | None = None
    entity_ids: frozenset[str] = field(default_factory=frozenset)
    project_id: str | None = None
    #: what the reader may see (``auth.streams.StreamScope``); None: everything
    scope: Scope | None = None

    def matches(self, change: ChangeOut) -> bool:
        # the scope first: it also notices a revocation the other filters would hide
        if self.scope is not None and not self.scope.allows(change):
            return False
        if self.scope is not None and self.scope.ended:
            return True
        # the same rules as services.changes.since, in memory
        return (
            (not self.entity_type or change.entity_type == self.entity_type)
            and (not self.entity_ids or change.entity_id in self.entity_ids)
            and (not self.project_id or change.project_id == self.project_id)
        )


class Scope(Protocol):
    ended: str

    def allows(self, change: ChangeOut) -> bool:
        """May the reader see ``change``? (Sets ``ended`` when the reader must stop.)"""


class _Listener(Protocol):
    def offer(self, entries: Sequence[Entry], head: int) -> bool:
        """Take a batch read by the feed; False: leave the fan-out."""

    def wake(self) -> None:
        """The feed is closing: return from any wait."""


class Subscription:
    """A reader's place in the fan-out: the matching changes after its cursor, queued.

    Invariant: every matching change up to ``cursor`` was queued (and maybe taken).
    """

    def __init__(self, flt: ChangeFilter, cursor: int, capacity: int) -> None:
        self.filter = flt
        self.cursor = cursor
        self.capacity = capacity
        self.items: deque[Entry] = deque()
        #: the queue was full: this reader goes on from the database after ``cursor``
        self.overflowed = False
        self.ready = asyncio.Event()

    def offer(self, entries: Sequence[Entry], head: int) -> bool:
        if self.overflowed:
            return False
        for e in entries:
            if e.id <= self.cursor or not self.filter.matches(e.change):
                continue
            if len(self.items) >= self.capacity:
                self.overflowed = True
                self.ready.set()
                return False
            self.items.append(e)
            self.cursor = e.id
            self.ready.set()
        self.cursor = max(self.cursor, head)
        return True

    def wake(self) -> None:
        self.ready.set()


class Watch:
    """Wakes a waiter (the dequeue long-poll) when a change it cares about is read."""

    def __init__(self, predicate: Callable[[ChangeOut], bool]) -> None:
        self.predicate = predicate
        self.event = asyncio.Event()

    def offer(self, entries: Sequence[Entry], head: int) -> bool:
        if any(self.predicate(e.change) for e in entries):
            self.event.set()
        return True

    def wake(self) -> None:
        self.event.set()

    async def wait(self, timeout: float) -> None:
        """Return when a change of interest arrived since the last wait, or after ``timeout``."""
        try:
            await asyncio.wait_for(self.event.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        self.event.clear()


class ChangeFeed:
    """The one follower of the change log of a hub process (see the module docstring)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        notifier: ChangesNotifier,
        *,
        window: int = WINDOW,
        buffer: int = BUFFER,
        interval: float = POLL_INTERVAL,
    ) -> None:
        self.factory = factory
        self.notifier = notifier
        self.buffer = buffer
        self.interval = interval
        self._window: deque[Entry] = deque()
        self._window_size = window
        self._listeners: set[_Listener] = set()
        #: every change up to ``head`` has been read; those after ``floor`` are in the window
        self.head = 0
        self.floor = 0
        self.started = False

    @property
    def closed(self) -> bool:
        return self.notifier.closed

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    # --- reading the database ---------------------------------------------------------

    def read(self, flt: ChangeFilter, cursor: int, limit: int) -> tuple[list[Entry], int]:
        """Matching changes after ``cursor`` from the database (``changes.since``).

        Blocking: call it in a worker thread. The session ends here.
        """
        with self.factory() as session:
            rows, next_cursor = changes.since(
                session,
                cursor,
                limit=limit,
                entity_type=flt.entity_type,
                entity_id=list(flt.entity_ids),
                project_id=flt.project_id,
            )
            found = [ChangeOut.model_validate(r) for r in rows]
            if flt.scope is not None:
                # what the reader may not see is skipped (the cursor moves past it);
                # a revocation in a backlog is caught by the stream's credential check
                found = [c for c in found if flt.scope.allows(c)]
            return [Entry(c) for c in found], next_cursor

    def latest(self) -> int:
        """The newest change id in the database (blocking)."""
        with self.factory() as session:
            return changes.latest_id(session)

    # --- the follower -------------------------------------------------------------------

    async def start(self) -> None:
        """Begin at the end of the log (in the app's start-up, before any request)."""
        self.head = self.floor = await run_in_threadpool(self.latest)
        self.started = True

    async def run(self) -> None:
        """Follow the log until the notifier closes (the hub's shutdown)."""
        if not self.started:
            await self.start()
        try:
            while not self.closed:
                more = False
                try:
                    more = await self.follow()
                except Exception:  # a busy or restarting database: try again next round
                    log.warning("reading the change log failed; retrying", exc_info=True)
                if not more:
                    await self.notifier.wait(self.interval)
        finally:
            self._wake_all()

    async def follow(self) -> bool:
        """Read what is new and hand it out; True when there is more to read at once."""
        entries, head = await run_in_threadpool(self.read, ChangeFilter(), self.head, FEED_BATCH)
        self._publish(entries, head)
        return len(entries) == FEED_BATCH

    def _publish(self, entries: list[Entry], head: int) -> None:
        if head <= self.head:
            return
        for e in entries:
            if len(self._window) >= self._window_size:
                self.floor = self._window.popleft().id
            self._window.append(e)
        if not self._window:
            self.floor = head  # an empty window covers nothing but the head
        self.head = head
        for listener in list(self._listeners):
            if not listener.offer(entries, head):
                self._listeners.discard(listener)

    def _wake_all(self) -> None:
        for listener in list(self._listeners):
            listener.wake()

    # --- listeners ----------------------------------------------------------------------

    def subscribe(self, flt: ChangeFilter, cursor: int) -> Subscription | None:
        """Join the fan-out after ``cursor``; None if the window does not reach back to it."""
        if not self.started or self.closed or cursor < self.floor:
            return None
        sub = Subscription(flt, cursor, self.buffer)
        if not sub.offer(self._after(cursor), self.head):
            return None  # more than a buffer behind: the reader reads the database first
        self._listeners.add(sub)
        return sub

    def unsubscribe(self, listener: _Listener) -> None:
        self._listeners.discard(listener)

    def _after(self, cursor: int) -> list[Entry]:
        newer: list[Entry] = []
        for e in reversed(self._window):
            if e.id <= cursor:
                break
            newer.append(e)
        newer.reverse()
        return newer

    @contextmanager
    def watch(self, predicate: Callable[[ChangeOut], bool]) -> Iterator[Watch]:
        """A ``Watch`` for the time of a ``with`` block."""
        w = Watch(predicate)
        self._listeners.add(w)
        try:
            yield w
        finally:
            self._listeners.discard(w)


class ChangeReader:
    """One request's cursor on the log: catches up from the database, then reads the feed.

    ``read`` answers like ``changes.since`` (a page and the cursor to go on from),
    waiting up to ``timeout`` for the first matching change.
    """

    def __init__(self, feed: ChangeFeed, flt: ChangeFilter, cursor: int) -> None:
        self.feed = feed
        self.filter = flt
        self.cursor = cursor
        self._sub: Subscription | None = None

    async def read(self, limit: int, timeout: float) -> tuple[list[Entry], int]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._sub is None and not self._join():
                entries, self.cursor = await run_in_threadpool(
                    self.feed.read, self.filter, self.cursor, limit
                )
                if entries or self.feed.closed:
                    return entries, self.cursor
                if not self._join() and not self.feed.started:
                    # no follower in this process: poll the database (the old way)
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        return [], self.cursor
                    await asyncio.sleep(min(POLL_INTERVAL, remaining))
                continue
            sub = self._sub
            assert sub is not None
            taken = self._take(sub, limit)
            if taken:
                return taken, self.cursor
            if sub.overflowed:
                self._sub = None  # caught up with what it queued: on from the database
                continue
            remaining = deadline - loop.time()
            if remaining <= 0 or self.feed.closed:
                return [], self.cursor
            try:
                await asyncio.wait_for(sub.ready.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def _join(self) -> bool:
        self._sub = self.feed.subscribe(self.filter, self.cursor)
        return self._sub is not None

    def _take(self, sub: Subscription, limit: int) -> list[Entry]:
        n = min(limit, len(sub.items))
        taken = [sub.items.popleft() for _ in range(n)]
        if sub.items:
            self.cursor = taken[-1].id
        else:
            # nothing else queued: every matching change up to the subscription's cursor
            # has been taken, so the reader moves past what did not match
            self.cursor = max(self.cursor, sub.cursor)
            sub.ready.clear()
        return taken

    def close(self) -> None:
        if self._sub is not None:
            self.feed.unsubscribe(self._sub)
            self._sub = None
