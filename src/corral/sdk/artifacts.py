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
from typing import Any

from corral.sdk import storage  # lazy package: StorageManager loads on first use
from corral.sdk.handle import RunHandle
from corral.sdk.params import to_json_value
from corral.sdk.serialize import deserialize, serialize
from corral.sdk.session import hub_client

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
        if self._local is not None and self._local.exists() and not force_download:
            local = self._local
        else:
            local = Path(
                storage.StorageManager.get_local_copy(
                    self.uri, extract_archive=False, force_download=force_download
                )
            )
            self._local = local
        if self.type == "folder" and extract_archive:
            return str(deserialize(local, "folder", self.metadata))
        return str(local)

    def get(self, force_download: bool = False) -> Any:
        """The object: a DataFrame, ndarray, dict/list, PIL image, unpickled object, or a path.

        A ``pickle`` artifact is unpickled here, in your process: like any pickle, only
        load artifacts of tasks you trust. The hub itself never unpickles anything.
        """
        local = Path(self.get_local_copy(extract_archive=False, force_download=force_download))
        return deserialize(local, self.type, self.metadata)

    def __repr__(self) -> str:
        return f"<Artifact {self.name!r} {self.type} {self.uri}>"


class Artifacts(Mapping[str, Artifact]):
    """The task's artifacts by name (read from the hub; this run's own uploads at once)."""

    def __init__(self, handle: RunHandle) -> None:
        self._handle = handle
        self._local: dict[str, Artifact] = handle.local_artifacts

    def _records(self) -> dict[str, Artifact]:
        if self._handle.offline:
            return dict(self._local)
        self._handle.flush(60)
        try:
            rows = hub_client().get(f"tasks/{self._handle.id}/artifacts")
        except Exception:
            if self._local:
                return dict(self._local)
            raise
        found = {row["name"]: Artifact(row) for row in rows}
        return {**self._local, **found}

    def __getitem__(self, name: str) -> Artifact:
        if name in self._local and self._handle.outbox is not None:
            return self._local[name]
        return self._records()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._records())

    def __len__(self) -> int:
        return len(self._records())


def upload_artifact(
    handle: RunHandle,
    name: str,
    obj: Any,
    *,
    metadata: Mapping[str, Any] | None = None,
    delete_after_upload: bool = False,
    auto_pickle: bool = True,
    preview: str | None = None,
    wait_on_upload: bool = False,
) -> bool:
    """Serialize ``obj`` now and upload it as the task's artifact ``name`` (see ``Task``)."""
    if not name or len(name) > 255:
        raise ValueError("an artifact name is 1 to 255 characters")
    workdir = Path(tempfile.mkdtemp(prefix="artifact-", dir=handle.scratch_dir()))
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
    uri = handle.output_target("artifacts", f"{_safe_path(name)}/{src.name}")
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
        "path": f"tasks/{handle.id}/artifacts",
        "json": record,
    }
    local = Artifact({**record, "size": src.stat().st_size})
    local._local = None
    handle.local_artifacts[name] = local
    handle.upload(src, uri, remove_src=remove, record=request)
    if wait_on_upload and handle.outbox is not None:
        return handle.outbox.flush(None)
    return True


def _safe_path(name: str) -> str:
    parts = [
        "".join(c if c.isalnum() or c in "._-" else "_" for c in part).strip(".") or "_"
        for part in name.split("/")
    ]
    return "/".join(parts)
