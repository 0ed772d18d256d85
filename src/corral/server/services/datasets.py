"""Dataset versions: create, change, finalize, move, squash, delete; lineage (usages).

A version is a task (type ``data_processing``, system tag ``dataset``; its comment is
the description, its tags the tags) plus a ``DatasetVersion`` row; creating one copies
its parents' file index in (``dataset_files``), finalizing it completes the task
through the task lifecycle. Reading is in ``dataset_query``, the file index in
``dataset_files``, blobs in ``dataset_blobs``, deletion's blob GC in ``dataset_gc``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from corral.core.datasets import bump_version, format_version, parse_version, version_key
from corral.core.task_status import S
from corral.errors import ConflictError, NotFoundError, ValidationError
from corral.schemas.datasets import DatasetCreate, DatasetSquash, DatasetUpdate
from corral.schemas.tasks import TaskCreate
from corral.server.db.models import (
    DatasetFile,
    DatasetParent,
    DatasetUsage,
    DatasetVersion,
    Task,
    User,
)
from corral.server.services import changes, dataset_gc, deletion, projects, task_lifecycle, tasks
from corral.server.services.clock import now
from corral.server.services.dataset_files import copy_rows
from corral.server.services.dataset_query import count_stats

DATASET_TYPE: Final = "data_processing"
DATASET_TAG = "dataset"


def _normal(version: str) -> str:
    return format_version(parse_version(version))


def _next_version(session: Session, project_id: str, name: str) -> str:
    top = session.scalar(
        select(DatasetVersion.version)
        .where(DatasetVersion.project_id == project_id, DatasetVersion.name == name)
        .order_by(DatasetVersion.version_key.desc())
        .limit(1)
    )
    return bump_version(top)


def _check_free(session: Session, project_id: str, name: str, version: str) -> None:
    taken = session.scalar(
        select(DatasetVersion.id).where(
            DatasetVersion.project_id == project_id,
            DatasetVersion.name == name,
            DatasetVersion.version_key == version_key(version),
        )
    )
    if taken:
        raise ConflictError(f"dataset {name!r} already has a version {version} ({taken})")


def final_parents(session: Session, parent_ids: Sequence[str]) -> list[DatasetVersion]:
    """The parents, each an existing ``final`` version (404, 409)."""
    out = []
    for pid in dict.fromkeys(parent_ids):
        parent = session.get(DatasetVersion, pid)
        if parent is None:
            raise NotFoundError(f"no dataset version with id {pid!r} (a parent)")
        if parent.state != "final":
            raise ConflictError(
                f"parent {parent.name} {parent.version} ({pid}) is not final: finalize it first"
            )
        out.append(parent)
    return out


def _new_version(
    session: Session,
    user: User,
    *,
    name: str,
    project: str | None,
    project_id: str | None,
    version: str | None,
    tags: list[str],
    description: str,
    task_id: str | None = None,
) -> DatasetVersion:
    if task_id is not None and session.get(Task, task_id) is not None:
        raise ConflictError(f"a task with id {task_id} already exists")
    task = tasks.create_task(
        session,
        TaskCreate(
            id=task_id,
            name=name,
            project=project,
            project_id=project_id,
            type=DATASET_TYPE,
            system_tags=[DATASET_TAG],
            tags=tags,
            comment=description,
        ),
        user,
    )
    number = _normal(version) if version else _next_version(session, task.project_id, name)
    _check_free(session, task.project_id, name, number)
    row = DatasetVersion(
        id=task.id,
        project_id=task.project_id,
        name=name,
        version=number,
        version_key=version_key(number),
        state="draft",
        stats={},
    )
    session.add(row)
    session.flush()
    return row


def create(session: Session, data: DatasetCreate, user: User) -> DatasetVersion:
    """A new draft version with its parents' files merged in (later parents win)."""
    parents = final_parents(session, data.parents)
    row = _new_version(
        session,
        user,
        name=data.name,
        project=data.project,
        project_id=data.project_id,
        version=data.version,
        tags=list(data.tags),
        description=data.description,
        task_id=data.id,
    )
    row.output_uri = data.output_uri
    for position, parent in enumerate(parents):
        session.add(DatasetParent(child_id=row.id, parent_id=parent.id, position=position))
    session.flush()
    copy_rows(session, row.id, [p.id for p in parents], change="unchanged")
    return row


def update_version(session: Session, version: DatasetVersion, data: DatasetUpdate) -> None:
    task = tasks.get_task(session, version.id, for_update=True)
    final = version.state == "final"
    if final and (data.version is not None or data.output_uri is not None):
        raise ConflictError("a final version's number and output_uri cannot change")
    if data.version is not None:
        number = _normal(data.version)
        if number != version.version:
            _check_free(session, version.project_id, version.name, number)
            version.version, version.version_key = number, version_key(number)
    if data.output_uri is not None:
        version.output_uri = data.output_uri
    if data.description is not None:
        task.comment = data.description
    if data.tags is not None:
        tasks.set_tags(session, task, data.tags)
    tasks.touch(task)
    session.flush()
    tasks.record_change(session, task, "updated", fields=sorted(data.model_fields_set))


def set_state(session: Session, version: DatasetVersion, state: str) -> None:
    if version.state != state and version.state != "final":
        version.state = state
        session.flush()


def _complete_task(session: Session, task: Task) -> None:
    if task.status in (S.created, S.queued):
        task = task_lifecycle.change_status(session, task.id, "start")
    if task.status == S.in_progress:
        task_lifecycle.change_status(session, task.id, "complete")


def finalize(session: Session, version: DatasetVersion) -> None:
    """Close a version: no pending file, ``source`` cleared, leftovers freed, task completed."""
    if version.state == "final":
        raise ConflictError(f"dataset version {version.version} ({version.id}) is final already")
    pending = session.scalar(
        select(func.count()).where(
            DatasetFile.version_id == version.id,
            DatasetFile.blob_id.is_(None),
            DatasetFile.external_url.is_(None),
        )
    )
    if pending:
        raise ConflictError(f"{pending} files not uploaded (run upload)")
    session.execute(
        update(DatasetFile)
        .where(DatasetFile.version_id == version.id, DatasetFile.source.is_not(None))
        .values(source=None)
        .execution_options(synchronize_session=False)
    )
    dataset_gc.free_orphans(session, version.id)
    version.stats = count_stats(session, version.id)
    version.state = "final"
    version.finalized_at = now()
    session.flush()
    _complete_task(session, tasks.get_task(session, version.id))


def move(session: Session, version: DatasetVersion, project: str, user: User) -> list[str]:
    """Move every version of the dataset to ``project`` (created if missing)."""
    target = projects.ensure_project(session, project, user)
    v = DatasetVersion
    ids = list(
        session.scalars(
            select(v.id).where(v.project_id == version.project_id, v.name == version.name)
        )
    )
    if target.id == version.project_id:
        return ids
    clash = session.scalar(
        select(func.count()).where(v.project_id == target.id, v.name == version.name)
    )
    if clash:
        raise ConflictError(f"project {target.name!r} has a dataset named {version.name!r} already")
    for part in dataset_gc.chunks(ids):
        session.execute(update(v).where(v.id.in_(part)).values(project_id=target.id))
        session.execute(
            update(Task).where(Task.id.in_(part)).values(project_id=target.id, last_update=now())
        )
    session.flush()
    session.expire_all()
    for one in ids:
        changes.record(
            session,
            "task",
            one,
            "updated",
            project_id=target.id,
            payload={"fields": ["project_id"]},
        )
    return ids


def squash(session: Session, data: DatasetSquash, user: User) -> DatasetVersion:
    """One new final version with the given versions' files merged (later ids win)."""
    sources = final_parents(session, data.ids)
    if len(sources) < 2:
        raise ValidationError("give at least two different versions to squash")
    project = data.project
    project_id = None if project else sources[0].project_id
    row = _new_version(
        session,
        user,
        name=data.name,
        project=project,
        project_id=project_id,
        version=data.version,
        tags=list(data.tags),
        description=f"squash of {', '.join(s.id for s in sources)}",
    )
    copy_rows(session, row.id, [s.id for s in sources], change="added")
    finalize(session, row)
    return row


def delete(session: Session, version: DatasetVersion, *, force: bool) -> dataset_gc.Freed:
    """Delete a version (its task too) and free the blobs no other version uses."""
    if not force:
        children = session.scalar(select(func.count()).where(DatasetParent.parent_id == version.id))
        used = session.scalar(select(func.count()).where(DatasetUsage.version_id == version.id))
        if children or used:
            raise ConflictError(
                f"dataset version {version.version} is a parent of {children} version(s) and "
                f"was used by {used} task(s); pass force=true to delete it anyway"
            )
    task = tasks.get_task(session, version.id, for_update=True)
    if task.status == S.in_progress and not force:
        raise ConflictError("the dataset's task is running; pass force=true")
    return deletion.delete_tasks(session, [version.id])


# --- lineage -------------------------------------------------------------------------------


def record_usage(
    session: Session, version: DatasetVersion, task_id: str, alias: str
) -> DatasetUsage:
    usage = session.get(DatasetUsage, (task_id, alias))
    if usage is None:
        usage = DatasetUsage(task_id=task_id, alias=alias, version_id=version.id, used_at=now())
        session.add(usage)
    else:
        usage.version_id, usage.used_at = version.id, now()
    session.flush()
    task = tasks.get_task(session, task_id)
    tasks.record_change(session, task, "updated", fields=["datasets"], dataset_id=version.id)
    return usage
