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

from corral.client.http import HubClient
from corral.errors import CorralError, NotFoundError
from corral.sdk import threads

log = logging.getLogger("corral.sdk")

#: change actions on a running task that mean "stop now"
STOP_ACTIONS = {"aborted": "aborted", "reset": "reset", "deleted": "deleted"}
WAIT = 25.0


class AbortWatcher:
    def __init__(
        self,
        client_factory: Callable[[], HubClient],
        task_id: str,
        on_abort: Callable[[str], None],
    ) -> None:
        self._client_factory = client_factory
        self._task_id = task_id
        self._on_abort = on_abort
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="corral-abort-watch", daemon=True)

    def start(self) -> None:
        threads.start(self._thread)

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        client: HubClient | None = None
        cursor: int | None = None
        delay = 1.0
        while not self._stop.is_set():
            try:
                if client is None:
                    client = self._client_factory()
                if cursor is None:
                    cursor = int(client.get("changes/latest")["cursor"])
                page = client.get(
                    "changes",
                    params={
                        "cursor": cursor,
                        "entity_type": "task",
                        "entity_id": self._task_id,
                        "wait": WAIT,
                    },
                )
                cursor = int(page["next_cursor"])
                for change in page["items"]:
                    reason = STOP_ACTIONS.get(change["action"])
                    if reason is not None:
                        return self._fire(reason)
                delay = 1.0
            except NotFoundError:
                return self._fire("deleted")
            except CorralError:
                self._stop.wait(delay)  # hub away: look again later
                delay = min(delay * 2, 30.0)
            except Exception:
                log.debug("abort watch failed", exc_info=True)
                self._stop.wait(delay)
                delay = min(delay * 2, 30.0)
        return None

    def _fire(self, reason: str) -> None:
        if not self._stop.is_set():
            self._on_abort(reason)
