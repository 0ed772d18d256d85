"""The abort watcher: follows the hub's change log for the tasks running on this worker.

An abort, reset or deletion on the hub stops the task's process at once, rather than
at the next heartbeat (whose reply remains the fallback, see the daemon). Only this
worker's tasks are asked for (``entity_id`` repeated), so a busy hub does not send
every agent every change; idle, the watcher waits for a task and asks nothing.

Example::

    watcher = AbortWatcher(watch_client, client, runs, settings, closed)
    threading.Thread(target=watcher.run, daemon=True).start()
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from corral.agent.job import Runs
from corral.agent.settings import AgentSettings, Backoff
from corral.client.http import HubClient
from corral.errors import CorralError, NotFoundError

log = logging.getLogger("corral.agent")

#: longest change-log poll of the watcher: a task started during a poll for the others
#: is watched from the next one (and its changes since then are read then)
WATCH_WAIT = 5.0


class AbortWatcher:
    """Aborts the runs whose task stopped being ``in_progress`` on the hub.

    Args:
        poll: the client of the long-polls (a timeout of its own).
        client: the client of short requests (a task's status now).
        runs: the worker's tasks.
        settings: the long-poll's wait and the backoff after errors.
        closed: set when the worker is about to be unregistered: :meth:`run` returns.
    """

    def __init__(
        self,
        poll: HubClient,
        client: HubClient,
        runs: Runs,
        settings: AgentSettings,
        closed: threading.Event,
    ) -> None:
        self.poll = poll
        self.client = client
        self.runs = runs
        self.settings = settings
        self.closed = closed

    def run(self) -> None:
        """Follow the change log until ``closed`` is set.

        When the set of tasks changes during a poll, the same stretch of the log is read
        again with the new set: nothing is missed (an abort seen twice is harmless).
        """
        cursor: int | None = None
        backoff = Backoff(self.settings.backoff_min, self.settings.backoff_max)
        wait = min(self.settings.changes_wait, WATCH_WAIT)
        while not self.closed.is_set():
            ids, version = self.runs.snapshot()
            if not ids:
                self.runs.started.wait(wait)
                continue
            params = {"entity_type": "task", "entity_id": ids, "wait": wait, "limit": 1000}
            try:
                if cursor is None:  # the start of this agent: what came before is not ours
                    cursor = int(self.poll.get("changes/latest")["cursor"])
                page = self.poll.get("changes", params={**params, "cursor": cursor})
                for change in page["items"]:
                    self.on_change(change)
            except Exception as e:  # whatever the hub answers, the agent goes on
                log.debug("watching the change log failed: %s", e)
                self.closed.wait(backoff.next())
                continue
            backoff.reset()
            if self.runs.version == version:
                cursor = int(page["next_cursor"])

    def on_change(self, change: dict[str, Any]) -> None:
        """Abort the run of the changed task if the hub no longer runs it here."""
        run = self.runs.get(change["entity_id"])
        if run is None or run.exited:
            return
        status = (change.get("payload") or {}).get("status")
        if change["action"] != "deleted" and status in (None, "in_progress"):
            return
        # the change may be older than this run of the task (read before it started):
        # the task's status now decides
        try:
            now = self.client.get(f"tasks/{run.id}")["status"]
        except NotFoundError:
            now = "deleted"
        except CorralError:
            return  # the heartbeat will tell
        if now != "in_progress":
            run.abort(f"the task was {change['action']} on the hub")
