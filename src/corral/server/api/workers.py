"""Workers (agents): register, heartbeat, unregister, list, and their statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from corral.schemas.common import Ok
from corral.schemas.queues import (
    Heartbeat,
    HeartbeatReply,
    WorkerOut,
    WorkerRegister,
    WorkerStatOut,
)
from corral.server.api.deps import CurrentUser, SessionDep, SettingsDep
from corral.server.services import workers

router = APIRouter(prefix="/workers", tags=["workers"])


@router.get("", response_model=list[WorkerOut])
def list_workers(
    session: SessionDep, _user: CurrentUser, include_gone: bool = False
) -> list[WorkerOut]:
    """Live workers with their current tasks and latest statistics (``include_gone`` for all)."""
    return workers.list_workers(session, include_gone=include_gone)


@router.post("", response_model=WorkerOut, status_code=201)
def register(
    body: WorkerRegister,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> WorkerOut:
    """Register a worker (or bring back a gone one). A live worker with this id is a 409."""
    ip = request.client.host if request.client else None
    worker = workers.register(session, body, user, ip, settings.worker_timeout)
    return workers.describe(session, [worker])[0]


@router.get("/{worker_id}", response_model=WorkerOut)
def get_worker(worker_id: str, session: SessionDep, _user: CurrentUser) -> WorkerOut:
    return workers.describe(session, [workers.get_worker(session, worker_id)])[0]


@router.delete("/{worker_id}", response_model=Ok)
def unregister(worker_id: str, session: SessionDep, _user: CurrentUser) -> Ok:
    """The worker stops: its leased tasks go back to their queues, running ones end failed."""
    workers.unregister(session, worker_id)
    return Ok()


@router.post("/{worker_id}:heartbeat", response_model=HeartbeatReply)
def heartbeat(
    worker_id: str,
    session: SessionDep,
    _user: CurrentUser,
    body: Annotated[Heartbeat, Body(default_factory=Heartbeat)],
) -> HeartbeatReply:
    """The worker lives; ``stats`` are kept for charts. The reply gives each held task's status.

    A worker marked gone gets a 409 and registers again.
    """
    return HeartbeatReply(tasks=workers.heartbeat(session, worker_id, body))


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
