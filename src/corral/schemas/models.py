"""Models on the wire: a trained model's record (its weights live at ``uri``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AliasChoices, Field, StringConstraints

from corral.schemas.artifacts import Key, Metadata, Uri
from corral.schemas.common import PROJECT_NAME_MAX, Id, Input, Name, NewId, Output, Tags, Text
from corral.schemas.events import PlotIn, ScalarIn, ScalarsIn

FRAMEWORK_MAX = 64
#: most classes in ``labels``
LABELS_MAX = 100_000

Framework = Annotated[str, StringConstraints(max_length=FRAMEWORK_MAX, strip_whitespace=True)]
Labels = Annotated[dict[Key, int], Field(max_length=LABELS_MAX)]
ProjectRef = Annotated[str, StringConstraints(min_length=1, max_length=PROJECT_NAME_MAX)]


class ModelCreate(Input):
    """Register a model.

    The project is ``project`` (a name, created if missing), ``project_id``, or else the
    project of ``task_id``. With ``task_id`` the model is also listed among that task's
    output models. ``labels`` enumerate classes (``{"cat": 0, "dog": 1}``).
    """

    #: optional id chosen by the client; an id already in use is a 409
    id: NewId | None = None
    name: Name
    project: ProjectRef | None = None
    project_id: Id | None = None
    task_id: Id | None = None
    framework: Framework = ""
    uri: Uri = ""
    tags: Tags = []
    system_tags: Tags = []
    labels: Labels = Field(default_factory=dict)
    metadata: Metadata = Field(default_factory=dict)
    #: the network design or configuration, as text
    design: Text = ""
    comment: Text = ""
    parent_id: Id | None = None


class ModelUpdate(Input):
    """Fields to change. A published model accepts only ``tags``, ``system_tags`` and ``comment``."""

    name: Name | None = None
    tags: Tags | None = None
    system_tags: Tags | None = None
    labels: Labels | None = None
    metadata: Metadata | None = None
    design: Text | None = None
    comment: Text | None = None
    uri: Uri | None = None
    framework: Framework | None = None


class ModelBrief(Output):
    """One row of the model table (everything but ``design``)."""

    id: str
    name: str
    project_id: str | None
    task_id: str | None
    user_id: str | None
    framework: str
    uri: str
    tags: list[str]
    system_tags: list[str]
    labels: dict[str, int]
    #: read from the ORM's ``meta`` (``metadata`` is SQLAlchemy's) or from JSON
    metadata: dict[str, Any] = Field(validation_alias=AliasChoices("meta", "metadata"))
    comment: str
    published: bool
    archived: bool
    parent_id: str | None
    created_at: datetime
    last_update: datetime


class ModelOut(ModelBrief):
    design: str


# --- model reports -------------------------------------------------------------------------

#: events of one model report batch, at most (models report a few curves and tables)
MODEL_EVENTS_PER_BATCH = 10_000

ModelEvent = Annotated[ScalarIn | ScalarsIn | PlotIn, Field(discriminator="type")]


class ModelEventsIn(Input):
    """Scalars and plots reported for a model (``OutputModel.report_*``).

    The events are those of a task's batch (``scalar``, ``scalars``, ``plot``; see
    ``EventBatchIn``). A ``batch_id`` already stored for the model stores nothing
    (``duplicate: true``), so a client may retry a batch safely.
    """

    batch_id: Id
    events: Annotated[list[ModelEvent], Field(max_length=MODEL_EVENTS_PER_BATCH)]
