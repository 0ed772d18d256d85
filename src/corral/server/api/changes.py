"""The change log: read after a cursor, long-poll for what comes next, or stream it (SSE).

Every reader keeps a cursor (a change id). ``GET /changes`` answers at once, or with
``wait`` holds the request until a change arrives; ``GET /changes/stream`` pushes
changes as Server-Sent Events. Both wake as soon as a change commits in this process
(``ChangesNotifier``) and re-query every ``POLL_INTERVAL`` seconds, which is how
changes committed by other server processes (PostgreSQL) are seen.

Waiting never holds a database transaction: these endpoints authenticate in a short
session of their own (``reader``), and each query runs in a worker thread with a
session that is closed before the next wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import StringConstraints
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from corral.errors import ValidationError
from corral.schemas.changes import (
    CHANGES_PAGE_MAX,
    CHANGES_WAIT_MAX,
    ChangeCursor,
    ChangeOut,
    ChangePage,
)
from corral.server.api.deps import authenticate
from corral.server.db.models import User
from corral.server.services import changes

router = APIRouter(prefix="/changes", tags=["changes"])

#: seconds between re-queries while waiting (changes from other server processes)
POLL_INTERVAL = 0.5
#: changes sent per query by the stream; a backlog is sent in batches of this size
STREAM_BATCH = 500
#: how long an SSE client waits before reconnecting, in milliseconds
RETRY_MS = 2000

CursorParam = Annotated[
    str | None,
    Query(
        max_length=20,
        pattern=r"^(\d+|latest)$",
        description="a change id (changes after it), or 'latest' to start at the end",
    ),
]
FilterParam = Annotated[str | None, Query(max_length=255)]
#: one entity or several (``?entity_id=a&entity_id=b``): a reader that follows a few tasks
IdsParam = Annotated[list[Annotated[str, StringConstraints(max_length=255)]], Query(max_length=200)]


def reader(request: Request) -> User:
    """``CurrentUser`` for endpoints that wait: authenticate in a session of its own.

    ``CurrentUser`` depends on the request's transaction (``SessionDep``), which would
    stay open (a pooled connection, a SQLite read snapshot) for the whole wait. Here
    the session is closed before the endpoint starts.
    """
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory() as session:
        user = authenticate(request, session)
    request.state.user_id = user.id
    return user


Reader = Annotated[User, Depends(reader)]


@dataclass(frozen=True)
class _Query:
    factory: sessionmaker[Session]
    entity_type: str | None
    entity_id: list[str]
    project_id: str | None

    def read(self, cursor: int, limit: int) -> tuple[list[ChangeOut], int]:
        """Changes after ``cursor`` and the cursor to go on from (see ``changes.since``).

        Runs in a worker thread; the session ends here.
        """
        with self.factory() as session:
            rows, next_cursor = changes.since(
                session,
                cursor,
                limit=limit,
                entity_type=self.entity_type,
                entity_id=self.entity_id,
                project_id=self.project_id,
            )
            return [ChangeOut.model_validate(r) for r in rows], next_cursor

    def latest(self) -> int:
        with self.factory() as session:
            return changes.latest_id(session)


def _stopping(notifier: Any) -> bool:
    # A notifier closed by the server's shutdown ends every wait and stream at once.
    return bool(getattr(notifier, "closed", False))


async def _start(q: _Query, cursor: str | None, default: str) -> int:
    value = cursor if cursor is not None else default
    if value == "latest":
        return await run_in_threadpool(q.latest)
    try:
        start = int(value)
    except ValueError:
        start = -1
    if start < 0:
        raise ValidationError(f"invalid cursor {value!r}: use a change id (0 or more) or 'latest'")
    return start


@router.get("", response_model=ChangePage)
async def list_changes(
    request: Request,
    _user: Reader,
    cursor: CursorParam = None,
    limit: Annotated[int, Query(ge=1, le=CHANGES_PAGE_MAX)] = 100,
    entity_type: FilterParam = None,
    entity_id: IdsParam = [],
    project_id: FilterParam = None,
    wait: Annotated[float, Query(ge=0, le=CHANGES_WAIT_MAX)] = 0,
) -> ChangePage:
    """Changes after ``cursor``, oldest first (from the beginning when omitted).

    With ``wait`` (seconds) and nothing new, the request is held until a matching
    change arrives or ``wait`` expires (then ``items`` is empty). Pass ``next_cursor``
    back as the next ``cursor``: past the last item, or past changes that did not
    match the filters.

    Example: ``GET /api/v1/changes?cursor=120&entity_type=task&wait=30``
    """
    q = _Query(request.app.state.sessionmaker, entity_type, entity_id, project_id)
    notifier = request.app.state.changes_notifier
    start = await _start(q, cursor, default="0")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        items, start = await run_in_threadpool(q.read, start, limit)
        remaining = deadline - loop.time()
        if items or remaining <= 0 or _stopping(notifier) or await request.is_disconnected():
            break
        await notifier.wait(min(POLL_INTERVAL, remaining))
    return ChangePage(items=items, next_cursor=start)


@router.get("/latest", response_model=ChangeCursor)
async def latest_change(request: Request, _user: Reader) -> ChangeCursor:
    """The cursor of the newest change: a new reader starts here to see only what follows."""
    q = _Query(request.app.state.sessionmaker, None, [], None)
    return ChangeCursor(cursor=await run_in_threadpool(q.latest))


def _event(change: ChangeOut) -> str:
    return f"id: {change.id}\nevent: change\ndata: {change.model_dump_json()}\n\n"


async def _events(request: Request, q: _Query, cursor: int, heartbeat: float) -> AsyncIterator[str]:
    notifier = request.app.state.changes_notifier
    loop = asyncio.get_running_loop()
    yield f"retry: {RETRY_MS}\n: connected\n\n"
    quiet_since = loop.time()
    while not _stopping(notifier) and not await request.is_disconnected():
        items, cursor = await run_in_threadpool(q.read, cursor, STREAM_BATCH)
        if items:
            yield "".join(_event(c) for c in items)
            quiet_since = loop.time()
            if len(items) == STREAM_BATCH:
                continue  # a backlog: send the rest before waiting
        elif loop.time() - quiet_since >= heartbeat:
            # keeps proxies from closing an idle connection, and notices a gone client
            yield ": keep-alive\n\n"
            quiet_since = loop.time()
        until_heartbeat = heartbeat - (loop.time() - quiet_since)
        await notifier.wait(max(0.0, min(POLL_INTERVAL, until_heartbeat)))


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "SSE stream"}},
)
async def stream_changes(
    request: Request,
    _user: Reader,
    cursor: CursorParam = None,
    entity_type: FilterParam = None,
    entity_id: IdsParam = [],
    project_id: FilterParam = None,
    heartbeat: Annotated[float, Query(ge=1, le=60)] = 15,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    """Changes as Server-Sent Events: ``id: <change id>``, ``event: change``, ``data: <json>``.

    Starts after the ``Last-Event-ID`` header (sent by a reconnecting ``EventSource``),
    else after ``cursor``, else at the end (only new changes). A ``: keep-alive``
    comment is sent after ``heartbeat`` seconds without changes.
    """
    q = _Query(request.app.state.sessionmaker, entity_type, entity_id, project_id)
    start = await _start(q, last_event_id or cursor, default="latest")
    return StreamingResponse(
        _events(request, q, start, heartbeat),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
