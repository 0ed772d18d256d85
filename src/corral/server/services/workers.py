"""Workers: register, heartbeat (with machine statistics), unregister, and what they run.

A worker belongs to the account that registered it (``Worker.user_id``): only that
account (or an admin) heartbeats, dequeues for and unregisters it. Each heartbeat
extends the tokens of the tasks the worker holds (``task_tokens.extend``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from corral.core.task_status import S
from corral.errors import ConflictError, NotFoundError, PermissionDeniedError
from corral.schemas.queues import (
    Heartbeat,
    MachineStats,
    WorkerOut,
    WorkerRegister,
    WorkerStatOut,
    WorkerTask,
)
from corral.server.auth.principal import Principal
from corral.server.db.models import Task, User, Worker, WorkerStat
from corral.server.services import changes, dispatch, task_tokens
from corral.server.services.clock import now

#: the reason a task ends with when its worker unregisters while it runs
WORKER_STOPPED = "worker stopped"


def get_worker(session: Session, worker_id: str) -> Worker:
    worker = session.get(Worker, worker_id)
    if worker is None:
        raise NotFoundError(f"no worker {worker_id!r}; `corral worker list` shows the workers")
    return worker


def check_owner(worker: Worker, caller: Principal) -> None:
    """Only the account that registered a worker (or an admin) may act for it."""
    if caller.is_admin or worker.user_id == caller.user_id:
        return
    raise PermissionDeniedError(
        f"worker {worker.id!r} was registered by another account; an agent acts only for "
        "the workers it registered"
    )


def register(
    session: Session, data: WorkerRegister, user: User, ip: str | None, timeout: float
) -> Worker:
    """Register a worker, or bring back a gone one under the same id.

    A live worker (heartbeat within ``timeout``) with the same id is a conflict: two
    agents must not share an id, or each would be told about the other's tasks.
    """
    t = now()
    worker = session.get(Worker, data.id)
    fresh = t - timedelta(seconds=timeout)
    if worker is not None and worker.gone_at is None and worker.last_heartbeat >= fresh:
        raise ConflictError(
            f"a worker named {data.id!r} is running (last heartbeat "
            f"{(t - worker.last_heartbeat).total_seconds():.0f}s ago); choose another name"
        )
    if worker is None:
        worker = Worker(id=data.id, name=data.id)
        session.add(worker)
    else:
        # gone, or silent but not yet noticed: what it held is released before it starts anew
        dispatch.release(session, worker, dispatch.WORKER_LOST)
    worker.user_id = user.id
    worker.queues = list(dict.fromkeys(data.queues))
    worker.tags = list(dict.fromkeys(data.tags))
    worker.machine = data.machine
    worker.ip = ip
    worker.registered_at = t
    worker.last_heartbeat = t
    worker.gone_at = None
    worker.task_id = None
    worker.leased_at = None
    session.flush()
    changes.record(session, "worker", worker.id, "registered", payload={"queues": worker.queues})
    return worker


def heartbeat(
    session: Session, worker: Worker, data: Heartbeat, *, token_minutes: float
) -> dict[str, str]:
    """Note that the worker lives; returns the status of each task it holds.

    The tokens of the tasks it holds live ``token_minutes`` from now.
    """
    worker.last_heartbeat = now()
    if data.queues is not None:
        worker.queues = list(dict.fromkeys(data.queues))
    if data.stats is not None:
        session.add(_stat_row(worker.id, data.stats))
    held = {t.id: t.status for t in dispatch.worker_tasks(session, [worker.id])}
    task_tokens.extend(session, list(held), minutes=token_minutes)
    if worker.task_id and worker.task_id not in held:
        # the current task ended (or was aborted, reset, deleted): say so, so the agent stops it
        status = session.scalar(select(Task.status).where(Task.id == worker.task_id))
        held[worker.task_id] = status or "deleted"
    session.flush()
    return held


def _stat_row(worker_id: str, stats: MachineStats) -> WorkerStat:
    return WorkerStat(
        worker_id=worker_id,
        cpu_percent=stats.cpu_percent,
        memory_used=stats.memory_used,
        memory_total=stats.memory_total,
        gpus=[g.model_dump(exclude_none=True) for g in stats.gpus],
        net_rx=stats.net_rx,
        net_tx=stats.net_tx,
    )


def unregister(session: Session, worker: Worker) -> None:
    """The worker stops: leases go back to their queues, running tasks end failed."""
    if worker.gone_at is None:
        dispatch.release(session, worker, WORKER_STOPPED)
        worker.gone_at = now()
        changes.record(session, "worker", worker.id, "unregistered")
    session.flush()


def describe(
    session: Session,
    workers: Sequence[Worker],
    shown: Callable[[Task], bool] | None = None,
) -> list[WorkerOut]:
    """Workers with their current tasks (run time, last iteration) and latest statistics.

    ``shown(task)``: whether the caller may see a task (those it may not read are left out).
    """
    ids = [w.id for w in workers]
    held: dict[str, list[WorkerTask]] = {}
    t = now()
    for task in dispatch.worker_tasks(session, ids):
        if shown is not None and not shown(task):
            continue
        started = task.started_at
        held.setdefault(task.worker or "", []).append(
            WorkerTask(
                id=task.id,
                name=task.name,
                status=task.status,
                queue_id=task.queue_id,
                started_at=started,
                run_time=(t - started).total_seconds()
                if started and task.status == S.in_progress
                else None,
                last_iteration=task.last_iteration,
            )
        )
    # the newest sample of each worker in one query (ids grow with time)
    newest = (
        select(func.max(WorkerStat.id))
        .where(WorkerStat.worker_id.in_(ids))
        .group_by(WorkerStat.worker_id)
    )
    latest = {
        st.worker_id: st
        for st in session.scalars(select(WorkerStat).where(WorkerStat.id.in_(newest)))
    }
    out = []
    for w in workers:
        last = latest.get(w.id)
        out.append(
            WorkerOut(
                id=w.id,
                user_id=w.user_id,
                queues=list(w.queues),
                tags=list(w.tags),
                ip=w.ip,
                registered_at=w.registered_at,
                last_heartbeat=w.last_heartbeat,
                gone_at=w.gone_at,
                machine=dict(w.machine),
                tasks=held.get(w.id, []) if w.gone_at is None else [],
                last_stats=WorkerStatOut.model_validate(last) if last is not None else None,
            )
        )
    return out


def list_workers(
    session: Session, *, include_gone: bool, shown: Callable[[Task], bool] | None = None
) -> list[WorkerOut]:
    q = select(Worker).order_by(Worker.id)
    if not include_gone:
        q = q.where(Worker.gone_at.is_(None))
    return describe(session, list(session.scalars(q)), shown)


#: what a chart reads of each sample
_STAT_COLUMNS = (
    WorkerStat.time,
    WorkerStat.cpu_percent,
    WorkerStat.memory_used,
    WorkerStat.memory_total,
    WorkerStat.gpus,
    WorkerStat.net_rx,
    WorkerStat.net_tx,
)


def stats(
    session: Session,
    worker: Worker,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    points: int | None = None,
) -> list[WorkerStatOut]:
    """The newest ``limit`` samples in the window, oldest first.

    With ``points``, runs of consecutive samples are averaged so that at most ``points``
    remain (each at the time of its run's last sample): a week of heartbeats fits a chart.
    """
    q = select(*_STAT_COLUMNS).where(WorkerStat.worker_id == worker.id)
    if since is not None:
        q = q.where(WorkerStat.time >= since)
    if until is not None:
        q = q.where(WorkerStat.time <= until)
    q = q.order_by(WorkerStat.time.desc(), WorkerStat.id.desc()).limit(limit)
    rows = list(session.execute(q))[::-1]
    if points is None or len(rows) <= points:
        return [WorkerStatOut(**row._asdict()) for row in rows]
    n = len(rows)
    starts = [i * n // points for i in range(points)] + [n]
    return [_average(rows[a:b]) for a, b in pairwise(starts)]


def _mean(values: Iterable[Any]) -> float | None:
    """The mean of the numbers among ``values`` (None when there are none)."""
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return sum(numbers) / len(numbers) if numbers else None


def _int(value: float | None) -> int | None:
    return None if value is None else round(value)


def _average(run: Sequence[Any]) -> WorkerStatOut:
    """One sample for a run of consecutive ones: the mean of each figure, per GPU index."""
    gpus: dict[Any, list[dict[str, Any]]] = {}
    for sample in run:
        for gpu in sample.gpus:
            gpus.setdefault(gpu.get("index"), []).append(gpu)
    averaged = []
    for index, same in gpus.items():
        merged: dict[str, Any] = {
            "index": index,
            "name": next((g["name"] for g in same if g.get("name")), None),
        }
        for key in ("utilization", "temperature"):
            merged[key] = _mean(g.get(key) for g in same)
        for key in ("memory_used", "memory_total"):
            merged[key] = _int(_mean(g.get(key) for g in same))
        averaged.append({k: v for k, v in merged.items() if v is not None})
    return WorkerStatOut(
        time=run[-1].time,
        cpu_percent=_mean(s.cpu_percent for s in run),
        memory_used=_int(_mean(s.memory_used for s in run)),
        memory_total=_int(_mean(s.memory_total for s in run)),
        gpus=averaged,
        net_rx=_mean(s.net_rx for s in run),
        net_tx=_mean(s.net_tx for s in run),
    )
