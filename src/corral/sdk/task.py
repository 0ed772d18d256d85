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

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from corral.client.http import HubClient
from corral.core.task_status import TRANSITIONS
from corral.core.task_types import TASK_TYPES
from corral.errors import AuthError, CorralError, NotFoundError, ServerUnavailableError
from corral.sdk import connect as C
from corral.sdk import params as P
from corral.sdk import queries
from corral.sdk.artifacts import Artifacts, upload_artifact
from corral.sdk.capture import arguments
from corral.sdk.handle import RunHandle
from corral.sdk.logger import Logger, logger_for
from corral.sdk.model import Model
from corral.sdk.outbox import Outbox
from corral.sdk.remote import execute_remotely
from corral.sdk.run_capture import start_capture
from corral.sdk.run_start import start_run
from corral.sdk.session import hub_client

log = logging.getLogger("corral.sdk")

# a script that parses its arguments before Task.init is captured too
arguments.install()


class Task:
    """A task on the hub. ``Task.init`` makes the one this process runs; the class methods
    (``get_task``, ``get_tasks``, ``clone``, ``enqueue``) work with any task.
    """

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
        task_type: str = "training",
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
            task_type: ``training``, ``testing``, ``inference``, ``data_processing``,
                ``controller``, ``optimizer``, ``service`` or ``custom``.
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
            if task_type not in TASK_TYPES:
                raise ValueError(f"task_type must be one of {', '.join(TASK_TYPES)}")
            kw: dict[str, Any] = dict(
                project_name=project_name,
                task_name=task_name,
                task_type=task_type,
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

    @property
    def running_locally(self) -> bool:
        return not self._handle.remote

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

    def connect(self, mutable: Any, name: str | None = None) -> Any:
        """Track a dict, an object's attributes or an argparse namespace as hyperparameters.

        Locally the values are reported (section ``name``, default ``General``; ``Args``
        for a namespace). When the task runs remotely, values stored on the task (edited
        in the UI) replace the code's - in place - with their types kept.

        Returns:
            ``mutable`` itself (with the stored values under an agent).
        """
        return C.connect(self._handle, mutable, name)

    def connect_configuration(
        self, configuration: Any, name: str = "General", description: str = ""
    ) -> Any:
        """Track a configuration file (a path) or a dict as a configuration object.

        A path: its text is stored; when the task runs remotely the stored (edited) text
        is written to a temporary file whose path is returned. A dict: stored as JSON and,
        remotely, replaced in place by the stored one.
        """
        return C.connect_configuration(self._handle, configuration, name, description)

    def get_parameters(self, cast: bool = True) -> dict[str, Any]:
        """Every hyperparameter as ``{"Section/name": value}`` (typed values with ``cast``)."""
        out: dict[str, Any] = {}
        for section, params in (self._data.get("hyperparams") or {}).items():
            for key, param in params.items():
                value = param.get("value")
                out[f"{section}/{key}"] = P.cast(value, param.get("type", "")) if cast else value
        return out

    def get_parameters_as_dict(self) -> dict[str, dict[str, Any]]:
        """Sections as nested dicts: ``{"Args": {"lr": 0.1}, "General": {...}}``."""
        return {s: P.unflatten(p) for s, p in (self._data.get("hyperparams") or {}).items()}

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
        auto_pickle: bool = True,
        preview: str | None = None,
        wait_on_upload: bool = False,
    ) -> bool:
        """Store a file, folder, DataFrame, array, dict/list, image or any picklable object.

        The object is serialized now; the upload happens in the background unless
        ``wait_on_upload``. Read it back with ``task.artifacts[name].get()``.
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
        )

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

    def mark_completed(self, status_message: str = "") -> None:
        self._status_action("complete", {"message": status_message})

    def mark_failed(self, status_reason: str = "", status_message: str = "") -> None:
        self._status_action("fail", {"reason": status_reason, "message": status_message})

    def mark_stopped(self, status_reason: str = "", status_message: str = "") -> None:
        self._status_action("stop", {"reason": status_reason, "message": status_message})

    def publish(self) -> None:
        """Publish a completed task (it becomes read-only)."""
        run = self._handle.run
        if run is not None and run.active:
            run.finish("completed")
        self._status_action("publish", None)

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
        into ``queue_name`` (``default``), and the process exits. With ``clone=True`` a
        copy is enqueued instead and, with ``exit_process=False``, this run goes on.
        Under an agent it does nothing and returns ``None``, so the script continues there.

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

    # --- working with other tasks -------------------------------------------------------

    @classmethod
    def get_task(
        cls,
        task_id: str | None = None,
        project_name: str | None = None,
        task_name: str | None = None,
        tags: Sequence[str] | None = None,
        allow_archived: bool = True,
    ) -> Task:
        """A task by id, or the newest one matching project, name and tags."""
        if task_id:
            return cls(_client().get(f"tasks/{task_id}"))
        found = queries.find_tasks(
            project_name=project_name,
            task_name=task_name,
            tags=tags,
            allow_archived=allow_archived,
            limit=1,
        )
        if not found:
            raise NotFoundError(
                f"no task named {task_name!r} in project {project_name!r}"
                + (f" with tags {list(tags)}" if tags else "")
            )
        return cls(_client().get(f"tasks/{found[0]['id']}"))

    @classmethod
    def get_tasks(
        cls,
        task_ids: Sequence[str] | None = None,
        project_name: str | None = None,
        task_name: str | None = None,
        tags: Sequence[str] | None = None,
        task_filter: Mapping[str, Any] | None = None,
        allow_archived: bool = True,
    ) -> list[Task]:
        """Tasks by ids, or matching project (and subprojects), name part, tags and filters.

        ``task_filter`` adds query parameters of ``GET /tasks`` (``status``, ``type``, ``sort``...).
        """
        if task_ids:
            return [cls(_client().get(f"tasks/{tid}")) for tid in task_ids]
        rows = queries.find_tasks(
            project_name=project_name,
            task_name=task_name,
            tags=tags,
            allow_archived=allow_archived,
            extra=task_filter,
            exact=False,
        )
        return [cls(row) for row in rows]

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

    def __repr__(self) -> str:
        return f"<Task {self.id} {self.name!r} {self.status}>"


def _client() -> HubClient:
    return hub_client()


def _is_id(text: str) -> bool:
    return len(text) == 32 and all(c in "0123456789abcdef" for c in text)


__all__ = ["AuthError", "CorralError", "ServerUnavailableError", "Task"]
