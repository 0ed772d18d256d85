"""Deletion cascades: what goes with a task, a model or a project, and their stored files.

* a task takes its events, summaries, artifacts, tags and queue entry with it; its
  children stay (without a parent); its files go after the commit, but for those a
  surviving record still uses (``stored_files``);
* a model leaves every task's model lists, its children lose their parent, and its
  file goes unless another record uses it;
* a project tree takes its models and tasks (callers ask for ``force`` first).

The resource services (``tasks``, ``models``, ``projects``) check what the caller
may delete and call in here; this module imports none of them, so the cascade has
no cycle. Like every service it flushes and never commits.
"""

from __future__ import annotations

from sqlalchemy import Text, cast, delete, select, update
from sqlalchemy.orm import Session

from corral.errors import ConflictError
from corral.server.db.models import (
    ApiKey,
    Artifact,
    DebugSample,
    EventBatch,
    LogEvent,
    Model,
    PlotEvent,
    Project,
    QueueEntry,
    ScalarChunk,
    Task,
    TaskMetricSummary,
    TaskTag,
)
from corral.server.services import changes, dataset_gc, stored_files, task_tokens
from corral.server.services.clock import now

#: tasks deleted per statement (stays under every database's parameter limit)
CHUNK = 500

#: what a run produces, cleared by a reset (output artifacts are cleared apart)
_OUTPUT_TABLES = (ScalarChunk, LogEvent, PlotEvent, DebugSample, TaskMetricSummary, EventBatch)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- tasks ---------------------------------------------------------------------------------


def clear_task_outputs(session: Session, task: Task) -> None:
    """Drop everything a run produced: events, summaries, output artifacts and their files."""
    uris = stored_files.uris_of_outputs(session, [task.id], inputs=False)
    for table in _OUTPUT_TABLES:
        session.execute(delete(table).where(table.task_id == task.id))
    session.execute(delete(Artifact).where(Artifact.task_id == task.id, Artifact.mode == "output"))
    session.flush()
    stored_files.release_task_files(session, [task.id], uris)
    task.last_metrics = {}
    task.last_iteration = None
    task.models = {**task.models, "output": []}


def delete_tasks(session: Session, task_ids: list[str]) -> dataset_gc.Freed:
    """Delete tasks with their events, artifacts and stored files (children are kept).

    A task that is a dataset version takes its file index with it, and the blobs no
    other version uses (``dataset_gc``); returns what that freed.
    """
    freed = dataset_gc.Freed()
    for start in range(0, len(task_ids), CHUNK):
        chunk = task_ids[start : start + CHUNK]
        uris = stored_files.uris_of_outputs(session, chunk, inputs=True)
        rows = session.execute(
            select(Task.id, Task.project_id, Task.name).where(Task.id.in_(chunk))
        )
        for tid, project_id, name in rows:
            changes.record(
                session, "task", tid, "deleted", project_id=project_id, payload={"name": name}
            )
        session.execute(update(Task).where(Task.parent_id.in_(chunk)).values(parent_id=None))
        gone = dataset_gc.drop_versions(session, chunk)
        freed.blobs += gone.blobs
        freed.bytes += gone.bytes
        freed.external_uris += gone.external_uris
        dataset_gc.forget_usages_of_tasks(session, chunk)
        # a deleted task's token ends with it (its open streams too)
        task_tokens.revoke(session, chunk)
        session.execute(delete(ApiKey).where(ApiKey.task_id.in_(chunk)))
        # Event tables are removed explicitly: they are large, and SQLite enforces
        # ON DELETE CASCADE only when foreign keys are on for that connection.
        for table in (*_OUTPUT_TABLES, Artifact, TaskTag, QueueEntry):
            session.execute(delete(table).where(table.task_id.in_(chunk)))
        session.execute(delete(Task).where(Task.id.in_(chunk)))
        session.flush()
        stored_files.release_task_files(session, chunk, uris)
    return freed


# --- models --------------------------------------------------------------------------------


def _drop_model_references(session: Session, model_id: str) -> None:
    """Remove the model from every task's input/output model lists."""
    # Ids are hex, so a text search of the JSON is exact enough to find candidates.
    q = select(Task).where(cast(Task.models, Text).contains(model_id))
    if _is_postgres(session):
        q = q.with_for_update()
    for task in session.scalars(q):
        kept = {
            key: [r for r in refs if not (isinstance(r, dict) and r.get("model_id") == model_id)]
            if isinstance(refs, list)
            else refs
            for key, refs in task.models.items()
        }
        if kept != task.models:
            task.models = kept
            task.last_update = now()
            changes.record(
                session,
                "task",
                task.id,
                "updated",
                project_id=task.project_id,
                payload={"status": task.status, "name": task.name, "fields": ["models"]},
            )


def delete_model(session: Session, model: Model) -> None:
    """Delete a model (already checked and locked); its hub file goes after the commit."""
    _drop_model_references(session, model.id)
    session.execute(update(Model).where(Model.parent_id == model.id).values(parent_id=None))
    changes.record(
        session,
        "model",
        model.id,
        "deleted",
        project_id=model.project_id,
        payload={"name": model.name, "published": model.published},
    )
    uri = model.uri
    session.delete(model)
    session.flush()
    stored_files.release(session, uri)


# --- projects ------------------------------------------------------------------------------


def delete_project_tree(session: Session, tree: list[Project], *, force: bool) -> list[str]:
    """Delete projects (a project and its subprojects); with ``force``, their tasks and models.

    Returns the deleted task ids. Models go with the project as in its model
    registry; their stored files go too (unless another record uses them).

    Raises:
        ConflictError: the projects hold tasks or models and ``force`` is not given.
    """
    ids = [p.id for p in tree]
    task_ids = list(session.scalars(select(Task.id).where(Task.project_id.in_(ids))))
    q = select(Model).where(Model.project_id.in_(ids))
    if _is_postgres(session):
        q = q.with_for_update()
    models = list(session.scalars(q))
    if (task_ids or models) and not force:
        raise ConflictError(
            f"project {tree[0].name!r} holds {len(task_ids)} task(s) and {len(models)} "
            "model(s); pass force=true to delete them with it"
        )
    for model in models:
        delete_model(session, model)
    delete_tasks(session, task_ids)
    for p in sorted(tree, key=lambda p: p.name.count("/"), reverse=True):
        session.delete(p)
        changes.record(
            session, "project", p.id, "deleted", project_id=p.id, payload={"name": p.name}
        )
    session.flush()
    return task_ids
