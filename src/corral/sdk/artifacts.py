"""Artifacts: files and objects a task keeps, uploaded in the background, read back typed.

Example::

    task.upload_artifact("predictions", df)              # a DataFrame, with a preview
    task.upload_artifact("weights", "model.bin", wait_on_upload=True)
    task.upload_artifact("samples", "images/*.jpg")     # one zip of the matching files
    task.upload_artifact("raw", "s3://bucket/raw.csv")  # a link: nothing is uploaded
    Task.get_task(task_id).artifacts["predictions"].get()  # the DataFrame again

Live DataFrames (``register_artifact``) are in ``corral.sdk.registered``.
"""

from __future__ import annotations

import logging
import mimetypes
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from corral.schemas.artifacts import URI_MAX
from corral.sdk import storage  # lazy package: StorageManager loads on first use
from corral.sdk.handle import RunHandle
from corral.sdk.params import to_json_value
from corral.sdk.serialize import deserialize, serialize
from corral.sdk.session import hub_client

log = logging.getLogger("corral.sdk")

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
        self.content_type: str | None = record.get("content_type")
        #: when this version was stored on the hub (``None`` before it is)
        self.timestamp: datetime | None = _parse_time(record.get("created_at"))
        self._local: Path | None = None

    @property
    def url(self) -> str:
        return self.uri

    def get_local_copy(
        self,
        extract_archive: bool = True,
        raise_on_error: bool = True,
        force_download: bool = False,
    ) -> str:
        """The file in the local cache; a folder or file-pattern artifact (a zip): the
        extracted folder, unless ``extract_archive=False``.

        A file that cannot be fetched is always an error (``raise_on_error`` is accepted
        for ClearML's signature; there is no silent ``None``).
        """
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

    def get(
        self,
        force_download: bool = False,
        deserialization_function: Callable[[bytes], Any] | None = None,
    ) -> Any:
        """The object: a DataFrame, ndarray, dict/list, PIL image, unpickled object, or a path.

        ``deserialization_function(data: bytes)`` reads the file instead (the counterpart
        of ``upload_artifact(serialization_function=...)``). A ``pickle`` artifact is
        unpickled here, in your process: like any pickle, only load artifacts of tasks
        you trust. The hub itself never unpickles anything.
        """
        local = Path(self.get_local_copy(extract_archive=False, force_download=force_download))
        if deserialization_function is not None:
            return deserialization_function(local.read_bytes())
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


#: URL schemes an artifact may point at without an upload (a link)
LINK_SCHEMES = frozenset({"http", "https", "s3", "gs", "gcs", "azure", "az", "abfs", "abfss"})


def is_link(obj: Any) -> bool:
    """Whether ``obj`` is a remote URL stored as a link (``https://...``, ``s3://...``).

    Example:
        >>> is_link("s3://bucket/data.csv"), is_link("data.csv")
        (True, False)
    """
    if not isinstance(obj, str) or len(obj) >= URI_MAX or any(c.isspace() for c in obj):
        return False
    parsed = urlsplit(obj)
    return parsed.scheme.lower() in LINK_SCHEMES and bool(parsed.netloc)


def upload_artifact(handle: RunHandle, name: str, obj: Any, **options: Any) -> bool:
    """Serialize ``obj`` now and upload it as the task's artifact ``name`` (see ``Task``).

    ``options`` are :func:`store_artifact`'s; a registered name (``register_artifact``)
    is refused.
    """
    registry = handle.registered
    if registry is not None and name in registry:
        raise ValueError(
            f"artifact {name!r} is registered (register_artifact): it is uploaded as it "
            "changes; unregister_artifact it first, or pick another name"
        )
    return store_artifact(handle, name, obj, **options)


def store_artifact(
    handle: RunHandle,
    name: str,
    obj: Any,
    *,
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
    """:func:`upload_artifact` without the check that ``name`` is not registered."""
    if not isinstance(name, str) or not name or len(name) > 255:
        raise ValueError("an artifact name is a str of 1 to 255 characters")
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
        raise ValueError(
            f"retries is a whole number of extra attempts (0 or more), not {retries!r}"
        )
    if serialization_function is not None and not callable(serialization_function):
        raise TypeError("serialization_function is a callable: obj -> bytes")
    if metadata is not None and not isinstance(metadata, Mapping):
        raise TypeError(f"metadata is a dict, not a {type(metadata).__name__}")
    preview_text = None if preview is None or preview is False else str(preview)
    meta = to_json_value(dict(metadata or {}))
    if serialization_function is None and is_link(obj):
        return _link(handle, name, obj, meta, preview_text, wait_on_upload)
    workdir = Path(tempfile.mkdtemp(prefix="artifact-", dir=handle.scratch_dir()))
    try:
        done = serialize(
            obj,
            name,
            workdir,
            extension=extension_name,
            serializer=serialization_function,
            sort_keys=sort_keys,
        )
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    if done.type == "pickle" and auto_pickle is False:
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
    uri = handle.output_target("artifacts", f"{_safe_path(name)}/{src.name}")
    record = {
        "name": name,
        "type": done.type,
        "mode": "output",
        "uri": uri,
        "size": None,
        "hash": None,
        "content_type": done.content_type,
        "preview": (preview_text if preview_text is not None else done.preview)[:PREVIEW_MAX],
        "metadata": {**done.metadata, **meta},
    }
    request = {
        "kind": "request",
        "method": "POST",
        "path": f"tasks/{handle.id}/artifacts",
        "json": record,
    }
    local = Artifact({**record, "size": src.stat().st_size})
    handle.local_artifacts[name] = local
    return _attempts(
        lambda: handle.upload(src, uri, remove_src=remove, record=request),
        handle,
        name,
        wait_on_upload,
        retries,
    )


def _link(
    handle: RunHandle,
    name: str,
    url: str,
    meta: dict[str, Any],
    preview: str | None,
    wait_on_upload: bool,
) -> bool:
    """Record a remote URL as the artifact, uploading nothing."""
    record = {
        "name": name,
        "type": "custom",
        "mode": "output",
        "uri": url,
        "size": None,
        "hash": None,
        "content_type": mimetypes.guess_type(urlsplit(url).path)[0],
        "preview": (preview if preview is not None else url)[:PREVIEW_MAX],
        "metadata": {"link": True, **meta},
    }
    handle.local_artifacts[name] = Artifact(record)
    handle.request("POST", f"tasks/{handle.id}/artifacts", record, force=False)
    if wait_on_upload and handle.outbox is not None:
        return handle.outbox.flush(None)
    return True


def _attempts(
    send: Callable[[], None], handle: RunHandle, name: str, wait: bool, retries: int
) -> bool:
    """Hand the upload over; with ``wait``, wait for it, trying ``retries`` more times.

    The outbox itself retries an upload the hub could not take (and keeps it on disk
    meanwhile), so ``retries`` only matters when the call waits, or for a task this
    process does not run (its upload is sent at once, in this thread).
    """
    handed = False
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(min(2.0**attempt, 30.0))
        if not handed:
            try:
                send()
            except Exception:
                if attempt == retries:
                    raise
                log.warning("corral: uploading artifact %r failed; retrying", name, exc_info=True)
                continue
            handed = True
        if not wait or handle.outbox is None or handle.outbox.flush(None):
            return True
        if attempt < retries:
            log.warning("corral: artifact %r is not on the hub yet; waiting again", name)
    return False


def _safe_path(name: str) -> str:
    parts = [
        "".join(c if c.isalnum() or c in "._-" else "_" for c in part).strip(".") or "_"
        for part in name.split("/")
    ]
    return "/".join(parts)


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None
