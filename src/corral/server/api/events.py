"""Task events: batch ingestion, and reads of scalars, summaries, console, plots, debug samples."""

from __future__ import annotations

import time
from typing import Annotated, Any

import orjson
import pydantic
from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response, StreamingResponse

from corral.schemas.common import NAME_MAX
from corral.schemas.events import (
    INT64_MAX,
    INT64_MIN,
    DebugSampleOut,
    DebugSamplesOut,
    EventBatchIn,
    IngestResult,
    LogLine,
    LogPage,
    MetricSummaryOut,
    PlotOut,
    PlotsOut,
    ScalarsOut,
    SeriesIterations,
)
from corral.server.api.deps import AccessDep, SessionDep, SettingsDep
from corral.server.api.guards import readable_tasks, task_for
from corral.server.services import events, logs, plots, scalars
from corral.server.services.scalars import SeriesData, check_tasks_exist

router = APIRouter(tags=["events"])

_BATCH = pydantic.TypeAdapter(EventBatchIn)
#: field errors listed in a 422 at most (a bad 100k-event batch would list 100k)
MAX_FIELD_ERRORS = 100
MAX_COMPARED_TASKS = 12

SeriesName = Annotated[str | None, Query(min_length=1, max_length=NAME_MAX)]
IterationQ = Annotated[int | None, Query(ge=INT64_MIN, le=INT64_MAX)]


async def _raw_body(request: Request) -> bytes:
    return await request.body()


def parse_batch(body: bytes) -> EventBatchIn:
    """Validate a batch straight from bytes (one pass, no intermediate dicts).

    Malformed JSON becomes a 400 and schema errors a 422 with field errors, through the
    app's handler for request validation errors, like any other body.
    """
    try:
        return _BATCH.validate_json(body)
    except pydantic.ValidationError as e:
        errors = e.errors(include_url=False, include_input=False, include_context=False)
        raise RequestValidationError(
            [{**err, "loc": ("body", *err["loc"])} for err in errors[:MAX_FIELD_ERRORS]]
        ) from None


def _parsed_batch(
    body: Annotated[bytes, Depends(_raw_body)],
) -> EventBatchIn | RequestValidationError:
    """The batch, parsed before the request's transaction begins (a write transaction
    holds SQLite's write lock, and a big batch takes a while to validate). A bad batch is
    handed over rather than raised, so that a caller who is not authenticated still
    gets a 401, not a 400 or 422."""
    try:
        return parse_batch(body)
    except RequestValidationError as e:
        return e


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its ``$defs`` written in place: it is documented inline, as the
    body is read by hand (FastAPI only lists the models of parameters it parses)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
            out = {k: walk(v) for k, v in node.items()}
            if isinstance(out.get("discriminator"), dict):
                # its mapping points into the $defs that are gone; the tags say it all
                out["discriminator"].pop("mapping", None)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    inlined: dict[str, Any] = walk(schema)
    return inlined


_BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _inline_refs(_BATCH.json_schema())}},
    }
}


def _json(content: Any, started: float | None = None) -> Response:
    """orjson with numpy arrays; NaN and infinities are written as null."""
    body = orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)
    headers = None
    if started is not None:
        headers = {"Server-Timing": f"app;dur={(time.perf_counter() - started) * 1000:.2f}"}
    return Response(body, media_type="application/json", headers=headers)


@router.post(
    "/tasks/{task_id}/events",
    response_model=IngestResult,
    openapi_extra=_BATCH_BODY,
    responses={400: {"description": "Malformed JSON"}, 413: {"description": "Batch too large"}},
)
def post_events(
    task_id: str,
    # declared first: FastAPI resolves dependencies in order, so this runs before the
    # session (and its transaction) is opened
    batch: Annotated[EventBatchIn | RequestValidationError, Depends(_parsed_batch)],
    session: SessionDep,
    settings: SettingsDep,
    access: AccessDep,
) -> IngestResult:
    """Store a batch of events of mixed kinds (see ``EventBatchIn``) for a task.

    A ``batch_id`` already stored for this task answers ``duplicate: true`` and stores
    nothing, so a client may retry a batch safely. The batch is stored whole or not at all.
    """
    task_for(access, session, task_id, "write")
    if isinstance(batch, RequestValidationError):
        raise batch
    return events.ingest(session, task_id, batch, settings.limits)


@router.get("/tasks/{task_id}/metrics", response_model=list[MetricSummaryOut])
def get_metrics(task_id: str, session: SessionDep, access: AccessDep) -> Response:
    """Last, min, max, highest iteration and point count of every series of the task."""
    task_for(access, session, task_id, "read")
    rows = scalars.summaries(session, task_id)
    return _json([MetricSummaryOut.model_validate(r).model_dump() for r in rows])


#: buckets per series of a chart
MaxPoints = Annotated[int, Query(ge=1, le=100_000)]


def _series_response(series: list[SeriesData], started: float) -> Response:
    return _json({"series": [s.as_dict() for s in series]}, started)


@router.get(
    "/tasks/{task_id}/scalars",
    response_model=ScalarsOut,
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def get_scalars(
    task_id: str,
    session: SessionDep,
    access: AccessDep,
    metric: SeriesName = None,
    variant: SeriesName = None,
    max_points: MaxPoints = 2000,
    full: bool = False,
    first_iteration: IterationQ = None,
    last_iteration: IterationQ = None,
) -> Response:
    """Every series of the task (or those of ``metric``/``variant``), in iteration order.

    Each series is downsampled to at most ``max_points`` buckets, each with the mean and
    the true min/max of its points; ``full=true`` returns every point.
    ``first_iteration``/``last_iteration`` (inclusive) keep an iteration range, e.g. the
    view of a zoomed chart: the points inside it are downsampled (``total_points``
    counts them) and a series with none is left out; a range that ends before it
    starts is a 422. The ``Server-Timing`` header gives the time spent in the hub.
    """
    task_for(access, session, task_id, "read")
    started = time.perf_counter()
    found = scalars.read_series(
        session,
        [task_id],
        metric=metric,
        variant=variant,
        max_points=max_points,
        full=full,
        first_iteration=first_iteration,
        last_iteration=last_iteration,
    )
    return _series_response(found, started)


@router.get(
    "/scalars",
    response_model=ScalarsOut,
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def compare_scalars(
    session: SessionDep,
    access: AccessDep,
    task_id: Annotated[list[str], Query(min_length=1, max_length=MAX_COMPARED_TASKS)],
    metric: SeriesName = None,
    variant: SeriesName = None,
    max_points: MaxPoints = 2000,
    full: bool = False,
    first_iteration: IterationQ = None,
    last_iteration: IterationQ = None,
) -> Response:
    """The series of several tasks (at most 12), to compare them in one chart; the
    parameters are those of ``GET /tasks/{task_id}/scalars``."""
    started = time.perf_counter()
    ids = readable_tasks(access, session, task_id)
    found = scalars.read_series(
        session,
        ids,
        metric=metric,
        variant=variant,
        max_points=max_points,
        full=full,
        first_iteration=first_iteration,
        last_iteration=last_iteration,
    )
    return _series_response(found, started)


@router.get("/tasks/{task_id}/logs", response_model=LogPage)
def get_logs(
    task_id: str,
    session: SessionDep,
    access: AccessDep,
    after: Annotated[int | None, Query(ge=0, le=INT64_MAX)] = None,
    before: Annotated[int | None, Query(ge=0, le=INT64_MAX)] = None,
    tail: Annotated[int | None, Query(ge=1, le=5000)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    search: Annotated[str | None, Query(min_length=1, max_length=1024)] = None,
    stream: Annotated[str | None, Query(pattern="^(stdout|stderr)$")] = None,
) -> LogPage:
    """A page of the console, oldest line first.

    ``after=SEQ`` pages forwards (poll with ``after=last_seq`` to follow a running
    task), ``before=SEQ`` pages backwards, ``tail=N`` gives the last N lines; with none
    of them the first page. ``search`` keeps lines containing the text (any case).
    """
    task_for(access, session, task_id, "read")
    found = logs.page(
        session,
        task_id,
        after=after,
        before=before,
        tail=tail,
        limit=limit,
        search=search,
        stream=stream,
    )
    return LogPage(
        items=[LogLine.model_validate(r) for r in found.items],
        first_seq=found.first_seq,
        last_seq=found.last_seq,
        has_more=found.has_more,
    )


@router.get(
    "/tasks/{task_id}/logs/download",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/plain": {}}}},
)
def download_logs(
    task_id: str, request: Request, session: SessionDep, access: AccessDep
) -> StreamingResponse:
    """The whole console as a text file."""
    task_for(access, session, task_id, "read")
    check_tasks_exist(session, [task_id])
    return StreamingResponse(
        logs.iter_text(request.app.state.sessionmaker, task_id),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{task_id}.log"'},
    )


@router.get("/tasks/{task_id}/plots", response_model=PlotsOut)
def get_plots(
    task_id: str,
    session: SessionDep,
    access: AccessDep,
    metric: SeriesName = None,
    variant: SeriesName = None,
    iteration: IterationQ = None,
    all_iterations: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """The latest plot per (metric, variant), or those at ``iteration``.

    ``all_iterations=true`` returns every plot (at most ``limit``) in iteration order.
    ``iterations`` lists, per (metric, variant), the iterations that have a plot.
    """
    task_for(access, session, task_id, "read")
    found = plots.plots(
        session,
        task_id,
        metric=metric,
        variant=variant,
        iteration=iteration,
        all_iterations=all_iterations,
        limit=limit,
    )
    return _json(
        {
            "items": [PlotOut.model_validate(r).model_dump() for r in found.items],
            "iterations": found.iterations_list(),
        }
    )


@router.get("/tasks/{task_id}/debug-samples", response_model=DebugSamplesOut)
def get_debug_samples(
    task_id: str,
    session: SessionDep,
    access: AccessDep,
    metric: SeriesName = None,
    variant: SeriesName = None,
    iteration: IterationQ = None,
) -> DebugSamplesOut:
    """The latest debug sample per (metric, variant), or those at ``iteration``, with the
    iterations available per (metric, variant) for a slider."""
    task_for(access, session, task_id, "read")
    found = plots.debug_samples(
        session, task_id, metric=metric, variant=variant, iteration=iteration
    )
    return DebugSamplesOut(
        items=[DebugSampleOut.model_validate(r) for r in found.items],
        iterations=[SeriesIterations(**it) for it in found.iterations_list()],
    )
