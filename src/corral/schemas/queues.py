"""Queues and workers on the wire: what agents, the CLI and the UI send and get.

A queue holds tasks in order (``index`` 0 runs next). A worker (an agent) registers,
heartbeats with machine stats, and dequeues: the task it gets is *leased* to it (still
``queued``, out of the queue, ``worker`` set) until it starts the task. A worker that
stops heartbeating loses its leases (the tasks go back to the front of their queues)
and fails its running tasks with the reason ``worker lost``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from corral.schemas.common import Id, Input, Name, Output, Tags
from corral.schemas.tasks import TaskOut

#: longest a dequeue or a heartbeat may wait for a task, in seconds
DEQUEUE_WAIT_MAX = 60.0
#: a worker id: printable, no spaces or slashes (it appears in URLs)
WorkerId = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.:@+=,-]+$")
]
#: a queue name: no slashes (it appears in URLs) and not ending in an action (``:clear``)
QueueName = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=255, strip_whitespace=True, pattern=r"^[A-Za-z0-9_.@+=,-]+$"
    ),
]


# --- queues -------------------------------------------------------------------------


class QueueCreate(Input):
    name: QueueName
    tags: Tags = []


class QueueUpdate(Input):
    name: QueueName | None = None
    tags: Tags | None = None


class QueueEntryOut(Output):
    task_id: str
    task_name: str
    status: str
    #: None (and no task id or name) for a task of a project the caller may not read
    project_id: str | None
    user_id: str | None
    #: 0 runs next
    index: int
    enqueued_at: datetime
    #: seconds waited so far
    wait: float


class QueueOut(Output):
    id: str
    name: str
    tags: list[str]
    created_at: datetime
    #: ``default`` and ``services`` exist from the first start and cannot be removed
    builtin: bool = False
    pending: int = 0
    #: ids of the live workers that serve this queue
    workers: list[str] = []
    #: mean seconds waited by the tasks dequeued in the last hour (None: none were)
    avg_wait: float | None = None
    #: seconds the task at the front has waited (None: the queue is empty)
    current_wait: float | None = None


class QueueDetail(QueueOut):
    entries: list[QueueEntryOut] = []


class Reorder(Input):
    """Move a queued task to ``index`` (0: the front; -1 or past the end: the back)."""

    task_id: Id
    index: int


class Cleared(Output):
    removed: int


class QueueStatPoint(Output):
    """The queue's length after an enqueue or a dequeue, and the wait of a dequeued task."""

    time: datetime
    pending: int
    wait: float | None


# --- workers ------------------------------------------------------------------------


class GpuStat(Input):
    index: int
    name: Name | None = None
    utilization: float | None = None
    memory_used: int | None = None
    memory_total: int | None = None
    temperature: float | None = None


class MachineStats(Input):
    cpu_percent: float | None = None
    memory_used: int | None = None
    memory_total: int | None = None
    gpus: Annotated[list[GpuStat], Field(max_length=64)] = []
    #: bytes per second since the previous heartbeat
    net_rx: float | None = None
    net_tx: float | None = None


class WorkerRegister(Input):
    id: WorkerId
    queues: Annotated[list[Name], Field(max_length=64)] = []
    tags: Tags = []
    #: facts: hostname, os, python, cpu_count, memory_total, gpus, mode, corral_version...
    machine: dict[str, Any] = {}


class Heartbeat(Input):
    stats: MachineStats | None = None
    #: the queues served now (when they changed)
    queues: Annotated[list[Name], Field(max_length=64)] | None = None


class HeartbeatReply(Output):
    #: task id -> status, for every task leased to or run by this worker: the agent
    #: stops the process of any that is no longer ``in_progress``
    tasks: dict[str, str] = {}


class Dequeue(Input):
    worker: WorkerId
    #: queue names or ids, in priority order: the first non-empty one gives the task
    queues: Annotated[list[Name], Field(min_length=1, max_length=64)]
    #: hold the request up to this many seconds until a task arrives
    wait: Annotated[float, Field(ge=0, le=DEQUEUE_WAIT_MAX)] = 0.0


class TaskToken(Output):
    """The key a task's process uses: it acts as the task's owner, for this run only.

    Issued at the lease, shown once; it expires at ``expires_at`` unless a heartbeat
    of the worker running the task extends it, and is revoked when the run ends.
    """

    access_key: str
    secret_key: str
    expires_at: datetime


class Dequeued(Output):
    task: TaskOut | None = None
    #: the name of the queue the task came from
    queue: str | None = None
    #: the task's token (``CORRAL_ACCESS_KEY``/``CORRAL_SECRET_KEY`` of its process)
    token: TaskToken | None = None


class TokenRequest(Input):
    """A new token for a task leased to the worker whose dequeue answer was lost."""

    task_id: Id


class WorkerTask(Output):
    id: str
    name: str
    status: str
    queue_id: str | None = None
    started_at: datetime | None = None
    #: seconds since the task started
    run_time: float | None = None
    last_iteration: int | None = None


class WorkerOut(Output):
    id: str
    user_id: str | None = None
    queues: list[str]
    tags: list[str]
    ip: str | None = None
    registered_at: datetime
    last_heartbeat: datetime
    #: set when the worker stopped heartbeating (or unregistered)
    gone_at: datetime | None = None
    machine: dict[str, Any] = {}
    tasks: list[WorkerTask] = []
    last_stats: WorkerStatOut | None = None


class WorkerStatOut(Output):
    time: datetime
    cpu_percent: float | None = None
    memory_used: int | None = None
    memory_total: int | None = None
    gpus: list[dict[str, Any]] = []
    net_rx: float | None = None
    net_tx: float | None = None


WorkerOut.model_rebuild()

EnqueuePosition = Literal["bottom", "top"]
