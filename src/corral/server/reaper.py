"""A background loop of each hub process: notice silent workers, prune old statistics
and audit entries (``CORRAL_AUDIT_DAYS``), about once an hour.

Every process runs it; the work is idempotent (a worker is marked gone once, under a
row lock on PostgreSQL), so several hub processes behind a load balancer are safe.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from corral.server.db.unit_of_work import write_transaction
from corral.server.notifier import ChangesNotifier
from corral.server.services import audit, dispatch
from corral.server.services.clock import now
from corral.server.settings import ServerSettings

log = logging.getLogger("corral.server")

#: seconds between two prunings of the statistics and the audit log
PRUNE_EVERY = 3600.0


class Reaper:
    def __init__(
        self, factory: sessionmaker[Session], settings: ServerSettings, notifier: ChangesNotifier
    ) -> None:
        self.factory = factory
        self.settings = settings
        self.notifier = notifier
        #: when the statistics were last pruned (None: not yet in this process)
        self._last_prune: float | None = None

    @property
    def interval(self) -> float:
        # a silent worker is noticed within a quarter of the timeout after it expires
        return max(0.2, min(self.settings.worker_timeout / 4, 10.0))

    def sweep(self) -> int:
        """Mark silent workers gone (releasing their tasks). Returns how many."""
        timeout = self.settings.worker_timeout
        with self.factory() as session:
            silent = dispatch.silent_workers(session, timeout)
        gone = 0
        for worker_id in silent:
            with write_transaction(self.factory, notifier=self.notifier) as session:
                if dispatch.mark_gone(session, worker_id, timeout):
                    gone += 1
                    log.warning(
                        "worker %s stopped heartbeating; its tasks were released", worker_id
                    )
        if self._last_prune is None or time.monotonic() - self._last_prune > PRUNE_EVERY:
            self._last_prune = time.monotonic()
            with write_transaction(self.factory) as session:
                dispatch.prune_stats(session, now() - timedelta(days=self.settings.stats_days))
            with write_transaction(self.factory) as session:
                pruned = audit.prune(session, self.settings.audit_days)
            if pruned:
                log.info(
                    "pruned %d audit entries older than %g days", pruned, self.settings.audit_days
                )
        return gone

    async def run(self) -> None:
        while not self.notifier.closed:
            try:
                await run_in_threadpool(self.sweep)
            except Exception:  # a busy or restarting database: try again next round
                log.warning("worker sweep failed; retrying", exc_info=True)
            await asyncio.sleep(self.interval)
