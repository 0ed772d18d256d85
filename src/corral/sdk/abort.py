"""The abort watch: a running task stops itself when it is aborted through the API or UI.

A daemon thread long-polls the hub's change log for the task. When the task is
aborted (or reset or deleted) the watcher calls ``on_abort`` - the task then raises
``KeyboardInterrupt`` in the main thread (graceful: ``finally`` blocks and exit
handlers run) and, if the process is still alive after a grace period, flushes what it
can and ends the process hard. This works without any agent: the script is its own
watchdog.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from corral.client.changes import ChangeFollower
from corral.client.http import HubClient
from corral.client.retry import RetryPolicy
from corral.errors import NotFoundError
from corral.sdk import threads

if TYPE_CHECKING:
    from corral.client.types import Change

log = logging.getLogger("corral.sdk")

#: change actions on a running task that mean "stop now"
STOP_ACTIONS = {"aborted": "aborted", "reset": "reset", "deleted": "deleted"}
WAIT = 25.0
#: whatever the hub answers (but "no such task"), the watch goes on: 1 s doubled to 30 s
RETRY = RetryPolicy(first=1.0, cap=30.0, statuses=frozenset(range(400, 600)) - {404})
#: how the watch connects: a client of the hub and the cursor to follow the log from
#: (``None``: its end at that moment); called again after a failure
Connect = Callable[[], "tuple[HubClient, int | None]"]


class AbortWatcher:
    def __init__(
        self,
        connect: Connect,
        task_id: str,
        on_abort: Callable[[str], None],
    ) -> None:
        self._connect = connect
        self._task_id = task_id
        self._on_abort = on_abort
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._follower: ChangeFollower | None = None
        self._thread = threading.Thread(target=self._run, name="corral-abort-watch", daemon=True)

    def start(self) -> None:
        threads.start(self._thread)

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            if self._follower is not None:
                self._follower.stop()

    def _run(self) -> None:
        cursor: int | None = None
        backoff = RETRY.backoff()
        follower: ChangeFollower | None = None
        while not self._stop.is_set():
            try:
                follower = self._follow(cursor)
                if follower is None:
                    return
                for change in follower:
                    if self._on_change(change):
                        return
            except NotFoundError:
                return self._fire("deleted")
            except Exception:  # a bug or a broken answer: look again later, from the cursor
                if self._stop.is_set():  # stopped meanwhile (the run ended): nothing failed
                    return None
                log.debug("abort watch failed", exc_info=True)
                cursor = follower.cursor if follower is not None else cursor
                self._stop.wait(backoff.next())
        return None

    def _follow(self, cursor: int | None) -> ChangeFollower | None:
        """A follower of this task's changes (``None``: the watch was stopped meanwhile)."""
        client, start = self._connect()
        if cursor is None:
            cursor = start
        follower = ChangeFollower(
            client,
            entity_type="task",
            entity_ids=[self._task_id],
            cursor="latest" if cursor is None else cursor,
            wait=WAIT,
            retry=RETRY,
        )
        with self._lock:
            if self._stop.is_set():
                return None
            self._follower = follower
        return follower

    def _on_change(self, change: Change) -> bool:
        reason = STOP_ACTIONS.get(change["action"])
        if reason is None:
            return False
        self._fire(reason)
        return True

    def _fire(self, reason: str) -> None:
        if not self._stop.is_set():
            self._on_abort(reason)
