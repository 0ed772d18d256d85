"""What the hub answers, as the client sees it: ``TypedDict`` views of the wire schemas.

Each class here mirrors the pydantic model of the same name in ``corral.schemas``
(``Task`` is ``TaskOut``...) field for field, with times as the ISO strings the wire
carries. They cost nothing at run time (a typed ``dict`` is a ``dict``), which keeps
``import corral`` and ``Task.init`` off pydantic's import bill, while mypy checks every
key a caller reads. ``tests/client/test_types.py`` fails when one of them names a field
its schema does not have.
"""

from __future__ import annotations

from typing import Any, TypedDict


class Ok(TypedDict):
    ok: bool
    detail: dict[str, Any]


# --- tasks ---------------------------------------------------------------------------


class TaskBrief(TypedDict):
    """A row of ``GET /tasks``."""

    id: str
    name: str
    project_id: str
    type: str
    status: str
    status_reason: str
    tags: list[str]
    system_tags: list[str]
    comment: str
    archived: bool
    parent_id: str | None
    user_id: str | None
    created_at: str
    started_at: str | None
    completed_at: str | None
    last_update: str
    worker: str | None
    queue_id: str | None
    last_iteration: int | None
    last_metrics: dict[str, Any]
    hyperparams: dict[str, Any] | None
    #: the actions valid now (``corral.core.task_status.allowed_actions``)
    allowed_actions: list[str]


class TaskPage(TypedDict):
    """A page of ``GET /tasks``; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[TaskBrief]
    next_cursor: str | None
    total: int | None


class Task(TaskBrief):
    """The full task (``TaskOut``)."""

    status_message: str
    exit_code: int | None
    script: dict[str, Any]
    container: dict[str, Any]
    configuration: dict[str, Any]
    runtime: dict[str, Any]
    models: dict[str, Any]


class LogLine(TypedDict):
    seq: int
    time: float
    stream: str
    level: str
    text: str
    worker: str | None


class LogPage(TypedDict):
    items: list[LogLine]
    first_seq: int | None
    last_seq: int | None
    has_more: bool


# --- queues and workers -----------------------------------------------------------


class Queue(TypedDict):
    """A row of ``GET /queues`` (``QueueOut``)."""

    id: str
    name: str
    tags: list[str]
    created_at: str
    builtin: bool
    pending: int
    workers: list[str]
    avg_wait: float | None
    current_wait: float | None


class QueueEntry(TypedDict):
    task_id: str
    task_name: str
    status: str
    project_id: str
    user_id: str | None
    index: int
    enqueued_at: str
    wait: float


class QueueDetail(Queue):
    entries: list[QueueEntry]


class Cleared(TypedDict):
    removed: int


class WorkerTask(TypedDict):
    id: str
    name: str
    status: str
    queue_id: str | None
    started_at: str | None
    run_time: float | None
    last_iteration: int | None


class WorkerStat(TypedDict):
    time: str
    cpu_percent: float | None
    memory_used: int | None
    memory_total: int | None
    gpus: list[dict[str, Any]]
    net_rx: float | None
    net_tx: float | None


class Worker(TypedDict):
    id: str
    user_id: str | None
    queues: list[str]
    tags: list[str]
    ip: str | None
    registered_at: str
    last_heartbeat: str
    gone_at: str | None
    machine: dict[str, Any]
    tasks: list[WorkerTask]
    last_stats: WorkerStat | None


# --- models, projects, users, keys ----------------------------------------------------


class ModelBrief(TypedDict):
    id: str
    name: str
    project_id: str | None
    task_id: str | None
    user_id: str | None
    framework: str
    uri: str
    tags: list[str]
    system_tags: list[str]
    labels: dict[str, int]
    metadata: dict[str, Any]
    comment: str
    published: bool
    archived: bool
    parent_id: str | None
    created_at: str
    last_update: str


class ModelPage(TypedDict):
    items: list[ModelBrief]
    next_cursor: str | None
    total: int | None


class Model(ModelBrief):
    design: str


class Project(TypedDict):
    id: str
    name: str
    parent_id: str | None
    description: str
    visibility: str
    owner_id: str | None
    tags: list[str]
    created_at: str
    last_update: str
    task_count: int | None
    last_activity: str | None


class TeamRef(TypedDict):
    id: str
    name: str


class User(TypedDict):
    """A user (``UserOut``); ``email``, ``role`` and ``allowed_ips`` of others are null
    unless the caller is an admin."""

    id: str
    name: str
    email: str | None
    role: str | None
    kind: str
    auth_source: str
    active: bool
    created_at: str
    allowed_ips: list[str] | None
    teams: list[TeamRef]


class Key(TypedDict):
    id: str
    access_key: str
    user_id: str
    label: str
    kind: str
    read_only: bool
    projects: list[str]
    allowed_ips: list[str]
    task_id: str | None
    created_at: str
    expires_at: str | None
    last_used_at: str | None
    last_used_address: str | None
    revoked_at: str | None


class KeyCreated(Key):
    secret_key: str


class Team(TypedDict):
    id: str
    name: str
    description: str
    source: str
    created_at: str
    members: list[TeamRef]


class AuditEntry(TypedDict):
    id: int
    time: str
    actor_id: str | None
    actor_name: str
    action: str
    target_type: str
    target_id: str
    target_name: str
    address: str | None
    outcome: str
    detail: dict[str, Any]


class AuditPage(TypedDict):
    items: list[AuditEntry]
    next_cursor: str | None


# --- the change log -------------------------------------------------------------------


class Change(TypedDict):
    """One entry of the change log (``ChangeOut``)."""

    id: int
    time: str
    entity_type: str
    entity_id: str
    action: str
    project_id: str | None
    user_id: str | None
    payload: dict[str, Any]


class ChangePage(TypedDict):
    items: list[Change]
    next_cursor: int


class ChangeCursor(TypedDict):
    cursor: int


#: each view and the schema it mirrors (``module.Class`` under ``corral.schemas``)
MIRRORS: dict[str, str] = {
    "Ok": "common.Ok",
    "TaskBrief": "tasks.TaskBrief",
    "TaskPage": "common.Page",
    "Task": "tasks.TaskOut",
    "LogLine": "events.LogLine",
    "LogPage": "events.LogPage",
    "Queue": "queues.QueueOut",
    "QueueEntry": "queues.QueueEntryOut",
    "QueueDetail": "queues.QueueDetail",
    "Cleared": "queues.Cleared",
    "WorkerTask": "queues.WorkerTask",
    "WorkerStat": "queues.WorkerStatOut",
    "Worker": "queues.WorkerOut",
    "ModelBrief": "models.ModelBrief",
    "ModelPage": "common.Page",
    "Model": "models.ModelOut",
    "Project": "projects.ProjectOut",
    "User": "users.UserOut",
    "Key": "users.KeyOut",
    "KeyCreated": "users.KeyCreated",
    "TeamRef": "users.TeamRef",
    "Team": "teams.TeamOut",
    "AuditEntry": "audit.AuditEntryOut",
    "AuditPage": "common.Page",
    "Change": "changes.ChangeOut",
    "ChangePage": "changes.ChangePage",
    "ChangeCursor": "changes.ChangeCursor",
}
