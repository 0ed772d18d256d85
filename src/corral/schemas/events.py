"""Events on the wire: batches of scalars, console lines, plots and debug samples, and their reads.

A batch (``POST /tasks/{id}/events``) carries a client-chosen ``batch_id`` and
a list of events of mixed kinds, told apart by ``type``::

    {"batch_id": "3f2a...", "events": [
        {"type": "scalar", "metric": "loss", "variant": "train", "iteration": 7, "value": 0.25},
        {"type": "scalars", "metric": "loss", "variant": "val",
         "iterations": [0, 1, 2], "values": [0.9, null, 0.7], "times": [1.7e9, 1.7e9, 1.7e9]},
        {"type": "log", "text": "epoch 7 done", "stream": "stdout", "level": "info"},
        {"type": "plot", "metric": "roc", "variant": "val", "iteration": 7, "figure": {...}},
        {"type": "debug_sample", "metric": "images", "variant": "input", "iteration": 7,
         "uri": "hub://tasks/.../img.png"}
    ]}

``scalars`` is the columnar form of many ``scalar`` points of one series; it is
several times cheaper to encode, send and validate, so clients that report in
volume use it. A ``null`` value is a missing value (stored as NaN, read back as
``null``). Times are seconds since the epoch; the hub's clock when omitted.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from corral.schemas.common import NAME_MAX, Id, Input, Output

#: iterations are stored as int64
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

MetricName = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX)]
Iteration = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
Time = Annotated[float, Field(allow_inf_nan=False)]
Short = Annotated[str, StringConstraints(max_length=NAME_MAX)]


class ScalarIn(Input):
    """One point of a scalar series."""

    type: Literal["scalar"]
    metric: MetricName
    variant: MetricName
    iteration: Iteration
    #: ``null`` for a missing value
    value: float | None
    time: Time | None = None


class ScalarsIn(Input):
    """Many points of one series in columns: ``iterations[i]`` goes with ``values[i]``.

    ``times`` (one per point) or ``time`` (for all points) are optional. Iterations
    are checked against the int64 range on the server, not per element here: a
    bound on every element costs three times the validation of the whole list.
    """

    type: Literal["scalars"]
    metric: MetricName
    variant: MetricName
    iterations: list[int]
    values: list[float | None]
    times: list[float] | None = None
    time: Time | None = None

    @model_validator(mode="after")
    def _same_lengths(self) -> ScalarsIn:
        n = len(self.iterations)
        if len(self.values) != n:
            raise ValueError(f"'values' has {len(self.values)} items, 'iterations' has {n}")
        if self.times is not None and len(self.times) != n:
            raise ValueError(f"'times' has {len(self.times)} items, 'iterations' has {n}")
        return self


class LogIn(Input):
    """A piece of console output (one line or several)."""

    type: Literal["log"]
    text: str
    stream: Literal["stdout", "stderr"] = "stdout"
    level: Annotated[str, StringConstraints(min_length=1, max_length=16)] = "info"
    time: Time | None = None
    worker: Short | None = None


class PlotIn(Input):
    """A plotly figure (``{"data": [...], "layout": {...}}``)."""

    type: Literal["plot"]
    metric: MetricName
    variant: MetricName
    iteration: Iteration
    figure: dict[str, Any]
    time: Time | None = None


class DebugSampleIn(Input):
    """An image, audio clip or other file reported at an iteration, by reference."""

    type: Literal["debug_sample"]
    metric: MetricName
    variant: MetricName
    iteration: Iteration
    uri: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    content_type: Short | None = None
    time: Time | None = None


Event = Annotated[
    ScalarIn | ScalarsIn | LogIn | PlotIn | DebugSampleIn, Field(discriminator="type")
]


class EventBatchIn(Input):
    """A batch of events; a batch id already stored for the task is not stored again.

    Limits (server settings, ``CORRAL_LIMIT_*``): at most ``events_per_batch`` events,
    each point of a ``scalars`` event counting as one (else 413); a ``log`` text of at
    most ``log_line_chars`` characters (else 422); a plot of at most ``plot_bytes``
    bytes of JSON (else 413); and the request body limit. A rejected batch stores
    nothing, and its id stays free.
    """

    batch_id: Id
    events: list[Event]


class IngestResult(BaseModel):
    batch_id: str
    #: points and events stored (0 for a duplicate)
    stored: int
    #: the batch had been stored before; nothing was stored this time
    duplicate: bool


# --- reads -------------------------------------------------------------------------------


class MetricSummaryOut(Output):
    """Last/min/max of one series. ``last`` is the value at the highest iteration."""

    metric: str
    variant: str
    last: float | None
    min: float | None
    max: float | None
    #: the highest iteration reported
    iteration: int
    #: points reported, missing values included
    count: int
    last_time: float


class ScalarSeriesOut(BaseModel):
    """One series, downsampled to at most ``max_points`` buckets unless ``full``.

    Each bucket gives the iteration and time of its last point, the mean value and the
    true ``min``/``max`` of its points. A series that fits (or is read with ``full``) is
    returned point by point, ``downsampled`` false, and its ``min``/``max`` are ``null``:
    they would only repeat ``values``. Missing values are ``null``.
    """

    task_id: str
    metric: str
    variant: str
    iterations: list[int]
    values: list[float | None]
    #: the envelope of each bucket; ``null`` when the series is not downsampled
    min: list[float | None] | None
    max: list[float | None] | None
    times: list[float]
    total_points: int
    downsampled: bool


class ScalarsOut(BaseModel):
    series: list[ScalarSeriesOut]


class LogLine(Output):
    seq: int
    time: float
    stream: str
    level: str
    text: str
    worker: str | None


class LogPage(BaseModel):
    """A page of console lines, oldest first.

    ``has_more``: going forwards (``after``), more lines follow ``last_seq``; going
    backwards (``before``, ``tail``), older lines precede ``first_seq``. Both are
    ``null`` on an empty page: keep the cursor you had.
    """

    items: list[LogLine]
    first_seq: int | None
    last_seq: int | None
    has_more: bool


class SeriesIterations(BaseModel):
    """The iterations at which one (metric, variant) has something: for a UI slider."""

    metric: str
    variant: str
    iterations: list[int]


class PlotOut(Output):
    metric: str
    variant: str
    iteration: int
    time: float
    figure: dict[str, Any]


class PlotsOut(BaseModel):
    items: list[PlotOut]
    iterations: list[SeriesIterations]


class DebugSampleOut(Output):
    metric: str
    variant: str
    iteration: int
    time: float
    uri: str
    content_type: str | None


class DebugSamplesOut(BaseModel):
    items: list[DebugSampleOut]
    iterations: list[SeriesIterations]
