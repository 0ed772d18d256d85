"""Artifacts: files and objects a task keeps, uploaded in the background, read back typed.

Example::

    task.upload_artifact("predictions", df)              # a DataFrame, with a preview
    task.upload_artifact("weights", "model.bin", wait_on_upload=True)
    Task.get_task(task_id).artifacts["predictions"].get()  # the DataFrame again
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.sdk.params import to_json_value

if TYPE_CHECKING:
    from corral.sdk.task import Task

PREVIEW_MAX = 60_000


class Artifact:
    """One artifact's record; ``get()`` gives the object back, ``get_local_copy()`` the file."""

    def __init__(self, record: Mapping[str, Any]) -> None:
        self.name: str = record["name"]
        self.type: str = record.get("type", "custom")
        self.uri: str = record.get("uri", "")
        self.size: int | None = record.get("size")
        self.hash: str | None = record.get("hash")
        self.preview: str = record.get("preview", "") or ""
        self.metadata: dict[str, Any] = dict(record.get("metadata") or {})
        self.mode: str = record.get("mode", "output")
        self._local: Path | None = None

    @property
    def url(self) -> str:
        return self.uri

    def get_local_copy(self, extract_archive: bool = True, force_download: bool = False) -> str:
        """The file in the local cache (a folder artifact: the extracted folder)."""
        from corral.sdk.storage import StorageManager

        if self._local is not None and self._local.exists() and not force_download:
            local = self._local
        else:
            local = Path(StorageManager.get_local_copy(self.uri, force_download=force_download))
            self._local = local
        if self.type == "folder" and extract_archive:
            from corral.sdk.serialize import deserialize

            return str(deserialize(local, "folder", self.metadata))
        return str(local)

    def get(self, force_download: bool = False) -> Any:
        """The object: a DataFrame, ndarray, dict/list, PIL image, unpickled object, or a path.

        A ``pickle`` artifact is unpickled here, in your process: like any pickle, only
        load artifacts of tasks you trust. The hub itself never unpickles anything.
        """
        from corral.sdk.serialize import deserialize

        local = Path(self.get_local_copy(extract_archive=False, force_download=force_download))
        return deserialize(local, self.type, self.metadata)

    def __repr__(self) -> str:
        return f"<Artifact {self.name!r} {self.type} {self.uri}>"


class Artifacts(Mapping[str, Artifact]):
    """The task's artifacts by name (read from the hub; this run's own uploads at once)."""

    def __init__(self, task: Task) -> None:
        self._task = task
        self._local: dict[str, Artifact] = {}

    def _records(self) -> dict[str, Artifact]:
        from corral.sdk.session import hub_client

        run = self._task._run
        if run is not None and run.offline:
            return dict(self._local)
        if self._task._outbox is not None:
            self._task._outbox.flush(60)
        try:
            rows = hub_client().get(f"tasks/{self._task.id}/artifacts")
        except Exception:
            if self._local:
                return dict(self._local)
            raise
        found = {row["name"]: Artifact(row) for row in rows}
        return {**self._local, **found}

    def __getitem__(self, name: str) -> Artifact:
        if name in self._local and self._task._outbox is not None:
            return self._local[name]
        return self._records()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._records())

    def __len__(self) -> int:
        return len(self._records())

    def _remember(self, artifact: Artifact) -> None:
        self._local[artifact.name] = artifact


def upload_artifact(
    task: Task,
    name: str,
    obj: Any,
    *,
    metadata: Mapping[str, Any] | None,
    delete_after_upload: bool,
    auto_pickle: bool,
    preview: str | None,
    wait_on_upload: bool,
) -> bool:
    from corral.sdk.serialize import serialize

    if not name or len(name) > 255:
        raise ValueError("an artifact name is 1 to 255 characters")
    workdir = Path(tempfile.mkdtemp(prefix="artifact-", dir=task._scratch_dir()))
    done = serialize(obj, name, workdir)
    if done.type == "pickle" and not auto_pickle:
        shutil.rmtree(workdir, ignore_errors=True)
        raise TypeError(
            f"artifact {name!r}: a {type(obj).__name__} can only be stored pickled; "
            "pass auto_pickle=True to allow it"
        )
    src = done.path
    remove = done.temporary
    if not done.temporary:
        if delete_after_upload:
            remove = True
        elif not wait_on_upload:
            # the background upload must see the file as it is now
            copy = workdir / src.name
            shutil.copyfile(src, copy)
            src, remove = copy, True
    meta = {**done.metadata, **to_json_value(dict(metadata or {}))}
    uri = task._output_target("artifacts", f"{_safe_path(name)}/{src.name}")
    record = {
        "name": name,
        "type": done.type,
        "mode": "output",
        "uri": uri,
        "size": None,
        "hash": None,
        "content_type": done.content_type,
        "preview": (preview if preview is not None else done.preview)[:PREVIEW_MAX],
        "metadata": meta,
    }
    request = {
        "kind": "request",
        "method": "POST",
        "path": f"tasks/{task.id}/artifacts",
        "json": record,
    }
    local = Artifact({**record, "size": src.stat().st_size})
    local._local = None
    task.artifacts._remember(local)
    task._upload(src, uri, remove_src=remove, record=request)
    if wait_on_upload and task._outbox is not None:
        return task._outbox.flush(None)
    return True


def _safe_path(name: str) -> str:
    parts = [
        "".join(c if c.isalnum() or c in "._-" else "_" for c in part).strip(".") or "_"
        for part in name.split("/")
    ]
    return "/".join(parts)
