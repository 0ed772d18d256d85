"""Wakes long-polls and SSE streams in this process as soon as a change commits.

Other server processes (several behind a load balancer) are noticed by the
waiters' periodic re-query, so the notifier is a shortcut, never the only path.
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
            self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        """Return when a change commits in this process, or after ``timeout`` seconds."""
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
