"""The hub's file store over HTTP: ``/files/{path}`` for one file, ``/files?prefix=`` to list.

* ``PUT /files/{path}`` streams the request body into the store: any size up to
  ``CORRAL_LIMIT_FILE_BYTES`` (else 413), 201 when created, 200 when it replaced a
  file, with ``{path, size, sha256, uri}``. With ``X-Content-SHA256`` the content
  is checked (422 on a mismatch). The file appears at once, whole; a failed or
  refused upload leaves nothing behind. Parent directories are created; a path
  under a file, or onto a directory, is 409.
* ``GET``/``HEAD /files/{path}`` streams a file, with ``ETag``, ``Last-Modified``
  and a single ``Range`` (``bytes=a-b``, ``bytes=a-``, ``bytes=-n``): 206 with
  ``Content-Range``, or 416 with ``Content-Range: bytes */size`` when it lies past
  the end. A request for several ranges, or a ``Range`` it cannot parse, gets the
  whole file (200), as RFC 9110 allows; so does a stale ``If-Range``.
  ``?download=1`` adds ``Content-Disposition: attachment``. A download keeps
  reading the version it opened even if the file is replaced meanwhile.
* ``GET /files?prefix=dir/&recursive=false&limit=500&cursor=`` lists a directory
  (``prefix`` names it, ``""`` is the root, a missing one lists nothing): its
  files and subdirectories, or with ``recursive=true`` every file below it. Items
  ``{path, size, modified, is_dir}`` sort by path; pass ``next_cursor`` back as
  ``cursor`` for the next page. ``limit`` is at most ``CORRAL_LIMIT_PAGE_SIZE``.
* ``DELETE /files/{path}`` deletes a file or an empty directory; a directory with
  files needs ``recursive=true`` (else 409). Missing: 404. The root: 422.

Paths are checked by ``storage.paths.check_path`` (422 for anything that could
leave the store). Every endpoint needs a user; any user may write.

Storage quotas (``services.quotas``): each upload is noted (path, user, project,
size) in ``StoredObject``; an upload that would take the user (or one of their
teams) over a storage quota is refused with 403 "Quota exceeded" before any byte is
stored when ``Content-Length`` says so, else as soon as the body grows past the room
left; nothing is stored either way. A delete drops the notes of what it removed.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import AsyncIterator
from contextlib import contextmanager
from email.utils import formatdate
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from corral.errors import (
    PayloadTooLargeError,
    PermissionDeniedError,
    RangeNotSatisfiableError,
    ValidationError,
)
from corral.schemas.common import Ok, Page
from corral.schemas.files import FileEntry, FileOut
from corral.server.api.deps import current_principal, get_session
from corral.server.api.guards import readable_paths, require_path
from corral.server.auth.policy import Access, Action
from corral.server.auth.principal import Principal
from corral.server.db.unit_of_work import write_transaction
from corral.server.services import quotas, stored_files
from corral.server.storage import (
    PATH_MAX,
    FileInfo,
    FileStore,
    StoredFile,
    decode_cursor,
    encode_cursor,
)
from corral.server.storage.uris import hub_uri

router = APIRouter(tags=["files"])

#: bytes per disk write and per response chunk
CHUNK = 1024 * 1024
#: default page of a listing (at most ``limits.page_size``)
LIST_DEFAULT = 500

#: digits of a byte position: 18 reach an exabyte
_DIGITS_MAX = 18
_RANGE = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", re.ASCII | re.IGNORECASE)


def authorize(request: Request, principal: Principal, path: str, action: Action) -> None:
    """Check ``action`` on a stored path in a short session of its own (see ``guards``)."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    settings = request.app.state.settings
    with factory() as session:
        access = Access(session, principal, public_role=settings.public_project_role)
        require_path(access, session, path, action)


def _readable_entries(
    request: Request, principal: Principal, entries: list[FileEntry]
) -> list[FileEntry]:
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    settings = request.app.state.settings
    with factory() as session:
        access = Access(session, principal, public_role=settings.public_project_role)
        keep = readable_paths(access, session, [e.path for e in entries])
    return [e for e in entries if e.path in keep]


def authorize_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise PermissionDeniedError("only an admin may delete a top-level folder of the store")


def files_user(request: Request) -> Principal:
    """``CurrentPrincipal`` in a transaction of its own, ended before the endpoint runs.

    With ``CurrentPrincipal`` the request's transaction (a write one, ``BEGIN IMMEDIATE``
    on SQLite) would stay open while a large file streams in, blocking every other
    writer. Authentication, CSRF and key bookkeeping are the same.
    """
    with contextmanager(get_session)(request) as session:
        return current_principal(request, session)


files_user.authenticates = True  # type: ignore[attr-defined]


FilesUser = Annotated[Principal, Depends(files_user)]


class _Unsatisfiable(RangeNotSatisfiableError):
    def __init__(self, size: int) -> None:
        super().__init__(f"the requested range lies outside the file's {size} bytes")
        self.headers = {"Content-Range": f"bytes */{size}"}


def _store(request: Request) -> FileStore:
    store: FileStore = request.app.state.files
    return store


def _room(request: Request, user_id: str, path: str) -> quotas.Room:
    """The room the user's storage quotas leave for a file at ``path`` (a short read)."""
    with request.app.state.sessionmaker() as session:
        return quotas.storage_room(session, user_id, path)


def _note_upload(request: Request, user_id: str, path: str, size: int, room: quotas.Room) -> None:
    """Note the stored file; one that went over the quota meanwhile is removed, and refused.

    The room was measured before the upload; uploads of the same user running at
    once may together pass it, which this second look (in the write transaction)
    catches.
    """
    state = request.app.state
    with write_transaction(state.sessionmaker, user_id=user_id) as session:
        if room.bytes is not None:
            now = quotas.storage_room(session, user_id, path)
            if now.bytes is not None and size > now.bytes:
                state.files.delete(path, recursive=False)
                raise quotas.quota_exceeded(now, size)
        stored_files.record_upload(session, path, user_id, size)


def _forget(request: Request, user_id: str, path: str, recursive: bool) -> None:
    with write_transaction(request.app.state.sessionmaker, user_id=user_id) as session:
        stored_files.forget(session, [path, path.rstrip("/") + "/"] if recursive else [path])


# --- upload ------------------------------------------------------------------------------


@router.put(
    "/files/{path:path}",
    response_model=FileOut,
    status_code=201,
    responses={200: {"model": FileOut, "description": "an existing file was replaced"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def put_file(
    path: str,
    request: Request,
    response: Response,
    principal: FilesUser,
    x_content_sha256: Annotated[
        str | None,
        Header(pattern=r"^[0-9a-fA-F]{64}$", description="the SHA-256 the content must have"),
    ] = None,
) -> FileOut:
    """Store the request body at ``path`` (201 created, 200 replaced)."""
    store = _store(request)
    await run_in_threadpool(authorize, request, principal, path, "write")
    room = await check_announced(request, store, principal.user_id, path)
    size, sha256, created = await receive(request, store, path, x_content_sha256, room)
    await run_in_threadpool(_note_upload, request, principal.user_id, path, size, room)
    if not created:
        response.status_code = 200
    return FileOut(path=path, size=size, sha256=sha256, uri=hub_uri(path))


async def check_announced(
    request: Request, store: FileStore, user_id: str, path: str
) -> quotas.Room:
    """Refuse early what ``Content-Length`` says is too large (413) or over quota (403)."""
    await run_in_threadpool(store.check_writable, path)
    announced = request.headers.get("content-length", "")
    if announced.isdecimal() and int(announced) > store.max_file_bytes:
        raise PayloadTooLargeError(f"the file exceeds the limit of {store.max_file_bytes} bytes")
    room = await run_in_threadpool(_room, request, user_id, path)
    if room.bytes is not None and announced.isdecimal() and int(announced) > room.bytes:
        raise quotas.quota_exceeded(room, int(announced))
    return room


async def receive(
    request: Request, store: FileStore, path: str, expected_sha256: str | None, room: quotas.Room
) -> tuple[int, str, bool]:
    """Stream the request body into the store at ``path``: (size, sha256, created).

    Nothing is stored when the body is cut, too large, over quota, or not of the
    expected SHA-256 (422).
    """
    upload = await run_in_threadpool(store.begin_upload)
    try:
        buffer = bytearray()
        async for chunk in request.stream():
            buffer += chunk
            if room.bytes is not None and upload.size + len(buffer) > room.bytes:
                raise quotas.quota_exceeded(room, None)
            # flush early past the limit, so that a too large body is refused at once
            if len(buffer) >= CHUNK or upload.size + len(buffer) > store.max_file_bytes:
                await run_in_threadpool(upload.write, buffer)
                buffer = bytearray()
        await run_in_threadpool(upload.write, buffer)
        created = await run_in_threadpool(upload.commit, path, expected_sha256)
    except ClientDisconnect as e:
        raise ValidationError(
            "the upload ended before the whole body came; nothing was stored"
        ) from e
    finally:
        upload.discard()  # nothing left after a commit; the temporary file otherwise
    return upload.size, upload.sha256.hexdigest(), created


# --- download ----------------------------------------------------------------------------


def _byte_range(request: Request, size: int, validators: tuple[str, str]) -> tuple[int, int] | None:
    """The one range the request asks for, as (start, end exclusive); None for all of it.

    A header it cannot use (another unit, several ranges, malformed, a stale
    ``If-Range``) is ignored, as RFC 9110 allows.
    """
    header = request.headers.get("range")
    if_range = request.headers.get("if-range")
    m = _RANGE.fullmatch(header) if header else None
    if not m or (if_range and if_range not in validators):
        return None
    first, last = _number(m[1]), _number(m[2])
    # a position longer than any file (and than int() parses quickly) past the end:
    # a start is unsatisfiable, an end or a suffix means "to the end" / "all of it"
    if len(first) > _DIGITS_MAX:
        raise _Unsatisfiable(size)
    if len(last) > _DIGITS_MAX:
        last = str(max(size, int(first or 0)))
    if not first:
        if not last:
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise _Unsatisfiable(size)
        return max(0, size - suffix), size
    start = int(first)
    if last and int(last) < start:
        return None  # "bytes=5-3" is invalid, not unsatisfiable
    if start >= size:
        raise _Unsatisfiable(size)
    return start, min(int(last) + 1, size) if last else size


def _number(digits: str) -> str:
    """The digits without their leading zeros ("" stays "", "000" is "0")."""
    return digits.lstrip("0") or digits[:1]


def _file_headers(path: str, info: FileInfo, download: bool) -> dict[str, str]:
    name = path.rsplit("/", 1)[-1]
    headers = {
        "accept-ranges": "bytes",
        "content-type": mimetypes.guess_type(name)[0] or "application/octet-stream",
        "etag": f'"{info.etag}"',
        "last-modified": formatdate(info.modified.timestamp(), usegmt=True),
        # stored HTML or SVG must not run as a page of the hub (with the UI's cookie)
        "content-security-policy": "sandbox; default-src 'none'",
        "x-content-type-options": "nosniff",
    }
    if download:
        headers["content-disposition"] = f"attachment; filename*=UTF-8''{quote(name, safe='')}"
    return headers


async def _chunks(f: StoredFile, start: int, end: int) -> AsyncIterator[bytes]:
    try:
        position = start
        while position < end:
            data = await run_in_threadpool(f.read, position, min(CHUNK, end - position))
            if not data:
                break  # truncated by hand meanwhile (uploads replace, never truncate)
            position += len(data)
            yield data
    finally:
        f.close()


@router.get(
    "/files/{path:path}",
    response_class=Response,
    responses={
        200: {"description": "the file", "content": {"application/octet-stream": {}}},
        206: {"description": "the one range asked for"},
        416: {"description": "the range lies past the end of the file"},
    },
)
@router.head("/files/{path:path}", response_class=Response)
async def get_file(
    path: str,
    request: Request,
    principal: FilesUser,
    download: Annotated[bool, Query(description="add Content-Disposition: attachment")] = False,
) -> Response:
    """Stream the file at ``path`` (a single ``Range`` gives 206)."""
    await run_in_threadpool(authorize, request, principal, path, "read")
    return await send(request, path, download)


async def send(request: Request, path: str, download: bool = False) -> Response:
    """The stored file at ``path`` as the response (a single ``Range`` gives 206)."""
    f = await run_in_threadpool(_store(request).open, path)
    size = f.info.size
    try:
        headers = _file_headers(path, f.info, download)
        span = _byte_range(request, size, (headers["etag"], headers["last-modified"]))
    except BaseException:
        f.close()
        raise
    status, (start, end) = 200, (0, size)
    if span is not None:
        status, (start, end) = 206, span
        headers["content-range"] = f"bytes {start}-{end - 1}/{size}"
    headers["content-length"] = str(end - start)
    if request.method == "HEAD":
        f.close()
        return Response(status_code=status, headers=headers)
    return StreamingResponse(_chunks(f, start, end), status_code=status, headers=headers)


# --- list and delete ---------------------------------------------------------------------


@router.get("/files", response_model=Page[FileEntry])
def list_files(
    request: Request,
    principal: FilesUser,
    prefix: Annotated[
        str, Query(max_length=PATH_MAX + 1, description="the directory to list; '' is the root")
    ] = "",
    recursive: bool = False,
    limit: Annotated[int | None, Query(ge=1, description="at most limits.page_size")] = None,
    cursor: Annotated[str | None, Query(max_length=4 * PATH_MAX)] = None,
) -> Page[FileEntry]:
    """List a directory's entries (or, ``recursive``, every file below it) by path."""
    page_size = request.app.state.settings.limits.page_size
    if limit is None:
        limit = min(LIST_DEFAULT, page_size)
    elif limit > page_size:
        raise ValidationError(f"limit must be at most {page_size}")
    after = decode_cursor(cursor) if cursor else None
    if prefix.strip("/"):
        authorize(request, principal, prefix, "read")
    entries, more = _store(request).list_dir(prefix, recursive=recursive, limit=limit, after=after)
    next_cursor = encode_cursor(entries[-1].path) if more else None
    items = _readable_entries(request, principal, [FileEntry.model_validate(e) for e in entries])
    return Page(items=items, next_cursor=next_cursor)


@router.delete("/files/{path:path}", response_model=Ok)
def delete_file(path: str, request: Request, principal: FilesUser, recursive: bool = False) -> Ok:
    """Delete a file, an empty directory, or with ``recursive=true`` a whole directory."""
    if not path.strip("/") or path.strip("/") in ("tasks", "models"):
        authorize_admin(principal)
    authorize(request, principal, path, "write")
    _store(request).delete(path, recursive=recursive)
    _forget(request, principal.user_id, path, recursive)
    return Ok()
