"""Tasks on the wire: create/update bodies, action bodies, the full task and list rows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    computed_field,
    model_serializer,
    model_validator,
)

from corral.core.task_status import TaskAction, TaskStatusName, allowed_actions
from corral.core.task_types import DEFAULT_TASK_TYPE, TaskTypeName
from corral.schemas.common import NAME_MAX, Id, Input, Name, NewId, Output, Tags, Text

#: re-exported: the vocabulary is defined once, in ``corral.core``
TaskType = TaskTypeName
Short = Annotated[str, StringConstraints(max_length=NAME_MAX)]
Long = Annotated[str, StringConstraints(max_length=4096)]


class Script(Input):
    """Where the code comes from: a repository at a commit (plus diff), or the code itself."""

    repository: Long = ""
    branch: Short = ""
    commit: Short = ""
    diff: Text = ""
    entry_point: Long = ""
    working_dir: Long = ""
    #: the whole script when there is no repository (scripts, notebooks turned into code)
    code: Text = ""
    #: packages the code imports, pinned: {"pip": "numpy==2.1.0\n..."}
    requirements: dict[Short, Text] = Field(default_factory=dict)
    #: the full environment freeze
    freeze: Text = ""
    python: Short = ""


class Container(Input):
    image: Long = ""
    arguments: Long = ""
    setup_script: Text = ""


class Hyperparam(Input):
    """A parameter value keeps its JSON type; ``type`` is the declared Python type name."""

    value: Any = None
    type: Short = ""
    description: Long = ""


class ConfigItem(Input):
    type: Short = "text"
    value: Text = ""
    description: Long = ""


Section = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX)]
Hyperparams = dict[Section, dict[Section, Hyperparam]]
Configuration = dict[Section, ConfigItem]


class ModelRef(Input):
    name: Short
    model_id: Id


class TaskModels(Input):
    input: list[ModelRef] = Field(default_factory=list, max_length=256)
    output: list[ModelRef] = Field(default_factory=list, max_length=256)


class TaskCreate(Input):
    #: optional id chosen by the client; an id already in use is a 409
    id: NewId | None = None
    name: Name
    #: project by hierarchical name (created if missing) or by id
    project: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None
    project_id: Id | None = None
    type: TaskType = DEFAULT_TASK_TYPE
    tags: Tags = []
    system_tags: Tags = []
    comment: Text = ""
    parent_id: Id | None = None
    script: Script = Field(default_factory=Script)
    container: Container = Field(default_factory=Container)
    hyperparams: Hyperparams = Field(default_factory=dict)
    configuration: Configuration = Field(default_factory=dict)
    runtime: dict[Short, Any] = Field(default_factory=dict)
    models: TaskModels = Field(default_factory=TaskModels)


class TaskUpdate(Input):
    """Fields to change; fields left out (or ``null``) stay as they are.

    Name, comment, tags, system tags, project and runtime change until the task is
    published (then only tags, system tags and comment). The inputs (type, script,
    container, parent and input models) change only in a draft, or with
    ``force=true`` while running (the task reporting its own). ``models.input``/``models.output``
    each replace that list; ``script`` and ``container`` merge the fields given.
    """

    name: Name | None = None
    comment: Text | None = None
    tags: Tags | None = None
    system_tags: Tags | None = None
    project_id: Id | None = None
    type: TaskType | None = None
    parent_id: Id | None = None
    script: Script | None = None
    container: Container | None = None
    #: machine facts and user properties; written by the running task itself
    runtime: dict[Short, Any] | None = None
    models: TaskModels | None = None


class HyperparamsPatch(Input):
    """Set (or, with ``null``, delete) individual parameters: ``{"Args": {"lr": {...}}}``."""

    hyperparams: dict[Section, dict[Section, Hyperparam | None] | None]
    #: replace every section instead of merging
    replace: bool = False


class ConfigurationPatch(Input):
    configuration: dict[Section, ConfigItem | None]
    replace: bool = False


class Reason(Input):
    reason: Long = ""
    message: Long = ""


class Enqueue(Input):
    #: queue name or id; the ``default`` queue when omitted
    queue: Short | None = None
    position: Literal["bottom", "top"] = "bottom"


class Start(Input):
    worker: Short | None = None


class Finish(Reason):
    exit_code: int | None = None


class Publish(Input):
    #: also publish the task's output models that are not published yet (as ClearML's
    #: ``tasks.publish`` ``publish_model``); archived models are left as they are
    publish_models: bool = True


class Reset(Input):
    #: also drop the queued entry / running state; reset of a running task needs this
    force: bool = False


class Clone(Input):
    name: Name | None = None
    project: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None
    project_id: Id | None = None
    #: parent of the new task; the source task when omitted
    parent_id: Id | None = None
    comment: Text | None = None
    tags: Tags | None = None


# --- the task's inputs and facts as the hub answers them ----------------------------------
# The same fields as the request bodies above, without their limits (what is stored already
# passed them) and tolerant of keys the hub does not know (older rows), so that reading a
# task never fails on its stored data. Every field is always present in an answer.


class _Stored(BaseModel):
    model_config = ConfigDict(extra="ignore", json_schema_serialization_defaults_required=True)


class ScriptOut(_Stored):
    """Where the code comes from: a repository at a commit (plus diff), or the code itself."""

    repository: str = ""
    branch: str = ""
    commit: str = ""
    diff: str = ""
    entry_point: str = ""
    working_dir: str = ""
    code: str = ""
    requirements: dict[str, str] = Field(default_factory=dict)
    freeze: str = ""
    python: str = ""


class ContainerOut(_Stored):
    image: str = ""
    arguments: str = ""
    setup_script: str = ""


class HyperparamOut(_Stored):
    """``value`` keeps its JSON type; ``type`` is the declared Python type name."""

    value: Any = None
    type: str = ""
    description: str = ""


class ConfigItemOut(_Stored):
    type: str = "text"
    value: str = ""
    description: str = ""


HyperparamsOut = dict[str, dict[str, HyperparamOut]]
ConfigurationOut = dict[str, ConfigItemOut]


class ModelRefOut(_Stored):
    name: str
    model_id: str


class TaskModelsOut(_Stored):
    input: list[ModelRefOut] = Field(default_factory=list)
    output: list[ModelRefOut] = Field(default_factory=list)


class Runtime(BaseModel):
    """Machine facts captured by the SDK, and user properties (any other key).

    A fact the SDK could not read is ``0`` or ``""``; a task that captured nothing has
    none of them. Only the keys stored are answered, each as stored.
    """

    model_config = ConfigDict(extra="allow")

    os: str | None = None
    os_name: str | None = None
    hostname: str | None = None
    cpu_cores: int | None = None
    cpu_physical_cores: int | None = None
    cpu_model: str | None = None
    memory_gb: float | None = None
    python: str | None = None
    python_executable: str | None = None
    corral_version: str | None = None
    #: where the program ran: a notebook flavour, an IDE, or ``unknown``
    ide: str | None = None
    gpu_count: int | None = None
    gpu_type: str | None = None
    gpu_memory_gb: float | None = None
    gpu_driver: str | None = None

    #: the stored object, kept when a user property shares a fact's name with another type
    _raw: dict[str, Any] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _tolerate_user_properties(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(data)
        except ValidationError:
            if not isinstance(data, dict):
                raise
            runtime = cls.model_construct()
            runtime._raw = dict(data)
            return runtime

    # No return annotation on purpose: pydantic would describe the answer in the OpenAPI
    # schema by it (a bare object) instead of by the fields above.
    @model_serializer(mode="wrap")
    def _as_stored(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        if self._raw is not None:
            return self._raw
        # facts never stored stay out of the answer, as they did before this model
        out: dict[str, Any] = handler(self)
        facts = type(self).model_fields
        return {k: v for k, v in out.items() if k in self.model_fields_set or k not in facts}


class TaskBrief(Output):
    """One row of the task table."""

    id: str
    name: str
    project_id: str
    type: TaskTypeName
    status: TaskStatusName
    status_reason: str
    tags: list[str]
    system_tags: list[str]
    comment: str
    archived: bool
    parent_id: str | None
    user_id: str | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    last_update: datetime
    worker: str | None
    queue_id: str | None
    last_iteration: int | None
    last_metrics: dict[str, Any]
    #: only with ``include_hyperparams=true`` in lists; always in the full task
    hyperparams: HyperparamsOut | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def allowed_actions(self) -> list[TaskAction]:
        """The actions the hub accepts now for this task (its status and archived flag).

        ``reset`` and ``delete`` of an ``in_progress`` task need ``force=true``.
        """
        return allowed_actions(self.status, archived=self.archived)


class TaskOut(TaskBrief):
    status_message: str
    exit_code: int | None
    script: ScriptOut
    container: ContainerOut
    hyperparams: HyperparamsOut | None = None
    configuration: ConfigurationOut
    runtime: Runtime
    models: TaskModelsOut
