"""Artifacts of a task: create or replace by name, read, delete.

Output artifacts are results: they may be reported while the task accepts reports
(anything but published). Input artifacts are given to a draft before it runs.
A stored hub file that a replaced or deleted artifact leaves behind is removed once
the transaction commits, unless another record still refers to it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from corral.core.task_status import check_editable, check_reportable
from corral.errors import NotFoundError
from corral.schemas.artifacts import ArtifactCreate
from corral.server.db.models import Artifact, Task
from corral.server.services import changes, stored_files
from corral.server.services.clock import now
from corral.server.services.stored_files import task_files_prefix
from corral.server.services.tasks import get_task, touch


def _check_mode(task: Task, mode: str) -> None:
    if mode == "input":
        check_editable(task.status, "input artifacts")
    else:
        check_reportable(task.status)


def _find(session: Session, task_id: str, name: str) -> Artifact | None:
    return session.scalar(
        select(Artifact).where(Artifact.task_id == task_id, Artifact.name == name)
    )


def list_artifacts(session: Session, task_id: str, *, mode: str | None = None) -> list[Artifact]:
    get_task(session, task_id)
    q = select(Artifact).where(Artifact.task_id == task_id)
    if mode:
        q = q.where(Artifact.mode == mode)
    return list(session.scalars(q.order_by(Artifact.name)))


def get_artifact(session: Session, task_id: str, name: str) -> Artifact:
    artifact = _find(session, task_id, name)
    if artifact is None:
        get_task(session, task_id)  # a missing task is reported as such
        raise NotFoundError(f"task {task_id!r} has no artifact named {name!r}")
    return artifact


def _record(session: Session, task: Task, name: str, op: str) -> None:
    changes.record(
        session,
        "task",
        task.id,
        "artifact",
        project_id=task.project_id,
        payload={"name": name, "op": op},
    )


def put_artifact(session: Session, task_id: str, data: ArtifactCreate) -> tuple[Artifact, bool]:
    """Create the artifact, or replace the one of the same name. Returns (artifact, created)."""
    task = get_task(session, task_id, for_update=True)
    _check_mode(task, data.mode)
    artifact = _find(session, task.id, data.name)
    created = artifact is None
    old_uri = None
    if artifact is None:
        artifact = Artifact(task_id=task.id, name=data.name)
        session.add(artifact)
    else:
        _check_mode(task, artifact.mode)  # replacing an input is editing the draft's inputs
        old_uri = artifact.uri
    artifact.type = data.type
    artifact.mode = data.mode
    artifact.uri = data.uri
    artifact.size = data.size
    artifact.hash = data.hash
    artifact.content_type = data.content_type
    artifact.preview = data.preview
    artifact.meta = dict(data.metadata)
    artifact.created_at = now()
    touch(task)
    session.flush()
    if old_uri and old_uri != data.uri:
        stored_files.release(session, old_uri, keep_prefix=task_files_prefix(task.id))
    _record(session, task, data.name, "created" if created else "replaced")
    return artifact, created


def delete_artifact(session: Session, task_id: str, name: str) -> None:
    task = get_task(session, task_id, for_update=True)
    artifact = get_artifact(session, task.id, name)
    _check_mode(task, artifact.mode)
    uri = artifact.uri
    session.delete(artifact)
    touch(task)
    session.flush()
    stored_files.release(session, uri, keep_prefix=task_files_prefix(task.id))
    _record(session, task, name, "deleted")
