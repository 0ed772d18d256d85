"""Deleting dataset versions, and freeing the blobs no version uses any more.

A version's rows (index, removals, parents, usages) go with it. The blobs that may
have become garbage are those its rows referred to and those it uploaded; each of
them that no remaining row refers to, and that no remaining version uploaded, goes:
its record now, its bytes in the hub's store after the commit (``stored_files``
and the unit of work), while blobs in outside storage are returned for the client
to delete with its own credentials. A version's own crash leftovers (blobs it
uploaded that none of its rows uses) go when it is finalized (:func:`free_orphans`).

This module imports no other dataset service, so ``deletion`` can call it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    any_,
    bindparam,
    delete,
    exists,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from corral.server.db.models import (
    DatasetBlob,
    DatasetFile,
    DatasetParent,
    DatasetRemoval,
    DatasetUsage,
    DatasetVersion,
)
from corral.server.services import stored_files
from corral.server.storage.uris import hub_path

#: ids per ``IN (...)`` (SQLite allows 999 parameters by default on old builds)
IN_CHUNK = 900
#: values per ``= ANY(:array)`` on PostgreSQL (one parameter, whatever its length)
ARRAY_CHUNK = 20_000


def chunks(items: Sequence[str], size: int = IN_CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def batches(session: Session, items: Sequence[str]) -> Iterable[Sequence[str]]:
    """``items`` in parts that fit one :func:`member_of` each."""
    return chunks(items, ARRAY_CHUNK if is_postgres(session) else IN_CHUNK)


def by_content(session: Session, version_column: Any) -> Any:
    """``version_column`` in a lookup by content (``sha256`` or ``blob_id``).

    SQLite has no statistics unless ``ANALYZE`` ran, and then guesses that
    ``version_id = ?`` on the primary key's first column finds a few rows: it would
    scan a million-file version instead of using the ``sha256``/``blob_id`` index.
    ``version_id || ''`` cannot use an index, so the content index is used.
    """
    if is_postgres(session):
        return version_column
    return version_column.concat("")


def member_of(session: Session, column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    """``column IN values``: one array parameter on PostgreSQL (a 10,000-value ``IN``
    costs more to compile and send than to run), a parameter each on SQLite."""
    if is_postgres(session):
        clause: ColumnElement[bool] = column == any_(literal(list(values), ARRAY(String)))
        return clause
    # one expanding parameter: ``in_(list)`` would coerce each value on its own
    return column.in_(bindparam(None, list(values), expanding=True))  # type: ignore[no-any-return]


@dataclass
class Freed:
    """What a deletion freed: blob count and bytes, and outside blobs left to the client."""

    blobs: int = 0
    bytes: int = 0
    external_uris: list[str] = field(default_factory=list)


def _candidates(session: Session, version_ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for part in chunks(version_ids):
        used = select(DatasetFile.blob_id).where(
            DatasetFile.version_id.in_(part), DatasetFile.blob_id.is_not(None)
        )
        found.update(b for b in session.scalars(used.distinct()) if b)
        found.update(
            session.scalars(select(DatasetBlob.id).where(DatasetBlob.version_id.in_(part)))
        )
    return found


def _free(session: Session, blob_ids: Sequence[str], freed: Freed) -> None:
    """Drop the blobs of ``blob_ids`` that no row uses and no living version uploaded."""
    doomed: list[str] = session.info.setdefault(stored_files.DELETE, [])
    for part in chunks(sorted(blob_ids)):
        unused = select(DatasetBlob).where(
            DatasetBlob.id.in_(part),
            DatasetBlob.version_id.is_(None),
            ~exists().where(DatasetFile.blob_id == DatasetBlob.id),
        )
        gone = list(session.scalars(unused))
        if not gone:
            continue
        paths = []
        for blob in gone:
            freed.blobs += 1
            freed.bytes += blob.size
            path = hub_path(blob.uri)
            if path:
                paths.append(path)
            else:
                freed.external_uris.append(blob.uri)
        doomed.extend(paths)
        stored_files.forget(session, paths)
        q = delete(DatasetBlob).where(DatasetBlob.id.in_([b.id for b in gone]))
        session.execute(q.execution_options(synchronize_session=False))


def drop_versions(session: Session, version_ids: Sequence[str]) -> Freed:
    """Delete the dataset rows of these versions (ids of tasks; others are ignored)."""
    freed = Freed()
    ids = list(session.scalars(select(DatasetVersion.id).where(DatasetVersion.id.in_(version_ids))))
    if not ids:
        return freed
    candidates = _candidates(session, ids)
    for part in chunks(ids):
        for table in (DatasetFile, DatasetRemoval):
            q = delete(table).where(table.version_id.in_(part))
            session.execute(q.execution_options(synchronize_session=False))
        session.execute(
            delete(DatasetParent)
            .where(DatasetParent.child_id.in_(part) | DatasetParent.parent_id.in_(part))
            .execution_options(synchronize_session=False)
        )
        session.execute(
            delete(DatasetUsage)
            .where(DatasetUsage.version_id.in_(part))
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(DatasetBlob)
            .where(DatasetBlob.version_id.in_(part))
            .values(version_id=None)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            delete(DatasetVersion)
            .where(DatasetVersion.id.in_(part))
            .execution_options(synchronize_session=False)
        )
    session.flush()
    _free(session, sorted(candidates), freed)
    session.flush()
    return freed


def free_orphans(session: Session, version_id: str) -> Freed:
    """Blobs this version uploaded that no row uses (an upload cut between blob and link)."""
    freed = Freed()
    mine = list(
        session.scalars(
            select(DatasetBlob.id).where(
                DatasetBlob.version_id == version_id,
                ~exists().where(DatasetFile.blob_id == DatasetBlob.id),
            )
        )
    )
    if not mine:
        return freed
    for part in chunks(mine):
        session.execute(
            update(DatasetBlob)
            .where(DatasetBlob.id.in_(part))
            .values(version_id=None)
            .execution_options(synchronize_session=False)
        )
    _free(session, mine, freed)
    return freed


def forget_usages_of_tasks(session: Session, task_ids: Sequence[str]) -> None:
    """The lineage edges of tasks being deleted (SQLite may not cascade them)."""
    q = delete(DatasetUsage).where(DatasetUsage.task_id.in_(list(task_ids)))
    session.execute(q.execution_options(synchronize_session=False))
