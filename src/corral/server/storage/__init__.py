"""The hub's file store: the interface (``base``), the path policy (``paths``), the local store.

``LocalFileStore`` (files under the data directory) is the default and, for now, the
only implementation; an object store implements ``FileStore`` the same way and runs
the same contract suite (``tests/server/storage/test_contract.py``).
"""

from __future__ import annotations

from corral.server.storage.base import (
    Entry,
    FileInfo,
    FileStore,
    StoredFile,
    Upload,
    decode_cursor,
    encode_cursor,
)
from corral.server.storage.local import LocalFileStore
from corral.server.storage.paths import PATH_MAX, SEGMENT_MAX, TMP_DIR, check_path

__all__ = [
    "PATH_MAX",
    "SEGMENT_MAX",
    "TMP_DIR",
    "Entry",
    "FileInfo",
    "FileStore",
    "LocalFileStore",
    "StoredFile",
    "Upload",
    "check_path",
    "decode_cursor",
    "encode_cursor",
]
