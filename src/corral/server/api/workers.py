"""Workers (agents): register, heartbeat, unregister, list, and their statistics.

The agent calls (register, heartbeat, unregister, a lost task token) need ``work``:
an account with the role ``worker`` (or an admin) and a full key; a worker is
driven only by the account that registered it. Every user may list the workers;
the tasks they show are only those the caller may read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request
from sqlalchemy.orm import Session

from corral.schemas.common import Ok
from corral.schemas.queues import (
    Heartbeat,
    HeartbeatReply,
    TaskToken,
    TokenRequest,
    WorkerOut,
    WorkerRegister,
    WorkerStatOut,
)
from corral.server.api.deps import (
    AccessDep,
    CurrentUser,
    SessionDep,
    SettingsDep,
    request_address,
)
from corral.server.auth.policy import Access
from corral.server.db.models import Worker
from corral.server.services import dispatch, workers
from corral.server.services.clock import now

router = APIRouter(prefix="/workers", tags=["workers"])


def _own_worker(session: Session, access: Access, worker_id: str, *, live: bool) -> Worker:
    access.require("work")
    worker = (
        dispatch.live_worker(session, worker_id) if live else workers.get_worker(session, worker_id)
    )
    workers.check_owner(worker, access.principal)
    return worker


@router.get("", response_model=list[WorkerOut])
def list_workers(
    session: SessionDep, access: AccessDep, include_gone: bool = False
) -> list[WorkerOut]:
    """Live workers with their current tasks and latest statistics (``include_gone`` for all)."""
    return workers.list_workers(
        session, include_gone=include_gone, shown=lambda t: access.can("read", t)
    )


@router.post("", response_model=WorkerOut, status_code=201)
def register(
    body: WorkerRegister,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    access: AccessDep,
    user: CurrentUser,
) -> WorkerOut:
    """Register a worker (or bring back a gone one). A live worker with this id is a 409.

    Needs an agent's account (role ``worker``) or an admin.
    """
    access.require("work")
    worker = workers.register(
        session, body, user, request_address(request), settings.worker_timeout
    )
    return workers.describe(session, [worker])[0]


@router.get("/{worker_id}", response_model=WorkerOut)
def get_worker(worker_id: str, session: SessionDep, access: AccessDep) -> WorkerOut:
    worker = workers.get_worker(session, worker_id)
    return workers.describe(session, [worker], lambda t: access.can("read", t))[0]


@router.delete("/{worker_id}", response_model=Ok)
def unregister(worker_id: str, session: SessionDep, access: AccessDep) -> Ok:
    """The worker stops: its leased tasks go back to their queues, running ones end failed."""
    workers.unregister(session, _own_worker(session, access, worker_id, live=False))
    return Ok()


@router.post("/{worker_id}:heartbeat", response_model=HeartbeatReply)
def heartbeat(
    worker_id: str,
    session: SessionDep,
    settings: SettingsDep,
    access: AccessDep,
    body: Annotated[Heartbeat, Body(default_factory=Heartbeat)],
) -> HeartbeatReply:
    """The worker lives; ``stats`` are kept for charts. The reply gives each held task's status.

    The tokens of the tasks the worker holds are extended. A worker marked gone gets a
    409 and registers again.
    """
    worker = _own_worker(session, access, worker_id, live=True)
    held = workers.heartbeat(session, worker, body, token_minutes=settings.task_token_minutes)
    return HeartbeatReply(tasks=held)


@router.post("/{worker_id}:token", response_model=TaskToken)
def reissue_token(
    worker_id: str,
    body: TokenRequest,
    session: SessionDep,
    settings: SettingsDep,
    access: AccessDep,
) -> TaskToken:
    """A new token for a task leased to this worker whose dequeue answer never arrived.

    The task's earlier tokens are revoked. 404 when the task is not this worker's.
    """
    worker = _own_worker(session, access, worker_id, live=True)
    worker.last_heartbeat = now()
    return dispatch.reissue(
        session, worker, body.task_id, token_minutes=settings.task_token_minutes
    )


@router.get("/{worker_id}/stats", response_model=list[WorkerStatOut])
def worker_stats(
    worker_id: str,
    session: SessionDep,
    _user: CurrentUser,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200_000)] = 10_000,
    points: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> list[WorkerStatOut]:
    """Machine statistics sent with the heartbeats, oldest first (the newest ``limit``).

    ``points``: at most this many samples, each the mean of a run of consecutive ones
    (GPUs per index), for charts of long windows (a week of 5 s heartbeats is 121k).
    """
    worker = workers.get_worker(session, worker_id)
    return workers.stats(session, worker, since, until, limit, points)
