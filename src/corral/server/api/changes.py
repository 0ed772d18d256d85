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
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import StringConstraints
from starlette.concurrency import run_in_threadpool

from corral.errors import ValidationError
from corral.schemas.changes import (
    CHANGES_PAGE_MAX,
    CHANGES_WAIT_MAX,
    ChangeCursor,
    ChangePage,
)
from corral.server.api.deps import get_principal
from corral.server.auth.principal import Principal
from corral.server.background.change_feed import ChangeFeed, ChangeFilter, ChangeReader

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


Reader = Annotated[Principal, Depends(reader)]


def _feed(request: Request) -> ChangeFeed:
    feed: ChangeFeed = request.app.state.change_feed
    return feed


def _filter(entity_type: str | None, entity_id: list[str], project_id: str | None) -> ChangeFilter:
    return ChangeFilter(entity_type or None, frozenset(entity_id), project_id or None)


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
    feed = _feed(request)
    flt = _filter(entity_type, entity_id, project_id)
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
                entries
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


async def _events(changes: ChangeReader, notifier: Any, heartbeat: float) -> AsyncIterator[bytes]:
    # A client that goes away cancels this generator (Starlette listens for the
    # disconnect); the subscription is released in ``finally``.
    loop = asyncio.get_running_loop()
    try:
        yield f"retry: {RETRY_MS}\n: connected\n\n".encode()
        quiet_since = loop.time()
        while not _stopping(notifier):
            until_heartbeat = heartbeat - (loop.time() - quiet_since)
            entries, _ = await changes.read(STREAM_BATCH, max(0.0, until_heartbeat))
            if entries:
                # rendered once per change for every stream that sends it
                yield b"".join(e.sse for e in entries)
                quiet_since = loop.time()
            elif loop.time() - quiet_since >= heartbeat:
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
    feed = _feed(request)
    start = await _start(feed, last_event_id or cursor, default="latest")
    changes = ChangeReader(feed, _filter(entity_type, entity_id, project_id), start)
    return StreamingResponse(
        _events(changes, feed.notifier, heartbeat),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
