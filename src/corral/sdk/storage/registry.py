"""Which backend serves a URL: the one place that knows every implementation.

The implementations import :mod:`.backends` (their base); this module imports them
only when a URL of theirs is first used, so fsspec and its plugins load only for the
URLs that need them, and the base never imports its implementations.
"""

from __future__ import annotations

from corral.sdk.storage.backends import HUB, StorageBackend, protocol_of, storage_options


def backend_for(url: str) -> StorageBackend:
    """The backend that serves ``url``.

    Raises:
        ValidationError: an unknown scheme, or one whose fsspec package is not
            installed (the message names the extra: ``pip install 'corral[s3]'``).
    """
    protocol = protocol_of(url)
    if protocol == HUB:
        from corral.sdk.storage.hubfs import HubBackend

        return HubBackend()
    from corral.sdk.storage.fsspec_backend import FsspecBackend

    return FsspecBackend(protocol, storage_options(protocol))
