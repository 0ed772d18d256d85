"""Datasets: versions, their file index, diffs, blobs and lineage (docs/api.md, "Datasets").

Thin routes over ``services.datasets`` and its siblings. Reading a version needs
read on its task, changing it write on its task; a version the caller may not read
is a 404 on every route, like a missing one. Blobs are in ``dataset_blobs``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from corral.errors import ValidationError
from corral.schemas.common import Page
from corral.schemas.datasets import (
    FILES_PAGE_MAX,
    Change,
    DatasetCreate,
    DatasetDeleted,
    DatasetFile,
    DatasetGraph,
    DatasetMove,
    DatasetName,
    DatasetSquash,
    DatasetUpdate,
    DatasetUsage,
    DatasetVersion,
    DiffChange,
    DiffEntry,
    DiffSummary,
    FilesAdded,
    FilesIn,
    FilesRemove,
    FilesRemoved,
    State,
    UsageIn,
)
from corral.server.api.deps import AccessDep, CurrentUser, SessionDep, SettingsDep
from corral.server.api.guards import dataset_for, require_target_project, task_for
from corral.server.api.params import ListParam
from corral.server.db.models import DatasetVersion as VersionRow
from corral.server.services import (
    audit,
    dataset_diff,
    dataset_files,
    dataset_query,
    dataset_usages,
    datasets,
)

router = APIRouter(tags=["datasets"])

#: default rows of a file or diff page
FILES_DEFAULT = 500
LimitParam = Annotated[int | None, Query(ge=1)]
CursorParam = Annotated[str | None, Query(max_length=4096)]


def _one(session: Session, version: VersionRow) -> DatasetVersion:
    session.flush()
    session.refresh(version)
    return dataset_query.to_out(session, [version])[0]


def _page_limit(limit: int | None, top: int, default: int) -> int:
    if limit is None:
        return min(default, top)
    if limit > top:
        raise ValidationError(f"limit must be at most {top}")
    return limit


# --- versions ----------------------------------------------------------------------------


@router.post("/datasets", response_model=DatasetVersion, status_code=201)
def create_dataset(
    body: DatasetCreate, session: SessionDep, access: AccessDep, user: CurrentUser
) -> DatasetVersion:
    """Create a draft version (its parents' files merged in)."""
    require_target_project(access, session, body.project, body.project_id)
    for parent in body.parents:
        task_for(access, session, parent, "read", what="dataset version")
    return _one(session, datasets.create(session, body, user))


@router.get("/datasets", response_model=Page[DatasetVersion])
def list_datasets(
    session: SessionDep,
    access: AccessDep,
    settings: SettingsDep,
    project: Annotated[str | None, Query(max_length=1024)] = None,
    project_id: str | None = None,
    name: Annotated[str | None, Query(max_length=255)] = None,
    partial_name: Annotated[str | None, Query(max_length=255)] = None,
    version: Annotated[str | None, Query(max_length=32)] = None,
    tag: ListParam = [],
    state: State | None = None,
    id: ListParam = [],
    only_final: bool = False,
    sort: str = "-version",
    limit: LimitParam = None,
    cursor: CursorParam = None,
    with_total: bool = False,
) -> Page[DatasetVersion]:
    """Versions, filtered; ``sort`` is ``-version`` (default), ``-created_at`` or ``name``."""
    f = dataset_query.VersionFilter(
        visible=access.visible_projects(),
        project=project,
        project_id=project_id,
        name=name,
        partial_name=partial_name,
        version=version,
        tags=tag,
        state=state,
        ids=id,
        only_final=only_final,
    )
    size = min(limit or 50, settings.limits.page_size)  # like GET /tasks: at most a page
    rows, next_cursor, total = dataset_query.list_versions(
        session, f, sort=sort, limit=size, cursor=cursor, with_total=with_total
    )
    items = dataset_query.to_out(session, rows)
    return Page[DatasetVersion](items=items, next_cursor=next_cursor, total=total)


@router.get("/datasets/names", response_model=Page[DatasetName])
def list_dataset_names(
    session: SessionDep,
    access: AccessDep,
    settings: SettingsDep,
    project_id: str | None = None,
    partial_name: Annotated[str | None, Query(max_length=255)] = None,
    limit: LimitParam = None,
    cursor: CursorParam = None,
) -> Page[DatasetName]:
    """Datasets (all versions of one project and name), by name; ``latest`` is the highest."""
    size = min(limit or 50, settings.limits.page_size)  # like GET /tasks: at most a page
    items, next_cursor = dataset_query.list_names(
        session,
        visible=access.visible_projects(),
        project_id=project_id,
        partial_name=partial_name,
        limit=size,
        cursor=cursor,
    )
    return Page[DatasetName](items=items, next_cursor=next_cursor)


@router.post("/datasets:squash", response_model=DatasetVersion, status_code=201)
def squash_datasets(
    body: DatasetSquash, session: SessionDep, access: AccessDep, user: CurrentUser
) -> DatasetVersion:
    """A new final version, the given versions merged (later ids win); nothing uploaded."""
    for one in body.ids:
        task_for(access, session, one, "read", what="dataset version")
    if body.project:
        require_target_project(access, session, body.project, None)
    else:
        first = dataset_query.get_version(session, body.ids[0])
        require_target_project(access, session, None, first.project_id)
    return _one(session, datasets.squash(session, body, user))


@router.get("/datasets/{dataset_id}", response_model=DatasetVersion)
def get_dataset(dataset_id: str, session: SessionDep, access: AccessDep) -> DatasetVersion:
    return _one(session, dataset_for(access, session, dataset_id, "read"))


@router.patch("/datasets/{dataset_id}", response_model=DatasetVersion)
def update_dataset(
    dataset_id: str, body: DatasetUpdate, session: SessionDep, access: AccessDep
) -> DatasetVersion:
    """Change description and tags (any time), version and output_uri (drafts only)."""
    version = dataset_for(access, session, dataset_id, "write")
    datasets.update_version(session, version, body)
    return _one(session, version)


@router.delete("/datasets/{dataset_id}", response_model=DatasetDeleted)
def delete_dataset(
    dataset_id: str, session: SessionDep, access: AccessDep, force: bool = False
) -> DatasetDeleted:
    """Delete a version and free the blobs no other version uses (409 if used, unless force)."""
    version = dataset_for(access, session, dataset_id, "write")
    name, number, project_id = version.name, version.version, version.project_id
    freed = datasets.delete(session, version, force=force)
    audit.record(
        session,
        "dataset.deleted",
        target_type="task",
        target_id=dataset_id,
        target_name=f"{name} {number}",
        detail={"project_id": project_id, "freed_blobs": freed.blobs, "force": force},
    )
    return DatasetDeleted(
        deleted=[dataset_id],
        freed_blobs=freed.blobs,
        freed_bytes=freed.bytes,
        external_uris=freed.external_uris,
    )


@router.post("/datasets/{dataset_id}:finalize", response_model=DatasetVersion)
def finalize_dataset(dataset_id: str, session: SessionDep, access: AccessDep) -> DatasetVersion:
    """Close the version (409 when final already or files are not uploaded)."""
    version = dataset_for(access, session, dataset_id, "write")
    datasets.finalize(session, version)
    return _one(session, version)


@router.post("/datasets/{dataset_id}:move", response_model=DatasetVersion)
def move_dataset(
    dataset_id: str, body: DatasetMove, session: SessionDep, access: AccessDep, user: CurrentUser
) -> DatasetVersion:
    """Move every version of the dataset to another project."""
    version = dataset_for(access, session, dataset_id, "write")
    require_target_project(access, session, body.project, None)
    for other in dataset_query.versions_of(session, version):
        task_for(access, session, other, "write", what="dataset version")
    datasets.move(session, version, body.project, user)
    return _one(session, dataset_query.get_version(session, dataset_id))


@router.get("/datasets/{dataset_id}/graph", response_model=DatasetGraph)
def dataset_graph(dataset_id: str, session: SessionDep, access: AccessDep) -> DatasetGraph:
    """The dataset's versions and their ancestors (readable ones), at most 500."""
    version = dataset_for(access, session, dataset_id, "read")
    return dataset_query.graph(session, version, access.visible_projects())


# --- the file index ------------------------------------------------------------------------


@router.post("/datasets/{dataset_id}/files", response_model=FilesAdded)
def add_dataset_files(
    dataset_id: str, body: FilesIn, session: SessionDep, access: AccessDep
) -> FilesAdded:
    """Add or replace up to 10,000 files (409 on a final version; 422 on a bad path)."""
    version = dataset_for(access, session, dataset_id, "write")
    return dataset_files.add_files(session, version, body.files)


@router.post("/datasets/{dataset_id}/files:remove", response_model=FilesRemoved)
def remove_dataset_files(
    dataset_id: str, body: FilesRemove, session: SessionDep, access: AccessDep
) -> FilesRemoved:
    """Remove paths (a folder takes what is under it) or a glob's matches."""
    version = dataset_for(access, session, dataset_id, "write")
    count = dataset_files.remove_files(session, version, body.paths, body.pattern)
    return FilesRemoved(removed=count)


@router.get("/datasets/{dataset_id}/files", response_model=Page[DatasetFile])
def list_dataset_files(
    dataset_id: str,
    session: SessionDep,
    access: AccessDep,
    prefix: Annotated[str | None, Query(max_length=1024)] = None,
    search: Annotated[str | None, Query(max_length=1024)] = None,
    pending: bool | None = None,
    change: Change | None = None,
    limit: LimitParam = None,
    cursor: CursorParam = None,
    with_total: bool = False,
) -> Page[DatasetFile]:
    """The index by path, a page at a time (``limit`` up to 10,000)."""
    version = dataset_for(access, session, dataset_id, "read")
    items, next_cursor, total = dataset_files.list_files(
        session,
        version,
        prefix=prefix,
        search=search,
        pending=pending,
        change=change,
        limit=_page_limit(limit, FILES_PAGE_MAX, FILES_DEFAULT),
        cursor=cursor,
        with_total=with_total,
    )
    return Page[DatasetFile](items=items, next_cursor=next_cursor, total=total)


@router.get("/datasets/{dataset_id}/diff", response_model=Page[DiffEntry])
def dataset_diff_page(
    dataset_id: str,
    session: SessionDep,
    access: AccessDep,
    against: str | None = None,
    change: DiffChange | None = None,
    prefix: Annotated[str | None, Query(max_length=1024)] = None,
    limit: LimitParam = None,
    cursor: CursorParam = None,
) -> Page[DiffEntry]:
    """What differs from ``against`` (another version; omitted: the parents), by path."""
    version = dataset_for(access, session, dataset_id, "read")
    other = dataset_for(access, session, against, "read") if against else None
    items, next_cursor = dataset_diff.diff(
        session,
        version,
        other,
        change=change,
        prefix=prefix,
        limit=_page_limit(limit, FILES_PAGE_MAX, FILES_DEFAULT),
        cursor=cursor,
    )
    return Page[DiffEntry](items=items, next_cursor=next_cursor)


@router.get("/datasets/{dataset_id}/diff/summary", response_model=DiffSummary)
def dataset_diff_summary(
    dataset_id: str, session: SessionDep, access: AccessDep, against: str | None = None
) -> DiffSummary:
    version = dataset_for(access, session, dataset_id, "read")
    other = dataset_for(access, session, against, "read") if against else None
    return dataset_diff.summary(session, version, other)


# --- lineage ---------------------------------------------------------------------------------


@router.post("/datasets/{dataset_id}/usages", response_model=DatasetUsage)
def record_dataset_usage(
    dataset_id: str, body: UsageIn, session: SessionDep, access: AccessDep
) -> DatasetUsage:
    """Task ``task_id`` uses this version under ``alias`` (replacing that alias's version)."""
    version = dataset_for(access, session, dataset_id, "read")
    task_for(access, session, body.task_id, "write")
    usage = datasets.record_usage(session, version, body.task_id, body.alias)
    return dataset_usages.to_out(session, [usage])[0]


@router.get("/datasets/{dataset_id}/usages", response_model=Page[DatasetUsage])
def list_dataset_usages(
    dataset_id: str,
    session: SessionDep,
    access: AccessDep,
    settings: SettingsDep,
    limit: LimitParam = None,
    cursor: CursorParam = None,
) -> Page[DatasetUsage]:
    """The tasks that used this version (those the caller may read), newest first."""
    dataset_for(access, session, dataset_id, "read")
    size = min(limit or 50, settings.limits.page_size)  # like GET /tasks: at most a page
    items, next_cursor = dataset_usages.of_version(
        session, dataset_id, access.visible_projects(), limit=size, cursor=cursor
    )
    return Page[DatasetUsage](items=items, next_cursor=next_cursor)


@router.get("/tasks/{task_id}/datasets", response_model=list[DatasetUsage])
def task_datasets(task_id: str, session: SessionDep, access: AccessDep) -> list[DatasetUsage]:
    """The dataset versions a task used, by alias (those the caller may read)."""
    task_for(access, session, task_id, "read")
    return dataset_usages.of_task(session, task_id, access.visible_projects())
