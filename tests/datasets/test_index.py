"""The local side of the index, without a hub: the walk's order, symlinks, the merge-join."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corral.datasets.index import _missing, local_files, matches, walk
from corral.errors import NotFoundError, ValidationError
from tests.datasets.conftest import write_tree


def test_walk_yields_paths_in_the_hubs_byte_order(tmp_path: Path) -> None:
    names = ["a-c", "a/b", "a/b-x", "a/b/z", "a0", "B", "é/x", "z", "a/b.txt", "ab/c"]
    files = [n for n in names if not any(o.startswith(n + "/") for o in names)]
    write_tree(tmp_path, {n: n.encode() for n in files})
    got = [f.relative for f in walk(tmp_path)]
    assert got == sorted(files, key=lambda p: p.encode())


def test_walk_not_recursive_and_wildcards(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.csv": b"", "b.txt": b"", "s/c.csv": b""})
    assert [f.relative for f in walk(tmp_path, recursive=False)] == ["a.csv", "b.txt"]
    assert [f.relative for f in local_files(tmp_path, wildcard="*.csv")] == ["a.csv", "s/c.csv"]
    assert matches("s/c.csv", ["s/*"]) and not matches("s/c.csv", ["t/*"])


def test_symlinked_folders_are_followed_but_loops_refused(tmp_path: Path) -> None:
    write_tree(tmp_path, {"real/a": b"a"})
    os.symlink(tmp_path / "real", tmp_path / "other")
    assert [f.relative for f in walk(tmp_path)] == ["other/a", "real/a"]
    os.symlink(tmp_path, tmp_path / "real" / "up")
    with pytest.raises(ValidationError, match="loop"):
        list(walk(tmp_path))


def test_dangling_links_are_skipped_and_missing_roots_refused(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a": b"a"})
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling")
    assert [f.relative for f in walk(tmp_path)] == ["a"]
    with pytest.raises(NotFoundError):
        list(local_files(tmp_path / "missing"))


def test_base_folder_must_contain_the_files(tmp_path: Path) -> None:
    write_tree(tmp_path, {"x/y/z.txt": b"z", "other/o.txt": b"o"})
    got = [f.relative for f in local_files(tmp_path / "x" / "y", local_base_folder=tmp_path)]
    assert got == ["x/y/z.txt"]
    with pytest.raises(ValidationError, match="local_base_folder"):
        list(local_files(tmp_path / "other", local_base_folder=tmp_path / "x"))


def test_merge_join_finds_the_remote_paths_missing_locally() -> None:
    remote = ["a", "b", "c/d", "c/e", "f"]
    local = ["a", "c/d", "f", "g"]
    assert list(_missing(iter(remote), iter(local))) == ["b", "c/e"]
    assert list(_missing(iter(remote), iter([]))) == remote
    assert list(_missing(iter([]), iter(local))) == []
