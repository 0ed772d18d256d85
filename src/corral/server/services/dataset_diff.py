"""Differences between versions, streamed by path with bounded memory.

Against its parents a version's rows say it themselves (``change`` and the
inherited ``parent_sha256``/``parent_size``; removals in ``dataset_removals``).
Against any other version: an anti-join each way and a join on (version, path),
each read ``WHERE path > :cursor ORDER BY path LIMIT n`` and merged, so a page of
two million-file versions costs a page, not the versions.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from corral.schemas.datasets import DiffEntry, DiffSummary
from corral.server.db.models import DatasetFile, DatasetRemoval, DatasetVersion
from corral.server.services.dataset_files import TOP, after_cursor, path_cursor
from corral.server.services.dataset_query import parents_of, stats_of


def _window(col: Any, prefix: str | None, after: str | None) -> list[Any]:
    conds = []
    if prefix:
        conds += [col >= prefix, col < prefix + TOP]
    if after is not None:
        conds.append(col > after)
    return conds


def _unless_the_parent(
    session: Session, version: DatasetVersion, other: DatasetVersion | None
) -> DatasetVersion | None:
    """None when ``other`` is the version's only parent: its rows say the diff already."""
    if other is not None and parents_of(session, [version.id])[version.id] == [other.id]:
        return None
    return other


def _vs_parents(
    session: Session, version_id: str, change: str | None, conds_of: Any, limit: int
) -> list[Iterable[DiffEntry]]:
    f, r = DatasetFile, DatasetRemoval
    streams: list[Iterable[DiffEntry]] = []
    for kind in ("added", "modified"):
        if change in (None, kind):
            q = (
                select(f.path, f.size, f.sha256, f.parent_size, f.parent_sha256)
                .where(f.version_id == version_id, f.change == kind, *conds_of(f.path))
                .order_by(f.path)
                .limit(limit)
            )
            streams.append(
                [
                    DiffEntry(
                        path=p,
                        change="added" if kind == "added" else "modified",
                        size=size,
                        sha256=sha,
                        old_size=old_size if kind == "modified" else None,
                        old_sha256=old_sha if kind == "modified" else None,
                    )
                    for p, size, sha, old_size, old_sha in session.execute(q)
                ]
            )
    if change in (None, "removed"):
        gone = (
            select(r.path, r.size, r.sha256)
            .where(r.version_id == version_id, *conds_of(r.path))
            .order_by(r.path)
            .limit(limit)
        )
        streams.append(
            DiffEntry(path=p, change="removed", old_size=size, old_sha256=sha)
            for p, size, sha in session.execute(gone)
        )
    return streams


def _vs_other(
    session: Session, version_id: str, other_id: str, change: str | None, conds_of: Any, limit: int
) -> list[Iterable[DiffEntry]]:
    a, b = DatasetFile, aliased(DatasetFile)
    streams: list[Iterable[DiffEntry]] = []
    if change in (None, "added"):
        q = (
            select(a.path, a.size, a.sha256)
            .where(
                a.version_id == version_id,
                *conds_of(a.path),
                ~exists().where(b.version_id == other_id, b.path == a.path),
            )
            .order_by(a.path)
            .limit(limit)
        )
        streams.append(
            DiffEntry(path=p, change="added", size=size, sha256=sha)
            for p, size, sha in session.execute(q)
        )
    if change in (None, "removed"):
        q = (
            select(b.path, b.size, b.sha256)
            .where(
                b.version_id == other_id,
                *conds_of(b.path),
                ~exists().where(a.version_id == version_id, a.path == b.path),
            )
            .order_by(b.path)
            .limit(limit)
        )
        streams.append(
            DiffEntry(path=p, change="removed", old_size=size, old_sha256=sha)
            for p, size, sha in session.execute(q)
        )
    if change in (None, "modified"):
        both = (
            select(a.path, a.size, a.sha256, b.size, b.sha256)
            .join(b, and_(b.version_id == other_id, b.path == a.path))
            .where(a.version_id == version_id, b.sha256 != a.sha256, *conds_of(a.path))
            .order_by(a.path)
            .limit(limit)
        )
        streams.append(
            DiffEntry(path=p, change="modified", size=s, sha256=h, old_size=old_s, old_sha256=old_h)
            for p, s, h, old_s, old_h in session.execute(both)
        )
    return streams


def diff(
    session: Session,
    version: DatasetVersion,
    other: DatasetVersion | None,
    *,
    change: str | None,
    prefix: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[DiffEntry], str | None]:
    """A page of the paths that differ, by path; ``other`` None: against the parents."""
    after = after_cursor(cursor)
    other = _unless_the_parent(session, version, other)

    def conds_of(col: Any) -> list[Any]:
        return _window(col, prefix, after)

    # each stream reads at most limit + 1 rows: enough for this page and to know of more
    if other is None:
        streams = _vs_parents(session, version.id, change, conds_of, limit + 1)
    else:
        streams = _vs_other(session, version.id, other.id, change, conds_of, limit + 1)
    merged = list(heapq.merge(*(list(s) for s in streams), key=lambda e: e.path))
    page = merged[:limit]
    more = len(merged) > limit
    return page, path_cursor(page[-1].path) if more and page else None


def summary(session: Session, version: DatasetVersion, other: DatasetVersion | None) -> DiffSummary:
    """Counts and bytes of what differs (aggregate queries)."""
    other = _unless_the_parent(session, version, other)
    if other is None:
        s = stats_of(session, version)
        return DiffSummary(
            added=s["added"],
            removed=s["removed"],
            modified=s["modified"],
            added_bytes=s["added_bytes"],
            removed_bytes=s["removed_bytes"],
            modified_bytes=s["modified_bytes"],
        )
    a, b = DatasetFile, aliased(DatasetFile)
    added = session.execute(
        select(func.count(), func.coalesce(func.sum(a.size), 0)).where(
            a.version_id == version.id,
            ~exists().where(b.version_id == other.id, b.path == a.path),
        )
    ).one()
    removed = session.execute(
        select(func.count(), func.coalesce(func.sum(b.size), 0)).where(
            b.version_id == other.id,
            ~exists().where(a.version_id == version.id, a.path == b.path),
        )
    ).one()
    modified = session.execute(
        select(
            func.count(), func.coalesce(func.sum(case((a.sha256 != b.sha256, a.size), else_=0)), 0)
        )
        .select_from(a)
        .join(b, and_(b.version_id == other.id, b.path == a.path))
        .where(a.version_id == version.id, a.sha256 != b.sha256)
    ).one()
    return DiffSummary(
        added=added[0],
        removed=removed[0],
        modified=modified[0],
        added_bytes=added[1],
        removed_bytes=removed[1],
        modified_bytes=modified[1],
    )
