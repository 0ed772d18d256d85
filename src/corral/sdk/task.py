"""``Task``: two lines make a script a tracked, re-runnable task.

Example::

    from corral import Task

    task = Task.init(project_name="parking", task_name="train")
    params = task.connect({"lr": 0.01, "epochs": 10})
    task.get_logger().report_scalar("loss", "train", value=0.25, iteration=1)

``Task.init`` creates the task (one request), starts the capture of code, packages and
machine facts in a background thread, and returns. Everything reported afterwards
goes through the task's outbox (``corral.sdk.outbox``): never blocking, never lost.
The process's exit closes the task: completed, or failed on an uncaught exception.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from corral.client.http import HubClient
from corral.core.task_status import TRANSITIONS, TaskStatus
from corral.core.task_types import TaskType, task_type_name
from corral.errors import (
    AuthError,
    ConflictError,
    CorralError,
    NotFoundError,
    ServerUnavailableError,
    ValidationError,
)
from corral.schemas.tasks import Runtime
from corral.sdk import connect as C
from corral.sdk import params as P
from corral.sdk import queries
from corral.sdk.artifacts import Artifacts, upload_artifact
from corral.sdk.capture import arguments
from corral.sdk.handle import RunHandle
from corral.sdk.logger import Logger, logger_for
from corral.sdk.model import Model
from corral.sdk.outbox import Outbox
from corral.sdk.registered import registry_of
from corral.sdk.remote import RunningLocally, execute_remotely
from corral.sdk.run_capture import start_capture
from corral.sdk.run_start import start_run
from corral.sdk.session import hub_client

log = logging.getLogger("corral.sdk")

#: the runtime key of ``set_progress`` (not a user property)
_PROGRESS = "progress"
#: the metric ``Logger.report_single_value`` reports under
SINGLE_VALUES = "Summary"

# a script that parses its arguments before Task.init is captured too
arguments.install()


class Task:
    """A task on the hub. ``Task.init`` makes the one this process runs; the class methods
    (``get_task``, ``get_tasks``, ``clone``, ``enqueue``) work with any task.
    """

    #: the task types, as ``Task.init(task_type=Task.TaskTypes.testing)`` spells them
    TaskTypes = TaskType
    #: the statuses, as ``task.wait_for_status(status=[Task.TaskStatusEnum.completed])``
    TaskStatusEnum = TaskStatus

    _current: Task | None = None
    _offline: bool = False
    _init_lock = threading.Lock()
    #: ``Task.add_requirements`` before ``Task.init``: name -> version specifier
    _extra_requirements: dict[str, str] = {}

    def __init__(self, data: Mapping[str, Any], *, outbox: Outbox | None = None) -> None:
        self._handle = RunHandle(dict(data), outbox=outbox)
        self.id: str = self._handle.id

    @classmethod
    def _of(cls, handle: RunHandle) -> Task:
        task = cls.__new__(cls)
        task._handle = handle
        task.id = handle.id
        return task

    @property
    def handle(self) -> RunHandle:
        """The task as the SDK's helpers see it (``corral.sdk.handle``); not for scripts."""
        return self._handle

    @property
    def _data(self) -> dict[str, Any]:
        return self._handle.data

    @_data.setter
    def _data(self, value: dict[str, Any]) -> None:
        self._handle.data = value

    @property
    def output_uri(self) -> str:
        """Where this task's artifacts, models and debug samples go."""
        return self._handle.output_uri

    @output_uri.setter
    def output_uri(self, value: str) -> None:
        self._handle.output_uri = value

    # --- Task.init ----------------------------------------------------------------------

    @classmethod
    def init(
        cls,
        project_name: str | None = None,
        task_name: str | None = None,
        task_type: str | TaskType = TaskType.training,
        tags: Sequence[str] | None = None,
        output_uri: str | bool | None = None,
        reuse_last_task_id: bool | str = True,
        continue_last_task: bool | str = False,
        auto_connect_arg_parser: bool = True,
        auto_connect_frameworks: bool | Mapping[str, bool] = True,
        auto_resource_monitoring: bool = True,
        auto_connect_streams: bool = True,
    ) -> Task:
        """Create (or attach to) the task of this process and start recording.

        Args:
            project_name: hierarchical project name (``team/vision``); created if missing.
            task_name: the run's name; the script's file name when omitted.
            task_type: a ``Task.TaskTypes`` member or its name: ``training``, ``testing``,
                ``inference``, ``data_processing``, ``application``, ``monitor``,
                ``controller``, ``optimizer``, ``service``, ``qc`` or ``custom``.
            tags: tags of the task.
            output_uri: where artifacts and models go: ``hub://`` (default, the hub's file
                store) or ``s3://bucket/prefix``, ``gs://``, ``az://``, ``file:///path``.
                ``True`` means the default from the config file (``[sdk] output_uri``).
            reuse_last_task_id: reuse this script's previous task of the same project and
                name when it made no artifacts or models (its results are reset); a task id
                reuses that task; ``False`` always creates a new one.
            continue_last_task: go on with the previous task (or the given id) keeping its
                results; iterations continue after its last one.
            auto_connect_arg_parser: report the command line (argparse, click, Fire:
                ``Args/...``; Hydra: ``Hydra/...`` and the ``OmegaConf`` configuration).
            auto_connect_frameworks: capture TensorBoard, matplotlib and model saving; a
                dict switches single frameworks (``{"matplotlib": False}``).
            auto_resource_monitoring: report cpu, memory, disk, network and gpu use.
            auto_connect_streams: record stdout and stderr.

        Returns:
            The running task. Calling ``Task.init`` again in the process returns it again.
        """
        with cls._init_lock:
            if cls._current is not None:
                return cls._current
            kw: dict[str, Any] = dict(
                project_name=project_name,
                task_name=task_name,
                task_type=task_type_name(task_type),
                tags=list(tags or []),
                output_uri=output_uri,
                reuse_last_task_id=reuse_last_task_id,
                continue_last_task=continue_last_task,
                auto_connect_arg_parser=auto_connect_arg_parser,
                auto_connect_frameworks=auto_connect_frameworks,
                auto_resource_monitoring=auto_resource_monitoring,
                auto_connect_streams=auto_connect_streams,
                extra_requirements=dict(cls._extra_requirements),
            )
            run = start_run(offline=cls.is_offline(), **kw)
            start_capture(run.handle, run, kw)
            run.install_exit_hooks()
            task = cls._of(run.handle)
            run.on_closed(lambda: cls._forget(task))
            cls._current = task
            return task

    @classmethod
    def _forget(cls, task: Task) -> None:
        if cls._current is task:
            cls._current = None

    @classmethod
    def current_task(cls) -> Task | None:
        """The task ``Task.init`` started in this process, or ``None``."""
        return cls._current

    @classmethod
    def set_offline(cls, offline_mode: bool = False) -> None:
        """Record the next ``Task.init`` into a local folder instead of the hub.

        Upload the folder later with ``corral task import FOLDER``.
        """
        cls._offline = bool(offline_mode)

    @classmethod
    def is_offline(cls) -> bool:
        return cls._offline or os.environ.get("CORRAL_OFFLINE", "").lower() in ("1", "true", "yes")

    @classmethod
    def add_requirements(cls, package_name: str, package_version: str | None = None) -> None:
        """Add (or pin) a package in the requirements the next ``Task.init`` records.

        ``Task.add_requirements("torch", "2.3.1")`` or ``("torch", ">=2.3")``.
        """
        spec = package_version or ""
        if spec and spec[0].isdigit():
            spec = f"=={spec}"
        cls._extra_requirements[package_name] = spec

    # --- properties ---------------------------------------------------------------------

    @property
    def name(self) -> str:
        return str(self._data.get("name", ""))

    @property
    def project(self) -> str:
        return str(self._data.get("project_id", ""))

    @property
    def status(self) -> str:
        return str(self._data.get("status", ""))

    @property
    def data(self) -> dict[str, Any]:
        """The task as the hub last returned it (``reload()`` refreshes it)."""
        return self._data

    #: ``True`` unless an agent runs the task: ``Task.running_locally()`` (ClearML's
    #: spelling), ``task.running_locally()`` and ``if task.running_locally:`` all work
    running_locally = RunningLocally()

    @property
    def task_id(self) -> str:
        """The task's id (``task.id``)."""
        return self.id

    @property
    def task_type(self) -> str:
        """The task's type name (a ``Task.TaskTypes`` value)."""
        return str(self._data.get("type", ""))

    @property
    def parent(self) -> str | None:
        """The id of the task this one was cloned from (or made by), if any."""
        parent = self._data.get("parent_id")
        return str(parent) if parent else None

    @property
    def logger(self) -> Logger:
        """The task's ``Logger`` (the same as ``get_logger()``)."""
        return self.get_logger()

    def is_current_task(self) -> bool:
        """Whether this is the task ``Task.init`` started in this process."""
        return Task._current is not None and Task._current.id == self.id

    def is_main_task(self) -> bool:
        """The same as :meth:`is_current_task` (Corral runs one task per process)."""
        return self.is_current_task()

    def get_project_name(self) -> str | None:
        """The name of the task's project (``team/vision``), or ``None`` if it has none."""
        name = self._data.get("project_name")
        if name:
            return str(name)
        project_id = self._data.get("project_id")
        if not project_id:
            return None
        try:
            name = _client().projects.get(str(project_id))["name"]
        except NotFoundError:
            return None
        self._data["project_name"] = name
        return str(name)

    @property
    def artifacts(self) -> Artifacts:
        """The task's artifacts by name: ``task.artifacts["preds"].get()``."""
        return Artifacts(self._handle)

    def get_logger(self) -> Logger:
        """The task's ``Logger`` (scalars, plots, images, text)."""
        return logger_for(self._handle)

    def reload(self) -> Task:
        """Read the task from the hub again."""
        # the running task: its changes still in the outbox (tags, parameters) must be on
        # the hub first, or the stale copy read here would undo them on the next change
        self._handle.flush(30)
        self._data = _client().get(f"tasks/{self.id}")
        return self

    def get_status(self) -> str:
        """The status on the hub: created, queued, in_progress, completed, failed, stopped, published."""
        if self._handle.offline:
            return self.status
        return str(self.reload().status)

    # --- parameters ---------------------------------------------------------------------

    def connect(
        self, mutable: Any, name: str | None = None, ignore_remote_overrides: bool = False
    ) -> Any:
        """Track a dict, an object's attributes or an argparse namespace as hyperparameters.

        Locally the values are reported (section ``name``, default ``General``; ``Args``
        for a namespace). When the task runs remotely, values stored on the task (edited
        in the UI) replace the code's - in place - with their types kept, unless
        ``ignore_remote_overrides``. Changes made to the object afterwards are recorded
        too. An ``InputModel`` is recorded as an input model of the task.

        Returns:
            ``mutable`` itself (with the stored values under an agent).
        """
        return C.connect(self._handle, mutable, name, ignore_remote_overrides)

    def connect_configuration(
        self,
        configuration: Any,
        name: str | None = "General",
        description: str | None = "",
        ignore_remote_overrides: bool = False,
    ) -> Any:
        """Track a configuration file (a path) or a dict as a configuration object.

        A path: its text is stored; when the task runs remotely the stored (edited) text
        is written to a temporary file whose path is returned. A dict: stored as JSON and,
        remotely, replaced in place by the stored one. ``ignore_remote_overrides`` keeps
        the code's configuration under an agent (and records it).
        """
        return C.connect_configuration(
            self._handle,
            configuration,
            name or "General",
            description or "",
            ignore_remote_overrides,
        )

    def get_parameters(self, cast: bool = True) -> dict[str, Any]:
        """Every hyperparameter as ``{"Section/name": value}`` (typed values with ``cast``)."""
        C.sync_connected(self._handle)  # with the changes made to connected dicts so far
        out: dict[str, Any] = {}
        for section, params in (self._data.get("hyperparams") or {}).items():
            for key, param in params.items():
                value = param.get("value")
                out[f"{section}/{key}"] = P.cast(value, param.get("type", "")) if cast else value
        return out

    def get_parameters_as_dict(self, cast: bool = False) -> dict[str, dict[str, Any]]:
        """Sections as nested dicts: ``{"Args": {"lr": 0.1}, "General": {...}}``.

        Values always keep their types (``cast`` is accepted for ClearML's signature).
        """
        C.sync_connected(self._handle)
        return {s: P.unflatten(p) for s, p in (self._data.get("hyperparams") or {}).items()}

    def set_parameters_as_dict(self, dictionary: Mapping[str, Any]) -> None:
        """Set parameters from sections as nested dicts, once (nothing is tracked after).

        ``{"Args": {"lr": 0.1}, "General": {"model": {"layers": 3}}}`` sets ``Args/lr``
        and ``General/model/layers``; a value that is not a dict goes to ``General``.
        """
        if not isinstance(dictionary, Mapping):
            raise TypeError(f"set_parameters_as_dict takes a dict, not {type(dictionary).__name__}")
        flat: dict[str, Any] = {}
        for section, values in dictionary.items():
            if isinstance(values, Mapping) and values:
                for name in P.flatten(values):
                    flat[f"{section}/{name}"] = _leaf(values, name)
            else:
                flat[f"General/{section}"] = values
        C.set_parameters(self._handle, flat)

    def get_configuration_object(self, name: str) -> str | None:
        """The text of the configuration object ``name``, or ``None`` if there is none."""
        item = (self._data.get("configuration") or {}).get(name)
        return None if item is None else str(item.get("value", ""))

    def get_configuration_object_as_dict(self, name: str) -> Any:
        """The configuration object ``name`` parsed (JSON or YAML), or ``None`` if there is none.

        Raises:
            ValueError: its text is neither JSON nor YAML.
        """
        text = self.get_configuration_object(name)
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError:
            pass
        try:
            import yaml  # PyYAML: a dependency of the hydra/omegaconf capture

            return yaml.safe_load(text)
        except ImportError as e:
            raise ValueError(f"configuration {name!r} is not JSON (install PyYAML for YAML)") from e
        except yaml.YAMLError as e:
            raise ValueError(f"configuration {name!r} is neither JSON nor YAML: {e}") from e

    def get_configuration_objects(self) -> dict[str, str]:
        """Every configuration object's text by name."""
        items = self._data.get("configuration") or {}
        return {name: str(item.get("value", "")) for name, item in items.items()}

    def set_configuration_object(
        self,
        name: str,
        config_text: str | None = None,
        description: str | None = None,
        config_type: str | None = None,
        config_dict: Mapping[str, Any] | Sequence[Any] | None = None,
    ) -> None:
        """Store a configuration object as text, or a dict/list as JSON (not both).

        Unlike ``connect_configuration`` nothing is read back under an agent: this is for
        tools that write another task's configuration.
        """
        if (config_text is None) == (config_dict is None):
            raise ValueError("set_configuration_object takes config_text or config_dict (one)")
        if config_dict is not None:
            text, kind = json.dumps(P.to_json_value(config_dict), indent=2), config_type or "json"
        elif isinstance(config_text, str):
            text, kind = config_text, config_type or "text"
        else:
            raise TypeError(f"config_text must be a string, not {type(config_text).__name__}")
        item = {"type": kind, "value": text, "description": description or ""}
        self._data.setdefault("configuration", {})[name] = item
        self._handle.request(
            "PATCH", f"tasks/{self.id}/configuration", {"configuration": {name: item}}
        )

    def get_parameter(self, name: str, default: Any = None) -> Any:
        return self.get_parameters().get(name, default)

    def set_parameters(self, *args: Mapping[str, Any], **kwargs: Any) -> None:
        """Set ``{"Section/name": value}`` parameters (a name without a section goes to General)."""
        flat: dict[str, Any] = {}
        for mapping in args:
            flat.update(mapping)
        flat.update(kwargs)
        C.set_parameters(self._handle, flat)

    def set_parameter(self, name: str, value: Any, description: str = "") -> None:
        """One parameter, ``"Section/name"`` (``General`` when there is no section)."""
        C.set_parameters(self._handle, {name: value}, description)

    # --- task fields --------------------------------------------------------------------

    def add_tags(self, tags: str | Sequence[str]) -> None:
        new = [tags] if isinstance(tags, str) else list(tags)
        merged = list(dict.fromkeys([*self._data.get("tags", []), *new]))
        self._data["tags"] = merged
        self._handle.request("PATCH", f"tasks/{self.id}", {"tags": merged}, force=False)

    def get_tags(self) -> list[str]:
        return list(self._data.get("tags", []))

    def set_tags(self, tags: Sequence[str]) -> None:
        """Replace the task's tags."""
        new = [tags] if isinstance(tags, str) else list(tags)
        self._data["tags"] = new
        self._handle.request("PATCH", f"tasks/{self.id}", {"tags": new}, force=False)

    def set_task_type(self, task_type: str | TaskType) -> None:
        """Change the type (a draft, or the running task itself); see ``Task.TaskTypes``."""
        name = task_type_name(task_type)
        self._data["type"] = name
        self._handle.request("PATCH", f"tasks/{self.id}", {"type": name})

    def rename(self, new_name: str) -> None:
        """The same as :meth:`set_name`."""
        self.set_name(new_name)

    def set_parent(self, parent: Task | str | None) -> None:
        """Record the task this one comes from (a draft, or the running task itself)."""
        parent_id = parent.id if isinstance(parent, Task) else parent
        self._data["parent_id"] = parent_id
        self._handle.request("PATCH", f"tasks/{self.id}", {"parent_id": parent_id})

    def move_to_project(
        self, new_project_id: str | None = None, new_project_name: str | None = None
    ) -> None:
        """Move the task to another project, by id or by name (created if missing)."""
        if not new_project_id and not new_project_name:
            raise ValueError("move_to_project needs new_project_id or new_project_name")
        if not new_project_id:
            assert new_project_name is not None
            found = _client().projects.find(new_project_name)
            project = found or _client().projects.create(new_project_name)
            new_project_id = project["id"]
        self._data["project_id"] = new_project_id
        self._data.pop("project_name", None)
        self._handle.request(
            "PATCH", f"tasks/{self.id}", {"project_id": new_project_id}, force=False
        )

    def get_user_properties(self, value_only: bool = False) -> dict[str, Any]:
        """The properties set with ``set_user_properties`` (not the machine facts).

        Returns:
            ``{name: {"name", "value", "description"}}``, or ``{name: value}`` with ``value_only``.
        """
        facts = set(Runtime.model_fields) | {_PROGRESS}
        runtime = self._data.get("runtime") or {}
        props = {k: v for k, v in runtime.items() if k not in facts}
        if value_only:
            return props
        return {k: {"name": k, "value": v, "description": ""} for k, v in props.items()}

    def set_progress(self, progress: int) -> None:
        """How far the task is, 0 to 100 (shown with the task's properties)."""
        if isinstance(progress, bool) or not isinstance(progress, int) or not 0 <= progress <= 100:
            raise ValueError(f"progress must be an int from 0 to 100, not {progress!r}")
        self._data["runtime"] = {**self._data.get("runtime", {}), _PROGRESS: progress}
        self._handle.request(
            "PATCH", f"tasks/{self.id}", {"runtime": {_PROGRESS: progress}}, force=False
        )

    def get_progress(self) -> int | None:
        """The progress set with :meth:`set_progress`, or ``None``."""
        value = (self._data.get("runtime") or {}).get(_PROGRESS)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def get_archived(self) -> bool:
        """Whether the task is archived (as last read from the hub)."""
        return bool(self._data.get("archived"))

    def set_archived(self, archive: bool) -> None:
        """Archive the task (hidden from lists by default), or take it out of the archive."""
        self._handle.flush(30)
        self._data = _client().post(f"tasks/{self.id}:{'archive' if archive else 'unarchive'}")

    def set_initial_iteration(self, offset: int = 0) -> int:
        """Add ``offset`` to the iterations reported from now on (training resumed at a step)."""
        if isinstance(offset, bool) or not isinstance(offset, int):
            raise ValueError(f"the initial iteration must be an int, not {offset!r}")
        self._handle.iteration_offset = offset
        if self._handle.logger is not None:
            self._handle.logger.set_iteration_offset(offset)
        return offset

    def get_initial_iteration(self) -> int:
        """The offset added to reported iterations (see :meth:`set_initial_iteration`)."""
        return int(self._handle.iteration_offset)

    @classmethod
    def set_resource_monitor_iteration_timeout(
        cls,
        seconds_from_start: float = 30.0,
        wait_for_first_iteration_to_start_sec: float = 180.0,
        max_wait_for_first_iteration_to_start_sec: float = 1800.0,
    ) -> bool:
        """Accepted for ClearML's scripts; does nothing: Corral's machine statistics are
        always reported against time since the start, never against iterations."""
        return True

    def set_comment(self, comment: str) -> None:
        self._data["comment"] = comment
        self._handle.request("PATCH", f"tasks/{self.id}", {"comment": comment}, force=False)

    @property
    def comment(self) -> str:
        return str(self._data.get("comment", ""))

    def set_name(self, name: str) -> None:
        self._data["name"] = name
        self._handle.request("PATCH", f"tasks/{self.id}", {"name": name}, force=False)

    def set_base_docker(
        self,
        docker_image: str,
        docker_arguments: str | Sequence[str] | None = None,
        docker_setup_bash_script: str | Sequence[str] | None = None,
    ) -> None:
        """The container an agent in docker mode runs this task in."""
        args = docker_arguments or ""
        script = docker_setup_bash_script or ""
        container = {
            "image": docker_image,
            "arguments": args if isinstance(args, str) else " ".join(args),
            "setup_script": script if isinstance(script, str) else "\n".join(script),
        }
        self._data["container"] = container
        self._handle.request("PATCH", f"tasks/{self.id}", {"container": container})

    def set_user_properties(self, **properties: Any) -> None:
        """Free-form key/values shown with the machine facts (``runtime``)."""
        values = P.to_json_value(properties)
        self._data["runtime"] = {**self._data.get("runtime", {}), **values}
        self._handle.request("PATCH", f"tasks/{self.id}", {"runtime": values}, force=False)

    # --- artifacts ----------------------------------------------------------------------

    def upload_artifact(
        self,
        name: str,
        artifact_object: Any,
        metadata: Mapping[str, Any] | None = None,
        delete_after_upload: bool = False,
        auto_pickle: bool | None = True,
        preview: Any = None,
        wait_on_upload: bool = False,
        extension_name: str | None = None,
        serialization_function: Callable[[Any], bytes | bytearray] | None = None,
        retries: int = 0,
        sort_keys: bool = True,
    ) -> bool:
        """Store a file, folder, file pattern, DataFrame, array, dict/list, image or any
        picklable object; a ``https://`` or ``s3://`` URL is stored as a link.

        The object is serialized now; the upload happens in the background unless
        ``wait_on_upload``. ``"images/*.jpg"`` (or a list of ``Path``) is stored as one
        zip of the matching files, named relative to the pattern's folder.
        ``extension_name`` picks the format (``.csv.gz``, ``.parquet``, ``.npz``,
        ``.yaml``, ``.jpg``, ``.pkl``...), ``serialization_function(obj) -> bytes``
        writes the file itself. Read it back with ``task.artifacts[name].get()``.

        Raises:
            ValueError: a pattern no file matches, a format the object cannot take,
                or a name that is registered (``register_artifact``).
            TypeError: an object only pickle can store, with ``auto_pickle=False``.
        """
        return upload_artifact(
            self._handle,
            name,
            artifact_object,
            metadata=metadata,
            delete_after_upload=delete_after_upload,
            auto_pickle=auto_pickle,
            preview=preview,
            wait_on_upload=wait_on_upload,
            extension_name=extension_name,
            serialization_function=serialization_function,
            retries=retries,
            sort_keys=sort_keys,
        )

    def register_artifact(
        self,
        name: str,
        artifact: Any,
        metadata: Mapping[str, Any] | None = None,
        uniqueness_columns: bool | str | Sequence[str] = True,
    ) -> None:
        """Upload a pandas DataFrame now, and again whenever its content changes.

        The SDK looks at it in the background, at ``flush()`` and at the end of the run,
        so the hub has its last content. Row count and row uniqueness (over
        ``uniqueness_columns``, or every column) go into the metadata and preview.

        Example::

            task.register_artifact("train", df, uniqueness_columns=["id"])
            df.loc[len(df)] = [7, "cow"]  # the hub gets the new row
        """
        registry_of(self._handle).register(name, artifact, metadata, uniqueness_columns)

    def unregister_artifact(self, name: str) -> None:
        """Stop watching a registered artifact; its content now is uploaded if it changed."""
        registry_of(self._handle).unregister(name)

    def get_registered_artifacts(self) -> dict[str, Any]:
        """The registered artifacts: ``{name: the DataFrame}`` (the live objects)."""
        registry = self._handle.registered
        return dict(registry) if registry is not None else {}

    # --- models -------------------------------------------------------------------------

    @property
    def models(self) -> dict[str, list[Any]]:
        """``{"input": [Model...], "output": [Model...]}`` as recorded on the hub."""
        self.reload()
        refs = self._data.get("models", {})
        return {
            kind: [Model(ref["model_id"]) for ref in refs.get(kind, [])]
            for kind in ("input", "output")
        }

    # --- status -------------------------------------------------------------------------

    def mark_completed(
        self,
        ignore_errors: bool = True,
        status_message: str | None = None,
        force: bool = False,
    ) -> None:
        """Complete the task (ClearML's argument order).

        Args:
            ignore_errors: a change the hub refuses (the task is already final, say) is
                logged as a warning instead of raised.
            status_message: shown with the status.
            force: accepted for ClearML's scripts; nothing needs it.
        """
        if isinstance(ignore_errors, str):  # Corral's earlier order: (status_message)
            ignore_errors, status_message = True, ignore_errors
        self._mark("complete", {"message": status_message or ""}, ignore_errors)

    def mark_failed(
        self,
        ignore_errors: bool = True,
        status_reason: str | None = None,
        status_message: str | None = None,
        force: bool = False,
    ) -> None:
        """Fail the task (ClearML's argument order; see :meth:`mark_completed`)."""
        if isinstance(ignore_errors, str):  # Corral's earlier order: (reason, message)
            if isinstance(status_reason, str):
                status_message = status_reason
            ignore_errors, status_reason = True, ignore_errors
        body = {"reason": status_reason or "", "message": status_message or ""}
        self._mark("fail", body, ignore_errors)

    def mark_stopped(
        self,
        force: bool = False,
        status_message: str | None = None,
        status_reason: str | None = None,
    ) -> None:
        """Stop the task (ClearML's argument order; ``status_reason`` is Corral's own).

        A change the hub refuses raises, as in ClearML.
        """
        if isinstance(force, str):  # Corral's earlier order: (reason, message)
            force, status_reason = False, force
        body = {"reason": status_reason or "", "message": status_message or ""}
        self._mark("stop", body, ignore_errors=False)

    def _mark(self, action: str, body: dict[str, Any], ignore_errors: bool) -> None:
        try:
            self._status_action(action, body)
        except (ValidationError, ConflictError) as e:
            if not ignore_errors:
                raise
            log.warning("could not %s task %s: %s", action, self.id, e)

    def mark_started(self, force: bool = False) -> None:
        """Set a draft or queued task running (the running task of this process already is)."""
        if self.is_current_task() or self.status == "in_progress":
            return
        self._status_action("start", {})

    def started(self, ignore_errors: bool = True, force: bool = False) -> None:
        """The same as :meth:`mark_started`; with ``ignore_errors`` a refusal is only logged."""
        try:
            self.mark_started(force=force)
        except CorralError as e:
            if not ignore_errors:
                raise
            log.warning("could not start task %s: %s", self.id, e)

    def reset(self, set_started_on_success: bool = False, force: bool = False) -> None:
        """Back to a draft: results cleared, inputs kept (``force`` for a running task)."""
        self._handle.flush(30)
        self._data = _client().post(f"tasks/{self.id}:reset", json={"force": force})
        if set_started_on_success:
            self._status_action("start", {})

    def wait_for_status(
        self,
        status: Iterable[str] = (TaskStatus.completed, TaskStatus.stopped),
        raise_on_status: Iterable[str] | None = (TaskStatus.failed,),
        check_interval_sec: float = 60.0,
    ) -> None:
        """Wait until the task reaches one of ``status`` (reading it every ``check_interval_sec``).

        Raises:
            RuntimeError: it reached one of ``raise_on_status``.
        """
        wanted = {str(s) for s in status}
        failing = {str(s) for s in raise_on_status or ()}
        while self.get_status() not in wanted | failing:
            time.sleep(check_interval_sec)
        if self.status in failing:
            raise RuntimeError(f"task {self.id} has status {self.status}")

    def delete(
        self,
        delete_artifacts_and_models: bool = True,
        skip_models_used_by_other_tasks: bool = True,
        raise_on_error: bool = False,
    ) -> bool:
        """Delete the task with its results, artifacts and their stored files.

        Args:
            delete_artifacts_and_models: also delete the models the task made
                (their files go unless another record uses them).
            skip_models_used_by_other_tasks: keep the published ones among those models
                (the hub does not tell which tasks load a model; published models are
                the ones meant for other tasks).
            raise_on_error: raise instead of logging and returning ``False``.

        Returns:
            ``True`` when the task was deleted. Under an agent, the task the agent runs is
            not deleted (``False``), as in ClearML.
        """
        run = self._handle.run
        if run is not None and run.remote:
            return False
        try:
            models = self._own_models() if delete_artifacts_and_models else []
            if run is not None and run.active:
                run.close("stopped", {"reason": "deleted by the script"})
            _client().request("DELETE", f"tasks/{self.id}", params={"force": "true"})
            for model in models:
                if skip_models_used_by_other_tasks and model.get("published"):
                    continue
                _client().request("DELETE", f"models/{model['id']}", params={"force": "true"})
        except CorralError as e:
            if raise_on_error:
                raise
            log.error("could not delete task %s: %s", self.id, e)
            return False
        return True

    def _own_models(self) -> list[dict[str, Any]]:
        return [dict(m) for m in _client().models.iter(task_id=self.id, archived="")]

    def publish(self, ignore_errors: bool = True, publish_models: bool = True) -> None:
        """Publish the completed task (it becomes read-only), with its output models.

        ClearML's ``publish(ignore_errors=True)``: a task that is not completed is a
        ``ValueError`` (ClearML: "Can't publish, Task is not stopped"); another refusal
        of the hub is logged, or raised with ``ignore_errors=False``. The running task
        of this process is completed first. As ClearML's server does, the task's output
        models that are not published yet are published with it (in one transaction);
        ``publish_models=False`` (Corral's own) publishes the task alone.

        Example::

            Task.get_task(task_id).publish()
        """
        run = self._handle.run
        if run is not None and run.active:
            run.finish("completed")
        try:
            self._status_action("publish", {"publish_models": publish_models})
        except ConflictError as e:
            raise ValueError(f"cannot publish task {self.id}: {e}") from e
        except ValidationError as e:
            if not ignore_errors:
                raise
            log.warning("could not publish task %s: %s", self.id, e)

    def close(self) -> None:
        """End the run: send everything, mark the task completed, stop the capture."""
        if self._handle.run is not None:
            self._handle.run.close("completed")

    def execute_remotely(
        self, queue_name: str | None = None, clone: bool = False, exit_process: bool = True
    ) -> Task | None:
        """Run this task on an agent instead: enqueue it and end the local process.

        Locally, the capture is finished (code, packages, arguments and parameters reach
        the hub), the task goes back to draft (what it reported so far is cleared) and
        into ``queue_name``, and the process exits. With no ``queue_name`` the task is
        left a draft and a line says how to enqueue it (``corral task enqueue ID --queue
        NAME``). With ``clone=True`` a copy is enqueued (or left a draft) instead and,
        with ``exit_process=False``, this run goes on; ``clone=False`` needs
        ``exit_process=True`` (``ValueError``). Under an agent it does nothing and
        returns ``None``, so the script continues there.

        Example::

            task = Task.init(project_name="parking", task_name="train")
            task.connect(params)
            task.execute_remotely(queue_name="gpu")  # locally: ends here
            train(params)  # runs on the agent
        """
        data = execute_remotely(self._handle, queue_name, clone, exit_process)
        if data is None:
            return None
        return Task(data) if clone else self

    def flush(self, wait_for_uploads: bool = False, timeout: float = 30.0) -> bool:
        return self._handle.flush(timeout if wait_for_uploads else 0)

    def _status_action(self, action: str, body: dict[str, Any] | None) -> None:
        run = self._handle.run
        if run is not None and run.active and action in ("complete", "fail", "stop"):
            run.finish(TRANSITIONS[action][1].value, body or {})
            return
        self._handle.flush(30)
        self._data = _client().post(f"tasks/{self.id}:{action}", json=body)

    # --- reading results ----------------------------------------------------------------

    def get_reported_scalars(self, max_samples: int = 0, x_axis: str = "iter") -> dict[str, Any]:
        """``{title: {series: {"x": [...], "y": [...]}}}`` (all points unless ``max_samples``).

        ``x_axis`` is ``iter`` (iterations) or ``timestamp`` (seconds since the epoch).
        """
        self._handle.flush(30)
        query: dict[str, Any] = {"full": "true"} if not max_samples else {"max_points": max_samples}
        series = _client().get(f"tasks/{self.id}/scalars", params=query)["series"]
        out: dict[str, dict[str, dict[str, list[Any]]]] = {}
        for s in series:
            x = s["times"] if x_axis == "timestamp" else s["iterations"]
            out.setdefault(s["metric"], {})[s["variant"]] = {"x": x, "y": s["values"]}
        return out

    def get_last_scalar_metrics(self) -> dict[str, Any]:
        """``{title: {series: {"last", "min", "max"}}}`` from the hub's summary."""
        self._handle.flush(30)
        rows = _client().get(f"tasks/{self.id}/metrics")
        out: dict[str, dict[str, Any]] = {}
        for r in rows:
            out.setdefault(r["metric"], {})[r["variant"]] = {
                "last": r["last"],
                "min": r["min"],
                "max": r["max"],
            }
        return out

    def get_last_iteration(self) -> int:
        """The last iteration the task reported (0 before any)."""
        self._handle.flush(30)
        if not self._handle.offline:
            self._data = _client().get(f"tasks/{self.id}")
        return int(self._data.get("last_iteration") or 0)

    def get_reported_console_output(self, number_of_reports: int = 1) -> list[str]:
        """The last ``number_of_reports`` console reports (oldest first), as sent.

        A report is what the console capture sent at once: one or several lines.
        """
        if isinstance(number_of_reports, bool) or not isinstance(number_of_reports, int):
            raise ValueError(f"number_of_reports must be an int, not {number_of_reports!r}")
        if number_of_reports < 1:
            return []
        self._handle.flush(30)
        return queries.console_tail(self.id, number_of_reports)

    def get_reported_plots(self, max_iterations: int | None = None) -> list[dict[str, Any]]:
        """The plots of the last ``max_iterations`` iterations of each series (default 1).

        Each is a dict with ``metric``, ``variant``, ``iter``, ``timestamp`` (ms),
        ``task``, ``type`` (``"plot"``), ``plot_str`` (the plotly figure as JSON text)
        and ``figure`` (the same, as a dict).
        """
        if max_iterations is not None and (
            isinstance(max_iterations, bool) or not isinstance(max_iterations, int)
        ):
            raise ValueError(f"max_iterations must be an int, not {max_iterations!r}")
        self._handle.flush(30)
        return queries.plots(self.id, max(1, max_iterations or 1))

    def get_reported_single_values(self) -> dict[str, float]:
        """The values reported with ``Logger.report_single_value``, by name."""
        summary = self.get_last_scalar_metrics().get(SINGLE_VALUES, {})
        return {name: float(values["last"]) for name, values in summary.items()}

    def get_reported_single_value(self, name: str) -> float | None:
        """One value reported with ``Logger.report_single_value``, or ``None``."""
        return self.get_reported_single_values().get(name)

    def get_output_log_web_page(self) -> str:
        """The address of the task's console in the web UI."""
        return self.get_task_output_log_web_page(self.id)

    @classmethod
    def get_task_output_log_web_page(
        cls, task_id: str, project_id: str | None = None, app_server_host: str | None = None
    ) -> str:
        """The address of a task's console in the web UI (of ``app_server_host``, else the hub)."""
        base = (app_server_host or _client().creds.url).rstrip("/")
        return f"{base}/experiments/{task_id}/console"

    # --- working with other tasks -------------------------------------------------------

    @classmethod
    def get_task(
        cls,
        task_id: str | None = None,
        project_name: str | None = None,
        task_name: str | None = None,
        tags: Sequence[str] | None = None,
        allow_archived: bool = True,
        task_filter: Mapping[str, Any] | None = None,
    ) -> Task:
        """A task by id, or the newest one with this exact name, project, tags and filter.

        Args:
            task_id: the task's id; the other arguments are ignored when given.
            project_name: the project (exactly this name; its subprojects too).
            task_name: the task's whole name.
            tags: tags it must all have; ``-tag`` excludes a tag.
            allow_archived: ``False`` leaves archived tasks out.
            task_filter: more filters and the order (see :meth:`get_tasks`); the first
                task in that order is returned.

        Raises:
            NotFoundError: no task matches.
        """
        if task_id:
            return cls(_client().get(f"tasks/{task_id}"))
        found = queries.find_tasks(
            project_name=project_name,
            task_name=task_name,
            tags=tags,
            allow_archived=allow_archived,
            task_filter=task_filter,
            limit=1,
        )
        if not found:
            raise NotFoundError(
                f"no task named {task_name!r} in project {project_name!r}"
                + (f" with tags {list(tags)}" if tags else "")
                + (f" matching {dict(task_filter)}" if task_filter else "")
            )
        return cls(_client().get(f"tasks/{found[0]['id']}"))

    @classmethod
    def get_tasks(
        cls,
        task_ids: Sequence[str] | None = None,
        project_name: str | Sequence[str] | None = None,
        task_name: str | None = None,
        tags: Sequence[str] | None = None,
        allow_archived: bool = True,
        task_filter: Mapping[str, Any] | None = None,
    ) -> list[Task]:
        """Tasks by ids, or matching projects (and subprojects), a name part, tags and filters.

        Args:
            task_ids: these tasks (the other arguments are ignored).
            project_name: a project name or a list of them.
            task_name: a part of the name (or comment); ``^name$`` matches the whole name.
            tags: tags they must all have; ``-tag`` excludes a tag.
            allow_archived: ``False`` leaves archived tasks out.
            task_filter: ClearML's keys ``order_by`` (one key, e.g. ``["-last_update"]``
                or ``["-metric:accuracy:val:max"]``), ``page_size``/``page``,
                ``status``, ``type``, ``tags``, ``user``, ``parent``, ``search_text``,
                ``_any_``; see ``corral.sdk.task_filter`` for the whole list.

        Returns:
            Every match (newest first unless ordered), or one page with ``page_size``:
            the hub is asked for that page alone.

        Example::

            best = Task.get_tasks(
                project_name="parking",
                task_filter={"order_by": ["-metric:accuracy:val:max"], "page_size": 10},
            )
        """
        if task_ids:
            ids = [task_ids] if isinstance(task_ids, str) else list(task_ids)
            return [cls(_client().get(f"tasks/{tid}")) for tid in ids]
        rows = queries.find_tasks(
            project_name=project_name,
            task_name=task_name,
            tags=tags,
            allow_archived=allow_archived,
            task_filter=task_filter,
            exact=False,
        )
        return [cls(row) for row in rows]

    @classmethod
    def get_project_id(cls, project_name: str, search_hidden: bool = True) -> str | None:
        """The id of the project named exactly ``project_name``, or ``None``."""
        project = _client().projects.find(project_name)
        return None if project is None else str(project["id"])

    @classmethod
    def get_by_name(cls, task_name: str) -> Task:
        """Deprecated in ClearML: the newest task with this name in any project."""
        warnings.warn(
            "Task.get_by_name is deprecated; use Task.get_task(task_name=...)",
            DeprecationWarning,
            stacklevel=2,
        )
        return cls.get_task(task_name=task_name)

    @classmethod
    def clone(
        cls,
        source_task: Task | str,
        name: str | None = None,
        comment: str | None = None,
        parent: str | None = None,
        project: str | None = None,
    ) -> Task:
        """A new draft with the source's code, parameters and configuration (no results)."""
        source_id = source_task.id if isinstance(source_task, Task) else source_task
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if comment is not None:
            body["comment"] = comment
        if parent is not None:
            body["parent_id"] = parent
        if project is not None:
            body["project_id" if _is_id(project) else "project"] = project
        return cls(_client().post(f"tasks/{source_id}:clone", json=body))

    @classmethod
    def enqueue(
        cls,
        task: Task | str,
        queue_name: str | None = None,
        queue_id: str | None = None,
        top: bool = False,
    ) -> Task:
        """Put a draft in a queue (``default`` when no queue is given) for an agent to run."""
        task_id = task.id if isinstance(task, Task) else task
        body = {
            "queue": queue_id or queue_name or "default",
            "position": "top" if top else "bottom",
        }
        return cls(_client().post(f"tasks/{task_id}:enqueue", json=body))

    @classmethod
    def dequeue(cls, task: Task | str) -> Task:
        """Take a queued task out of its queue (it becomes a draft again)."""
        task_id = task.id if isinstance(task, Task) else task
        return cls(_client().post(f"tasks/{task_id}:dequeue"))

    @classmethod
    def get_num_enqueued_tasks(
        cls, queue_name: str | None = None, queue_id: str | None = None
    ) -> int:
        """How many tasks wait in a queue (by name or id)."""
        queue = queue_id or queue_name
        if not queue:
            raise ValueError("get_num_enqueued_tasks needs queue_name or queue_id")
        return len(_client().queues.get(queue)["entries"])

    def __repr__(self) -> str:
        return f"<Task {self.id} {self.name!r} {self.status}>"


def _client() -> HubClient:
    return hub_client()


def _leaf(values: Mapping[str, Any], flat_name: str) -> Any:
    """The value at a flattened name (``a/b``) of a nested dict."""
    node: Any = values
    for part in flat_name.split(P.SEP):
        node = node[part]
    return node


def _is_id(text: str) -> bool:
    return len(text) == 32 and all(c in "0123456789abcdef" for c in text)


__all__ = ["AuthError", "CorralError", "ServerUnavailableError", "Task"]
