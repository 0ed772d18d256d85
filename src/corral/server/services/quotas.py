"""Quotas: how many tasks a user (or a team) may run at once, and how many bytes store.

A quota belongs to a user or a team (``Quota.subject_type``/``subject_id``). A user
is bound by their own quotas and by those of every team they belong to; a team's
usage is its members' together.

* **Running tasks** (``max_running``) per queue, or in every queue together when
  ``queue_id`` is null. A task counts while it is ``in_progress`` or leased to a
  worker (``queued`` with ``worker`` set) and came from a queue (``queue_id`` set):
  a script started by hand, outside any queue, does not count. The dequeue
  (``dispatch.take``) asks :func:`blocked` for each waiting task: a task whose owner
  is at a limit stays in its queue, with the reason in its ``status_reason``
  (:func:`hold`), and the next task is leased instead. The counts are read once per
  transaction (one grouped query), not once per waiting task.
* **Storage** (``max_storage_bytes``): the bytes of the files a user put through
  ``PUT /files`` (``StoredObject`` rows, kept by ``api.files`` and
  ``services.stored_files``). :func:`storage_room` says how much a new upload may
  take; :func:`quota_exceeded` is the 403 when it is more.

On PostgreSQL, several dequeues run at once (``SKIP LOCKED``), so a task that looks
free is checked again with the quota rows locked and counted afresh: two hub
processes cannot both take the last slot. SQLite has one writer at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from corral.core.task_status import S
from corral.errors import NotFoundError, QuotaExceededError, ValidationError
from corral.schemas.quotas import QuotaOut, QuotaSet, Usage
from corral.server.db.models import (
    Queue,
    Quota,
    StoredObject,
    Task,
    Team,
    TeamMember,
    User,
)
from corral.server.services import audit
from corral.server.services.tasks import record_change, touch

#: ``session.info`` key: the running-task counts of the current transaction
_GATE = "quota_gate"
#: the prefix of a ``status_reason`` set by :func:`hold`
WAITING = "waiting: "


# --- quotas themselves -------------------------------------------------------------------


def _subject(session: Session, subject_type: str, key: str) -> User | Team:
    found: User | Team | None
    if subject_type == "user":
        found = session.get(User, key) or session.scalar(select(User).where(User.name == key))
    else:
        found = session.get(Team, key) or session.scalar(select(Team).where(Team.name == key))
    if found is None:
        raise ValidationError(
            f"no {subject_type} {key!r}",
            errors=[{"loc": ["body", "subject"], "msg": "not found", "type": "value_error"}],
        )
    return found


def _queue(session: Session, key: str) -> Queue:
    found = session.get(Queue, key) or session.scalar(select(Queue).where(Queue.name == key))
    if found is None:
        raise ValidationError(
            f"no queue {key!r}; create it first, or leave queue null for every queue together",
            errors=[{"loc": ["body", "queue"], "msg": "not found", "type": "value_error"}],
        )
    return found


def set_quota(session: Session, data: QuotaSet) -> Quota:
    """Create or replace the quota of (subject, queue) and audit it (``quota.set``)."""
    subject = _subject(session, data.subject_type, data.subject)
    queue = _queue(session, data.queue) if data.queue is not None else None
    queue_id = queue.id if queue is not None else None
    # the unique constraint does not hold for a null queue (NULLs differ): look first
    quota = session.scalar(
        select(Quota)
        .where(
            Quota.subject_type == data.subject_type,
            Quota.subject_id == subject.id,
            Quota.queue_id.is_(None) if queue_id is None else Quota.queue_id == queue_id,
        )
        .with_for_update()
    )
    if quota is None:
        quota = Quota(subject_type=data.subject_type, subject_id=subject.id, queue_id=queue_id)
        session.add(quota)
    quota.max_running = data.max_running
    quota.max_storage_bytes = data.max_storage_bytes
    session.flush()
    audit.record(
        session,
        "quota.set",
        target_type=data.subject_type,
        target_id=subject.id,
        target_name=subject.name,
        detail={
            "quota_id": quota.id,
            "queue": queue.name if queue is not None else None,
            "max_running": data.max_running,
            "max_storage_bytes": data.max_storage_bytes,
        },
    )
    return quota


def remove_quota(session: Session, quota_id: str) -> None:
    """Delete a quota and audit it (``quota.removed``)."""
    quota = session.get(Quota, quota_id)
    if quota is None:
        raise NotFoundError(f"no quota {quota_id!r}")
    (out,) = describe(session, [quota])
    session.delete(quota)
    session.flush()
    audit.record(
        session,
        "quota.removed",
        target_type=quota.subject_type,
        target_id=quota.subject_id,
        target_name=out.subject_name,
        detail={"quota_id": quota_id, "queue": out.queue},
    )


def _team_ids(session: Session, user_id: str) -> list[str]:
    return list(session.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user_id)))


def list_quotas(session: Session, user_id: str | None) -> list[Quota]:
    """Every quota (``user_id`` None, for admins) or those binding one user."""
    q = select(Quota).order_by(Quota.subject_type, Quota.created_at, Quota.id)
    if user_id is not None:
        q = q.where(_binding(user_id, _team_ids(session, user_id)))
    return list(session.scalars(q))


def _binding(user_id: str, team_ids: Sequence[str]) -> ColumnElement[bool]:
    mine = (Quota.subject_type == "user") & (Quota.subject_id == user_id)
    if not team_ids:
        return mine
    return or_(mine, (Quota.subject_type == "team") & Quota.subject_id.in_(team_ids))


def describe(session: Session, quotas: Sequence[Quota]) -> list[QuotaOut]:
    """Quotas on the wire, with the names of their subjects and queues."""
    users = {q.subject_id for q in quotas if q.subject_type == "user"}
    teams = {q.subject_id for q in quotas if q.subject_type == "team"}
    queues = {q.queue_id for q in quotas if q.queue_id}
    names: dict[str, str] = {}
    for model, ids in ((User, users), (Team, teams), (Queue, queues)):
        if ids:
            names.update(
                session.execute(select(model.id, model.name).where(model.id.in_(ids))).all()
            )
    return [
        QuotaOut(
            id=q.id,
            subject_type=q.subject_type,  # type: ignore[arg-type]
            subject_id=q.subject_id,
            subject_name=names.get(q.subject_id, q.subject_id),
            queue_id=q.queue_id,
            queue=names.get(q.queue_id) if q.queue_id else None,
            max_running=q.max_running,
            max_storage_bytes=q.max_storage_bytes,
            created_at=q.created_at,
        )
        for q in quotas
    ]


# --- running tasks -----------------------------------------------------------------------


def _running() -> ColumnElement[bool]:
    return (Task.status == S.in_progress.value) | (
        (Task.status == S.queued.value) & Task.worker.is_not(None)
    )


def _count_running(session: Session, user_ids: Iterable[str]) -> Counter[tuple[str, str]]:
    """Running tasks per (owner, queue) of these users: one grouped query."""
    ids = list(user_ids)
    if not ids:
        return Counter()
    rows = session.execute(
        select(Task.user_id, Task.queue_id, func.count())
        .where(Task.user_id.in_(ids), Task.queue_id.is_not(None), _running())
        .group_by(Task.user_id, Task.queue_id)
    )
    return Counter({(u, q): n for u, q, n in rows if u is not None and q is not None})


@dataclass
class _Gate:
    """The running-task quotas and counts, read once per transaction."""

    transaction: object
    quotas: list[Quota]
    members: dict[str, set[str]] = field(default_factory=dict)
    running: Counter[tuple[str, str]] = field(default_factory=Counter)

    def subjects(self, quota: Quota) -> set[str]:
        if quota.subject_type == "user":
            return {quota.subject_id}
        return self.members.get(quota.subject_id, set())

    def applicable(self, user_id: str, queue_id: str) -> list[Quota]:
        return [
            q for q in self.quotas if q.queue_id in (None, queue_id) and user_id in self.subjects(q)
        ]

    def used(self, quota: Quota) -> int:
        users = self.subjects(quota)
        return sum(
            n
            for (u, q), n in self.running.items()
            if u in users and (quota.queue_id is None or q == quota.queue_id)
        )


def _gate(session: Session) -> _Gate:
    transaction = session.get_transaction()
    cached = session.info.get(_GATE)
    if isinstance(cached, _Gate) and cached.transaction is transaction:
        return cached
    quotas = list(
        session.scalars(select(Quota).where(Quota.max_running.is_not(None)).order_by(Quota.id))
    )
    gate = _Gate(transaction, quotas)
    teams = {q.subject_id for q in quotas if q.subject_type == "team"}
    if teams:
        for team_id, user_id in session.execute(
            select(TeamMember.team_id, TeamMember.user_id).where(TeamMember.team_id.in_(teams))
        ):
            gate.members.setdefault(team_id, set()).add(user_id)
    users = {u for q in quotas for u in gate.subjects(q)}
    gate.running = _count_running(session, users)
    session.info[_GATE] = gate
    return gate


def _subject_name(session: Session, quota: Quota) -> str:
    subject = session.get(User if quota.subject_type == "user" else Team, quota.subject_id)
    return subject.name if isinstance(subject, (User, Team)) else quota.subject_id


def _reason(session: Session, gate: _Gate, quotas: Sequence[Quota], queue: Queue) -> str | None:
    for quota in quotas:
        used = gate.used(quota)
        limit = quota.max_running or 0
        if used < limit:
            continue
        name = _subject_name(session, quota)
        where = f"queue {queue.name!r}" if quota.queue_id else "all queues together"
        return (
            f"{WAITING}{quota.subject_type} {name} has {used} of {limit} running tasks "
            f"allowed in {where}"
        )
    return None


class Owned(Protocol):
    """What :func:`blocked` needs of a task: its owner."""

    @property
    def user_id(self) -> str | None: ...


def blocked(session: Session, task: Owned, queue: Queue) -> str | None:
    """Why ``task`` may not be leased from ``queue`` now (a quota is full), or None.

    Example::

        reason = quotas.blocked(session, task, queue)
        if reason is not None:
            quotas.hold(session, task.id, reason)  # it waits; try the next entry
    """
    if task.user_id is None:
        return None
    gate = _gate(session)
    if not gate.quotas:
        return None
    applicable = gate.applicable(task.user_id, queue.id)
    if not applicable:
        return None
    reason = _reason(session, gate, applicable, queue)
    if reason is not None or session.get_bind().dialect.name != "postgresql":
        return reason
    # PostgreSQL: another dequeue may have leased a task of these subjects since the
    # counts were read. Lock the quotas (in id order: no deadlock) and count again.
    ids = sorted(q.id for q in applicable)
    session.execute(select(Quota.id).where(Quota.id.in_(ids)).order_by(Quota.id).with_for_update())
    users = {u for q in applicable for u in gate.subjects(q)}
    fresh = _count_running(session, users)
    for key in [k for k in gate.running if k[0] in users]:
        del gate.running[key]
    gate.running.update(fresh)
    return _reason(session, gate, applicable, queue)


def hold(session: Session, task_id: str, reason: str, *, shown: str | None = None) -> None:
    """Show why a task waits (its ``status_reason``); written only when it changes.

    ``shown``: the reason the task shows now, if the caller read it already.
    """
    if shown == reason:
        return
    task = session.get(Task, task_id)
    if task is None or task.status_reason == reason:
        return
    task.status_reason = reason
    touch(task)
    session.flush()
    record_change(session, task, "waiting", reason=reason)


def running_of(session: Session, user_id: str) -> dict[str, int]:
    """Queue name -> the user's running (or leased) tasks from that queue."""
    counts = _count_running(session, [user_id])
    ids = [q for _, q in counts]
    names = dict(session.execute(select(Queue.id, Queue.name).where(Queue.id.in_(ids))).all())
    return {names.get(q, q): n for (_, q), n in sorted(counts.items())}


# --- storage -----------------------------------------------------------------------------


def stored_bytes(session: Session, user_ids: Iterable[str]) -> int:
    ids = list(user_ids)
    if not ids:
        return 0
    total = session.scalar(
        select(func.coalesce(func.sum(StoredObject.size), 0)).where(StoredObject.user_id.in_(ids))
    )
    return int(total or 0)


def usage(session: Session, user_id: str) -> Usage:
    return Usage(
        storage_bytes=stored_bytes(session, [user_id]), running=running_of(session, user_id)
    )


@dataclass(frozen=True)
class Room:
    """How many bytes one upload may take before it goes over a storage quota."""

    #: None: no storage quota binds the user
    bytes: int | None
    #: the quota that leaves the least room, described for an error message
    subject: str = ""
    used: int = 0
    limit: int = 0


def storage_room(session: Session, user_id: str, path: str) -> Room:
    """The room the tightest storage quota leaves for a file at ``path``.

    A file that replaces one the same user stored counts only what it adds.
    """
    team_ids = _team_ids(session, user_id)
    quotas = list(
        session.scalars(
            select(Quota).where(
                Quota.max_storage_bytes.is_not(None),
                _binding(user_id, team_ids),
            )
        )
    )
    if not quotas:
        return Room(None)
    replaced = session.get(StoredObject, path)
    tightest = Room(None)
    for quota in quotas:
        if quota.subject_type == "user":
            users = [quota.subject_id]
            name = f"user {_subject_name(session, quota)}"
        else:
            users = list(
                session.scalars(
                    select(TeamMember.user_id).where(TeamMember.team_id == quota.subject_id)
                )
            )
            name = f"team {_subject_name(session, quota)}"
        used = stored_bytes(session, users)
        if replaced is not None and replaced.user_id in users:
            used -= replaced.size
        limit = quota.max_storage_bytes or 0
        room = max(0, limit - used)
        if tightest.bytes is None or room < tightest.bytes:
            tightest = Room(room, name, used, limit)
    return tightest


def quota_exceeded(room: Room, size: int | None) -> QuotaExceededError:
    """The 403 for an upload of ``size`` bytes (None: not known, it grew past the room)."""
    what = f"this upload of {size} bytes" if size is not None else "this upload"
    return QuotaExceededError(
        f"{what} would exceed the storage quota of {room.subject}: {room.used} of "
        f"{room.limit} bytes used; delete files you no longer need (DELETE /files/...) "
        "or ask an admin to raise the quota. Nothing was stored."
    )
