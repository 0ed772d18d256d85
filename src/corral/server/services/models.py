"""Models: register (optionally as a task's output), list, edit, publish, archive, delete.

A published model is what serving loads: it only accepts tag and comment changes, and
deleting it needs ``force``. A model that comes from a task can be published only once
that task has completed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from corral.core.task_status import S, check_reportable
from corral.errors import ConflictError, NotFoundError, ValidationError
from corral.schemas.models import ModelCreate, ModelUpdate
from corral.server.db.models import Model, Task, User, new_id
from corral.server.services import changes, deletion, projects, stored_files
from corral.server.services.clock import now
from corral.server.services.pagination import SortKey, paginate
from corral.server.services.tasks import get_task, touch

MODEL_SORT_FIELDS = (
    "created_at",
    "last_update",
    "name",
    "framework",
    "project_id",
    "task_id",
    "user_id",
    "parent_id",
    "published",
    "archived",
    "uri",
    "comment",
    "id",
)
#: what a published model still lets you change
PUBLISHED_EDITABLE = frozenset({"tags", "system_tags", "comment"})
#: task statuses whose models may be published
PUBLISHABLE_TASK = frozenset({S.completed, S.published})


@dataclass
class ModelFilter:
    project_ids: list[str] = field(default_factory=list)
    task_id: str | None = None
    framework: str | None = None
    #: every tag must be present; a tag written ``-name`` must be absent
    tags: list[str] = field(default_factory=list)
    published: bool | None = None
    archived: bool | None = False
    #: in name or comment (case-insensitive)
    text: str | None = None
    #: exact name
    name: str | None = None
    #: exact weights URI
    uri: str | None = None
    #: the projects the caller may read (None: all); models outside projects are listed too
    visible: frozenset[str] | None = None


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def get_model(session: Session, model_id: str, *, for_update: bool = False) -> Model:
    q = select(Model).where(Model.id == model_id)
    if for_update and _is_postgres(session):
        q = q.with_for_update()
    model = session.scalar(q)
    if model is None:
        raise NotFoundError(f"no model with id {model_id!r}")
    return model


def _record(session: Session, model: Model, action: str, **payload: Any) -> None:
    changes.record(
        session,
        "model",
        model.id,
        action,
        project_id=model.project_id,
        payload={"name": model.name, "published": model.published, **payload},
    )


def _record_task_models(session: Session, task: Task) -> None:
    changes.record(
        session,
        "task",
        task.id,
        "updated",
        project_id=task.project_id,
        payload={"status": task.status, "name": task.name, "fields": ["models"]},
    )


def _resolve_project(
    session: Session, user: User, data: ModelCreate, task: Task | None
) -> str | None:
    if data.project_id:
        return projects.get_project(session, data.project_id).id
    if data.project:
        return projects.ensure_project(session, data.project, user).id
    if task is not None:
        return task.project_id
    raise ValidationError(
        "give the model's project: 'project' (a name), 'project_id', or 'task_id' "
        "(the model then belongs to the task's project)",
        errors=[{"loc": ["body", "project"], "msg": "required", "type": "missing"}],
    )


def _check_parent(session: Session, parent_id: str | None) -> None:
    if parent_id and session.get(Model, parent_id) is None:
        raise NotFoundError(f"no parent model with id {parent_id!r}")


def create_model(session: Session, data: ModelCreate, user: User) -> Model:
    if data.id is not None and session.get(Model, data.id) is not None:
        raise ConflictError(f"a model with id {data.id} already exists")
    task = None
    if data.task_id:
        task = get_task(session, data.task_id, for_update=True)
        check_reportable(task.status)
    project_id = _resolve_project(session, user, data, task)
    _check_parent(session, data.parent_id)
    model = Model(
        id=data.id or new_id(),
        name=data.name,
        project_id=project_id,
        task_id=task.id if task else None,
        user_id=user.id,
        framework=data.framework,
        uri=data.uri,
        tags=list(dict.fromkeys(data.tags)),
        system_tags=list(dict.fromkeys(data.system_tags)),
        labels=dict(data.labels),
        meta=dict(data.metadata),
        design=data.design,
        comment=data.comment,
        parent_id=data.parent_id,
    )
    session.add(model)
    session.flush()
    if task is not None:
        # a new dict: SQLAlchemy only notices a JSON column change by assignment
        outputs = [*task.models.get("output", []), {"name": model.name, "model_id": model.id}]
        task.models = {**task.models, "output": outputs}
        touch(task)
        session.flush()
        _record_task_models(session, task)
    _record(session, model, "created", task_id=model.task_id)
    return model


def update_model(session: Session, model_id: str, data: ModelUpdate) -> Model:
    model = get_model(session, model_id, for_update=True)
    fields = {name for name in data.model_fields_set if getattr(data, name) is not None}
    if model.published and fields - PUBLISHED_EDITABLE:
        raise ConflictError(
            f"model {model.name!r} is published: only tags and comment can change "
            f"(not {', '.join(sorted(fields - PUBLISHED_EDITABLE))})"
        )
    old_uri = model.uri
    for name in ("name", "framework", "uri", "design", "comment"):
        if name in fields:
            setattr(model, name, getattr(data, name))
    if data.tags is not None:
        model.tags = list(dict.fromkeys(data.tags))
    if data.system_tags is not None:
        model.system_tags = list(dict.fromkeys(data.system_tags))
    if data.labels is not None:
        model.labels = dict(data.labels)
    if data.metadata is not None:
        model.meta = dict(data.metadata)
    model.last_update = now()
    session.flush()
    if model.uri != old_uri:
        stored_files.release(session, old_uri)
    _record(session, model, "updated", fields=sorted(fields))
    return model


def publish_model(session: Session, model_id: str) -> Model:
    """Publish a model (idempotent). Its task, if any, must have completed."""
    model = get_model(session, model_id, for_update=True)
    if model.published:
        return model
    if model.archived:
        raise ConflictError(f"model {model.name!r} is archived; unarchive it before publishing")
    task = session.get(Task, model.task_id) if model.task_id else None
    if task is not None and task.status not in PUBLISHABLE_TASK:
        raise ConflictError(
            f"model {model.name!r} comes from task {task.id} which is {task.status}; "
            "a model can be published only once its task has completed"
        )
    model.published = True
    model.last_update = now()
    session.flush()
    _record(session, model, "published")
    return model


def set_archived(session: Session, model_id: str, archived: bool) -> Model:
    model = get_model(session, model_id, for_update=True)
    model.archived = archived
    model.last_update = now()
    session.flush()
    _record(session, model, "archived" if archived else "unarchived")
    return model


def delete_model(session: Session, model_id: str, *, force: bool = False) -> None:
    """Delete a model; its hub file goes after commit, task references go now."""
    model = get_model(session, model_id, for_update=True)
    if model.published and not force:
        raise ConflictError(
            f"model {model.name!r} is published (it may be served); delete it with force=true"
        )
    deletion.delete_model(session, model)


# --- lists ---------------------------------------------------------------------------------


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _has_tag(session: Session, tag: str) -> ColumnElement[bool]:
    if _is_postgres(session):
        return Model.tags.op("@>")(literal([tag], JSONB))
    values = func.json_each(Model.tags).table_valued("value")
    return exists(select(1).select_from(values).where(values.c.value == tag))


def apply_filter(session: Session, q: Any, f: ModelFilter) -> Any:
    if f.visible is not None:
        q = q.where(or_(Model.project_id.in_(sorted(f.visible)), Model.project_id.is_(None)))
    if f.project_ids:
        q = q.where(Model.project_id.in_(f.project_ids))
    if f.task_id:
        q = q.where(Model.task_id == f.task_id)
    if f.framework:
        q = q.where(Model.framework == f.framework)
    if f.name:
        q = q.where(Model.name == f.name)
    if f.uri:
        q = q.where(Model.uri == f.uri)
    if f.published is not None:
        q = q.where(Model.published.is_(f.published))
    if f.archived is not None:
        q = q.where(Model.archived.is_(f.archived))
    for tag in f.tags:
        if tag.startswith("-") and len(tag) > 1:
            q = q.where(~_has_tag(session, tag[1:]))
        else:
            q = q.where(_has_tag(session, tag))
    if f.text:
        pattern = _like(f.text)
        q = q.where(
            or_(Model.name.ilike(pattern, escape="\\"), Model.comment.ilike(pattern, escape="\\"))
        )
    return q


def sort_key(spec: str) -> SortKey:
    descending = spec.startswith("-")
    name = spec[1:] if descending else spec
    if name not in MODEL_SORT_FIELDS:
        raise ValidationError(
            f"cannot sort models by {spec!r}: use one of {', '.join(MODEL_SORT_FIELDS)} "
            "(prefix '-' for descending)"
        )
    return SortKey(spec, getattr(Model, name), descending)


def list_models(
    session: Session,
    f: ModelFilter,
    *,
    sort: str,
    limit: int,
    cursor: str | None,
    with_total: bool = False,
) -> tuple[list[Model], str | None, int | None]:
    key = sort_key(sort)
    rows, next_cursor = paginate(
        session, apply_filter(session, select(Model), f), key, Model.id, limit=limit, cursor=cursor
    )
    total = None
    if with_total:
        total = session.scalar(apply_filter(session, select(func.count(Model.id)), f))
    return list(rows), next_cursor, total
