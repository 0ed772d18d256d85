"""Task tokens: the short-lived key a task's process uses, acting as the task's owner.

An agent never gives its own key to the code it runs. When a worker leases a task
(``dispatch.take``), the hub issues an ``ApiKey(kind="task")`` for the task's owner,
bound to that task (``task_id``), and returns its secret once, in the dequeue answer.
The policy (``auth.policy``) scopes it: it reads what the owner may read, and writes
only its own task, its children and new objects of the task's project.

Its life follows the run:

* it expires ``task_token_minutes`` after it was issued, and each heartbeat of the
  worker running the task pushes the expiry that far again (:func:`extend`);
* it is revoked as soon as the run ends (completed, failed, stopped, aborted, reset,
  dequeued, deleted, lease expired, worker lost): :func:`revoke` records the
  revocation in the change log (``key``/``revoked``) so the token's open streams end.

A task without an active owner is not run: there is nobody to act as
(:func:`owner_problem`).

Example::

    token = task_tokens.issue(session, task, minutes=settings.task_token_minutes)
    ...
    task_tokens.revoke(session, [task.id])
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from corral.schemas.queues import TaskToken
from corral.server.auth.credentials import digest, new_key_pair
from corral.server.db.models import ApiKey, Task, User
from corral.server.services import changes
from corral.server.services.clock import now

#: ``ApiKey.kind`` of a task token
TASK = "task"


def owner_problem(session: Session, task: Task) -> str | None:
    """Why ``task`` cannot run as its owner (None: it can)."""
    if task.user_id is None:
        return "not run: the task has no owner (its account was removed); clone it to run it"
    user = session.get(User, task.user_id)
    if user is None or not user.active:
        name = user.name if user is not None else task.user_id
        return (
            f"not run: its owner {name!r} is deactivated and a task runs as its owner; "
            "clone it to run it as yourself"
        )
    return None


def issue(session: Session, task: Task, *, minutes: float) -> TaskToken:
    """A new token for one run of ``task``, as its owner; the secret is only in the answer.

    Tokens of an earlier run of the task are revoked first (a task has one live run).
    """
    if task.user_id is None:  # callers check owner_problem first
        raise ValueError(f"task {task.id} has no owner")
    revoke(session, [task.id])
    access, secret = new_key_pair()
    expires = now() + timedelta(minutes=minutes)
    session.add(
        ApiKey(
            access_key=access,
            secret_hash=digest(secret),
            user_id=task.user_id,
            label=f"task {task.id}",
            kind=TASK,
            task_id=task.id,
            expires_at=expires,
        )
    )
    session.flush()
    return TaskToken(access_key=access, secret_key=secret, expires_at=expires)


def extend(session: Session, task_ids: Sequence[str], *, minutes: float) -> None:
    """The worker running these tasks is alive: their live tokens expire ``minutes`` from now."""
    if not task_ids:
        return
    t = now()
    session.execute(
        update(ApiKey)
        .where(
            ApiKey.kind == TASK,
            ApiKey.task_id.in_(list(task_ids)),
            ApiKey.revoked_at.is_(None),
            ApiKey.expires_at > t,
        )
        .values(expires_at=t + timedelta(minutes=minutes))
    )


def revoke(session: Session, task_ids: Sequence[str], *, at: datetime | None = None) -> int:
    """Revoke the live tokens of these tasks (their runs ended); returns how many.

    Each revocation is a ``key``/``revoked`` change, so streams opened with the token end.
    """
    if not task_ids:
        return 0
    t = at or now()
    keys = list(
        session.execute(
            select(ApiKey.id, ApiKey.user_id).where(
                ApiKey.kind == TASK,
                ApiKey.task_id.in_(list(task_ids)),
                ApiKey.revoked_at.is_(None),
            )
        )
    )
    if not keys:
        return 0
    session.execute(
        update(ApiKey)
        .where(ApiKey.id.in_([key_id for key_id, _ in keys]))
        .values(revoked_at=t)
        .execution_options(synchronize_session=False)
    )
    for key_id, user_id in keys:
        changes.record(session, "key", key_id, "revoked", payload={"user_id": user_id})
    return len(keys)
