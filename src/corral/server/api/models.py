"""Models: register, list, read, edit, publish, archive, delete."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import Response

from corral.schemas.common import NAME_MAX, Ok, Page
from corral.schemas.events import INT64_MAX, INT64_MIN, IngestResult, PlotOut, PlotsOut, ScalarsOut
from corral.schemas.models import ModelBrief, ModelCreate, ModelEventsIn, ModelOut, ModelUpdate
from corral.server.api.deps import AccessDep, CurrentUser, SessionDep, SettingsDep
from corral.server.api.guards import model_for, require_target_project, task_for
from corral.server.api.params import ListParam, OptionalFlag
from corral.server.services import audit, model_events, models

router = APIRouter(prefix="/models", tags=["models"])


@router.get("", response_model=Page[ModelBrief])
def list_models(
    session: SessionDep,
    settings: SettingsDep,
    access: AccessDep,
    project_id: ListParam = [],
    task_id: str | None = None,
    framework: Annotated[str | None, Query(max_length=64)] = None,
    tag: ListParam = [],
    published: OptionalFlag = None,
    archived: OptionalFlag = False,
    text: Annotated[str | None, Query(max_length=255)] = None,
    name: Annotated[str | None, Query(max_length=255)] = None,
    uri: Annotated[str | None, Query(max_length=4096)] = None,
    sort: Annotated[str, Query(max_length=64)] = "-created_at",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
    with_total: bool = False,
) -> Page[ModelBrief]:
    """List models, filtered and sorted, one page at a time (rows without ``design``).

    ``sort``: a model field (``-created_at``, ``name``, ``published``...), ``-`` for
    descending. ``tag`` may be repeated (all must match); ``-tag`` excludes. ``uri``
    matches the weights' URI exactly.
    ``archived=false`` (default) hides archived models; empty shows both.
    """
    f = models.ModelFilter(
        project_ids=project_id,
        task_id=task_id,
        framework=framework,
        tags=tag,
        published=published,
        archived=archived,
        text=text,
        name=name,
        uri=uri,
        visible=access.visible_projects(),
    )
    limit = min(limit, settings.limits.page_size)
    rows, next_cursor, total = models.list_models(
        session, f, sort=sort, limit=limit, cursor=cursor, with_total=with_total
    )
    return Page[ModelBrief](
        items=[ModelBrief.model_validate(m) for m in rows], next_cursor=next_cursor, total=total
    )


@router.post("", response_model=ModelOut, status_code=201)
def create_model(
    body: ModelCreate, session: SessionDep, user: CurrentUser, access: AccessDep
) -> ModelOut:
    """Register a model; with ``task_id`` it is also added to the task's output models."""
    if body.task_id:
        task_for(access, session, body.task_id, "write")
    if body.project or body.project_id:
        require_target_project(access, session, body.project, body.project_id)
    return ModelOut.model_validate(models.create_model(session, body, user))


@router.get("/{model_id}", response_model=ModelOut)
def get_model(model_id: str, session: SessionDep, access: AccessDep) -> ModelOut:
    model_for(access, session, model_id, "read")
    return ModelOut.model_validate(models.get_model(session, model_id))


@router.patch("/{model_id}", response_model=ModelOut)
def update_model(
    model_id: str, body: ModelUpdate, session: SessionDep, access: AccessDep
) -> ModelOut:
    """Change fields; a published model accepts only tags and comment (else 409)."""
    model_for(access, session, model_id, "write")
    return ModelOut.model_validate(models.update_model(session, model_id, body))


@router.delete("/{model_id}", response_model=Ok)
def delete_model(model_id: str, session: SessionDep, access: AccessDep, force: bool = False) -> Ok:
    """Delete a model, its hub file and the tasks' references to it (published: ``force``)."""
    model = model_for(access, session, model_id, "write")
    name = model.name
    models.delete_model(session, model_id, force=force)
    audit.record(
        session, "model.deleted", target_type="model", target_id=model_id, target_name=name
    )
    return Ok()


@router.post("/{model_id}:publish", response_model=ModelOut)
def publish_model(model_id: str, session: SessionDep, access: AccessDep) -> ModelOut:
    """Publish a model (409 while its task has not completed)."""
    model_for(access, session, model_id, "write")
    model = models.publish_model(session, model_id)
    audit.record(
        session, "model.published", target_type="model", target_id=model_id, target_name=model.name
    )
    return ModelOut.model_validate(model)


@router.post("/{model_id}:archive", response_model=ModelOut)
def archive_model(model_id: str, session: SessionDep, access: AccessDep) -> ModelOut:
    model_for(access, session, model_id, "write")
    return ModelOut.model_validate(models.set_archived(session, model_id, True))


@router.post("/{model_id}:unarchive", response_model=ModelOut)
def unarchive_model(model_id: str, session: SessionDep, access: AccessDep) -> ModelOut:
    model_for(access, session, model_id, "write")
    return ModelOut.model_validate(models.set_archived(session, model_id, False))


# --- model reports -------------------------------------------------------------------------

SeriesName = Annotated[str | None, Query(min_length=1, max_length=NAME_MAX)]


def _json(content: object) -> Response:
    """orjson with numpy arrays; NaN and infinities are written as null."""
    return Response(
        orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json"
    )


@router.post("/{model_id}/events", response_model=IngestResult)
def post_model_events(
    model_id: str,
    body: ModelEventsIn,
    session: SessionDep,
    settings: SettingsDep,
    access: AccessDep,
) -> IngestResult:
    """Store scalars and plots reported for a model (``OutputModel.report_*``).

    The events are a task batch's ``scalar``, ``scalars`` and ``plot`` events. A
    ``batch_id`` already stored for this model answers ``duplicate: true`` and stores
    nothing. The batch is stored whole or not at all.
    """
    model_for(access, session, model_id, "write")
    stored = model_events.ingest(session, model_id, body, settings.limits)
    return IngestResult(batch_id=body.batch_id, stored=stored, duplicate=stored == 0)


@router.get(
    "/{model_id}/scalars",
    response_model=ScalarsOut,
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def get_model_scalars(
    model_id: str,
    session: SessionDep,
    access: AccessDep,
    metric: SeriesName = None,
    variant: SeriesName = None,
    max_points: Annotated[int, Query(ge=1, le=100_000)] = 2000,
) -> Response:
    """Every scalar series reported for the model, in iteration order, in the shape of a
    task's scalars (``task_id`` holds the model's id). Single values are the series of
    the metric ``Summary`` at iteration 0."""
    model_for(access, session, model_id, "read")
    found = model_events.read_scalars(
        session, model_id, metric=metric, variant=variant, max_points=max_points
    )
    return _json({"series": [s.as_dict() for s in found]})


@router.get("/{model_id}/plots", response_model=PlotsOut)
def get_model_plots(
    model_id: str,
    session: SessionDep,
    access: AccessDep,
    metric: SeriesName = None,
    variant: SeriesName = None,
    iteration: Annotated[int | None, Query(ge=INT64_MIN, le=INT64_MAX)] = None,
) -> Response:
    """The model's latest plot per (metric, variant), or those at ``iteration``, and the
    iterations that have a plot per (metric, variant)."""
    model_for(access, session, model_id, "read")
    found = model_events.read_plots(
        session, model_id, metric=metric, variant=variant, iteration=iteration
    )
    return _json(
        {
            "items": [PlotOut.model_validate(r).model_dump() for r in found.items],
            "iterations": found.iterations_list(),
        }
    )
