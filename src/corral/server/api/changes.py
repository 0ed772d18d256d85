"""The change log: read after a cursor, long-poll for what comes next, or stream it (SSE).

Every reader keeps a cursor (a change id). ``GET /changes`` answers at once, or with
``wait`` holds the request until a change arrives; ``GET /changes/stream`` pushes
changes as Server-Sent Events. Waiting readers do not query the database: the
process's one ``ChangeFeed`` reads each new change once and hands it to them (a
reader far behind catches up from the database first).

Waiting never holds a database transaction: these endpoints authenticate in a short
session of their own (``reader``), and each query runs in a worker thread with a
session that is closed before the next wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
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
    ChangePage,
)
from corral.server.api.deps import credential_valid, get_principal
from corral.server.auth.principal import Principal
from corral.server.auth.streams import StreamScope
from corral.server.background.change_feed import ChangeFeed, ChangeFilter, ChangeReader
from corral.server.services import changes as change_log

router = APIRouter(prefix="/changes", tags=["changes"])

#: changes sent per write by the stream; a backlog is sent in batches of this size
STREAM_BATCH = 500
#: how long an SSE client waits before reconnecting, in milliseconds
RETRY_MS = 2000
#: seconds between two checks, during a long-poll, that its client is still there
DISCONNECT_CHECK = 5.0

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


def reader(request: Request) -> Principal:
    """``CurrentUser`` for endpoints that wait: authenticate in a session of its own.

    ``CurrentUser`` depends on the request's transaction (``SessionDep``), which would
    stay open (a pooled connection, a SQLite read snapshot) for the whole wait. Here
    the session is closed before the endpoint starts.
    """
    return get_principal(request)


reader.authenticates = True  # type: ignore[attr-defined]


Reader = Annotated[Principal, Depends(reader)]


def _feed(request: Request) -> ChangeFeed:
    feed: ChangeFeed = request.app.state.change_feed
    return feed


def _filter(
    entity_type: str | None, entity_id: list[str], project_id: str | None, scope: StreamScope
) -> ChangeFilter:
    return ChangeFilter(entity_type or None, frozenset(entity_id), project_id or None, scope)


async def _scope(request: Request, principal: Principal) -> StreamScope:
    """What this reader may see, computed once (in a worker thread, a short session)."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    public_role = request.app.state.settings.public_project_role

    def compute() -> StreamScope:
        with factory() as session:
            since = change_log.latest_id(session)
            return StreamScope.compute(session, principal, public_role, since)

    return await run_in_threadpool(compute)


def _stopping(notifier: Any) -> bool:
    # A notifier closed by the server's shutdown ends every wait and stream at once.
    return bool(getattr(notifier, "closed", False))


async def _start(feed: ChangeFeed, cursor: str | None, default: str) -> int:
    value = cursor if cursor is not None else default
    if value == "latest":
        # the database, not the feed's head: a change this client just made is included
        return await run_in_threadpool(feed.latest)
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
    principal: Reader,
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
    feed = _feed(request)
    scope = await _scope(request, principal)
    flt = _filter(entity_type, entity_id, project_id, scope)
    start = await _start(feed, cursor, default="0")
    if wait <= 0:
        # an answer at once reads the database: it includes what this client just wrote
        entries, start = await run_in_threadpool(feed.read, flt, start, limit)
        return ChangePage(items=[e.change for e in entries], next_cursor=start)
    changes = ChangeReader(feed, flt, start)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    try:
        while True:
            remaining = deadline - loop.time()
            entries, start = await changes.read(limit, max(0.0, min(DISCONNECT_CHECK, remaining)))
            if (
                scope.ended
                or entries
                or remaining <= DISCONNECT_CHECK
                or _stopping(feed.notifier)
                or await request.is_disconnected()
            ):
                break
    finally:
        changes.close()
    return ChangePage(items=[e.change for e in entries], next_cursor=start)


@router.get("/latest", response_model=ChangeCursor)
async def latest_change(request: Request, _user: Reader) -> ChangeCursor:
    """The cursor of the newest change: a new reader starts here to see only what follows."""
    return ChangeCursor(cursor=await run_in_threadpool(_feed(request).latest))


async def _events(
    changes: ChangeReader,
    notifier: Any,
    heartbeat: float,
    scope: StreamScope,
    still_valid: Callable[[], bool],
) -> AsyncIterator[bytes]:
    # A client that goes away cancels this generator (Starlette listens for the
    # disconnect); the subscription is released in ``finally``.
    loop = asyncio.get_running_loop()
    try:
        yield f"retry: {RETRY_MS}\n: connected\n\n".encode()
        quiet_since = loop.time()
        while not _stopping(notifier):
            until_heartbeat = heartbeat - (loop.time() - quiet_since)
            entries, _ = await changes.read(STREAM_BATCH, max(0.0, until_heartbeat))
            if scope.ended:
                # the credential was revoked or what it may see changed: the client
                # reconnects (and is asked to authenticate, or gets its new view)
                yield b"".join(e.sse for e in entries) + f": end: {scope.ended}\n\n".encode()
                return
            if entries:
                # rendered once per change for every stream that sends it
                yield b"".join(e.sse for e in entries)
                quiet_since = loop.time()
            elif loop.time() - quiet_since >= heartbeat:
                # the credential may have expired or been revoked in another hub process
                if not await run_in_threadpool(still_valid):
                    yield b": end: the credential is no longer valid\n\n"
                    return
                # keeps proxies from closing an idle connection, and notices a gone client
                yield b": keep-alive\n\n"
                quiet_since = loop.time()
    finally:
        changes.close()


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "SSE stream"}},
)
async def stream_changes(
    request: Request,
    principal: Reader,
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

    Only changes of projects the caller may read are sent. The stream ends when the
    caller's key or session is revoked or its account changes, and (for non-admins)
    when what it may see changes; an ``EventSource`` then reconnects.
    """
    feed = _feed(request)
    scope = await _scope(request, principal)
    start = await _start(feed, last_event_id or cursor, default="latest")
    changes = ChangeReader(feed, _filter(entity_type, entity_id, project_id, scope), start)
    factory: sessionmaker[Session] = request.app.state.sessionmaker

    def still_valid() -> bool:
        with factory() as session:
            return credential_valid(session, principal)

    return StreamingResponse(
        _events(changes, feed.notifier, heartbeat, scope, still_valid),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
