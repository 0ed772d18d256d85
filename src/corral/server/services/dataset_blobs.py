"""Dataset blobs: record them, link a version's files to them, check who may read them.

A blob in the hub's store lives at ``datasets/blobs/<id[:2]>/<id>``; the generic
``/files`` routes refuse that tree to everyone but admins, so a blob is read only
through a version that references it (or uploaded it): knowing a hash is not enough.
A chunk's members are named by their SHA-256 (:func:`chunk_members` refuses any
other name); linking sets ``blob_id`` on this version's pending rows with those hashes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from corral.core.datasets import is_blob_member
from corral.errors import ConflictError, NotFoundError, ValidationError
from corral.schemas.datasets import BlobIn
from corral.server.db.models import DatasetBlob, DatasetFile, DatasetVersion
from corral.server.services.dataset_files import require_draft
from corral.server.services.dataset_gc import batches, by_content, member_of
from corral.server.storage import StoredFile
from corral.server.storage.uris import hub_path, hub_uri

BLOBS_DIR = "datasets/blobs"


def blob_path(blob_id: str) -> str:
    return f"{BLOBS_DIR}/{blob_id[:2]}/{blob_id}"


class _Reader(io.RawIOBase):
    """A stored file as a seekable binary stream (``zipfile`` reads only what it needs)."""

    def __init__(self, f: StoredFile) -> None:
        self._f = f
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._f.info.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._f.read(self._pos, len(buffer))
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


def chunk_members(f: StoredFile) -> list[str]:
    """The member names of a stored chunk (its central directory only), each a SHA-256.

    Raises:
        ValidationError: not a zip archive, or a member not named by a SHA-256.
    """
    try:
        with zipfile.ZipFile(io.BufferedReader(_Reader(f), 1 << 16)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise ValidationError(f"the chunk is not a zip archive ({e}); nothing was stored") from e
    bad = [n for n in names if not is_blob_member(n)]
    if bad:
        raise ValidationError(
            f"chunk member {bad[0][:100]!r} is not a SHA-256 (64 lowercase hex): members are "
            "named by their content; nothing was stored"
        )
    return names


def link(session: Session, version_id: str, blob_id: str, contents: Sequence[str]) -> int:
    """Point this version's pending rows with these hashes at the blob; how many."""
    f = DatasetFile
    linked = 0
    for part in batches(session, sorted(set(contents))):
        q = (
            update(f)
            .where(
                by_content(session, f.version_id) == version_id,
                member_of(session, f.sha256, part),
                f.blob_id.is_(None),
                f.external_url.is_(None),
            )
            .values(blob_id=blob_id)
            .execution_options(synchronize_session=False)
        )
        linked += int(session.execute(q).rowcount or 0)  # type: ignore[attr-defined]
    return linked


def record(
    session: Session,
    version: DatasetVersion,
    *,
    blob_id: str,
    uri: str,
    size: int,
    kind: str,
    compression: str,
) -> tuple[DatasetBlob, bool]:
    """The blob's record, made now (True) or found (False); the version is then uploading."""
    require_draft(version, "uploading")
    blob = session.get(DatasetBlob, blob_id)
    created = blob is None
    if blob is None:
        blob = DatasetBlob(
            id=blob_id,
            uri=uri,
            size=size,
            kind=kind,
            compression=compression,
            version_id=version.id,
        )
        session.add(blob)
    if version.state == "draft":
        version.state = "uploading"
    session.flush()
    return blob, created


def register_external(
    session: Session, version: DatasetVersion, data: BlobIn
) -> tuple[DatasetBlob, int]:
    """``POST /datasets/{id}/blobs``: a blob in outside storage, and the files it holds."""
    if hub_path(data.uri) is not None:
        raise ValidationError(
            "a blob in the hub's store is sent with PUT /datasets/{id}/blobs/{blob_id}"
        )
    existing = session.get(DatasetBlob, data.id)
    if existing is not None and hub_path(existing.uri) is not None:
        raise ConflictError(
            f"blob {data.id} is in the hub's store: send its bytes with PUT to link to it"
        )
    blob, _ = record(
        session,
        version,
        blob_id=data.id,
        uri=data.uri,
        size=data.size,
        kind=data.kind,
        compression=data.compression,
    )
    contents = data.contents or ([data.id] if data.kind == "file" else [])
    return blob, link(session, version.id, blob.id, contents)


def readable_blob(session: Session, version_id: str, blob_id: str) -> DatasetBlob:
    """The blob, if this version references it or uploaded it (else 404)."""
    blob = session.get(DatasetBlob, blob_id)
    if blob is not None and (
        blob.version_id == version_id
        or session.scalar(
            select(
                exists().where(
                    by_content(session, DatasetFile.version_id) == version_id,
                    DatasetFile.blob_id == blob_id,
                )
            )
        )
    ):
        return blob
    raise NotFoundError(f"no blob {blob_id} in dataset version {version_id}")


def hub_blob_uri(blob_id: str) -> str:
    return hub_uri(blob_path(blob_id))
