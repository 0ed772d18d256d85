"""The database schema (DESIGN.md section 3) as typed SQLAlchemy 2.0 models.

Ids are 32 hex characters. Times are UTC. JSON columns are JSONB on
PostgreSQL so that they sort and compare as values, not text.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JsonType = JSON().with_variant(JSONB(), "postgresql")
# SQLite only makes INTEGER PRIMARY KEY an alias of the rowid (auto-increment).
BigId = BigInteger().with_variant(Integer(), "sqlite")


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and always read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JsonType, list[Any]: JsonType}


def _id() -> Mapped[str]:
    return mapped_column(String(32), primary_key=True, default=new_id)


# --- people -----------------------------------------------------------------


class User(Base):
    """A person (``kind="person"``) or a service account for agents and automation.

    ``role`` is the hub-wide role: ``admin``, ``user`` or ``worker`` (an agent's
    account: register, heartbeat, dequeue, update only the tasks leased to it).
    """

    __tablename__ = "users"

    id: Mapped[str] = _id()
    name: Mapped[str] = mapped_column(String(255), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16), default="user")
    kind: Mapped[str] = mapped_column(String(16), default="person")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime | None]
    #: CIDR networks the user may connect from (empty: anywhere the hub allows)
    allowed_ips: Mapped[list[Any]] = mapped_column(default=list)
    #: ``local`` (password) or ``oidc`` (created at a first single sign-on)
    auth_source: Mapped[str] = mapped_column(String(16), default="local")
    #: the identity provider's ``iss`` and ``sub`` ("ISSUER|SUBJECT") for OIDC users
    external_id: Mapped[str | None] = mapped_column(String(512), unique=True)


class Team(Base):
    """A group of users; teams are members of projects like users are."""

    __tablename__ = "teams"

    id: Mapped[str] = _id()
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    #: ``local`` (made by an admin) or ``oidc`` (kept in step with a group claim)
    source: Mapped[str] = mapped_column(String(16), default="local")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TeamMember(Base):
    __tablename__ = "team_members"

    team_id: Mapped[str] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """An access key and the hash of its secret.

    Scopes: ``read_only``; ``projects`` (project ids, each with its subprojects;
    empty: every project the user may use); ``expires_at``; ``allowed_ips``.
    ``kind="task"`` marks the short-lived token the hub issues for one run of a
    task (``task_id``): it acts as the task's owner, writes only to that task's
    project, and is revoked when the run ends.
    """

    __tablename__ = "api_keys"

    id: Mapped[str] = _id()
    access_key: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(255), default="")
    kind: Mapped[str] = mapped_column(String(16), default="user")
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)
    projects: Mapped[list[Any]] = mapped_column(default=list)
    allowed_ips: Mapped[list[Any]] = mapped_column(default=list)
    task_id: Mapped[str | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    last_used_address: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]


class WebSession(Base):
    """A browser session: the cookie carries a random token, only its hash is stored."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime | None]
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(255), default="")


class LoginThrottle(Base):
    """Failed logins of one user name (``user:NAME``) or one address (``ip:ADDR``)."""

    __tablename__ = "login_throttle"

    subject: Mapped[str] = mapped_column(String(320), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: no attempt is checked before this time (the growing delay)
    next_attempt_at: Mapped[datetime | None]
    #: a temporary lockout, cleared by time or by an admin
    locked_until: Mapped[datetime | None]


class AuditEntry(Base):
    """Who did what, when, from where (logins, keys, roles, deletions, enqueues...)."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_time", "time"),
        Index("ix_audit_actor", "actor_id", "id"),
        Index("ix_audit_action", "action", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    time: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[str | None] = mapped_column(String(32))
    actor_name: Mapped[str] = mapped_column(String(255), default="")
    #: ``<noun>.<verb>``, e.g. ``login.failed``, ``key.revoked``, ``task.enqueued``
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[str] = mapped_column(String(255), default="")
    target_name: Mapped[str] = mapped_column(String(1024), default="")
    address: Mapped[str | None] = mapped_column(String(64))
    #: ``ok``, ``denied`` or ``failed``
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Quota(Base):
    """Limits of one user or team: running tasks per queue (or in any queue), storage."""

    __tablename__ = "quotas"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id", "queue_id"),)

    id: Mapped[str] = _id()
    #: ``user`` or ``team``
    subject_type: Mapped[str] = mapped_column(String(8))
    subject_id: Mapped[str] = mapped_column(String(32))
    #: None: the running-task limit counts every queue together
    queue_id: Mapped[str | None] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"))
    max_running: Mapped[int | None] = mapped_column(Integer)
    max_storage_bytes: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StoredObject(Base):
    """A file in the hub's store and who put it there (for storage quotas and access)."""

    __tablename__ = "stored_objects"

    path: Mapped[str] = mapped_column(String(1024), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    project_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- projects and tasks -------------------------------------------------------


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[str] = _id()
    #: full hierarchical name, e.g. ``team/nasa/asteroids``
    name: Mapped[str] = mapped_column(String(1024), unique=True)
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_update: Mapped[datetime] = mapped_column(default=utcnow)
    #: an archived project is left out of the project list (``archived=true`` lists them)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class ProjectMember(Base):
    """A user's or a team's role on a project (and, by inheritance, its subprojects)."""

    __tablename__ = "project_members"

    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    #: ``user`` or ``team``
    member_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    #: ``owner``, ``editor`` or ``viewer``
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[str] = _id()
    name: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32), default="training")
    status: Mapped[str] = mapped_column(String(16), default="created")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    status_message: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    system_tags: Mapped[list[Any]] = mapped_column(default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    last_update: Mapped[datetime] = mapped_column(default=utcnow)
    worker: Mapped[str | None] = mapped_column(String(255))
    queue_id: Mapped[str | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    exit_code: Mapped[int | None]
    #: repository, branch, commit, diff, entry_point, working_dir, code, requirements, freeze
    script: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: image, arguments, setup_script
    container: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: section -> name -> {value, type, description}
    hyperparams: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: name -> {type, value, description}
    configuration: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: machine facts and user properties
    runtime: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: {"input": [{"name", "model_id"}], "output": [...]}
    models: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: metric -> variant -> {last, min, max, iteration}
    last_metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_iteration: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_tasks_project_created", "project_id", "created_at"),
        Index("ix_tasks_status", "status"),
        Index("ix_tasks_created", "created_at"),
        Index("ix_tasks_user", "user_id"),
        Index("ix_tasks_name", "name"),
        Index("ix_tasks_project_archived", "project_id", "archived"),
        # a project's last activity (the projects page) is the newest of these
        Index("ix_tasks_project_updated", "project_id", "last_update"),
    )


class TaskTag(Base):
    """One row per (task, tag): lets a tag filter use an index on 100k tasks."""

    __tablename__ = "task_tags"

    task_id: Mapped[str] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(128), primary_key=True)

    __table_args__ = (Index("ix_task_tags_tag", "tag", "task_id"),)


class Artifact(Base):
    __tablename__ = "artifacts"

    id: Mapped[str] = _id()
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    #: file, folder, dataframe, numpy, json, image, pickle, custom
    type: Mapped[str] = mapped_column(String(32), default="custom")
    mode: Mapped[str] = mapped_column(String(8), default="output")
    uri: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int | None] = mapped_column(BigInteger)
    hash: Mapped[str | None] = mapped_column(String(128))
    content_type: Mapped[str | None] = mapped_column(String(255))
    preview: Mapped[str] = mapped_column(Text, default="")
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("task_id", "name", name="uq_artifacts_task_name"),)


class Model(Base):
    __tablename__ = "models"

    id: Mapped[str] = _id()
    name: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    task_id: Mapped[str | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    framework: Mapped[str] = mapped_column(String(64), default="")
    uri: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    system_tags: Mapped[list[Any]] = mapped_column(default=list)
    #: class name -> index
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    design: Mapped[str] = mapped_column(Text, default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("models.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_update: Mapped[datetime] = mapped_column(default=utcnow)


# --- queues and workers ----------------------------------------------------------


class Queue(Base):
    __tablename__ = "queues"

    id: Mapped[str] = _id()
    name: Mapped[str] = mapped_column(String(255), unique=True)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QueueEntry(Base):
    __tablename__ = "queue_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    queue_id: Mapped[str] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), unique=True)
    #: smaller runs first; enqueue at the end is max+1, at the top min-1
    position: Mapped[int] = mapped_column(BigInteger)
    enqueued_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_queue_entries_queue_position", "queue_id", "position"),)


class QueueStat(Base):
    """The queue's length after each enqueue and dequeue, and the wait of a dequeued task.

    Feeds the queue's average wait and the UI's length and wait charts.
    """

    __tablename__ = "queue_stats"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    queue_id: Mapped[str] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"))
    time: Mapped[datetime] = mapped_column(default=utcnow)
    pending: Mapped[int] = mapped_column(Integer)
    #: seconds the dequeued task waited; None for an enqueue
    wait: Mapped[float | None] = mapped_column(Double)

    __table_args__ = (Index("ix_queue_stats_queue_time", "queue_id", "time"),)


class Worker(Base):
    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    queues: Mapped[list[Any]] = mapped_column(default=list)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    ip: Mapped[str | None] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_heartbeat: Mapped[datetime] = mapped_column(default=utcnow)
    task_id: Mapped[str | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    #: the task is leased to this worker until it starts it or stops heartbeating
    leased_at: Mapped[datetime | None]
    machine: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: set when the worker stopped heartbeating or unregistered; a gone worker may
    #: register again under the same id
    gone_at: Mapped[datetime | None]


class WorkerStat(Base):
    __tablename__ = "worker_stats"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    worker_id: Mapped[str] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"))
    time: Mapped[datetime] = mapped_column(default=utcnow)
    cpu_percent: Mapped[float | None] = mapped_column(Double)
    memory_used: Mapped[int | None] = mapped_column(BigInteger)
    memory_total: Mapped[int | None] = mapped_column(BigInteger)
    #: per GPU: {index, utilization, memory_used, memory_total, temperature}
    gpus: Mapped[list[Any]] = mapped_column(default=list)
    net_rx: Mapped[float | None] = mapped_column(Double)
    net_tx: Mapped[float | None] = mapped_column(Double)

    __table_args__ = (Index("ix_worker_stats_worker_time", "worker_id", "time"),)


# --- events -----------------------------------------------------------------------


class EventBatch(Base):
    """Client batch ids already stored, so that a retried batch is stored once."""

    __tablename__ = "event_batches"

    task_id: Mapped[str] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    events: Mapped[int] = mapped_column(Integer, default=0)


class ScalarChunk(Base):
    """Scalar points of one series, stored as packed arrays.

    DESIGN.md describes a row per point; a row per (series, batch) holding
    little-endian int64 iterations, float64 values and float64 times keeps
    ingestion at hundreds of thousands of points per second and lets a
    million-point chart be read and downsampled in milliseconds.
    """

    __tablename__ = "scalar_chunks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(255))
    variant: Mapped[str] = mapped_column(String(255))
    first_iteration: Mapped[int] = mapped_column(BigInteger)
    last_iteration: Mapped[int] = mapped_column(BigInteger)
    count: Mapped[int] = mapped_column(Integer)
    iterations: Mapped[bytes] = mapped_column(LargeBinary)
    values: Mapped[bytes] = mapped_column(LargeBinary)
    times: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (
        Index("ix_scalar_chunks_series", "task_id", "metric", "variant", "first_iteration"),
    )


#: PostgreSQL: keep the packed arrays out of line and uncompressed. Float arrays hardly
#: compress, and trying costs ingest time (measured: ~1.0M instead of ~0.7M points/s).
SCALAR_CHUNKS_STORAGE = (
    "ALTER TABLE scalar_chunks ALTER COLUMN iterations SET STORAGE EXTERNAL, "
    'ALTER COLUMN "values" SET STORAGE EXTERNAL, ALTER COLUMN times SET STORAGE EXTERNAL'
)
event.listen(
    ScalarChunk.__table__,
    "after_create",
    DDL(SCALAR_CHUNKS_STORAGE).execute_if(dialect="postgresql"),
)


class LogEvent(Base):
    __tablename__ = "log_events"

    #: global order of arrival; the console of a task reads in this order
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    time: Mapped[float] = mapped_column(Double)
    stream: Mapped[str] = mapped_column(String(16), default="stdout")
    level: Mapped[str] = mapped_column(String(16), default="info")
    text: Mapped[str] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (Index("ix_log_events_task_seq", "task_id", "seq"),)


class PlotEvent(Base):
    __tablename__ = "plot_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(255))
    variant: Mapped[str] = mapped_column(String(255))
    iteration: Mapped[int] = mapped_column(BigInteger)
    time: Mapped[float] = mapped_column(Double)
    #: plotly figure JSON
    figure: Mapped[dict[str, Any]] = mapped_column()

    __table_args__ = (Index("ix_plot_events_task", "task_id", "metric", "variant", "iteration"),)


class DebugSample(Base):
    __tablename__ = "debug_samples"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(255))
    variant: Mapped[str] = mapped_column(String(255))
    iteration: Mapped[int] = mapped_column(BigInteger)
    time: Mapped[float] = mapped_column(Double)
    uri: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (Index("ix_debug_samples_task", "task_id", "metric", "variant", "iteration"),)


class ModelEvent(Base):
    """A scalar point or a plot reported for a model (``OutputModel.report_*``).

    Models report little (a few curves and tables, ClearML-style), so one row per
    point or plot, in one table, is enough; ``kind`` tells them apart. ``batch_id``
    lets a retried batch be stored once.
    """

    __tablename__ = "model_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    batch_id: Mapped[str] = mapped_column(String(64))
    #: "scalar" or "plot"
    kind: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str] = mapped_column(String(255))
    variant: Mapped[str] = mapped_column(String(255))
    iteration: Mapped[int] = mapped_column(BigInteger)
    time: Mapped[float] = mapped_column(Double)
    #: a scalar's value (NaN for a missing one)
    value: Mapped[float | None] = mapped_column(Double)
    #: a plot's plotly figure JSON
    figure: Mapped[dict[str, Any] | None] = mapped_column()

    __table_args__ = (
        Index("ix_model_events_series", "model_id", "kind", "metric", "variant", "iteration"),
        Index("ix_model_events_batch", "model_id", "batch_id"),
    )


class TaskMetricSummary(Base):
    """Last/min/max of every (task, metric, variant), kept up to date on ingest."""

    __tablename__ = "task_metric_summaries"

    task_id: Mapped[str] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    metric: Mapped[str] = mapped_column(String(255), primary_key=True)
    variant: Mapped[str] = mapped_column(String(255), primary_key=True)
    last: Mapped[float | None] = mapped_column(Double)
    min: Mapped[float | None] = mapped_column(Double)
    max: Mapped[float | None] = mapped_column(Double)
    iteration: Mapped[int] = mapped_column(BigInteger)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_time: Mapped[float] = mapped_column(Double)

    __table_args__ = (
        Index("ix_metric_summaries_last", "metric", "variant", "last"),
        Index("ix_metric_summaries_min", "metric", "variant", "min"),
        Index("ix_metric_summaries_max", "metric", "variant", "max"),
    )


# --- change log ---------------------------------------------------------------------


class Change(Base):
    """Append-only log of changes, written in the same transaction as the change."""

    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    time: Mapped[datetime] = mapped_column(default=utcnow)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(32))
    project_id: Mapped[str | None] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index("ix_changes_entity", "entity_type", "entity_id"),)


# --- datasets -------------------------------------------------------------------------

#: paths inside a dataset sort as bytes everywhere (PostgreSQL's default collation would
#: sort them by locale, and a keyset page by path would then skip or repeat rows)
DatasetPathType = Text().with_variant(Text(collation="C"), "postgresql")


class DatasetVersion(Base):
    """A dataset version: the task of the same id (type ``data_processing``) plus this row.

    ``project_id`` and ``name`` repeat the task's so that versions of one dataset are
    unique and sort by ``version_key`` with an index. ``stats`` is stored once the
    version is final (a draft's are counted when read).
    """

    __tablename__ = "dataset_versions"

    id: Mapped[str] = mapped_column(
        String(32), ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(32))
    #: sorts like the version (``core.datasets.version_key``)
    version_key: Mapped[str] = mapped_column(String(32))
    #: ``draft``, ``uploading`` or ``final``
    state: Mapped[str] = mapped_column(String(16), default="draft")
    output_uri: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finalized_at: Mapped[datetime | None]
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (
        UniqueConstraint("project_id", "name", "version_key", name="uq_dataset_versions_key"),
        Index("ix_dataset_versions_name", "name", "project_id"),
        Index("ix_dataset_versions_created", "created_at"),
    )


class DatasetParent(Base):
    __tablename__ = "dataset_parents"

    child_id: Mapped[str] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[str] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="CASCADE"), index=True
    )


class DatasetFile(Base):
    """One file of a version's index (its parents' files are copied in at creation).

    ``change`` is against the parents; ``parent_sha256``/``parent_size`` keep the
    inherited content of a ``modified`` row. Pending: no ``blob_id`` and no
    ``external_url``. ``source`` (the path on the adding machine) goes at finalize.
    """

    __tablename__ = "dataset_files"

    version_id: Mapped[str] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(DatasetPathType, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    blob_id: Mapped[str | None] = mapped_column(String(64))
    #: ``unchanged``, ``added`` or ``modified``
    change: Mapped[str] = mapped_column(String(16), default="unchanged")
    parent_sha256: Mapped[str | None] = mapped_column(String(64))
    parent_size: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str | None] = mapped_column(Text)
    external_url: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_dataset_files_sha", "sha256", "version_id"),
        Index("ix_dataset_files_blob", "blob_id"),
    )


class DatasetRemoval(Base):
    """A file of the parents that this version removed (what it was)."""

    __tablename__ = "dataset_removals"

    version_id: Mapped[str] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(DatasetPathType, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))


class DatasetBlob(Base):
    """Stored bytes, addressed by their SHA-256: a chunk (zip of files named by their
    SHA-256) or one file stored whole; in the hub's store (``hub://``) or outside."""

    __tablename__ = "dataset_blobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    uri: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    #: ``chunk`` or ``file``
    kind: Mapped[str] = mapped_column(String(8))
    #: ``none`` or ``deflate``
    compression: Mapped[str] = mapped_column(String(8), default="none")
    #: the version that uploaded it (None once that version is gone)
    version_id: Mapped[str | None] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DatasetUsage(Base):
    """Lineage: task ``task_id`` used this version under ``alias``."""

    __tablename__ = "dataset_usages"

    task_id: Mapped[str] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    alias: Mapped[str] = mapped_column(String(255), primary_key=True)
    version_id: Mapped[str] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="CASCADE"), index=True
    )
    used_at: Mapped[datetime] = mapped_column(default=utcnow)
