"""The local side of the index, without a hub: the walk's order, symlinks, the merge-join."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corral.datasets.index import LocalFile, _merge, local_files, matches, walk
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


class _Gone:
    """Collects what the merge would remove (in place of the batching sender)."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def add(self, path: str) -> None:
        self.paths.append(path)


def _merged(
    remote: list[tuple[str, str | None]], local: list[str], prefix: str = ""
) -> tuple[list[tuple[str, str | None]], list[str]]:
    rows = iter([{"path": p, "sha256": f"sha-{p}", "blob_id": blob} for p, blob in remote])
    gone = _Gone()
    files = [LocalFile(Path("/x") / p, p) for p in local]
    pairs = [(f.relative, known) for f, known in _merge(rows, files, prefix, gone)]
    return pairs, gone.paths


def test_merge_join_pairs_local_files_with_the_index_and_finds_removals() -> None:
    remote = [("a", "b1"), ("b", "b1"), ("c/d", None), ("c/e", "b2"), ("f", "b3")]
    pairs, gone = _merged(remote, ["a", "c/d", "f", "g"])
    # a stored row gives its sha; a pending one (no blob) and a new path give None
    assert pairs == [("a", "sha-a"), ("c/d", None), ("f", "sha-f"), ("g", None)]
    assert gone == ["b", "c/e"]
    assert _merged(remote, [])[1] == [p for p, _ in remote]
    assert _merged([], ["a", "b"]) == ([("a", None), ("b", None)], [])
    pairs, gone = _merged([("s/a", "b"), ("s/z", "b")], ["a", "b"], prefix="s/")
    assert pairs == [("a", "sha-s/a"), ("b", None)] and gone == ["s/z"]
