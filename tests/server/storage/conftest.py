"""Fixtures of the file-store tests: the contract suite runs over every implementation.

``store`` is a fresh, empty store of one implementation per run of a test (for now
the local disk; an object store adds itself to ``STORES``), with a way to see what
uploads left behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from corral.server.storage import TMP_DIR, FileStore, LocalFileStore

#: the limit of every store under test, in bytes
MAX_FILE_BYTES = 1000

STORES = ["local"]


@dataclass
class Harness:
    """A store under test and what its uploads left behind (in progress or half done)."""

    store: FileStore
    leftovers: Callable[[], list[str]]


def _local(tmp_path: Path) -> Harness:
    store = LocalFileStore(tmp_path / "files", max_file_bytes=MAX_FILE_BYTES)
    return Harness(store, lambda: sorted(p.name for p in (store.root / TMP_DIR).iterdir()))


_MAKERS: dict[str, Callable[[Path], Harness]] = {"local": _local}


@pytest.fixture(params=STORES)
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    return _MAKERS[request.param](tmp_path)


@pytest.fixture
def store(harness: Harness) -> FileStore:
    return harness.store
