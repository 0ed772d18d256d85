"""Tasks: CRUD, lists, inputs (hyperparameters, configuration) and status actions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from corral.core.value_filters import FilterSyntaxError, parse_filters
from corral.errors import ValidationError
from corral.schemas.common import Ok, Page
from corral.schemas.task_columns import HyperparamColumn, MetricColumn, TaskColumns
from corral.schemas.tasks import (
    Clone,
    ConfigurationOut,
    ConfigurationPatch,
    Enqueue,
    Finish,
    HyperparamsOut,
    HyperparamsPatch,
    Publish,
    Reason,
    Reset,
    Start,
    TaskBrief,
    TaskCreate,
    TaskOut,
    TaskUpdate,
)
from corral.server.api.deps import AccessDep, CurrentUser, SessionDep, SettingsDep
from corral.server.api.guards import require_target_project, task_for
from corral.server.api.params import ListParam, OptionalFlag
from corral.server.db.models import Task
from corral.server.services import audit, task_export, task_lifecycle, task_query, tasks

router = APIRouter(prefix="/tasks", tags=["tasks"])


#: value filters (``KEY OP VALUE``), all must hold; see docs/api.md "Filters on values"
FilterParam = Annotated[list[str], Query(alias="filter", max_length=50)]


def task_filter(
    access: AccessDep,
    project_id: ListParam = [],
    include_subprojects: bool = True,
    status: ListParam = [],
    type: ListParam = [],
    tag: ListParam = [],
    user_id: ListParam = [],
    id: ListParam = [],
    parent_id: str | None = None,
    text: Annotated[str | None, Query(max_length=255)] = None,
    archived: OptionalFlag = False,
    filters: FilterParam = [],
) -> task_query.TaskFilter:
    """The filters of ``GET /tasks`` and ``GET /tasks/export``, in the caller's projects."""
    try:
        values = parse_filters(filters)
    except FilterSyntaxError as e:
        raise ValidationError(
            str(e), errors=[{"loc": ["query", "filter"], "msg": str(e), "type": "value_error"}]
        ) from e
    return task_query.TaskFilter(
        project_ids=project_id,
        include_subprojects=include_subprojects,
        status=status,
        type=type,
        tags=tag,
        user_ids=user_id,
        ids=id,
        parent_id=parent_id,
        text=text,
        archived=archived,
        visible=access.visible_projects(),
        values=values,
    )


TaskFilterDep = Annotated[task_query.TaskFilter, Depends(task_filter)]
SortParam = Annotated[str, Query(max_length=1024)]


@router.get("", response_model=Page[TaskBrief])
def list_tasks(
    session: SessionDep,
    settings: SettingsDep,
    f: TaskFilterDep,
    sort: SortParam = "-created_at",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
    include_hyperparams: bool = False,
    with_total: bool = False,
) -> Page[TaskBrief]:
    """List tasks, filtered and sorted, one page at a time.

    ``sort``: a task field (``-created_at``), a hyperparameter (``param:Args:lr``) or a
    metric (``-metric:accuracy:val:max``); prefix ``-`` for descending; tasks without
    the value come last either way. ``tag`` may be repeated (all must match); ``-tag``
    excludes. ``archived=false`` (default) hides archived tasks; ``archived=true`` lists
    only them. ``text`` matches the name or comment (any case) or the start of the id.
    ``filter`` (repeatable) is ``KEY OP VALUE`` on a metric or hyperparameter value:
    ``metric:loss:val:last<0.1``, ``param:Args:lr>=0.01``, ``param:Args:opt=adam``,
    ``metric:acc:val:max=0.8..0.9``, ``param:Args:opt=["sgd","adam"]``.
    Pass ``next_cursor`` back as ``cursor`` (with the same ``sort``) for the next page.
    """
    limit = min(limit, settings.limits.page_size)
    rows, next_cursor, total = task_query.list_tasks(
        session,
        f,
        sort=sort,
        limit=limit,
        cursor=cursor,
        with_total=with_total,
        include_hyperparams=include_hyperparams,
    )
    items = [TaskBrief.model_validate(row) for row in rows]
    return Page[TaskBrief](items=items, next_cursor=next_cursor, total=total)


# before ``/{task_id}``, which would take "export" for an id
@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_tasks(
    request: Request,
    session: SessionDep,
    f: TaskFilterDep,
    sort: SortParam = "-created_at",
    column: Annotated[list[str], Query(max_length=500)] = [],
) -> StreamingResponse:
    """Every task ``GET /tasks`` would list with these filters, as CSV, in its sort order.

    ``column`` (repeatable): ``id``, ``name``, a task field (``status``, ``user``,
    ``project``, ``started_at``, ``duration``, ``tags``...), ``param:SECTION:NAME`` or
    ``metric:METRIC:VARIANT:last|min|max``; by default id, name, status, type, user,
    project, started_at, duration. Times are ISO 8601 UTC.
    """
    cols = task_export.parse_columns(column)
    first, cursor = task_export.page_csv(session, f, sort, cols, None, header=True)
    return StreamingResponse(
        task_export.iter_csv(request.app.state.sessionmaker, f, sort, cols, first, cursor),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="experiments.csv"'},
    )


# before ``/{task_id}``, which would take "columns" for an id
@router.get("/columns", response_model=TaskColumns)
def list_task_columns(
    session: SessionDep,
    access: AccessDep,
    project_id: ListParam = [],
    include_subprojects: bool = True,
) -> TaskColumns:
    """The hyperparameters and metric series that tasks in these projects have.

    For a table's column picker: hyperparameters as ``section``/``name`` (their values
    come with ``GET /tasks?include_hyperparams=true``) and metric series as
    ``metric``/``variant`` (their last/min/max are each task's ``last_metrics``); both
    sort with ``param:SECTION:NAME`` and ``metric:METRIC:VARIANT:last|min|max``. No
    ``project_id``: every task. Archived tasks count too.
    """
    f = task_query.TaskFilter(
        project_ids=project_id,
        include_subprojects=include_subprojects,
        visible=access.visible_projects(),
    )
    cols = task_query.task_columns(session, f)
    return TaskColumns(
        hyperparams=[HyperparamColumn(section=s, name=n) for s, n in cols.hyperparams],
        metrics=[MetricColumn(metric=m, variant=v) for m, v in cols.metrics],
        truncated=cols.truncated,
    )


@router.post("", response_model=TaskOut, status_code=201)
def create_task(
    body: TaskCreate, session: SessionDep, user: CurrentUser, access: AccessDep
) -> TaskOut:
    """Create a draft task (status ``created``); needs the editor role on its project."""
    require_target_project(access, session, body.project, body.project_id)
    if body.parent_id:
        task_for(access, session, body.parent_id, "read", what="parent task")
    return TaskOut.model_validate(tasks.create_task(session, body, user))


@router.get("/{task_id}", response_model=TaskOut)
def get_task(task_id: str, session: SessionDep, access: AccessDep) -> TaskOut:
    task_for(access, session, task_id, "read")
    return TaskOut.model_validate(tasks.get_task(session, task_id))


@router.patch("/{task_id}", response_model=TaskOut)
def update_task(
    task_id: str, body: TaskUpdate, session: SessionDep, access: AccessDep, force: bool = False
) -> TaskOut:
    """Change a task; ``force=true`` lets the running task report its own inputs."""
    task_for(access, session, task_id, "write")
    return TaskOut.model_validate(tasks.update_task(session, task_id, body, force=force))


@router.delete("/{task_id}", response_model=Ok)
def delete_task(task_id: str, session: SessionDep, access: AccessDep, force: bool = False) -> Ok:
    """Delete a task with its events, artifacts and stored files."""
    task = task_for(access, session, task_id, "write")
    name, project_id = task.name, task.project_id
    tasks.delete_task(session, task_id, force=force)
    audit.record(
        session,
        "task.deleted",
        target_type="task",
        target_id=task_id,
        target_name=name,
        detail={"project_id": project_id},
    )
    return Ok()


@router.get("/{task_id}/hyperparams")
def get_hyperparams(task_id: str, session: SessionDep, access: AccessDep) -> HyperparamsOut:
    task_for(access, session, task_id, "read")
    return tasks.get_task(session, task_id).hyperparams


@router.patch("/{task_id}/hyperparams", response_model=TaskOut)
def patch_hyperparams(
    task_id: str,
    body: HyperparamsPatch,
    session: SessionDep,
    access: AccessDep,
    force: bool = False,
) -> TaskOut:
    """Set or delete parameters. Only in a draft; ``force=true`` lets a running task report its own."""
    task_for(access, session, task_id, "write")
    return TaskOut.model_validate(tasks.patch_hyperparams(session, task_id, body, force=force))


@router.get("/{task_id}/configuration")
def get_configuration(task_id: str, session: SessionDep, access: AccessDep) -> ConfigurationOut:
    task_for(access, session, task_id, "read")
    return tasks.get_task(session, task_id).configuration


@router.patch("/{task_id}/configuration", response_model=TaskOut)
def patch_configuration(
    task_id: str,
    body: ConfigurationPatch,
    session: SessionDep,
    access: AccessDep,
    force: bool = False,
) -> TaskOut:
    task_for(access, session, task_id, "write")
    return TaskOut.model_validate(tasks.patch_configuration(session, task_id, body, force=force))


# --- actions ----------------------------------------------------------------------------


@router.post("/{task_id}:clone", response_model=TaskOut, status_code=201)
def clone_task(
    task_id: str,
    body: Annotated[Clone, Body(default_factory=Clone)],
    session: SessionDep,
    user: CurrentUser,
    access: AccessDep,
) -> TaskOut:
    """A new draft with the inputs of this task (no outputs); its parent is this task."""
    task_for(access, session, task_id, "read")
    if body.project or body.project_id:
        require_target_project(access, session, body.project, body.project_id)
    else:
        source = session.get(Task, task_id)
        access.require("write", source.project_id if source else None, what="the task's project")
    if body.parent_id:
        task_for(access, session, body.parent_id, "read", what="parent task")
    return TaskOut.model_validate(tasks.clone(session, task_id, body, user))


@router.post("/{task_id}:enqueue", response_model=TaskOut)
def enqueue_task(
    task_id: str,
    body: Annotated[Enqueue, Body(default_factory=Enqueue)],
    session: SessionDep,
    access: AccessDep,
) -> TaskOut:
    task_for(access, session, task_id, "write")
    result = TaskOut.model_validate(task_lifecycle.enqueue(session, task_id, body))
    _audit(session, "task.enqueued", task_id)
    return result


@router.post("/{task_id}:dequeue", response_model=TaskOut)
def dequeue_task(task_id: str, session: SessionDep, access: AccessDep) -> TaskOut:
    task_for(access, session, task_id, "write")
    return TaskOut.model_validate(task_lifecycle.change_status(session, task_id, "dequeue"))


@router.post("/{task_id}:start", response_model=TaskOut)
def start_task(
    task_id: str,
    body: Annotated[Start, Body(default_factory=Start)],
    session: SessionDep,
    access: AccessDep,
) -> TaskOut:
    task_for(access, session, task_id, "write")
    return TaskOut.model_validate(
        task_lifecycle.change_status(session, task_id, "start", worker=body.worker)
    )


FinishBody = Annotated[Finish, Body(default_factory=Finish)]


def _finish(session: Session, task_id: str, action: str, body: Finish) -> TaskOut:
    task = task_lifecycle.change_status(
        session, task_id, action, reason=body.reason, message=body.message, exit_code=body.exit_code
    )
    return TaskOut.model_validate(task)


@router.post("/{task_id}:complete", response_model=TaskOut)
def complete_task(
    task_id: str, body: FinishBody, session: SessionDep, access: AccessDep
) -> TaskOut:
    task_for(access, session, task_id, "write")
    return _finish(session, task_id, "complete", body)


@router.post("/{task_id}:fail", response_model=TaskOut)
def fail_task(task_id: str, body: FinishBody, session: SessionDep, access: AccessDep) -> TaskOut:
    task_for(access, session, task_id, "write")
    return _finish(session, task_id, "fail", body)


@router.post("/{task_id}:stop", response_model=TaskOut)
def stop_task(task_id: str, body: FinishBody, session: SessionDep, access: AccessDep) -> TaskOut:
    """A running task's process reports that it stopped early (interrupted, not failed).

    ``:abort`` is what a user or an agent calls to stop a task from outside: it goes
    to ``stopped`` at once and the task's process, seeing that, ends itself.
    """
    task_for(access, session, task_id, "write")
    return _finish(session, task_id, "stop", body)


@router.post("/{task_id}:continue", response_model=TaskOut)
def continue_task(task_id: str, session: SessionDep, access: AccessDep) -> TaskOut:
    """A finished task's script continues it: back to ``in_progress``, outputs kept."""
    task_for(access, session, task_id, "write")
    return TaskOut.model_validate(task_lifecycle.change_status(session, task_id, "continue"))


@router.post("/{task_id}:abort", response_model=TaskOut)
def abort_task(
    task_id: str,
    body: Annotated[Reason, Body(default_factory=Reason)],
    session: SessionDep,
    access: AccessDep,
) -> TaskOut:
    """Abort a queued or running task; its process notices and stops itself."""
    task_for(access, session, task_id, "write")
    result = TaskOut.model_validate(
        task_lifecycle.change_status(
            session,
            task_id,
            "abort",
            reason=body.reason or f"aborted by {access.principal.name}",
            message=body.message,
        )
    )
    _audit(session, "task.aborted", task_id)
    return result


@router.post("/{task_id}:reset", response_model=TaskOut)
def reset_task(
    task_id: str,
    body: Annotated[Reset, Body(default_factory=Reset)],
    session: SessionDep,
    access: AccessDep,
) -> TaskOut:
    """Back to a draft: outputs (events, output artifacts, stored files) are deleted."""
    task_for(access, session, task_id, "write")
    return TaskOut.model_validate(task_lifecycle.reset(session, task_id, force=body.force))


@router.post("/{task_id}:publish", response_model=TaskOut)
def publish_task(
    task_id: str,
    body: Annotated[Publish, Body(default_factory=Publish)],
    session: SessionDep,
    access: AccessDep,
) -> TaskOut:
    """Publish a completed task; it becomes read-only.

    ``publish_models`` (default true): its output models that are not published yet are
    published too, in the same transaction (archived models, and models the caller may
    not change, are left as they are).
    """
    task_for(access, session, task_id, "write")
    task, published = task_lifecycle.publish(
        session,
        task_id,
        publish_models=body.publish_models,
        may_publish=lambda model: access.can("write", model),
    )
    result = TaskOut.model_validate(task)
    _audit(session, "task.published", task_id)
    for model in published:
        audit.record(
            session,
            "model.published",
            target_type="model",
            target_id=model.id,
            target_name=model.name,
            detail={"task_id": task_id},
        )
    return result


@router.post("/{task_id}:archive", response_model=TaskOut)
def archive_task(task_id: str, session: SessionDep, access: AccessDep) -> TaskOut:
    task_for(access, session, task_id, "write")
    return TaskOut.model_validate(task_lifecycle.set_archived(session, task_id, True))


@router.post("/{task_id}:unarchive", response_model=TaskOut)
def unarchive_task(task_id: str, session: SessionDep, access: AccessDep) -> TaskOut:
    task_for(access, session, task_id, "write")
    return TaskOut.model_validate(task_lifecycle.set_archived(session, task_id, False))


def _audit(session: Session, action: str, task_id: str) -> None:
    task = session.get(Task, task_id)
    audit.record(
        session,
        action,
        target_type="task",
        target_id=task_id,
        target_name=task.name if task else "",
        detail={"status": task.status if task else None},
    )
