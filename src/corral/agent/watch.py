"""The abort watcher: follows the hub's change log for the tasks running on this worker.

An abort, reset or deletion on the hub stops the task's process at once, rather than
at the next heartbeat (whose reply remains the fallback, see the daemon). Only this
worker's tasks are asked for, so a busy hub does not send every agent every change;
idle, the watcher asks nothing. It is a :class:`~corral.client.changes.ChangeFollower`
whose set of ids follows the worker's runs (:meth:`Runs.listen`): a task that starts
while a poll is in flight is followed from that moment, its changes since the
watcher's cursor read again.

Example::

    watcher = AbortWatcher(client, runs, settings)
    threading.Thread(target=watcher.run, daemon=True).start()
    ...
    watcher.stop()
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Literal

from corral.agent.job import Runs
from corral.agent.settings import AgentSettings
from corral.client.changes import ChangeFollower
from corral.client.http import HubClient
from corral.core.task_status import S
from corral.errors import CorralError, NotFoundError

if TYPE_CHECKING:
    from corral.client.types import Change

log = logging.getLogger("corral.agent")

#: longest change-log poll of the watcher (a stop that cannot cut a poll short waits
#: at most this long)
WATCH_WAIT = 5.0


class AbortWatcher:
    """Aborts the runs whose task stopped being ``in_progress`` on the hub.

    Args:
        client: the hub (the follower reads on a copy of its own).
        runs: the worker's tasks; the followed ids follow them.
        settings: the long-poll's wait and the pauses after errors.
    """

    def __init__(self, client: HubClient, runs: Runs, settings: AgentSettings) -> None:
        self.client = client
        self.runs = runs
        self.settings = settings
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._follower = self._new_follower("latest")
        runs.listen(self._follow)

    def _new_follower(self, cursor: int | Literal["latest"]) -> ChangeFollower:
        return ChangeFollower(
            self.client,
            entity_type="task",
            entity_ids=sorted(self.runs.running()),
            cursor=cursor,
            wait=min(self.settings.changes_wait, WATCH_WAIT),
            retry=self.settings.retry_policy(),
        )

    def _follow(self, task_ids: set[str]) -> None:
        with self._lock:
            self._follower.follow_ids(task_ids)

    def run(self) -> None:
        """Follow the change log until :meth:`stop`.

        The follower retries while the hub is away; an error it does not retry (a
        refused key...) starts a new follower from the same cursor after a pause.
        """
        backoff = self.settings.retry_policy().backoff()
        while not self._stopped.is_set():
            try:
                self._follower.run(self.on_change)
            except Exception as e:  # whatever the hub answers, the agent goes on
                log.debug("watching the change log failed: %s", e)
                self._stopped.wait(backoff.next(e))
            with self._lock:
                if self._stopped.is_set():
                    return
                cursor = self._follower.cursor
                self._follower = self._new_follower("latest" if cursor is None else cursor)

    def stop(self) -> None:
        """End :meth:`run` (from any thread), cutting a poll in flight short."""
        self._stopped.set()
        with self._lock:
            self._follower.stop()

    def on_change(self, change: Change) -> None:
        """Abort the run of the changed task if the hub no longer runs it here."""
        run = self.runs.get(change["entity_id"])
        if run is None or run.exited:
            return
        status = (change.get("payload") or {}).get("status")
        if change["action"] != "deleted" and status in (None, S.in_progress):
            return
        # the change may be older than this run of the task (read before it started):
        # the task's status now decides
        try:
            now = self.client.get(f"tasks/{run.id}")["status"]
        except NotFoundError:
            now = "deleted"
        except CorralError:
            return  # the heartbeat will tell
        if now != S.in_progress:
            run.abort(f"the task was {change['action']} on the hub")
