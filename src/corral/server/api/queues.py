"""Queues: list, create, rename, delete, order, clear; and the workers' long-poll dequeue."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from corral.schemas.changes import ChangeOut
from corral.schemas.common import Ok
from corral.schemas.queues import (
    Cleared,
    Dequeue,
    Dequeued,
    QueueCreate,
    QueueDetail,
    QueueEntryOut,
    QueueOut,
    QueueStatPoint,
    QueueUpdate,
    Reorder,
)
from corral.schemas.tasks import TaskOut
from corral.server.api.changes import Reader
from corral.server.api.deps import AccessDep, AdminUser, CurrentPrincipal, SessionDep
from corral.server.api.guards import task_for
from corral.server.auth.policy import Access
from corral.server.auth.principal import Principal
from corral.server.db.models import Queue
from corral.server.db.unit_of_work import Notifier, write_transaction
from corral.server.services import dispatch, queues, workers

router = APIRouter(prefix="/queues", tags=["queues"])


def _detail(session: Session, key: str, access: Access) -> QueueDetail:
    queue = queues.get_queue(session, key)
    (out,) = queues.describe(session, [queue])
    visible = access.visible_projects()
    shown = [
        e if visible is None or e.project_id in visible else _hidden(e)
        for e in queues.entries(session, queue)
    ]
    return QueueDetail(**out.model_dump(), entries=shown)


def _hidden(entry: QueueEntryOut) -> QueueEntryOut:
    """A waiting task of a project the caller may not read: its place, not what it is."""
    return entry.model_copy(
        update={
            "task_id": "",
            "task_name": "(a task of a private project)",
            "project_id": None,
            "user_id": None,
        }
    )


@router.get("", response_model=list[QueueOut])
def list_queues(session: SessionDep, _principal: CurrentPrincipal) -> list[QueueOut]:
    """Every queue with its pending count, the live workers serving it, and its waits."""
    return queues.list_queues(session)


@router.post("", response_model=QueueOut, status_code=201)
def create_queue(body: QueueCreate, session: SessionDep, _admin: AdminUser) -> QueueOut:
    """Create a queue (admins)."""
    queue = queues.create_queue(session, body)
    return queues.describe(session, [queue])[0]


@router.get("/{queue}", response_model=QueueDetail)
def get_queue(queue: str, session: SessionDep, access: AccessDep) -> QueueDetail:
    """A queue (by id or name) and its waiting tasks, the next to run first.

    Tasks of projects the caller may not read keep their place but show no name or id.
    """
    return _detail(session, queue, access)


@router.patch("/{queue}", response_model=QueueOut)
def update_queue(queue: str, body: QueueUpdate, session: SessionDep, _admin: AdminUser) -> QueueOut:
    """Rename a queue or set its tags (admins; ``default`` and ``services`` keep their names)."""
    q = queues.update_queue(session, queues.get_queue(session, queue), body)
    return queues.describe(session, [q])[0]


@router.delete("/{queue}", response_model=Ok)
def delete_queue(queue: str, session: SessionDep, _admin: AdminUser, force: bool = False) -> Ok:
    """Delete a queue (admins); with pending tasks only with ``force=true`` (back to draft)."""
    queues.delete_queue(session, queues.get_queue(session, queue), force=force)
    return Ok()


@router.post("/{queue}:reorder", response_model=QueueDetail)
def reorder(queue: str, body: Reorder, session: SessionDep, access: AccessDep) -> QueueDetail:
    """Move a waiting task to ``index``: 0 runs next, -1 is the back (admins)."""
    access.require("admin")
    queues.reorder(session, queues.get_queue(session, queue), body.task_id, body.index)
    return _detail(session, queue, access)


@router.delete("/{queue}/entries/{task_id}", response_model=Ok)
def remove_entry(queue: str, task_id: str, session: SessionDep, access: AccessDep) -> Ok:
    """Take a task out of the queue; it goes back to draft (editors of the task)."""
    task_for(access, session, task_id, "write")
    queues.remove(session, queues.get_queue(session, queue), task_id)
    return Ok()


@router.post("/{queue}:clear", response_model=Cleared)
def clear(queue: str, session: SessionDep, _admin: AdminUser) -> Cleared:
    """Take every waiting task out of the queue; they go back to draft (admins)."""
    return Cleared(removed=queues.clear(session, queues.get_queue(session, queue)))


@router.get("/{queue}/stats", response_model=list[QueueStatPoint])
def queue_stats(
    queue: str,
    session: SessionDep,
    _principal: CurrentPrincipal,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> list[QueueStatPoint]:
    """The queue's length after each enqueue and dequeue, with each dequeued task's wait."""
    rows = queues.stats(session, queues.get_queue(session, queue), since, limit)
    return [QueueStatPoint.model_validate(r) for r in rows]


# --- the workers' dequeue ------------------------------------------------------------------


class _Taker:
    """One dequeue attempt per call, each in a short transaction of its own (worker threads)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        body: Dequeue,
        caller: Principal,
        notifier: Notifier,
        token_minutes: float,
    ) -> None:
        self.factory = factory
        self.body = body
        self.caller = caller
        self.notifier = notifier
        self.token_minutes = token_minutes
        self.queue_ids: list[str] = []

    def check(self) -> None:
        """Not an agent's account, an unknown worker or another account's, an unknown
        queue: a 4xx before any wait. Resolves the queues once."""
        with self.factory() as session:
            Access(session, self.caller).require("work")
            worker = dispatch.live_worker(session, self.body.worker)
            workers.check_owner(worker, self.caller)
            self.queue_ids = [q.id for q in queues.get_queues(session, self.body.queues)]

    def attempt(self) -> Dequeued | None:
        with self.factory() as session:
            if not dispatch.has_waiting(session, self.queue_ids):
                return None
        with write_transaction(
            self.factory, notifier=self.notifier, user_id=self.caller.user_id
        ) as session:
            worker = dispatch.live_worker(session, self.body.worker)
            # a queue deleted since the poll began is skipped
            found = [session.get(Queue, queue_id) for queue_id in self.queue_ids]
            lease = dispatch.take(
                session,
                worker,
                [q for q in found if q is not None],
                token_minutes=self.token_minutes,
            )
            if lease is None:
                return None
            return Dequeued(
                task=TaskOut.model_validate(lease.task), queue=lease.queue.name, token=lease.token
            )


@router.post(":dequeue", response_model=Dequeued)
async def dequeue(request: Request, user: Reader, body: Annotated[Dequeue, Body()]) -> Dequeued:
    """A worker takes the next task of the first non-empty queue (in the order given).

    The task is leased to the worker: it stays ``queued`` until the worker starts it
    (``POST /tasks/{id}:start`` with ``worker``). With ``wait``, an empty answer is held
    until a task arrives (at most ``wait`` seconds). Each task goes to one worker only.
    The answer's ``token`` is the key the task's process uses (it acts as the task's
    owner); it is shown only here. Needs ``work`` (an agent's account or an admin).
    """
    notifier = request.app.state.changes_notifier
    minutes = request.app.state.settings.task_token_minutes
    taker = _Taker(request.app.state.sessionmaker, body, user, notifier, minutes)
    await run_in_threadpool(taker.check)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + body.wait
    # Watching starts before the first attempt: a task enqueued after that attempt
    # looked is seen by the process's change feed, which wakes this waiter.
    with request.app.state.change_feed.watch(_may_free_a_task) as woken:
        while True:
            if await request.is_disconnected():
                # the worker went away: leasing it a task now would only delay the task
                return Dequeued()
            # a busy database is a 503 (the unit of work maps it): the worker retries
            got = await run_in_threadpool(taker.attempt)
            remaining = deadline - loop.time()
            if got is not None:
                return got
            if remaining <= 0 or notifier.closed:
                return Dequeued()
            await woken.wait(min(RECHECK_INTERVAL, remaining))


#: seconds between two attempts of a waiting dequeue that no change woke: a safety net
#: for an entry released without a change (a PostgreSQL transaction that took it with
#: SKIP LOCKED, then rolled back)
RECHECK_INTERVAL = 5.0


#: task changes after which a worker may get a task: one arrived in a queue, or one
#: stopped running, so that a task a running-task quota held back may go now
_FREEING = frozenset(
    {"enqueued", "requeued", "completed", "failed", "stopped", "aborted", "reset", "deleted"}
)


def _may_free_a_task(change: ChangeOut) -> bool:
    """A change after which a queue may hold a task for a waiting worker."""
    if change.entity_type == "task":
        return change.action in _FREEING
    return change.entity_type in ("queue", "quota")
