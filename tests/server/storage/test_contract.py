"""The file-store contract (``server/storage/base.py``), run over every implementation."""

from __future__ import annotations

import hashlib
from datetime import timezone

import pytest

from corral.errors import ConflictError, NotFoundError, PayloadTooLargeError, ValidationError
from corral.server.storage import FileStore
from tests.server.storage.conftest import MAX_FILE_BYTES, Harness


def _read(store: FileStore, path: str) -> bytes:
    with store.open(path) as f:
        return f.read(0, f.info.size + 1)


def _paths(store: FileStore, prefix: str = "") -> list[str]:
    return [e.path for e in store.list_dir(prefix, recursive=True, limit=1000)[0]]


@pytest.fixture
def tree(store: FileStore) -> FileStore:
    for path in ("p/a/x.txt", "p/a/y/z.txt", "p/a-c.txt", "p/b.txt", "p/a.txt0"):
        store.put(path, [b"12345"])
    return store


# --- put ---------------------------------------------------------------------------------


def test_put_creates_then_replaces_whole(harness: Harness) -> None:
    store = harness.store
    upload = store.begin_upload()
    upload.write(b"hello ")
    upload.write(bytearray(b"world"))
    assert upload.commit("a/b/c.txt") is True
    assert upload.size == 11
    assert upload.sha256.hexdigest() == hashlib.sha256(b"hello world").hexdigest()
    assert _read(store, "a/b/c.txt") == b"hello world"
    assert store.put("a/b/c.txt", [b"n", b"ew"]) is False
    assert _read(store, "a/b/c.txt") == b"new"
    assert harness.leftovers() == []


def test_put_of_an_empty_file(store: FileStore) -> None:
    assert store.put("empty.txt", []) is True
    assert _read(store, "empty.txt") == b""
    entry = store.stat("empty.txt")
    assert entry is not None and entry.size == 0 and not entry.is_dir


def test_upload_over_the_limit_is_413_and_leaves_nothing(harness: Harness) -> None:
    upload = harness.store.begin_upload()
    upload.write(b"x" * MAX_FILE_BYTES)
    with pytest.raises(PayloadTooLargeError):
        upload.write(b"x")
    upload.discard()
    upload.discard()  # safe twice
    assert harness.leftovers() == []
    assert _paths(harness.store) == []


def test_sha_mismatch_stores_nothing_and_keeps_the_old_file(harness: Harness) -> None:
    store = harness.store
    store.put("f.bin", [b"old"])
    with pytest.raises(ValidationError, match="SHA-256"):
        store.put("f.bin", [b"new"], "0" * 64)
    assert _read(store, "f.bin") == b"old"
    assert harness.leftovers() == []
    assert store.put("f.bin", [b"new"], hashlib.sha256(b"new").hexdigest().upper()) is False
    assert _read(store, "f.bin") == b"new"


def test_put_onto_a_directory_or_under_a_file_is_conflict(harness: Harness) -> None:
    store = harness.store
    store.put("dir/file.txt", [b"data"])
    for path in ("dir", "dir/file.txt/below"):
        with pytest.raises(ConflictError):
            store.check_writable(path)
        with pytest.raises(ConflictError):
            store.put(path, [b"x"])
    assert _read(store, "dir/file.txt") == b"data"
    assert harness.leftovers() == []


def test_an_upload_in_progress_is_not_visible(store: FileStore) -> None:
    upload = store.begin_upload()
    upload.write(b"partial")
    assert store.list_dir("", recursive=False, limit=10) == ([], False)
    assert upload.commit("done.txt") is True
    assert _paths(store) == ["done.txt"]


# --- read --------------------------------------------------------------------------------


def test_open_reads_ranges_of_the_version_opened(store: FileStore) -> None:
    store.put("d/f.txt", [b"abcdef"])
    with store.open("d/f.txt") as f:
        first = f.info
        assert first.size == 6 and first.modified.tzinfo is not None
        assert f.read(0, 2) == b"ab"
        assert f.read(4, 10) == b"ef"
        assert f.read(6, 10) == b""
        store.put("d/f.txt", [b"replaced!"])
        assert f.read(0, 100) == b"abcdef"  # a download keeps what it opened
    with store.open("d/f.txt") as f:
        assert f.info.size == 9 and f.info.etag != first.etag


def test_open_missing_is_404_a_directory_is_422(store: FileStore) -> None:
    store.put("d/f.txt", [b"abc"])
    with pytest.raises(NotFoundError):
        store.open("d/missing.txt")
    with pytest.raises(NotFoundError):
        store.open("d/f.txt/below")
    with pytest.raises(ValidationError, match="directory"):
        store.open("d")


def test_stat_tells_files_directories_and_nothing(tree: FileStore) -> None:
    f = tree.stat("p/b.txt")
    assert f is not None and (f.path, f.size, f.is_dir) == ("p/b.txt", 5, False)
    assert f.modified.tzinfo is not None and f.modified.utcoffset() == timezone.utc.utcoffset(None)
    d = tree.stat("p/a")
    assert d is not None and d.is_dir and d.size is None
    assert tree.stat("p/a/") == d
    assert tree.stat("p/nope") is None
    assert tree.stat("p/b.txt/below") is None


# --- list --------------------------------------------------------------------------------


def test_list_one_level_sorted_by_path(tree: FileStore) -> None:
    entries, more = tree.list_dir("p", recursive=False, limit=100)
    assert not more
    assert [(e.path, e.is_dir, e.size) for e in entries] == [
        ("p/a", True, None),
        ("p/a-c.txt", False, 5),
        ("p/a.txt0", False, 5),
        ("p/b.txt", False, 5),
    ]
    assert entries[1].modified.tzinfo is not None
    assert tree.list_dir("p/", recursive=False, limit=100)[0] == entries
    root, _ = tree.list_dir("", recursive=False, limit=100)
    assert [e.path for e in root] == ["p"]


def test_list_recursive_gives_files_in_path_order_across_pages(tree: FileStore) -> None:
    paths = _paths(tree, "p")
    assert paths == ["p/a-c.txt", "p/a.txt0", "p/a/x.txt", "p/a/y/z.txt", "p/b.txt"]
    assert paths == sorted(paths)
    paged: list[str] = []
    after = None
    while True:
        entries, more = tree.list_dir("p", recursive=True, limit=2, after=after)
        paged += [e.path for e in entries]
        if not more:
            break
        after = entries[-1].path
    assert paged == paths


def test_list_missing_is_empty_a_file_or_bad_prefix_is_refused(tree: FileStore) -> None:
    assert tree.list_dir("nope/deeper", recursive=True, limit=10) == ([], False)
    with pytest.raises(ValidationError, match="names a file"):
        tree.list_dir("p/b.txt", recursive=False, limit=10)
    with pytest.raises(ValidationError):
        tree.list_dir("../", recursive=True, limit=10)


# --- delete ------------------------------------------------------------------------------


def test_delete_a_file_and_a_tree(harness: Harness, tree: FileStore) -> None:
    tree.delete("p/b.txt", recursive=False)
    assert tree.stat("p/b.txt") is None
    with pytest.raises(ConflictError, match="recursive"):
        tree.delete("p/a", recursive=False)
    tree.delete("p/a/", recursive=True)
    assert tree.stat("p/a") is None
    with pytest.raises(NotFoundError):
        tree.delete("p/a", recursive=True)
    assert _paths(tree) == ["p/a-c.txt", "p/a.txt0"]
    assert harness.leftovers() == []


@pytest.mark.parametrize("path", ["", "/", "..", "../outside", ".tmp"])
def test_delete_root_or_outside_is_refused(tree: FileStore, path: str) -> None:
    with pytest.raises(ValidationError):
        tree.delete(path, recursive=True)
    assert len(_paths(tree)) == 5


def test_delete_paths_ignores_missing_and_unsafe_paths(tree: FileStore) -> None:
    tree.delete_paths(
        ["p/a/", "p/b.txt", "missing/", "missing.txt", "../p/a-c.txt", "/etc/passwd", ""]
    )
    assert _paths(tree) == ["p/a-c.txt", "p/a.txt0"]


def test_delete_paths_keeps_the_files_asked_for(tree: FileStore) -> None:
    tree.delete_paths(["p/", "p/b.txt"], keep={"p/a/y/z.txt", "p/b.txt"})
    assert _paths(tree) == ["p/a/y/z.txt", "p/b.txt"]
    tree.delete_paths(["p/"])  # nothing kept any more: the whole tree goes
    assert _paths(tree) == []
    assert tree.stat("p") is None


# --- the path policy ---------------------------------------------------------------------

_ESCAPES = ["../x", "/etc/passwd", "a/../../etc/passwd", "%2e%2e/x", "a\\b", "C:/x", ".tmp/x"]


@pytest.mark.parametrize("path", _ESCAPES)
def test_every_operation_refuses_a_path_that_could_escape(harness: Harness, path: str) -> None:
    store = harness.store
    store.put("keep.txt", [b"kept"])
    with pytest.raises(ValidationError):
        store.check_writable(path)
    with pytest.raises(ValidationError):
        store.put(path, [b"pwned"])
    with pytest.raises(ValidationError):
        store.open(path)
    with pytest.raises(ValidationError):
        store.stat(path)
    with pytest.raises(ValidationError):
        store.list_dir(path, recursive=True, limit=10)
    with pytest.raises(ValidationError):
        store.delete(path, recursive=True)
    store.delete_paths([path])  # logged and skipped, never raised
    assert _paths(store) == ["keep.txt"]
    assert harness.leftovers() == []
