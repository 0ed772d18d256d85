"""Upload one file for the outbox: to the hub's file store or any fsspec URL.

Returns the size and SHA-256 recorded with the artifact or model.
"""

from __future__ import annotations

from pathlib import Path

from corral.sdk.serialize import sha256_file
from corral.sdk.storage import StorageManager
from corral.sdk.storage.hubfs import hub_put


def upload(src: Path, dst: str) -> tuple[int, str]:
    """Upload ``src`` to ``dst`` (``hub://path`` or ``s3://...``); ``(size, sha256 hex)``."""
    if dst.startswith("hub://"):
        answer = hub_put(src, dst[len("hub://") :])
        return int(answer["size"]), str(answer["sha256"])
    digest = sha256_file(src)
    StorageManager.upload_file(str(src), dst, retries=1)
    return src.stat().st_size, digest
