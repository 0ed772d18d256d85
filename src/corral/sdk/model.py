"""Models: ``OutputModel`` registers what a task makes, ``InputModel`` what it uses,
``Model`` reads any registered model.

Example::

    out = OutputModel(task, framework="pytorch", name="detector", labels={"car": 0})
    out.update_weights("best.pt")          # uploaded in the background, registered
    model = InputModel(project_name="parking", name="detector", only_published=True)
    path = model.get_local_copy()          # and the task records it as an input
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from corral.errors import NotFoundError
from corral.sdk import storage  # lazy package: StorageManager loads on first use
from corral.sdk.handle import HasHandle, RunHandle, current_handle
from corral.sdk.params import to_json_value
from corral.sdk.queries import find_models
from corral.sdk.session import hub_client


class Model:
    """A registered model, read from the hub."""

    def __init__(self, model_id: str, data: Mapping[str, Any] | None = None) -> None:
        self.id = model_id
        self._data: dict[str, Any] | None = dict(data) if data is not None else None

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = hub_client().get(f"models/{self.id}")
        return self._data

    name = property(lambda self: str(self.data["name"]))
    framework = property(lambda self: str(self.data.get("framework", "")))
    url = property(lambda self: str(self.data.get("uri", "")))
    tags = property(lambda self: list(self.data.get("tags", [])))
    labels = property(lambda self: dict(self.data.get("labels", {})))
    published = property(lambda self: bool(self.data.get("published")))
    task_id = property(lambda self: self.data.get("task_id"))
    config_text = property(lambda self: str(self.data.get("design", "")))

    def get_metadata(self, key: str) -> Any:
        return self.data.get("metadata", {}).get(key)

    def get_all_metadata(self) -> dict[str, Any]:
        return dict(self.data.get("metadata", {}))

    def get_local_copy(self, extract_archive: bool = True, force_download: bool = False) -> str:
        """The weights file in the local cache."""
        if not self.url:
            raise NotFoundError(f"model {self.id} has no weights file yet")
        return storage.StorageManager.get_local_copy(
            self.url, extract_archive=extract_archive, force_download=force_download
        )

    def publish(self) -> None:
        """Mark the model published (its task must be completed)."""
        self._data = hub_client().post(f"models/{self.id}:publish")

    @classmethod
    def query_models(
        cls,
        project_name: str | None = None,
        model_name: str | None = None,
        tags: Sequence[str] | None = None,
        only_published: bool = False,
        include_archived: bool = False,
        max_results: int | None = None,
        framework: str | None = None,
        task_id: str | None = None,
    ) -> list[Model]:
        """Models matching the filters, newest first; ``-tag`` in ``tags`` excludes a tag."""
        rows = find_models(
            project_name=project_name,
            name=model_name,
            tags=tags,
            only_published=only_published,
            include_archived=include_archived,
            framework=framework,
            task_id=task_id,
            limit=max_results,
        )
        return [cls(row["id"], row) for row in rows]

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

    def connect(self, task: HasHandle, name: str | None = None) -> None:
        """Record this model as an input of ``task``."""
        task.handle.add_input_model(name or self.name, self.id)


class OutputModel:
    """A model this task makes. Registered on the hub at once; ``update_weights`` uploads
    the file in the background and points the model at it.
    """

    def __init__(
        self,
        task: HasHandle | RunHandle | None = None,
        framework: str | None = None,
        name: str | None = None,
        tags: Sequence[str] | None = None,
        labels: Mapping[str, int] | None = None,
        comment: str | None = None,
        config_text: str | None = None,
        config_dict: Mapping[str, Any] | None = None,
        base_model_id: str | None = None,
    ) -> None:
        # a Task (or, from the framework capture, the run handle itself)
        if isinstance(task, RunHandle):
            handle: RunHandle | None = task
        else:
            handle = task.handle if task is not None else current_handle()
        if handle is None:
            raise RuntimeError("OutputModel needs a task: call Task.init(...) first or pass task=")
        self._handle = handle
        self.id = uuid.uuid4().hex
        self.name = name or handle.name
        self.framework = framework or ""
        design = config_text or ""
        if config_dict is not None:
            design = json.dumps(to_json_value(dict(config_dict)), indent=2)
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "task_id": handle.id,
            "framework": self.framework,
            "tags": list(tags or []),
            "labels": dict(labels or {}),
            "design": design,
            "comment": comment or "",
        }
        if base_model_id:
            body["parent_id"] = base_model_id
        self._metadata: dict[str, Any] = {}
        self._tags: list[str] = list(tags or [])
        self.url = ""
        self._publish_at_close = False
        handle.request("POST", "models", body, force=False, accept=[409])

    def update_weights(
        self,
        weights_filename: str,
        upload_uri: str | None = None,
        auto_delete_file: bool = False,
        iteration: int | None = None,
    ) -> str:
        """Upload the weights file and point the model at it; returns the target URI.

        The file is copied first (unless ``auto_delete_file``), so saving over it again
        right away does not change what gets uploaded.
        """
        src = Path(weights_filename)
        if not src.is_file():
            raise FileNotFoundError(f"weights file {src} does not exist")
        if auto_delete_file:
            copy = src
        else:
            copy = self._handle.scratch_dir() / f"{uuid.uuid4().hex}-{src.name}"
            shutil.copyfile(src, copy)
        name = f"{_safe(self.name)}/{src.name}"
        if upload_uri:
            uri = f"{upload_uri.rstrip('/')}/{self._handle.name}.{self._handle.id}/models/{name}"
        else:
            uri = self._handle.output_target("models", name)
        meta = {**self._metadata}
        if iteration is not None:
            meta["iteration"] = int(iteration)
        record = {
            "kind": "request",
            "method": "PATCH",
            "path": f"models/{self.id}",
            "json": {"uri": uri, "metadata": meta} if meta else {"uri": uri},
        }
        self._handle.upload(copy, uri, remove_src=True, record=record)
        self.url = uri
        return uri

    def update_design(self, config_text: str | None = None, config_dict: Any = None) -> None:
        """The network design or configuration, as text (or a dict stored as JSON)."""
        if config_dict is not None:
            config_text = json.dumps(to_json_value(config_dict), indent=2)
        self._patch({"design": config_text or ""})

    def update_labels(self, labels: Mapping[str, int]) -> None:
        self._patch({"labels": dict(labels)})

    def set_metadata(self, key: str, value: Any) -> None:
        self._metadata[str(key)] = to_json_value(value)
        self._patch({"metadata": dict(self._metadata)})

    def set_all_metadata(self, metadata: Mapping[str, Any]) -> None:
        self._metadata = {str(k): to_json_value(v) for k, v in metadata.items()}
        self._patch({"metadata": dict(self._metadata)})

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
        return f"<OutputModel {self.id} {self.name!r}>"


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in text).strip(".") or "model"
