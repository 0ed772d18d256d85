"""A ``Logger`` for a dataset version's task, which is not the task this process runs.

The SDK's ``Logger`` reports through a task's outbox (background batches, spooled when
the hub is away); only ``Task.init`` makes one. A version gets its own outbox here,
closed (flushed) when the process exits. When the version *is* the current task, its
logger is used.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from corral.client.http import HubClient
    from corral.sdk.logger import Logger
    from corral.sdk.outbox import Outbox

_lock = threading.Lock()
_outboxes: dict[str, Outbox] = {}
_loggers: dict[str, Logger] = {}


def logger_of(client: HubClient, task_id: str) -> Logger:
    """The ``Logger`` of task ``task_id`` for this process (one per task)."""
    from corral.sdk.handle import RunHandle
    from corral.sdk.logger import logger_for
    from corral.sdk.outbox import Outbox
    from corral.sdk.spool import spool_root
    from corral.sdk.task import Task

    current = Task.current_task()
    if current is not None and current.id == task_id:
        return current.get_logger()
    with _lock:
        if task_id in _loggers:
            return _loggers[task_id]
        data = client.get(f"tasks/{task_id}")
        folder = spool_root() / f"{task_id}-{os.getpid()}-dataset"
        meta = {"project": data.get("project_name", ""), "name": data["name"], "task_id": task_id}
        outbox = Outbox(lambda: client, folder, meta)
        if not _outboxes:
            atexit.register(close_all)
        _outboxes[task_id] = outbox
        _loggers[task_id] = logger_for(RunHandle(data, outbox=outbox))
        return _loggers[task_id]


def close_all(timeout: float = 10.0) -> None:
    """Flush and stop every dataset outbox of this process."""
    with _lock:
        boxes = list(_outboxes.values())
        _outboxes.clear()
        _loggers.clear()
    for box in boxes:
        box.close(timeout)
