"""Reading dataset versions: one, a filtered page, the datasets by name, the version graph.

A version's answer (``schemas.datasets.DatasetVersion``) joins its task (status,
description, tags, owner), its project's name, its parents and its stats: stored
once final, counted with two aggregate queries while it is a draft.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from corral.core.datasets import version_key
from corral.errors import NotFoundError, ValidationError
from corral.schemas.datasets import (
    DatasetGraph,
    DatasetGraphNode,
    DatasetName,
    DatasetStats,
)
from corral.schemas.datasets import DatasetVersion as VersionOut
from corral.server.db.models import (
    DatasetFile,
    DatasetParent,
    DatasetRemoval,
    DatasetVersion,
    Project,
    Task,
    TaskTag,
    User,
)
from corral.server.services import pagination
from corral.server.services.dataset_gc import chunks

#: most nodes of a graph answer
GRAPH_MAX = 500
SORTS = ("-version", "-created_at", "name")


def get_version(session: Session, version_id: str, *, for_update: bool = False) -> DatasetVersion:
    """The version (404 when there is none: also for a task that is not a dataset)."""
    q = select(DatasetVersion).where(DatasetVersion.id == version_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    version = session.scalar(q)
    if version is None:
        raise NotFoundError(f"no dataset version with id {version_id!r}")
    return version


def parents_of(session: Session, ids: Sequence[str]) -> dict[str, list[str]]:
    """Each version's parents, in order."""
    out: dict[str, list[str]] = {i: [] for i in ids}
    for part in chunks(list(ids)):
        q = (
            select(DatasetParent.child_id, DatasetParent.parent_id)
            .where(DatasetParent.child_id.in_(part))
            .order_by(DatasetParent.child_id, DatasetParent.position)
        )
        for child, parent in session.execute(q):
            out[child].append(parent)
    return out


def ancestors(session: Session, version_id: str, limit: int = 10_000) -> list[str]:
    """Every ancestor of the version (parents first), without repeats."""
    seen: dict[str, None] = {}
    frontier = [version_id]
    while frontier and len(seen) < limit:
        parents = parents_of(session, frontier)
        frontier = [p for ps in parents.values() for p in ps if p not in seen and p != version_id]
        frontier = list(dict.fromkeys(frontier))
        seen.update(dict.fromkeys(frontier))
    return list(seen)


# --- stats ------------------------------------------------------------------------------


def count_stats(session: Session, version_id: str) -> dict[str, int]:
    """A version's stats from its rows (two aggregate queries, no row reaches Python)."""
    f = DatasetFile
    pending = and_(f.blob_id.is_(None), f.external_url.is_(None))

    def count_if(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    def bytes_if(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, f.size), else_=0)), 0)

    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(f.size), 0),
            count_if(f.change == "added"),
            bytes_if(f.change == "added"),
            count_if(f.change == "modified"),
            bytes_if(f.change == "modified"),
            count_if(pending),
            bytes_if(pending),
            count_if(f.external_url.is_not(None)),
        ).where(f.version_id == version_id)
    ).one()
    removed = session.execute(
        select(func.count(), func.coalesce(func.sum(DatasetRemoval.size), 0)).where(
            DatasetRemoval.version_id == version_id
        )
    ).one()
    names = [
        "file_count",
        "total_size",
        "added",
        "added_bytes",
        "modified",
        "modified_bytes",
        "pending_count",
        "pending_bytes",
        "external_count",
    ]
    stats = {n: int(v) for n, v in zip(names, row, strict=True)}
    stats["removed"], stats["removed_bytes"] = int(removed[0]), int(removed[1])
    return stats


def stats_of(session: Session, version: DatasetVersion) -> dict[str, int]:
    if version.state == "final" and version.stats:
        return dict(version.stats)
    return count_stats(session, version.id)


# --- answers ------------------------------------------------------------------------------


def to_out(session: Session, versions: Sequence[DatasetVersion]) -> list[VersionOut]:
    """The wire form of versions (a few queries for the whole page)."""
    if not versions:
        return []
    ids = [v.id for v in versions]
    tasks = {
        t.id: t
        for part in chunks(ids)
        for t in session.scalars(select(Task).where(Task.id.in_(part)))
    }
    project_ids = list({v.project_id for v in versions})
    projects = dict(
        session.execute(select(Project.id, Project.name).where(Project.id.in_(project_ids))).all()
    )
    user_ids = list({t.user_id for t in tasks.values() if t.user_id})
    users = (
        dict(session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())
        if user_ids
        else {}
    )
    parents = parents_of(session, ids)
    out = []
    for v in versions:
        task = tasks[v.id]
        out.append(
            VersionOut(
                id=v.id,
                name=v.name,
                project_id=v.project_id,
                project=projects.get(v.project_id, ""),
                version=v.version,
                state=v.state,  # type: ignore[arg-type]
                status=task.status,
                description=task.comment,
                tags=list(task.tags),
                parents=parents[v.id],
                user_id=task.user_id,
                user=users.get(task.user_id or "", ""),
                output_uri=v.output_uri,
                created_at=v.created_at,
                last_update=task.last_update,
                finalized_at=v.finalized_at,
                stats=DatasetStats(**stats_of(session, v)),
            )
        )
    return out


# --- lists ------------------------------------------------------------------------------


@dataclass
class VersionFilter:
    """The filters of ``GET /datasets``; ``visible`` are the caller's projects (None: all)."""

    visible: frozenset[str] | None = None
    project: str | None = None
    project_id: str | None = None
    name: str | None = None
    partial_name: str | None = None
    version: str | None = None
    tags: list[str] = field(default_factory=list)
    state: str | None = None
    ids: list[str] = field(default_factory=list)
    only_final: bool = False


def _filtered(session: Session, f: VersionFilter) -> Select[Any]:
    v = DatasetVersion
    q = select(v)
    if f.visible is not None:
        q = q.where(v.project_id.in_(list(f.visible)))
    if f.project:
        project = session.scalar(select(Project.id).where(Project.name == f.project.strip("/")))
        q = q.where(v.project_id == (project or ""))
    if f.project_id:
        q = q.where(v.project_id == f.project_id)
    if f.name:
        q = q.where(v.name == f.name)
    if f.partial_name:
        q = q.where(func.lower(v.name).contains(f.partial_name.lower(), autoescape=True))
    if f.version:
        q = q.where(v.version_key == version_key(f.version))
    for tag in f.tags:
        q = q.where(exists().where(TaskTag.task_id == v.id, TaskTag.tag == tag))
    if f.state:
        q = q.where(v.state == f.state)
    if f.only_final:
        q = q.where(v.state == "final")
    if f.ids:
        q = q.where(v.id.in_(f.ids))
    return q


def _sort_parts(sort: str) -> list[tuple[Any, bool]]:
    """(column, descending) of each sort, the id last."""
    v = DatasetVersion
    if sort == "-version":
        return [(v.version_key, True), (v.name, False), (v.id, True)]
    if sort == "-created_at":
        return [(v.created_at, True), (v.id, True)]
    if sort == "name":
        return [(v.name, False), (v.version_key, True), (v.id, True)]
    raise ValidationError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")


def _after(parts: list[tuple[Any, bool]], values: list[Any]) -> Any:
    """The keyset condition: rows after ``values`` in the order of ``parts``."""
    (col, desc), rest = parts[0], parts[1:]
    beyond = col < values[0] if desc else col > values[0]
    if not rest:
        return beyond
    return or_(beyond, and_(col == values[0], _after(rest, values[1:])))


def list_versions(
    session: Session,
    f: VersionFilter,
    *,
    sort: str,
    limit: int,
    cursor: str | None,
    with_total: bool,
) -> tuple[list[DatasetVersion], str | None, int | None]:
    parts = _sort_parts(sort)
    q = _filtered(session, f)
    total = session.scalar(select(func.count()).select_from(q.subquery())) if with_total else None
    if cursor:
        values, last_id = pagination.decode_cursor(cursor, sort, lambda x: isinstance(x, list))
        if not isinstance(values, list) or len(values) != len(parts) - 1:
            raise ValidationError("invalid cursor; pass back next_cursor exactly as received")
        q = q.where(_after(parts, [*_load(values), last_id]))
    q = q.order_by(*(c.desc() if d else c.asc() for c, d in parts)).limit(limit + 1)
    rows = list(session.scalars(q))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        values = [_dump(getattr(last, c.key)) for c, _ in parts[:-1]]
        next_cursor = pagination.encode_cursor(sort, values, last.id)
    return rows, next_cursor, total


def _dump(value: Any) -> Any:
    return {"$dt": value.isoformat()} if hasattr(value, "isoformat") else value


def _load(values: list[Any]) -> list[Any]:
    out = []
    for value in values:
        if isinstance(value, dict) and isinstance(value.get("$dt"), str):
            try:
                value = datetime.fromisoformat(value["$dt"])
            except ValueError as e:
                raise ValidationError("invalid cursor") from e
        elif not isinstance(value, str):
            raise ValidationError("invalid cursor; pass back next_cursor exactly as received")
        out.append(value)
    return out


def list_names(
    session: Session,
    *,
    visible: frozenset[str] | None,
    project_id: str | None,
    partial_name: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[DatasetName], str | None]:
    """Datasets (one entry per ``(project, name)``) by name, then project id."""
    v = DatasetVersion
    q = select(
        v.name, v.project_id, func.count(), func.max(v.version_key), func.max(Task.last_update)
    ).join(Task, Task.id == v.id)
    if visible is not None:
        q = q.where(v.project_id.in_(list(visible)))
    if project_id:
        q = q.where(v.project_id == project_id)
    if partial_name:
        q = q.where(func.lower(v.name).contains(partial_name.lower(), autoescape=True))
    if cursor:
        name, last_project = pagination.decode_cursor(cursor, "names", lambda x: isinstance(x, str))
        q = q.where(or_(v.name > name, and_(v.name == name, v.project_id > last_project)))
    q = q.group_by(v.name, v.project_id).order_by(v.name, v.project_id).limit(limit + 1)
    groups = session.execute(q).all()
    more = len(groups) > limit
    groups = groups[:limit]
    projects = dict(
        session.execute(
            select(Project.id, Project.name).where(Project.id.in_({g[1] for g in groups}))
        ).all()
    )
    items = []
    for name, pid, count, top_key, last_update in groups:
        latest_id, latest_version = session.execute(
            select(v.id, v.version).where(
                v.project_id == pid, v.name == name, v.version_key == top_key
            )
        ).one()
        items.append(
            DatasetName(
                project_id=pid,
                project=projects.get(pid, ""),
                name=name,
                versions=count,
                latest_version=latest_version,
                latest_id=latest_id,
                last_update=last_update,
            )
        )
    next_cursor = pagination.encode_cursor("names", groups[-1][0], groups[-1][1]) if more else None
    return items, next_cursor


def graph(
    session: Session, version: DatasetVersion, readable: frozenset[str] | None
) -> DatasetGraph:
    """The versions of the version's dataset and their ancestors (readable ones only)."""
    v = DatasetVersion
    same = select(v.id).where(v.project_id == version.project_id, v.name == version.name)
    ids: dict[str, None] = dict.fromkeys(
        session.scalars(same.order_by(v.version_key).limit(GRAPH_MAX))
    )
    frontier = list(ids)
    while frontier and len(ids) < GRAPH_MAX:
        parents = parents_of(session, frontier)
        frontier = [p for ps in parents.values() for p in ps if p not in ids]
        ids.update(dict.fromkeys(frontier))
    truncated = len(ids) > GRAPH_MAX or bool(frontier and len(ids) >= GRAPH_MAX)
    keep = list(ids)[:GRAPH_MAX]
    rows = [r for part in chunks(keep) for r in session.scalars(select(v).where(v.id.in_(part)))]
    if readable is not None:
        rows = [r for r in rows if r.project_id in readable]
    parents = parents_of(session, [r.id for r in rows])
    nodes = []
    for r in sorted(rows, key=lambda r: (r.created_at, r.id)):
        stats = stats_of(session, r)
        nodes.append(
            DatasetGraphNode(
                id=r.id,
                name=r.name,
                project_id=r.project_id,
                version=r.version,
                state=r.state,  # type: ignore[arg-type]
                parents=parents[r.id],
                created_at=r.created_at,
                file_count=stats.get("file_count", 0),
                total_size=stats.get("total_size", 0),
            )
        )
    return DatasetGraph(nodes=nodes, truncated=truncated)


def versions_of(session: Session, version: DatasetVersion) -> list[str]:
    """The ids of every version of the version's dataset (same project and name)."""
    v = DatasetVersion
    q = select(v.id).where(v.project_id == version.project_id, v.name == version.name)
    return list(session.scalars(q))
