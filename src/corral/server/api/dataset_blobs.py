"""Dataset blobs over HTTP: ``PUT`` (streamed, checked), ``POST`` (outside storage), ``GET``.

A ``PUT`` streams outside the request's transaction (``files.files_user``): the
caller's right to write the version is checked in a short read first, the body goes
to the store (its SHA-256 must be the blob's id, else nothing is kept), a chunk's
member names are read from the stored zip's central directory (each must be a
SHA-256, else the blob goes again), and a short write transaction records the blob
and links the version's pending files. A blob is read only through a version that
uses it (``services.dataset_blobs.readable_blob``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from corral.errors import ValidationError
from corral.schemas.datasets import BlobIn, BlobKind, BlobOut, Compression
from corral.server.api.deps import AccessDep, SessionDep
from corral.server.api.files import FilesUser, check_announced, receive, send
from corral.server.api.guards import dataset_for
from corral.server.auth.policy import Access
from corral.server.auth.principal import Principal
from corral.server.db.models import DatasetBlob
from corral.server.db.unit_of_work import write_transaction
from corral.server.services import dataset_blobs, dataset_files, dataset_query, stored_files
from corral.server.storage.uris import hub_path

router = APIRouter(tags=["datasets"])


def _blob_target(request: Request, principal: Principal, dataset_id: str) -> None:
    """May the caller upload to this version (a draft)? A short read of its own."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory() as session:
        access = Access(
            session, principal, public_role=request.app.state.settings.public_project_role
        )
        version = dataset_for(access, session, dataset_id, "write")
        dataset_files.require_draft(version, "uploading")


def _link_stored(
    request: Request,
    principal: Principal,
    dataset_id: str,
    blob_id: str,
    size: int,
    kind: str,
    compression: str,
    members: list[str],
) -> tuple[BlobOut, bool]:
    state = request.app.state
    with write_transaction(
        state.sessionmaker,
        files=state.files,
        notifier=state.changes_notifier,
        user_id=principal.user_id,
    ) as session:
        version = dataset_query.get_version(session, dataset_id, for_update=True)
        blob, created = dataset_blobs.record(
            session,
            version,
            blob_id=blob_id,
            uri=dataset_blobs.hub_blob_uri(blob_id),
            size=size,
            kind=kind,
            compression=compression,
        )
        if created:
            stored_files.record_upload(
                session, dataset_blobs.blob_path(blob_id), principal.user_id, size
            )
        linked = dataset_blobs.link(session, version.id, blob.id, members)
        return BlobOut.model_validate(blob).model_copy(update={"linked": linked}), created


def _members(request: Request, path: str) -> list[str]:
    with request.app.state.files.open(path) as f:
        return dataset_blobs.chunk_members(f)


@router.put(
    "/datasets/{dataset_id}/blobs/{blob_id}",
    response_model=BlobOut,
    status_code=201,
    responses={200: {"model": BlobOut, "description": "the blob was stored already"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def put_blob(
    dataset_id: str,
    blob_id: str,
    request: Request,
    response: Response,
    principal: FilesUser,
    kind: BlobKind = "chunk",
    compression: Compression = "none",
) -> BlobOut:
    """Store a blob (its id is the SHA-256 of the body) and link this version's files."""
    if not _is_hex64(blob_id):
        raise ValidationError("a blob id is the SHA-256 of its bytes: 64 lowercase hex")
    await run_in_threadpool(_blob_target, request, principal, dataset_id)
    store = request.app.state.files
    path = dataset_blobs.blob_path(blob_id)
    room = await check_announced(request, store, principal.user_id, path)
    size, _, _ = await receive(request, store, path, blob_id, room)
    members = [blob_id]
    if kind == "chunk":
        try:
            members = await run_in_threadpool(_members, request, path)
        except ValidationError:
            await run_in_threadpool(_drop_unregistered, request, blob_id)
            raise
    try:
        out, created = await run_in_threadpool(
            _link_stored, request, principal, dataset_id, blob_id, size, kind, compression, members
        )
    except Exception:
        # e.g. the version was finalized meanwhile: no record, so no file either
        await run_in_threadpool(_drop_unregistered, request, blob_id)
        raise
    if not created:
        response.status_code = 200
    return out


def _is_hex64(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _drop_unregistered(request: Request, blob_id: str) -> None:
    """A refused blob goes from the store, unless a record says it is a good one."""
    with request.app.state.sessionmaker() as session:
        if session.get(DatasetBlob, blob_id) is not None:
            return
    request.app.state.files.delete_paths([dataset_blobs.blob_path(blob_id)])


@router.post("/datasets/{dataset_id}/blobs", response_model=BlobOut)
def register_blob(dataset_id: str, body: BlobIn, session: SessionDep, access: AccessDep) -> BlobOut:
    """A blob the client stored in outside storage, and the files of this version it holds."""
    version = dataset_for(access, session, dataset_id, "write")
    blob, linked = dataset_blobs.register_external(session, version, body)
    return BlobOut.model_validate(blob).model_copy(update={"linked": linked})


def _readable_blob_path(
    request: Request, principal: Principal, dataset_id: str, blob_id: str
) -> str:
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory() as session:
        access = Access(
            session, principal, public_role=request.app.state.settings.public_project_role
        )
        dataset_for(access, session, dataset_id, "read")
        blob = dataset_blobs.readable_blob(session, dataset_id, blob_id)
        path = hub_path(blob.uri)
        if path is None:
            raise ValidationError(f"blob {blob_id} is in outside storage: {blob.uri}")
        return path


@router.get(
    "/datasets/{dataset_id}/blobs/{blob_id}",
    response_class=Response,
    responses={
        200: {"description": "the blob", "content": {"application/octet-stream": {}}},
        206: {"description": "the one range asked for"},
    },
)
@router.head("/datasets/{dataset_id}/blobs/{blob_id}", response_class=Response)
async def get_blob(
    dataset_id: str, blob_id: str, request: Request, principal: FilesUser
) -> Response:
    """Stream a blob of this version from the hub's store (a single ``Range`` gives 206)."""
    path = await run_in_threadpool(_readable_blob_path, request, principal, dataset_id, blob_id)
    return await send(request, path)
