"""The local store's own ground (the contract is ``test_contract.py``): disks have links.

Nothing may leave the root: not through a symbolic link planted in the store (the
store never makes one), not through the private ``.tmp`` directory, not through a
name a client could not address.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from corral.errors import ConflictError, ValidationError
from corral.server.storage import TMP_DIR, LocalFileStore


@pytest.fixture
def store(tmp_path: Path) -> LocalFileStore:
    return LocalFileStore(tmp_path / "files", max_file_bytes=1000)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory next to the store with a file that must stay untouched."""
    d = tmp_path / "outside"
    d.mkdir()
    (d / "secret.txt").write_text("secret")
    return d


def _tmp_files(store: LocalFileStore) -> list[str]:
    return os.listdir(store.root / TMP_DIR)


# --- locate: the path on disk ------------------------------------------------------------


def test_locate_stays_inside_root(store: LocalFileStore) -> None:
    assert store.locate("a/b.txt") == store.root / "a" / "b.txt"
    assert store.locate("missing/dirs/too") == store.root / "missing" / "dirs" / "too"


def test_locate_refuses_a_symlink_anywhere_on_the_path(
    store: LocalFileStore, outside: Path
) -> None:
    (store.root / "d").mkdir()
    (store.root / "d" / "out").symlink_to(outside)
    (store.root / "d" / "secret").symlink_to(outside / "secret.txt")
    (store.root / "d" / "inside").symlink_to(store.root / "d")  # even one that stays inside
    for path in ("d/out", "d/out/secret.txt", "d/out/new.txt", "d/secret", "d/inside/x"):
        with pytest.raises(ValidationError, match="symbolic link"):
            store.locate(path)


# --- upload ------------------------------------------------------------------------------


def test_a_committed_upload_is_a_plain_file_in_the_root(store: LocalFileStore) -> None:
    assert store.put("a/b/c.txt", [b"hello"]) is True
    assert (store.root / "a/b/c.txt").read_bytes() == b"hello"
    assert _tmp_files(store) == []


def test_upload_through_a_symlink_is_refused(store: LocalFileStore, outside: Path) -> None:
    (store.root / "out").symlink_to(outside)
    with pytest.raises(ValidationError):
        store.put("out/secret.txt", [b"pwned"])
    with pytest.raises(ValidationError):
        store.put("out/new.txt", [b"pwned"])
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
    LocalFileStore(tmp_path / "files", max_file_bytes=10)
    assert not old.exists()
    assert fresh.exists()  # maybe another server process's upload in progress


# --- read --------------------------------------------------------------------------------


def test_open_refuses_links_and_special_files(store: LocalFileStore, outside: Path) -> None:
    (store.root / "link").symlink_to(outside / "secret.txt")
    with pytest.raises(ValidationError):
        store.open("link")
    os.mkfifo(store.root / "fifo")
    with pytest.raises(ValidationError, match="regular file"):
        store.open("fifo")  # and does not hang


def test_the_etag_follows_inode_size_and_mtime(store: LocalFileStore) -> None:
    store.put("f.txt", [b"abc"])
    st = os.stat(store.root / "f.txt")
    with store.open("f.txt") as f:
        assert f.info.etag == f"{st.st_ino:x}-{st.st_size:x}-{st.st_mtime_ns:x}"
        assert int(f.info.modified.timestamp()) == int(st.st_mtime)


# --- list --------------------------------------------------------------------------------


@pytest.fixture
def tree(store: LocalFileStore, outside: Path) -> LocalFileStore:
    for path in ("p/a/x.txt", "p/b.txt"):
        store.put(path, [b"12345"])
    (store.root / "p" / "empty").mkdir()
    (store.root / "p" / "link").symlink_to(outside)
    (store.root / "p" / "bad%2e").write_bytes(b"")  # a name no client could address
    return store


def test_list_leaves_out_links_and_names_no_client_could_address(tree: LocalFileStore) -> None:
    entries, _ = tree.list_dir("p", recursive=False, limit=100)
    assert [(e.path, e.is_dir) for e in entries] == [
        ("p/a", True),
        ("p/b.txt", False),
        ("p/empty", True),
    ]
    entries, _ = tree.list_dir("p", recursive=True, limit=100)
    assert [e.path for e in entries] == ["p/a/x.txt", "p/b.txt"]


def test_list_root_hides_the_private_tmp_dir(tree: LocalFileStore) -> None:
    tree.put("q.txt", [b"q"])
    tree.begin_upload()  # an upload in progress
    entries, _ = tree.list_dir("", recursive=False, limit=100)
    assert [e.path for e in entries] == ["p", "q.txt"]


def test_list_through_a_link_is_refused(tree: LocalFileStore) -> None:
    with pytest.raises(ValidationError, match="symbolic link"):
        tree.list_dir("p/link", recursive=True, limit=10)


# --- delete ------------------------------------------------------------------------------


def test_delete_an_empty_directory(tree: LocalFileStore) -> None:
    tree.delete("p/empty/", recursive=False)
    assert not (tree.root / "p/empty").exists()
    with pytest.raises(ConflictError, match="recursive"):
        tree.delete("p", recursive=False)


def test_delete_never_follows_links(tree: LocalFileStore, outside: Path) -> None:
    with pytest.raises(ValidationError):
        tree.delete("p/link/secret.txt", recursive=False)
    with pytest.raises(ValidationError):
        tree.delete("p/link", recursive=True)
    tree.delete("p", recursive=True)  # a tree holding a link: the link goes, not its target
    assert not (tree.root / "p").exists()
    assert (outside / "secret.txt").read_text() == "secret"
    assert _tmp_files(tree) == []


def test_delete_paths_never_follows_links(tree: LocalFileStore, outside: Path) -> None:
    tree.delete_paths(["../outside/secret.txt", "p/link/secret.txt", "p/link/"])
    assert (outside / "secret.txt").read_text() == "secret"
    assert (tree.root / "p/link").is_symlink()


def test_delete_paths_keeps_files_and_drops_empty_folders_and_links(
    tree: LocalFileStore, outside: Path
) -> None:
    tree.delete_paths(["p/"], keep={"p/a/x.txt"})
    left = sorted(
        str(q.relative_to(tree.root)) for q in (tree.root / "p").rglob("*") if q.is_file()
    )
    assert left == ["p/a/x.txt"]
    assert not (tree.root / "p/empty").exists()
    assert not (tree.root / "p/link").exists()  # the link itself goes, never its target
    assert (outside / "secret.txt").read_text() == "secret"
