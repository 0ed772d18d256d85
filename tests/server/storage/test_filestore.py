"""The file store on its own: which paths it accepts, and that nothing leaves its root."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from corral.errors import ConflictError, NotFoundError, PayloadTooLargeError, ValidationError
from corral.server.storage.filestore import (
    PATH_MAX,
    TMP_DIR,
    FileStore,
    check_path,
    decode_cursor,
    encode_cursor,
)


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "files", max_file_bytes=1000)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory next to the store with a file that must stay untouched."""
    d = tmp_path / "outside"
    d.mkdir()
    (d / "secret.txt").write_text("secret")
    return d


def _put(store: FileStore, path: str, data: bytes = b"data") -> bool:
    upload = store.begin_upload()
    upload.write(data)
    return upload.commit(path)


def _tmp_files(store: FileStore) -> list[str]:
    return os.listdir(store.root / TMP_DIR)


# --- check_path --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "a",
        "tasks/0123abcd/artifacts/data.csv",
        "a b/c d.txt",
        "données/été.txt",
        "a..b/..c/c..",
        ".hidden/.x",
        "a/.tmp/b",  # only the top-level .tmp is the store's
        ".tmpfile",
        "50%/100%zz",  # a '%' not followed by two hex digits is just a character
        "C:x",
        "x" * 255,
        "a/" * (PATH_MAX // 2 - 1) + "bb",  # exactly PATH_MAX characters
    ],
)
def test_check_path_accepts_plain_relative_paths(path: str) -> None:
    assert check_path(path) == path


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/",
        "/etc/passwd",
        "//server/share",
        "..",
        ".",
        "../x",
        "a/../../etc/passwd",
        "a/..",
        "a/./b",
        "a//b",
        "a/",
        "a\\b",
        "..\\..\\etc",
        "C:\\Windows",
        "\\\\server\\share",
        "C:/Windows",
        "C:",
        "a\x00b",
        "a\nb",
        "a\tb",
        "a\x7fb",
        "a\x85b",
        "%2e%2e/x",
        "a/%2E%2e/b",
        "%2e%2e%2fetc%2fpasswd",
        "%252e%252e%252f",
        "a%00",
        ".tmp",
        ".tmp/x",
        ".TMP/x",
        "é" * 128,  # 256 bytes in UTF-8
        "a/" + "b" * 256,
        "a" * (PATH_MAX + 1),
        "a/\udcff",  # not valid UTF-8
    ],
)
def test_check_path_refuses_anything_that_could_escape_or_confuse(path: str) -> None:
    with pytest.raises(ValidationError) as e:
        check_path(path)
    assert e.value.status == 422 and e.value.errors


# --- locate: the path on disk ------------------------------------------------------------


def test_locate_stays_inside_root(store: FileStore) -> None:
    assert store.locate("a/b.txt") == store.root / "a" / "b.txt"
    assert store.locate("missing/dirs/too") == store.root / "missing" / "dirs" / "too"


def test_locate_refuses_a_symlink_anywhere_on_the_path(store: FileStore, outside: Path) -> None:
    (store.root / "d").mkdir()
    (store.root / "d" / "out").symlink_to(outside)
    (store.root / "d" / "secret").symlink_to(outside / "secret.txt")
    (store.root / "d" / "inside").symlink_to(store.root / "d")  # even one that stays inside
    for path in ("d/out", "d/out/secret.txt", "d/out/new.txt", "d/secret", "d/inside/x"):
        with pytest.raises(ValidationError, match="symbolic link"):
            store.locate(path)


# --- upload ------------------------------------------------------------------------------


def test_upload_commit_creates_then_replaces(store: FileStore) -> None:
    upload = store.begin_upload()
    upload.write(b"hello ")
    upload.write(bytearray(b"world"))
    assert upload.commit("a/b/c.txt") is True
    assert (store.root / "a/b/c.txt").read_bytes() == b"hello world"
    assert upload.size == 11
    assert upload.sha256.hexdigest() == hashlib.sha256(b"hello world").hexdigest()
    assert _put(store, "a/b/c.txt", b"new") is False
    assert (store.root / "a/b/c.txt").read_bytes() == b"new"
    assert _tmp_files(store) == []


def test_upload_over_the_limit_is_413_and_leaves_nothing(store: FileStore) -> None:
    upload = store.begin_upload()
    upload.write(b"x" * 1000)
    with pytest.raises(PayloadTooLargeError):
        upload.write(b"x")
    upload.discard()
    assert _tmp_files(store) == []


def test_sha_mismatch_stores_nothing_and_keeps_the_old_file(store: FileStore) -> None:
    _put(store, "f.bin", b"old")
    upload = store.begin_upload()
    upload.write(b"new")
    with pytest.raises(ValidationError, match="SHA-256"):
        upload.commit("f.bin", "0" * 64)
    assert (store.root / "f.bin").read_bytes() == b"old"
    assert _tmp_files(store) == []
    upload = store.begin_upload()
    upload.write(b"new")
    assert upload.commit("f.bin", hashlib.sha256(b"new").hexdigest().upper()) is False


def test_upload_onto_a_directory_or_under_a_file_is_conflict(store: FileStore) -> None:
    _put(store, "dir/file.txt")
    for path in ("dir", "dir/file.txt/below"):
        with pytest.raises(ConflictError):
            store.check_writable(path)
        with pytest.raises(ConflictError):
            _put(store, path)
    assert (store.root / "dir/file.txt").read_bytes() == b"data"
    assert _tmp_files(store) == []


def test_upload_through_a_symlink_is_refused(store: FileStore, outside: Path) -> None:
    (store.root / "out").symlink_to(outside)
    with pytest.raises(ValidationError):
        _put(store, "out/secret.txt", b"pwned")
    with pytest.raises(ValidationError):
        _put(store, "out/new.txt", b"pwned")
    assert (outside / "secret.txt").read_text() == "secret"
    assert sorted(os.listdir(outside)) == ["secret.txt"]
    assert _tmp_files(store) == []


def test_stale_uploads_are_swept_when_the_store_opens(tmp_path: Path) -> None:
    tmp = tmp_path / "files" / TMP_DIR
    tmp.mkdir(parents=True)
    old, fresh = tmp / "old.part", tmp / "fresh.part"
    old.write_bytes(b"x")
    fresh.write_bytes(b"x")
    a_day_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (a_day_ago, a_day_ago))
    FileStore(tmp_path / "files", max_file_bytes=10)
    assert not old.exists()
    assert fresh.exists()  # maybe another server process's upload in progress


# --- read --------------------------------------------------------------------------------


def test_open_reads_files_only(store: FileStore, outside: Path) -> None:
    _put(store, "d/f.txt", b"abc")
    f, st = store.open("d/f.txt")
    with f:
        assert f.read() == b"abc" and st.st_size == 3
    with pytest.raises(NotFoundError):
        store.open("d/missing.txt")
    with pytest.raises(NotFoundError):
        store.open("d/f.txt/below")
    with pytest.raises(ValidationError, match="directory"):
        store.open("d")
    (store.root / "link").symlink_to(outside / "secret.txt")
    with pytest.raises(ValidationError):
        store.open("link")


# --- list --------------------------------------------------------------------------------


@pytest.fixture
def tree(store: FileStore, outside: Path) -> FileStore:
    for path in ("p/a/x.txt", "p/a/y/z.txt", "p/a-c.txt", "p/b.txt", "p/a.txt0"):
        _put(store, path, b"12345")
    (store.root / "p" / "empty").mkdir()
    (store.root / "p" / "link").symlink_to(outside)
    (store.root / "p" / "bad%2e").write_bytes(b"")  # a name no client could address
    return store


def test_list_one_level_sorted_by_path(tree: FileStore) -> None:
    entries, more = tree.list_dir("p", recursive=False, limit=100)
    assert not more
    assert [(e.path, e.is_dir, e.size) for e in entries] == [
        ("p/a", True, None),
        ("p/a-c.txt", False, 5),
        ("p/a.txt0", False, 5),
        ("p/b.txt", False, 5),
        ("p/empty", True, None),
    ]
    assert entries[1].modified.tzinfo is not None
    assert tree.list_dir("p/", recursive=False, limit=100)[0] == entries


def test_list_recursive_gives_files_in_path_order_across_pages(tree: FileStore) -> None:
    everything, _ = tree.list_dir("p", recursive=True, limit=100)
    paths = [e.path for e in everything]
    assert paths == ["p/a-c.txt", "p/a.txt0", "p/a/x.txt", "p/a/y/z.txt", "p/b.txt"]
    assert paths == sorted(paths)
    paged: list[str] = []
    after = None
    while True:
        entries, more = tree.list_dir("p", recursive=True, limit=2, after=after)
        paged += [e.path for e in entries]
        if not more:
            break
        after = decode_cursor(encode_cursor(entries[-1].path))
    assert paged == paths


def test_list_root_hides_the_private_tmp_dir(tree: FileStore) -> None:
    _put(tree, "q.txt")
    tree.begin_upload()  # an upload in progress
    entries, _ = tree.list_dir("", recursive=False, limit=100)
    assert [e.path for e in entries] == ["p", "q.txt"]


def test_list_missing_is_empty_file_or_link_is_refused(tree: FileStore) -> None:
    assert tree.list_dir("nope/deeper", recursive=True, limit=10) == ([], False)
    with pytest.raises(ValidationError, match="names a file"):
        tree.list_dir("p/b.txt", recursive=False, limit=10)
    with pytest.raises(ValidationError, match="symbolic link"):
        tree.list_dir("p/link", recursive=True, limit=10)
    with pytest.raises(ValidationError):
        tree.list_dir("../", recursive=True, limit=10)


def test_bad_cursor_is_422() -> None:
    with pytest.raises(ValidationError):
        decode_cursor("!!!")
    with pytest.raises(ValidationError):
        decode_cursor(encode_cursor("x")[:-1] + "_w")  # not UTF-8 once decoded


# --- delete ------------------------------------------------------------------------------


def test_delete_file_dir_and_tree(tree: FileStore) -> None:
    tree.delete("p/b.txt", recursive=False)
    assert not (tree.root / "p/b.txt").exists()
    tree.delete("p/empty/", recursive=False)
    assert not (tree.root / "p/empty").exists()
    with pytest.raises(ConflictError, match="recursive"):
        tree.delete("p/a", recursive=False)
    tree.delete("p/a", recursive=True)
    assert not (tree.root / "p/a").exists()
    with pytest.raises(NotFoundError):
        tree.delete("p/a", recursive=True)
    assert _tmp_files(tree) == []


@pytest.mark.parametrize("path", ["", "/", "..", "../outside", ".tmp"])
def test_delete_root_or_outside_is_refused(tree: FileStore, path: str) -> None:
    with pytest.raises(ValidationError):
        tree.delete(path, recursive=True)
    assert (tree.root / "p/b.txt").exists()


def test_delete_never_follows_links(tree: FileStore, outside: Path) -> None:
    with pytest.raises(ValidationError):
        tree.delete("p/link/secret.txt", recursive=False)
    with pytest.raises(ValidationError):
        tree.delete("p/link", recursive=True)
    tree.delete("p", recursive=True)  # a tree holding a link: the link goes, not its target
    assert not (tree.root / "p").exists()
    assert (outside / "secret.txt").read_text() == "secret"


def test_delete_paths_ignores_missing_and_unsafe_paths(tree: FileStore, outside: Path) -> None:
    tree.delete_paths(
        [
            "p/a/",
            "p/b.txt",
            "missing/",
            "missing.txt",
            "../outside/secret.txt",
            "/etc/passwd",
            "p/link/secret.txt",
            "p/link/",
            "",
        ]
    )
    assert not (tree.root / "p/a").exists()
    assert not (tree.root / "p/b.txt").exists()
    assert (tree.root / "p/a-c.txt").exists()
    assert (outside / "secret.txt").read_text() == "secret"
    assert (tree.root / "p/link").is_symlink()


def test_delete_paths_keeps_the_files_asked_for_and_their_folders(
    tree: FileStore, outside: Path
) -> None:
    tree.delete_paths(["p/", "p/b.txt"], keep={"p/a/y/z.txt", "p/b.txt"})
    left = sorted(
        str(q.relative_to(tree.root)) for q in (tree.root / "p").rglob("*") if q.is_file()
    )
    assert left == ["p/a/y/z.txt", "p/b.txt"]
    assert not (tree.root / "p/empty").exists()
    assert not (tree.root / "p/link").exists()  # the link itself goes, never its target
    assert (outside / "secret.txt").read_text() == "secret"
    tree.delete_paths(["p/"])  # nothing kept any more: the whole tree goes
    assert not (tree.root / "p").exists()
