"""URIs of files kept in the hub's own file store.

A file stored in the hub is referred to as ``hub://<path>`` (for example
``hub://tasks/<task id>/artifacts/data.csv``) so records do not depend on the
hub's host name; clients fetch it from ``/api/v1/files/<path>``. Any other
scheme (``s3://``, ``gs://``, ``file://``...) is outside the hub's store.
"""

from __future__ import annotations

HUB_SCHEME = "hub://"


def hub_uri(path: str) -> str:
    return HUB_SCHEME + path.lstrip("/")


def hub_path(uri: str | None) -> str | None:
    """The store path of a ``hub://`` URI, or None for any other URI."""
    if uri and uri.startswith(HUB_SCHEME):
        return uri[len(HUB_SCHEME) :]
    return None
