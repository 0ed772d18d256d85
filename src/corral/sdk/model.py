"""Models: ``OutputModel`` registers what a task makes, ``InputModel`` what it uses,
``Model`` reads any registered model. The names and arguments follow ClearML's.

Example::

    out = OutputModel(task, framework="pytorch", name="detector", label_enumeration={"car": 0})
    out.update_weights("best.pt")          # uploaded in the background, registered
    out.report_scalar("val", "mAP", 0.71, iteration=10)   # stored for the model
    model = InputModel(project="parking", name="detector", only_published=True)
    path = model.get_weights()             # and the task records it as an input
"""

from __future__ import annotations

import ast
import json
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from corral.errors import CorralError, NotFoundError
from corral.sdk import (
    storage,  # lazy package: StorageManager loads on first use
)
from corral.sdk.handle import HasHandle, RunHandle, current_handle
from corral.sdk.model_reports import ModelReporter
from corral.sdk.params import to_json_value
from corral.sdk.plot_reports import PlotReports
from corral.sdk.queries import find_models
from corral.sdk.session import hub_client

#: the system tag of a model whose weights are a zip of several files
PACKAGE_TAG = "package"
#: ``set_metadata(v_type=...)`` names and what they cast to
_CASTS: dict[str, Any] = {
    "int": int,
    "float": float,
    "str": str,
    "basestring": str,
    "bool": lambda v: v if isinstance(v, bool) else str(v).strip().lower() in ("true", "1", "yes"),
    "list": lambda v: list(_literal(v)),
    "tuple": lambda v: list(_literal(v)),
    "dict": lambda v: dict(_literal(v)),
}


def _literal(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return ast.literal_eval(value)
    return value


def _cast(key: str, value: Any, v_type: str | None) -> Any:
    if v_type is None or v_type == "None":
        return to_json_value(value)
    cast = _CASTS.get(str(v_type))
    if cast is None:
        raise ValueError(
            f"metadata {key!r}: unknown v_type {v_type!r}; use one of {', '.join(_CASTS)}"
        )
    try:
        return to_json_value(cast(value))
    except (TypeError, ValueError, SyntaxError) as e:
        raise ValueError(f"metadata {key!r}: {value!r} is not a {v_type}") from e


def _config_text(config_text: str | None, config_dict: Any) -> str | None:
    if config_text is not None and config_dict is not None:
        raise ValueError("give config_text or config_dict, not both")
    if config_dict is not None:
        return json.dumps(to_json_value(config_dict), indent=2)
    return config_text


class _Reports(PlotReports):
    """The report methods of a model (ClearML's ``BaseModel.report_*``).

    They are stored on the hub for this model: ``GET /models/{id}/scalars`` and
    ``/plots`` read them back, and the model's page in the UI draws them.
    """

    id: str
    _reporter_obj: ModelReporter | None = None

    def _report_handle(self) -> RunHandle | None:
        return current_handle()

    @property
    def _reporter(self) -> ModelReporter:
        if self._reporter_obj is None:
            self._reporter_obj = ModelReporter(self.id, self._report_handle())
        return self._reporter_obj

    def _plot(self, title: str, series: str, iteration: int | None, figure: dict[str, Any]) -> None:
        self._reporter.plot(title, series, iteration, figure)

    def report_scalar(self, title: str, series: str, value: float, iteration: int) -> None:
        """One point of the model's series ``title/series``.

        Example::

            model.report_scalar("val", "accuracy", 0.93, iteration=10)
        """
        self._reporter.scalar(title, series, value, iteration)

    def report_single_value(self, name: str, value: float) -> None:
        """A single number of the model (the series ``Summary/name`` at iteration 0)."""
        self._reporter.scalar("Summary", name, value, 0)


class Model(_Reports):
    """A registered model, read from the hub (ClearML's ``Model``)."""

    def __init__(self, model_id: str, data: Mapping[str, Any] | None = None) -> None:
        self.id = model_id
        self._data: dict[str, Any] | None = dict(data) if data is not None else None
        self._project_name: str | None = None

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = hub_client().get(f"models/{self.id}")
        return self._data

    def _reload(self) -> dict[str, Any]:
        self._data = None
        return self.data

    @property
    def name(self) -> str:
        return str(self.data["name"])

    @property
    def framework(self) -> str:
        return str(self.data.get("framework", ""))

    @property
    def url(self) -> str:
        """Where the weights are (``hub://``, ``s3://``, ``https://``...); ``""`` for none yet."""
        return str(self.data.get("uri", ""))

    @property
    def tags(self) -> list[str]:
        return list(self.data.get("tags", []))

    @property
    def system_tags(self) -> list[str]:
        return list(self.data.get("system_tags", []))

    @property
    def labels(self) -> dict[str, int]:
        """The class enumeration (``{"cat": 0, "dog": 1}``)."""
        return dict(self.data.get("labels", {}))

    @property
    def published(self) -> bool:
        return bool(self.data.get("published"))

    @property
    def archived(self) -> bool:
        return bool(self.data.get("archived"))

    @property
    def comment(self) -> str:
        return str(self.data.get("comment", ""))

    @property
    def task(self) -> str | None:
        """The id of the task that made the model (ClearML's ``task``)."""
        task_id = self.data.get("task_id")
        return str(task_id) if task_id else None

    @property
    def task_id(self) -> str | None:
        return self.task

    @property
    def project(self) -> str | None:
        """The id of the model's project (ClearML's ``project``)."""
        project_id = self.data.get("project_id")
        return str(project_id) if project_id else None

    @property
    def project_name(self) -> str | None:
        if self._project_name is None and self.project:
            self._project_name = hub_client().projects.get(self.project)["name"]
        return self._project_name

    @property
    def config_text(self) -> str:
        """The network design or configuration, as text."""
        if "design" not in self.data:  # a row of a list: read the whole model
            self._reload()
        return str(self.data.get("design", ""))

    @property
    def config_dict(self) -> dict[str, Any]:
        """The configuration as a dict (stored as JSON by ``config_dict=``); ``{}`` if not JSON."""
        try:
            value = json.loads(self.config_text) if self.config_text else {}
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    # --- metadata -----------------------------------------------------------------------

    def get_metadata(self, key: str) -> Any:
        """The metadata value of ``key`` (as stored: typed), or ``None``."""
        return self.data.get("metadata", {}).get(str(key))

    def get_metadata_casted(self, key: str) -> Any:
        """The same as :meth:`get_metadata`: values are stored with their type."""
        return self.get_metadata(key)

    def get_all_metadata(self) -> dict[str, Any]:
        return dict(self.data.get("metadata", {}))

    def get_all_metadata_casted(self) -> dict[str, Any]:
        """Every metadata value, typed (the same as :meth:`get_all_metadata`)."""
        return self.get_all_metadata()

    def set_metadata(self, key: str, value: Any, v_type: str | None = None) -> bool:
        """Set one metadata entry; ``v_type`` (``"int"``, ``"float"``, ``"bool"``, ``"str"``,
        ``"list"``, ``"dict"``) casts ``value`` first. Returns ``True``."""
        metadata = {**self.get_all_metadata(), str(key): _cast(str(key), value, v_type)}
        self._patch({"metadata": metadata})
        return True

    def set_all_metadata(self, metadata: Mapping[str, Any], replace: bool = True) -> bool:
        """Set metadata from ``{key: value}`` or ClearML's ``{key: {"value", "type"}}``;
        ``replace=False`` keeps the other keys."""
        values = {}
        for key, entry in metadata.items():
            if isinstance(entry, Mapping) and "value" in entry:
                values[str(key)] = _cast(str(key), entry["value"], entry.get("type"))
            else:
                values[str(key)] = to_json_value(entry)
        merged = values if replace else {**self.get_all_metadata(), **values}
        self._patch({"metadata": merged})
        return True

    def _patch(self, body: dict[str, Any]) -> None:
        self._data = hub_client().patch(f"models/{self.id}", json=body)

    # --- weights ------------------------------------------------------------------------

    def get_local_copy(
        self,
        extract_archive: bool | None = None,
        raise_on_error: bool = False,
        force_download: bool = False,
    ) -> str:
        """The weights in the local cache (a package: its extracted folder).

        Raises:
            NotFoundError: the model has no weights, or none at its URL.
        """
        if not self.url:
            raise NotFoundError(f"model {self.id} has no weights file yet")
        extract = self._is_package() if extract_archive is None else extract_archive
        return storage.StorageManager.get_local_copy(
            self.url, extract_archive=extract, force_download=force_download
        )

    def get_weights(
        self,
        raise_on_error: bool = False,
        force_download: bool = False,
        extract_archive: bool = False,
    ) -> str | None:
        """The weights file in the local cache; ``None`` if it cannot be fetched (the
        reason is logged), or with ``raise_on_error`` the error."""
        try:
            return self.get_local_copy(
                extract_archive=extract_archive, force_download=force_download
            )
        except CorralError as e:
            if raise_on_error:
                raise
            import logging

            logging.getLogger("corral.sdk").warning("model %s: %s", self.id, e)
            return None

    def get_weights_package(
        self,
        return_path: bool = False,
        raise_on_error: bool = False,
        force_download: bool = False,
        extract_archive: bool = True,
    ) -> str | list[Path] | None:
        """A package's files (``update_weights_package``): their paths, or with
        ``return_path`` the folder they were extracted to.

        Raises:
            ValueError: the model is not a package.
        """
        if not self._is_package():
            raise ValueError(f"model {self.id} is not a package (see update_weights_package)")
        folder = self.get_weights(raise_on_error, force_download, extract_archive)
        if folder is None or return_path:
            return folder
        root = Path(folder)
        if not root.is_dir():
            return [root]
        return [p for p in sorted(root.rglob("*")) if p.is_file()]

    def _is_package(self) -> bool:
        return PACKAGE_TAG in self.system_tags

    # --- life cycle ---------------------------------------------------------------------

    def publish(self) -> None:
        """Mark the model published (its task must be completed)."""
        self._data = hub_client().post(f"models/{self.id}:publish")

    def archive(self) -> None:
        self._data = hub_client().post(f"models/{self.id}:archive")

    def unarchive(self) -> None:
        self._data = hub_client().post(f"models/{self.id}:unarchive")

    @classmethod
    def remove(
        cls,
        model: str | Model,
        delete_weights_file: bool = True,
        force: bool = False,
        raise_on_errors: bool = False,
    ) -> bool:
        """Delete a model (a published one with ``force``) and, with ``delete_weights_file``,
        its weights file when it lives outside the hub (the hub deletes its own files).

        Returns ``False`` when something failed (raised with ``raise_on_errors``).
        """
        model = cls(model) if isinstance(model, str) else model
        try:
            url = model.url
            hub_client().request(
                "DELETE", f"models/{model.id}", params={"force": force} if force else None
            )
        except CorralError:
            if raise_on_errors:
                raise
            return False
        if delete_weights_file and url and not url.startswith("hub://"):
            try:
                storage.StorageManager.delete(url)
            except CorralError:
                if raise_on_errors:
                    raise
                return False
        return True

    @classmethod
    def query_models(
        cls,
        project_name: str | None = None,
        model_name: str | None = None,
        tags: Sequence[str] | None = None,
        only_published: bool = False,
        include_archived: bool = False,
        max_results: int | None = None,
        metadata: Mapping[str, Any] | None = None,
        framework: str | None = None,
        task_id: str | None = None,
    ) -> list[Model]:
        """Models matching the filters, newest first; ``-tag`` in ``tags`` excludes a tag,
        ``metadata`` keeps models whose metadata has these values (compared as text)."""
        rows = find_models(
            project_name=project_name,
            name=model_name,
            tags=tags,
            only_published=only_published,
            include_archived=include_archived,
            framework=framework,
            task_id=task_id,
            limit=None if metadata else max_results,
        )
        if metadata:
            wanted = {str(k): str(v) for k, v in metadata.items()}
            rows = [
                r
                for r in rows
                if all(
                    k in r.get("metadata", {}) and str(r["metadata"][k]) == v
                    for k, v in wanted.items()
                )
            ]
            rows = rows[:max_results] if max_results else rows
        return [Model(row["id"], row) for row in rows]

    def __repr__(self) -> str:
        return f"<Model {self.id} {self.name!r}>"


class InputModel(Model):
    """A model a task uses: by id, or the newest matching project, name and tags.

    Made while a task runs, it is recorded among the task's input models (lineage).
    """

    def __init__(
        self,
        model_id: str | None = None,
        name: str | None = None,
        project: str | None = None,
        tags: Sequence[str] | None = None,
        only_published: bool = False,
        project_name: str | None = None,
    ) -> None:
        if model_id is None:
            if not (name or project or project_name or tags):
                raise ValueError("InputModel needs model_id, or a name, project or tags to find")
            found = Model.query_models(
                project_name=project_name or project,
                model_name=name,
                tags=tags,
                only_published=only_published,
                max_results=1,
            )
            if not found:
                raise NotFoundError(
                    f"no {'published ' if only_published else ''}model named {name!r}"
                    + (
                        f" in project {project_name or project!r}"
                        if project_name or project
                        else ""
                    )
                )
            super().__init__(found[0].id, found[0].data)
        else:
            super().__init__(model_id)
            _ = self.data  # a wrong id fails here, not later
        current = current_handle()
        if current is not None:
            current.add_input_model(self.name, self.id)

    @classmethod
    def import_model(
        cls,
        weights_url: str,
        config_text: str | None = None,
        config_dict: Mapping[str, Any] | None = None,
        label_enumeration: Mapping[str, int] | None = None,
        name: str | None = None,
        project: str | None = None,
        tags: Sequence[str] | None = None,
        comment: str | None = None,
        is_package: bool = False,
        create_as_published: bool = False,
        framework: str | None = None,
    ) -> InputModel:
        """Register weights that already live at ``weights_url`` (nothing is uploaded).

        A model already registered at that URL (not archived) is reused. Without a
        ``project`` the model goes to the running task's project.

        Example::

            model = InputModel.import_model("https://example.com/resnet18.pt", name="resnet18",
                                            project="zoo", framework="pytorch")
        """
        if not weights_url:
            raise ValueError("import_model needs weights_url (where the weights are)")
        client = hub_client()
        for row in client.models.iter(limit=1, uri=weights_url, sort="-created_at"):
            return cls(row["id"])
        handle = current_handle()
        body: dict[str, Any] = {
            "name": name or Path(weights_url.rstrip("/")).name or "imported model",
            "uri": weights_url,
            "framework": framework or "",
            "tags": list(tags or []),
            "labels": dict(label_enumeration or {}),
            "design": _config_text(config_text, config_dict) or "",
            "comment": comment or f"imported from {weights_url}",
        }
        if is_package:
            body["system_tags"] = [PACKAGE_TAG]
        if project:
            body["project"] = project
        elif handle is not None and handle.project_name:
            body["project"] = handle.project_name
        else:
            raise ValueError("import_model needs project= (no task is running to take it from)")
        created = client.models.create(**body)
        if create_as_published:
            client.models.action(created["id"], "publish")
        return cls(created["id"])

    def connect(self, task: HasHandle, name: str | None = None, **_: Any) -> None:
        """Record this model as an input of ``task``."""
        task.handle.add_input_model(name or self.name, self.id)


class OutputModel(_Reports):
    """A model this task makes. Registered on the hub at once; ``update_weights`` uploads
    the file in the background (or registers a URL) and points the model at it.
    """

    def __init__(
        self,
        task: HasHandle | RunHandle | None = None,
        config_text: str | None = None,
        config_dict: Mapping[str, Any] | None = None,
        label_enumeration: Mapping[str, int] | None = None,
        name: str | None = None,
        tags: Sequence[str] | None = None,
        comment: str | None = None,
        framework: str | None = None,
        base_model_id: str | None = None,
        *,
        labels: Mapping[str, int] | None = None,
    ) -> None:
        # a Task (or, from the framework capture, the run handle itself)
        if isinstance(task, RunHandle):
            handle: RunHandle | None = task
        else:
            handle = task.handle if task is not None else current_handle()
        if handle is None:
            raise RuntimeError("OutputModel needs a task: call Task.init(...) first or pass task=")
        if labels is not None and label_enumeration is not None:
            raise ValueError("give label_enumeration or labels, not both")
        self._handle = handle
        self.id = uuid.uuid4().hex
        self._name = name or handle.name
        self.framework = str(framework or "")
        self._config_text = _config_text(config_text, config_dict) or ""
        self._labels = dict(label_enumeration or labels or {})
        self._comment = comment or ""
        body: dict[str, Any] = {
            "id": self.id,
            "name": self._name,
            "task_id": handle.id,
            "framework": self.framework,
            "tags": list(tags or []),
            "labels": self._labels,
            "design": self._config_text,
            "comment": self._comment,
        }
        if base_model_id:
            body["parent_id"] = base_model_id
        self._metadata: dict[str, Any] = {}
        self._tags: list[str] = list(tags or [])
        self._system_tags: list[str] = []
        self.url = ""
        self._upload_uri: str | None = None
        handle.request("POST", "models", body, force=False, accept=[409])

    def _report_handle(self) -> RunHandle | None:
        return self._handle

    # --- what ClearML's OutputModel exposes -------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = str(value)
        self._patch({"name": self._name})

    @property
    def comment(self) -> str:
        return self._comment

    @comment.setter
    def comment(self, value: str) -> None:
        self._comment = str(value or "")
        self._patch({"comment": self._comment})

    @property
    def tags(self) -> list[str]:
        return list(self._tags)

    @tags.setter
    def tags(self, value: Sequence[str]) -> None:
        self._tags = list(dict.fromkeys(value))
        self._patch({"tags": list(self._tags)})

    @property
    def labels(self) -> dict[str, int]:
        return dict(self._labels)

    @labels.setter
    def labels(self, value: Mapping[str, int]) -> None:
        self.update_labels(value)

    @property
    def config_text(self) -> str:
        return self._config_text

    @config_text.setter
    def config_text(self, value: str) -> None:
        self.update_design(config_text=value)

    @property
    def config_dict(self) -> dict[str, Any]:
        try:
            value = json.loads(self._config_text) if self._config_text else {}
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    @config_dict.setter
    def config_dict(self, value: Mapping[str, Any]) -> None:
        self.update_design(config_dict=value)

    @property
    def task(self) -> str:
        """The id of the task that makes this model."""
        return self._handle.id

    @property
    def published(self) -> bool:
        return bool(hub_client().get(f"models/{self.id}").get("published"))

    @property
    def upload_storage_uri(self) -> str | None:
        return self._upload_uri

    def set_upload_destination(self, uri: str) -> None:
        """Where ``update_weights`` uploads to (``s3://bucket/models``...), instead of the
        task's output destination."""
        self._upload_uri = uri

    def connect(self, task: HasHandle, name: str | None = None, **_: Any) -> None:
        """Nothing to do: the model is an output of its task from the start."""
        if task.handle.id != self._handle.id:
            raise ValueError("an OutputModel belongs to the task it was made with")

    # --- weights ------------------------------------------------------------------------

    def update_weights(
        self,
        weights_filename: str | None = None,
        upload_uri: str | None = None,
        target_filename: str | None = None,
        auto_delete_file: bool = True,
        register_uri: str | None = None,
        iteration: int | None = None,
        update_comment: bool = True,
        is_package: bool = False,
        async_enable: bool = True,
    ) -> str:
        """Upload a weights file and point the model at it, or with ``register_uri`` point
        it at weights that already live at a URL (nothing is uploaded). Returns the URL.

        Args:
            weights_filename: the local file (a folder goes to ``update_weights_package``).
            upload_uri: where to upload (default: the task's output destination).
            target_filename: the file's name there (default: the local name).
            auto_delete_file: remove the local file once it is uploaded (ClearML's
                default). It is moved aside at once, so saving over it right away does
                not change what gets uploaded; ``False`` uploads a copy.
            register_uri: weights already at a URL (``s3://``, ``https://``,
                ``file://``...); give it or ``weights_filename``, not both.
            iteration: stored in the model's metadata as ``iteration``.
            update_comment: note the source file in the model's comment.
            is_package: the file is a zip of several files (``get_weights_package``).
            async_enable: ``False`` waits until the hub has the upload and the record.

        Example::

            out.update_weights(register_uri="s3://bucket/models/resnet.pt")
        """
        if bool(weights_filename) == bool(register_uri):
            raise ValueError(
                "update_weights needs a local weights_filename to upload or a register_uri "
                "of weights already stored, one of them"
            )
        if weights_filename and Path(weights_filename).is_dir():
            return self.update_weights_package(
                weights_path=weights_filename,
                upload_uri=upload_uri,
                target_filename=target_filename or Path(weights_filename).name,
                auto_delete_file=auto_delete_file,
                iteration=iteration,
                async_enable=async_enable,
            )
        meta = dict(self._metadata)
        if iteration is not None:
            meta["iteration"] = int(iteration)
        fields: dict[str, Any] = {"metadata": meta} if meta else {}
        if update_comment:
            note = f"snapshot {weights_filename or register_uri} stored"
            self._comment = f"{note}\n{self._comment}" if self._comment else note
            fields["comment"] = self._comment
        if is_package and PACKAGE_TAG not in self._system_tags:
            self._system_tags.append(PACKAGE_TAG)
            fields["system_tags"] = list(self._system_tags)
        if register_uri:
            uri = _conform_url(register_uri)
            self._handle.request("PATCH", f"models/{self.id}", {"uri": uri, **fields}, force=False)
        else:
            assert weights_filename is not None
            uri = self._upload(
                Path(weights_filename), upload_uri, target_filename, auto_delete_file, fields
            )
        self.url = uri
        if not async_enable:
            self.wait_for_uploads()
        return uri

    def _upload(
        self,
        src: Path,
        upload_uri: str | None,
        target_filename: str | None,
        auto_delete_file: bool,
        fields: dict[str, Any],
    ) -> str:
        if not src.is_file():
            raise FileNotFoundError(f"weights file {src} does not exist")
        copy = self._handle.scratch_dir() / f"{uuid.uuid4().hex}-{src.name}"
        if auto_delete_file:
            shutil.move(src, copy)
        else:
            shutil.copyfile(src, copy)
        name = f"{_safe(self._name)}/{target_filename or src.name}"
        base = upload_uri or self._upload_uri
        if base:
            uri = f"{base.rstrip('/')}/{self._handle.name}.{self._handle.id}/models/{name}"
        else:
            uri = self._handle.output_target("models", name)
        record = {
            "kind": "request",
            "method": "PATCH",
            "path": f"models/{self.id}",
            "json": {"uri": uri, **fields},
        }
        self._handle.upload(copy, uri, remove_src=True, record=record)
        return uri

    def update_weights_package(
        self,
        weights_filenames: Sequence[str] | None = None,
        weights_path: str | None = None,
        upload_uri: str | None = None,
        target_filename: str | None = None,
        auto_delete_file: bool = True,
        iteration: int | None = None,
        async_enable: bool = True,
    ) -> str:
        """Zip several files (``weights_filenames``) or a folder (``weights_path``) and
        upload the zip as the model's weights; ``get_weights_package`` unpacks it.

        ``auto_delete_file`` removes the local files (and the folder) once zipped.

        Example::

            out.update_weights_package(weights_path="checkpoint/")
        """
        if bool(weights_filenames) == bool(weights_path):
            raise ValueError(
                "update_weights_package needs weights_filenames (a list of files) or "
                "weights_path (a folder), one of them"
            )
        if weights_path is not None:
            root = Path(weights_path)
            if not root.is_dir():
                raise FileNotFoundError(f"weights_path {root} is not a folder")
            files = [p for p in sorted(root.rglob("*")) if p.is_file()]
            names = [p.relative_to(root).as_posix() for p in files]
        else:
            files = [Path(f) for f in weights_filenames or []]
            missing = [str(p) for p in files if not p.is_file()]
            if missing:
                raise FileNotFoundError(f"weights files do not exist: {', '.join(missing)}")
            names = [p.name for p in files]
        target = target_filename or "model_package.zip"
        if not target.lower().endswith(".zip"):
            target += ".zip"
        fd, tmp = tempfile.mkstemp(
            prefix="model_package.", suffix=".zip", dir=self._handle.scratch_dir()
        )
        import os

        os.close(fd)
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for path, arcname in zip(files, names, strict=True):
                zf.write(path, arcname=arcname)
        if auto_delete_file:
            for path in files:
                path.unlink(missing_ok=True)
            if weights_path is not None:
                shutil.rmtree(weights_path, ignore_errors=True)
        note = f"snapshot {', '.join(names)} stored"
        self._comment = f"{note}\n{self._comment}" if self._comment else note
        return self.update_weights(
            weights_filename=tmp,
            upload_uri=upload_uri,
            target_filename=target,
            auto_delete_file=True,
            iteration=iteration,
            update_comment=False,
            is_package=True,
            async_enable=async_enable,
        )

    def wait_for_uploads(self, timeout: float | None = None) -> bool:
        """Wait until the hub has this task's uploads and records so far; ``True`` if so."""
        return self._handle.flush(timeout)

    # --- design, labels, metadata, tags -----------------------------------------------

    def update_design(self, config_text: str | None = None, config_dict: Any = None) -> None:
        """The network design or configuration, as text (or a dict stored as JSON)."""
        self._config_text = _config_text(config_text, config_dict) or ""
        self._patch({"design": self._config_text})

    def update_labels(self, labels: Mapping[str, int]) -> None:
        """The class enumeration (``{"cat": 0, "dog": 1}``)."""
        self._labels = {str(k): int(v) for k, v in labels.items()}
        self._patch({"labels": dict(self._labels)})

    def set_metadata(self, key: str, value: Any, v_type: str | None = None) -> bool:
        """Set one metadata entry; ``v_type`` (``"int"``, ``"float"``, ``"bool"``, ``"str"``,
        ``"list"``, ``"dict"``) casts ``value`` first. Returns ``True``."""
        self._metadata[str(key)] = _cast(str(key), value, v_type)
        self._patch({"metadata": dict(self._metadata)})
        return True

    def set_all_metadata(self, metadata: Mapping[str, Any], replace: bool = True) -> bool:
        """Set metadata from ``{key: value}`` or ClearML's ``{key: {"value", "type"}}``."""
        values = {}
        for key, entry in metadata.items():
            if isinstance(entry, Mapping) and "value" in entry:
                values[str(key)] = _cast(str(key), entry["value"], entry.get("type"))
            else:
                values[str(key)] = to_json_value(entry)
        self._metadata = values if replace else {**self._metadata, **values}
        self._patch({"metadata": dict(self._metadata)})
        return True

    def get_metadata(self, key: str) -> Any:
        return self._metadata.get(str(key))

    def get_metadata_casted(self, key: str) -> Any:
        return self.get_metadata(key)

    def get_all_metadata(self) -> dict[str, Any]:
        return dict(self._metadata)

    def get_all_metadata_casted(self) -> dict[str, Any]:
        return dict(self._metadata)

    def add_tags(self, tags: Sequence[str]) -> None:
        self._tags = list(dict.fromkeys([*self._tags, *tags]))
        self._patch({"tags": list(self._tags)})

    def publish(self) -> None:
        """Publish the model. While its task runs, it is published when the task completes."""
        run = self._handle.run
        if run is not None and run.active:
            run.publish_after.append(self.id)
            return
        hub_client().post(f"models/{self.id}:publish")

    def _patch(self, body: dict[str, Any]) -> None:
        self._handle.request("PATCH", f"models/{self.id}", body, force=False)

    def __repr__(self) -> str:
        return f"<OutputModel {self.id} {self._name!r}>"


def _conform_url(url: str) -> str:
    """A registered URL as stored: a local path becomes an absolute ``file://`` URL."""
    if "://" in url:
        return url
    return Path(url).expanduser().resolve().as_uri()


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in text).strip(".") or "model"
