"""Storage backends: where a URL's bytes live, behind one small interface.

* ``hub://<path>``: the hub's own file store over HTTP (:mod:`.hubfs`), with the
  SDK's credentials; no storage credentials of one's own are needed.
* everything else through fsspec (:mod:`.fsspec_backend`): ``s3://``, ``gs://``,
  ``az://``/``abfs://``, ``file://`` and plain local paths.

A backend is picked by the URL's scheme with :func:`.registry.backend_for`; the
modules of the implementations (and fsspec, s3fs...) are imported only then.

Storage options for a protocol come from the client config file section
``[storage.<protocol>]``, overridden key by key by :func:`set_options`::

    [storage.s3]
    endpoint_url = "http://127.0.0.1:9000"
    key = "..."
    secret = "..."

Without them, fsspec's backends find credentials the usual way (for S3:
``AWS_ACCESS_KEY_ID``, ``~/.aws/credentials``, instance roles). Options are never
logged: they may hold secrets.

Example::

    backend = registry.backend_for("s3://bucket/data/train.csv")
    info = backend.info("s3://bucket/data/train.csv")
"""

from __future__ import annotations

import os
import re
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from corral.sdk.storage.progress import ProgressFn

HUB = "hub"
LOCAL_PROTOCOLS = frozenset({"file", "local"})

#: protocol -> the ``corral`` extra that installs its fsspec backend
EXTRAS = {
    "s3": "s3",
    "s3a": "s3",
    "gs": "gcs",
    "gcs": "gcs",
    "az": "azure",
    "abfs": "azure",
    "abfss": "azure",
    "adl": "azure",
}
#: spellings of one protocol share a config section: ``[storage.s3]`` serves ``s3a://``
CANONICAL = {"s3a": "s3", "gcs": "gs", "abfs": "az", "abfss": "az", "local": "file"}

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://")

_options_lock = threading.Lock()
_option_overrides: dict[str, dict[str, Any]] = {}


@dataclass(frozen=True)
class RemoteFile:
    """A file at a URL, as a backend describes it.

    Attributes:
        name: the path relative to the listed folder (for ``info``: the base name).
        size: in bytes, when known.
        modified: seconds since the epoch, when known.
        version: a token that changes whenever the content may have (an ETag, or
            size and modification time); ``None`` when the backend has none.
    """

    name: str
    size: int | None
    modified: float | None = None
    version: str | None = None


class StorageBackend(ABC):
    """The contract every backend keeps (one test suite runs it against each one).

    * URLs are full URLs as the user wrote them (``s3://b/k``, ``hub://p``, ``/tmp/x``).
    * ``upload`` creates missing folders and replaces an existing file; readers
      never see a part of a file where the backend allows (hub, S3, local).
    * ``download`` writes ``dest`` whole or not at all (a partial download may be
      left next to it as ``<dest>.part`` to resume).
    * A missing file is :class:`~corral.errors.NotFoundError` naming the URL; an
      unreachable service is :class:`~corral.errors.ServerUnavailableError` (or a
      ``CorralError`` with a 5xx ``status``), which callers retry.
    """

    @abstractmethod
    def upload(self, local: Path, url: str, progress: ProgressFn | None = None) -> None:
        """Store the local file ``local`` at ``url``."""

    @abstractmethod
    def download(self, url: str, dest: Path, progress: ProgressFn | None = None) -> None:
        """Fetch the file at ``url`` into ``dest`` (its folder exists)."""

    @abstractmethod
    def info(self, url: str) -> RemoteFile | None:
        """The file at ``url``, or ``None`` when there is no file there."""

    @abstractmethod
    def list(self, url: str) -> list[RemoteFile]:
        """Every file below the folder ``url`` (names relative to it); ``[]`` if missing."""

    @abstractmethod
    def delete(self, url: str, recursive: bool = False) -> None:
        """Delete the file at ``url`` (or, ``recursive``, the folder and all below it)."""

    def local_path(self, url: str) -> Path | None:
        """The path of this machine that ``url`` names, if it is local (no copy needed)."""
        return None


# --- URLs ----------------------------------------------------------------------------------


def protocol_of(url: str) -> str:
    """The URL's scheme in lower case; ``"file"`` for a plain local path.

    Example::

        >>> protocol_of("S3://bucket/x"), protocol_of("/tmp/x")
        ('s3', 'file')
    """
    m = _SCHEME.match(url)
    return m[1].lower() if m else "file"


def join_uri(base: str, *parts: str) -> str:
    """Join URL path segments with single slashes; nothing is quoted or normalised.

    A trailing slash on the last part (a folder) is kept, and ``scheme://`` is left alone.

    Example::

        >>> join_uri("s3://bucket/runs/", "/42/", "model.pt")
        's3://bucket/runs/42/model.pt'
        >>> join_uri("hub://", "tasks/abc", "out/")
        'hub://tasks/abc/out/'
    """
    result = base
    for part in parts:
        if not part or part == "/":
            continue
        stripped = part.strip("/")
        trailing = "/" if part.endswith("/") and stripped else ""
        if not stripped:
            continue
        if result.endswith("://") or result == "":
            result = f"{result}{stripped}{trailing}"
        else:
            result = f"{result.rstrip('/')}/{stripped}{trailing}"
    return result


def base_name(url: str) -> str:
    """The last path segment of a URL (``""`` for a folder URL ending in ``/``)."""
    m = _SCHEME.match(url)
    rest = url[m.end() :] if m else url
    return rest.rsplit("/", 1)[-1] if m else os.path.basename(rest)


# --- options -------------------------------------------------------------------------------


def set_options(protocol: str, **options: Any) -> None:
    """Override storage options of ``protocol`` for this process (none: drop the override).

    They are merged over the config file's ``[storage.<protocol>]``, key by key.

    Example::

        set_options("s3", endpoint_url="http://127.0.0.1:9000", key="minio", secret="...")
    """
    name = CANONICAL.get(protocol.lower(), protocol.lower())
    with _options_lock:
        if options:
            _option_overrides[name] = dict(options)
        else:
            _option_overrides.pop(name, None)


def storage_options(protocol: str) -> dict[str, Any]:
    """The options fsspec gets for ``protocol``: config file section, then overrides."""
    from corral.client.config import config_path, read_file

    name = CANONICAL.get(protocol, protocol)
    section = read_file(config_path()).get("storage", {})
    merged: dict[str, Any] = {}
    for key in dict.fromkeys((name, protocol)):
        table = section.get(key)
        if isinstance(table, dict):
            merged.update(table)
    with _options_lock:
        merged.update(_option_overrides.get(name, {}))
    return merged
