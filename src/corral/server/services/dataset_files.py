"""A version's file index: copy the parents' rows in, add and remove files, list a page.

Everything here works on batches with a bounded number of statements, whatever the
size of the version: a new version's rows are copied with one ``INSERT ... SELECT``
per parent; a batch of up to 10,000 added files costs one read of those paths, one
read of the removals, one dedup lookup (chunks of ``IN``) and one bulk insert; a page
of the listing is ``WHERE path > :cursor ORDER BY path LIMIT n`` on the primary key.

Dedup: a file whose SHA-256 some row of this version or of an ancestor already has
in a blob gets that blob at once (a rename or an unchanged file uploads nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, literal, select, text
from sqlalchemy.orm import Session, aliased

from corral.core.datasets import check_dataset_path, glob_to_like
from corral.errors import ConflictError, ValidationError
from corral.schemas.datasets import DatasetFile as FileOut
from corral.schemas.datasets import FileIn, FilesAdded
from corral.server.db.models import DatasetBlob, DatasetFile, DatasetRemoval, DatasetVersion
from corral.server.services import pagination
from corral.server.services.dataset_gc import batches, by_content, member_of
from corral.server.services.dataset_query import ancestors

#: the last character of Unicode: ``prefix + TOP`` sorts after every path under ``prefix``
TOP = "\U0010ffff"
PATH_SORT = "path"


def require_draft(version: DatasetVersion, what: str) -> None:
    if version.state == "final":
        raise ConflictError(
            f"dataset version {version.version} ({version.id}) is final: {what} needs a new "
            "version (create one with this one as parent)"
        )


def copy_rows(session: Session, target: str, sources: Sequence[str], *, change: str) -> None:
    """Merge the sources' rows into ``target`` (a later source wins at the same path).

    Sources are copied last first, each only where ``target`` has no row yet: one
    ``INSERT ... SELECT`` each, however many rows.
    """
    f = DatasetFile
    t = aliased(DatasetFile)
    cols = ["version_id", "path", "size", "sha256", "blob_id", "change", "external_url"]
    first = True
    for source in reversed(list(dict.fromkeys(sources))):
        rows = select(
            literal(target),
            f.path,
            f.size,
            f.sha256,
            f.blob_id,
            literal(change),
            f.external_url,
        ).where(f.version_id == source)
        if not first:  # the first copied goes into an empty index: nothing to skip
            rows = rows.where(~exists().where(t.version_id == target, t.path == f.path))
        session.execute(insert(DatasetFile).from_select(cols, rows))
        first = False


# --- add ----------------------------------------------------------------------------------


@dataclass
class _Old:
    sha256: str
    size: int
    change: str
    blob_id: str | None
    parent_sha256: str | None
    parent_size: int | None


def _take_existing(session: Session, version_id: str, paths: Sequence[str]) -> dict[str, _Old]:
    """Delete the rows at these paths (they are written anew) and return what they were."""
    f = DatasetFile
    out = {}
    for part in batches(session, paths):
        q = (
            delete(f)
            .where(f.version_id == version_id, member_of(session, f.path, part))
            .returning(
                f.path, f.sha256, f.size, f.change, f.blob_id, f.parent_sha256, f.parent_size
            )
            .execution_options(synchronize_session=False)
        )
        for path, sha, size, change, blob, parent_sha, parent_size in session.execute(q):
            out[path] = _Old(sha, size, change, blob, parent_sha, parent_size)
    return out


def _take_removed(
    session: Session, version_id: str, paths: Sequence[str]
) -> dict[str, tuple[str, int]]:
    """Delete the removals of these paths (they are added again) and return them."""
    r = DatasetRemoval
    out = {}
    for part in batches(session, paths):
        q = (
            delete(r)
            .where(r.version_id == version_id, member_of(session, r.path, part))
            .returning(r.path, r.sha256, r.size)
            .execution_options(synchronize_session=False)
        )
        out.update({p: (sha, size) for p, sha, size in session.execute(q)})
    return out


def known_blobs(session: Session, version_ids: list[str], shas: list[str]) -> dict[str, str]:
    """sha256 -> blob id, for contents some row of these versions has in a blob."""
    f = DatasetFile
    out: dict[str, str] = {}
    for part in batches(session, sorted(set(shas))):
        q = select(f.sha256, f.blob_id).where(
            member_of(session, f.sha256, part),
            by_content(session, f.version_id).in_(version_ids),
            f.blob_id.is_not(None),
        )
        for sha, blob in session.execute(q):
            if blob:
                out.setdefault(sha, blob)
    return out


def _check_batch(files: Sequence[FileIn]) -> None:
    seen: set[str] = set()
    for i, one in enumerate(files):
        try:
            check_dataset_path(one.path)
        except ValidationError as e:
            raise ValidationError(
                str(e), errors=[{"loc": ["body", "files", i, "path"], "msg": str(e)}]
            ) from e
        if one.path in seen:
            raise ValidationError(f"path {one.path!r} is given twice in one batch")
        seen.add(one.path)


def _row_for(one: FileIn, old: _Old | None, removed: tuple[str, int] | None) -> dict[str, Any]:
    """The new row of a path: its change against the parents and what it inherited."""
    base: tuple[str, int] | None = None
    change = "added"
    if old is not None:
        if old.change == "modified":
            base = (old.parent_sha256 or "", old.parent_size or 0)
        elif old.change == "unchanged":
            base = (old.sha256, old.size)
    elif removed is not None:
        base = removed
    if base is not None:
        change = "unchanged" if base[0] == one.sha256 else "modified"
    modified = change == "modified"
    return {
        "path": one.path,
        "size": one.size,
        "sha256": one.sha256,
        "change": change,
        "parent_sha256": base[0] if modified and base else None,
        "parent_size": base[1] if modified and base else None,
        "source": one.source,
        "external_url": one.external_url,
    }


def add_files(session: Session, version: DatasetVersion, files: Sequence[FileIn]) -> FilesAdded:
    """Add or replace files of a draft version (see the module docstring)."""
    require_draft(version, "adding files")
    _check_batch(files)
    paths = [one.path for one in files]
    old = _take_existing(session, version.id, paths)
    removed = _take_removed(session, version.id, [p for p in paths if p not in old])
    blobs = known_blobs(
        session,
        [version.id, *ancestors(session, version.id)],
        [one.sha256 for one in files if not one.external_url],
    )
    added = modified = unchanged = pending = 0
    rows = []
    for one in files:
        was = old.get(one.path)
        row = _row_for(one, was, removed.get(one.path))
        row["version_id"] = version.id
        row["blob_id"] = None if one.external_url else blobs.get(one.sha256)
        if was is not None and was.sha256 == one.sha256:
            unchanged += 1
            if not one.external_url and was.blob_id:
                row["blob_id"] = was.blob_id
        elif was is not None:
            modified += 1
        else:
            added += 1
        if row["blob_id"] is None and row["external_url"] is None:
            pending += 1
        rows.append(row)
    _insert_rows(session, rows)
    return FilesAdded(added=added, modified=modified, unchanged=unchanged, pending=pending)


_COLUMNS = (
    "version_id", "path", "size", "sha256", "blob_id", "change",
    "parent_sha256", "parent_size", "source", "external_url",
)  # fmt: skip
_ARRAY_TYPES = ("text", "text", "int8", "text", "text", "text", "text", "int8", "text", "text")
#: PostgreSQL: one statement for the batch, a column per array (executemany sends a
#: statement per row: about 4x slower on 10,000 rows)
_UNNEST_INSERT = text(
    f"INSERT INTO dataset_files ({', '.join(_COLUMNS)}) SELECT * FROM unnest("
    + ", ".join(f"CAST(:{c} AS {t}[])" for c, t in zip(_COLUMNS, _ARRAY_TYPES, strict=True))
    + ")"
)


def _insert_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_UNNEST_INSERT, {c: [row[c] for row in rows] for c in _COLUMNS})
    else:
        # the table's Core insert: the ORM's bulk path costs as much again in Python
        session.connection().execute(insert(DatasetFile.__table__), rows)  # type: ignore[arg-type]


# --- remove -------------------------------------------------------------------------------


def _under(folder: str) -> Any:
    """Rows strictly under ``folder/`` (a range on the primary key)."""
    prefix = folder.rstrip("/") + "/"
    return and_(DatasetFile.path >= prefix, DatasetFile.path < prefix + TOP)


def _pattern(session: Session, pattern: str) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        # LIKE is case-insensitive on SQLite; GLOB has the same '*' and '?' and is not
        glob_to_like(pattern)  # refuses [...] classes the same way
        return DatasetFile.path.op("GLOB")(pattern)
    return DatasetFile.path.like(glob_to_like(pattern), escape="\\")


def _drop(session: Session, version_id: str, where: Any) -> int:
    """Remove the rows ``where`` selects; inherited ones are noted as removals."""
    f = DatasetFile
    noted = select(
        f.version_id,
        f.path,
        func.coalesce(f.parent_size, f.size),
        func.coalesce(f.parent_sha256, f.sha256),
    ).where(f.version_id == version_id, f.change != "added", where)
    session.execute(
        insert(DatasetRemoval).from_select(["version_id", "path", "size", "sha256"], noted)
    )
    q = delete(f).where(f.version_id == version_id, where)
    result = session.execute(q.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def remove_files(
    session: Session, version: DatasetVersion, paths: Sequence[str], pattern: str | None
) -> int:
    """Remove exact paths (a folder takes everything under it) and/or a glob's matches."""
    require_draft(version, "removing files")
    if not paths and not pattern:
        raise ValidationError("give 'paths' or a 'pattern' of the files to remove")
    for p in paths:
        check_dataset_path(p.rstrip("/") or p)
    count = 0
    if pattern:
        count += _drop(session, version.id, _pattern(session, pattern))
    exact = sorted(set(paths))
    for part in batches(session, exact):
        count += _drop(session, version.id, member_of(session, DatasetFile.path, part))
    for folder in exact:
        count += _drop(session, version.id, _under(folder))
    return count


# --- list ---------------------------------------------------------------------------------


def path_cursor(path: str) -> str:
    return pagination.encode_cursor(PATH_SORT, path, "p")


def after_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    path, _ = pagination.decode_cursor(cursor, PATH_SORT, lambda x: isinstance(x, str))
    if not isinstance(path, str):
        raise ValidationError("invalid cursor; pass back next_cursor exactly as received")
    return path


def list_files(
    session: Session,
    version: DatasetVersion,
    *,
    prefix: str | None,
    search: str | None,
    pending: bool | None,
    change: str | None,
    limit: int,
    cursor: str | None,
    with_total: bool,
) -> tuple[list[FileOut], str | None, int | None]:
    f, b = DatasetFile, DatasetBlob
    conds: list[Any] = [f.version_id == version.id]
    if prefix:
        conds += [f.path >= prefix, f.path < prefix + TOP]
    if search:
        conds.append(func.lower(f.path).contains(search.lower(), autoescape=True))
    is_pending = and_(f.blob_id.is_(None), f.external_url.is_(None))
    if pending is not None:
        conds.append(is_pending if pending else ~is_pending)
    if change:
        conds.append(f.change == change)
    total = None
    if with_total:
        total = session.scalar(select(func.count()).select_from(f).where(*conds))
    after = after_cursor(cursor)
    if after is not None:
        conds.append(f.path > after)
    q = (
        select(f, b.uri, b.kind, b.compression)
        .outerjoin(b, b.id == f.blob_id)
        .where(*conds)
        .order_by(f.path)
        .limit(limit + 1)
    )
    rows = session.execute(q).all()
    more = len(rows) > limit
    final = version.state == "final"
    items = [
        FileOut.model_validate(
            {
                "path": row.path,
                "size": row.size,
                "sha256": row.sha256,
                "change": row.change,
                "blob_id": row.blob_id,
                "blob_uri": uri or "",
                "blob_kind": kind,
                "compression": compression,
                "external_url": row.external_url,
                "source": None if final else row.source,
            }
        )
        for row, uri, kind, compression in rows[:limit]
    ]
    return items, path_cursor(items[-1].path) if more else None, total
