"""The SDK's storage layer: files at ``hub://``, ``s3://``, ``gs://``, ``az://`` and local URLs.

:class:`StorageManager` is the user's API (upload, download, cache, list, delete);
the ``hub_*`` functions speak to the hub's file store directly; a
:class:`StorageBackend` is what serves one kind of URL (see :mod:`.backends`).

Example::

    from corral.sdk.storage import StorageManager

    StorageManager.upload_file("model.pt", "s3://bucket/models/model.pt")
    local = StorageManager.get_local_copy("s3://bucket/models/model.pt")
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# name -> module; loaded on first use, so that ``corral.sdk.storage.hubfs`` (what a
# background upload needs) does not pull in the cache, archives and fsspec layers
_LAZY = {
    "RemoteFile": "backends",
    "StorageBackend": "backends",
    "backend_for": "registry",
    "join_uri": "backends",
    "set_options": "backends",
    "storage_options": "backends",
    "StorageCache": "cache",
    "cache_root": "cache",
    "hub_delete": "hubfs",
    "hub_get": "hubfs",
    "hub_head": "hubfs",
    "hub_list": "hubfs",
    "hub_put": "hubfs",
    "StorageManager": "manager",
}

if TYPE_CHECKING:  # pragma: no cover
    from corral.sdk.storage.backends import (
        RemoteFile,
        StorageBackend,
        join_uri,
        set_options,
        storage_options,
    )
    from corral.sdk.storage.cache import StorageCache, cache_root
    from corral.sdk.storage.hubfs import hub_delete, hub_get, hub_head, hub_list, hub_put
    from corral.sdk.storage.manager import StorageManager
    from corral.sdk.storage.registry import backend_for


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'corral.sdk.storage' has no attribute {name!r}")
    value = getattr(import_module(f"corral.sdk.storage.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "RemoteFile",
    "StorageBackend",
    "StorageCache",
    "StorageManager",
    "backend_for",
    "cache_root",
    "hub_delete",
    "hub_get",
    "hub_head",
    "hub_list",
    "hub_put",
    "join_uri",
    "set_options",
    "storage_options",
]
