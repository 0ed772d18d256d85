"""Wakes this process's change feed as soon as a change commits here.

Writers call ``notify`` after a commit that recorded changes (any thread); the one
change feed of the process (``background/change_feed.py``) waits on it. Other server
processes (several behind a load balancer) are noticed by the feed's periodic read,
so the notifier is a shortcut, never the only path.
"""

from __future__ import annotations

import asyncio


class ChangesNotifier:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        #: set at shutdown: every wait returns and streams end, so the hub stops at once
        self.closed = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Safe to call from any thread."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake)

    def close(self) -> None:
        """End every wait now and for good (safe to call from any thread)."""
        self.closed = True
        self.notify()

    def _wake(self) -> None:
        if self._event is not None:
            self._event.set()

    async def wait(self, timeout: float) -> None:
        """Return when notified since the previous ``wait`` returned, or after ``timeout``.

        The notification stays pending until a wait consumes it, so a commit made while
        the waiter was busy (reading the log) is never slept through. Meant for one
        waiter: the change feed.
        """
        event = self._event
        if self.closed:
            return
        if event is None:
            await asyncio.sleep(timeout)
            return
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        event.clear()
