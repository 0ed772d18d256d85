"""Stored hub files follow the records that refer to them.

Artifacts, models and debug samples point at files by URI (``hub://<path>``). A
file goes when nothing refers to it any more: a task's files (everything under
``tasks/<id>/``) go with the task or its reset, except those a surviving record
still uses (a clone's input artifact, a registered model); a file elsewhere goes
with the last record that refers to it. Removal happens only after the
transaction commits (see ``db.unit_of_work``), so a rolled-back change loses nothing.

Files uploaded through ``PUT /files`` are also noted in ``StoredObject`` (who stored
how many bytes, in which project: storage quotas count them). The note goes in the
same transaction that lets the file go, so the count never includes a file that is
about to be removed, nor misses one whose removal was rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from corral.server.db.models import Artifact, DebugSample, Model, StoredObject, Task
from corral.server.db.unit_of_work import FILES_TO_DELETE, FILES_TO_KEEP
from corral.server.storage.uris import hub_path, hub_uri

#: ``session.info`` keys read by the unit of work after the commit
DELETE = FILES_TO_DELETE
KEEP = FILES_TO_KEEP

_REFERRING = (Artifact.uri, Model.uri, DebugSample.uri)


def task_files_prefix(task_id: str) -> str:
    """Stored files under this prefix belong to the task and go with it."""
    return f"tasks/{task_id}/"


def _still_referenced(session: Session, uri: str) -> bool:
    return any(
        session.scalar(select(func.count()).select_from(col.class_).where(col == uri))
        for col in _REFERRING
    )


_TASKS_URI = hub_uri("tasks/")


def _referenced_in_task_folders(session: Session, task_ids: list[str]) -> set[str]:
    """Paths under ``tasks/<id>/`` (for the given ids) that some record still refers to.

    One query per referring table for all the tasks at once: the task id is the
    path segment right after ``tasks/``.
    """
    if not task_ids:
        return set()
    paths: set[str] = set()
    for col in _REFERRING:
        # ids are all of one length (32 hex): the segment is that many characters
        segment = func.substr(col, len(_TASKS_URI) + 1, len(task_ids[0]))
        q = select(col).where(col.startswith(_TASKS_URI), segment.in_(task_ids)).distinct()
        for uri in session.scalars(q):
            path = hub_path(uri)
            if path:
                paths.add(path)
    return paths


def release(session: Session, uri: str | None, *, keep_prefix: str | None = None) -> None:
    """Remove the file behind ``uri`` after commit if no record refers to it any more.

    Call it once the record that referred to ``uri`` is changed or deleted (and
    flushed). Files under ``keep_prefix`` are left alone: they go with their task.
    """
    path = hub_path(uri)
    if not path or (keep_prefix and path.startswith(keep_prefix)):
        return
    if not _still_referenced(session, uri or ""):
        session.info.setdefault(DELETE, []).append(path)
        forget(session, [path])


def uris_of_outputs(session: Session, task_ids: list[str], *, inputs: bool) -> list[str]:
    """The file URIs of the tasks' debug samples and artifacts (outputs only unless ``inputs``)."""
    artifacts = select(Artifact.uri).where(Artifact.task_id.in_(task_ids))
    if not inputs:
        artifacts = artifacts.where(Artifact.mode == "output")
    samples = select(DebugSample.uri).where(DebugSample.task_id.in_(task_ids))
    return [u for q in (artifacts, samples) for u in session.scalars(q) if hub_path(u)]


def release_task_files(session: Session, task_ids: list[str], uris: Iterable[str]) -> None:
    """After the tasks' records are deleted (and flushed): schedule what no one uses any more.

    ``uris`` are those the deleted records referred to (``uris_of_outputs``, read
    before the delete): files outside the tasks' own folders go if no one else uses
    them. The tasks' folders go, but for the files surviving records still refer to.
    """
    prefixes = [task_files_prefix(t) for t in task_ids]
    for uri in set(uris):
        path = hub_path(uri) or ""
        if not any(path.startswith(p) for p in prefixes):
            release(session, uri)
    doomed: list[str] = session.info.setdefault(DELETE, [])
    kept: set[str] = session.info.setdefault(KEEP, set())
    doomed.extend(prefixes)
    kept.update(_referenced_in_task_folders(session, task_ids))
    _forget_task_folders(session, task_ids, kept)


# --- who stored what (storage quotas) ------------------------------------------------------


def _project_of(session: Session, path: str) -> str | None:
    """The project a stored path belongs to: ``tasks/<id>/...`` or ``models/<id>/...``."""
    top, _, rest = path.partition("/")
    owner_id, sep, _ = rest.partition("/")
    if not sep or not owner_id:
        return None
    if top == "tasks":
        return session.scalar(select(Task.project_id).where(Task.id == owner_id))
    if top == "models":
        return session.scalar(select(Model.project_id).where(Model.id == owner_id))
    return None


def record_upload(session: Session, path: str, user_id: str, size: int) -> None:
    """Note who stored ``path`` (replacing what was noted for it before)."""
    row = session.get(StoredObject, path)
    if row is None:
        row = StoredObject(path=path)
        session.add(row)
    row.user_id = user_id
    row.project_id = _project_of(session, path)
    row.size = size
    session.flush()


def _forget_task_folders(session: Session, task_ids: list[str], kept: set[str]) -> None:
    """Drop the records under ``tasks/<id>/`` of these tasks, but for the ``kept`` paths."""
    if not task_ids:
        return
    segment = func.substr(StoredObject.path, len("tasks/") + 1, len(task_ids[0]))
    q = delete(StoredObject).where(
        StoredObject.path.startswith("tasks/"),
        segment.in_(task_ids),
        func.substr(StoredObject.path, len("tasks/") + len(task_ids[0]) + 1, 1) == "/",
    )
    if kept:
        q = q.where(StoredObject.path.not_in(list(kept)))
    session.execute(q.execution_options(synchronize_session=False))


def forget(session: Session, paths: Iterable[str], *, keep: Iterable[str] = ()) -> None:
    """Drop the records of stored paths: files, and ``dir/`` trees (but ``keep``)."""
    files = [p for p in paths if not p.endswith("/")]
    trees = [p for p in paths if p.endswith("/")]
    kept = list(keep)
    if files:
        q = delete(StoredObject).where(StoredObject.path.in_(files))
        session.execute(q.execution_options(synchronize_session=False))
    if trees:
        under = or_(*(StoredObject.path.startswith(t, autoescape=True) for t in trees))
        q = delete(StoredObject).where(under)
        if kept:
            q = q.where(StoredObject.path.not_in(kept))
        session.execute(q.execution_options(synchronize_session=False))
