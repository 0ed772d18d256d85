from __future__ import annotations

import os
from pathlib import Path

import pytest

from corral.sdk.capture.git import _cap, capture_git
from corral.system.git import TRUNCATED_MARKER
from tests.sdk.capture.conftest import Git


def test_folder_outside_git_gives_none(tmp_path: Path, git_env: dict[str, str]) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "train.py").write_text("x = 1\n")

    assert capture_git(plain) is None
    assert capture_git(plain / "train.py") is None


def test_missing_git_gives_none(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo / "no-bin-here"))

    assert capture_git(repo) is None


def test_clean_repo(repo: Path, git: Git) -> None:
    info = capture_git(repo / "train.py")

    assert info is not None
    assert info.root == repo.resolve()
    assert info.branch == "main"
    assert info.commit == git(repo, "rev-parse", "HEAD").strip()
    assert len(info.commit) == 40
    assert info.repository == ""
    assert info.diff == ""


def test_https_remote_credentials_are_stripped(repo: Path, git: Git) -> None:
    git(repo, "remote", "add", "origin", "https://bob:s3cret@github.com/acme/train.git")

    info = capture_git(repo)

    assert info is not None
    assert info.repository == "https://github.com/acme/train.git"


def test_upstream_remote_wins_over_origin(repo: Path, git: Git) -> None:
    git(repo, "remote", "add", "origin", "git@github.com:acme/origin.git")
    git(repo, "remote", "add", "fork", "https://token@example.com/me/fork.git")
    git(repo, "config", "branch.main.remote", "fork")

    info = capture_git(repo)

    assert info is not None
    assert info.repository == "https://example.com/me/fork.git"


def test_first_remote_without_origin_or_upstream(repo: Path, git: Git) -> None:
    git(repo, "remote", "add", "mirror", "ssh://git@example.com/acme/train.git")

    info = capture_git(repo)

    assert info is not None
    assert info.repository == "ssh://git@example.com/acme/train.git"


def test_detached_head_has_no_branch(repo: Path, git: Git) -> None:
    commit = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "--detach", commit)

    info = capture_git(repo)

    assert info is not None
    assert info.branch == ""
    assert info.commit == commit


def test_repo_without_commit(tmp_path: Path, git: Git) -> None:
    root = tmp_path / "fresh"
    root.mkdir()
    git(root, "init", "-q", "-b", "dev")
    (root / "a.py").write_text("a = 1\n")
    git(root, "add", "a.py")
    (root / "b.py").write_text("b = 2\n")

    info = capture_git(root)

    assert info is not None
    assert info.commit == ""
    assert info.branch == "dev"
    assert "+a = 1" in info.diff
    assert "+b = 2" in info.diff
    # the diff recreates the files in an empty folder
    target = tmp_path / "target"
    target.mkdir()
    git(target, "init", "-q")
    patch = tmp_path / "patch.diff"
    patch.write_text(info.diff)
    git(target, "apply", str(patch))
    assert (target / "a.py").read_text() == "a = 1\n"
    assert (target / "b.py").read_text() == "b = 2\n"


def _make_changes(repo: Path, git: Git) -> None:
    (repo / "staged.py").write_text("staged = True\n")
    git(repo, "add", "staged.py")
    (repo / "train.py").write_text("print('train')\nprint('more')\n")  # unstaged
    (repo / "src").mkdir()
    (repo / "src" / "new module.py").write_text("def f():\n    return 1\n")  # untracked
    (repo / "notes.txt").write_text("no trailing newline")  # untracked
    (repo / "run.log").write_text("ignored\n")  # ignored
    (repo / "blob.bin").write_bytes(b"\x00\x01\x02binary")  # untracked binary
    (repo / "big.txt").write_text("x" * (1024 * 1024 + 1))  # untracked, too large


def test_diff_applies_on_a_clean_clone(repo: Path, git: Git, tmp_path: Path) -> None:
    _make_changes(repo, git)

    info = capture_git(repo)

    assert info is not None
    assert "staged.py" in info.diff
    assert "+print('more')" in info.diff
    assert "new module.py" in info.diff
    assert "notes.txt" in info.diff
    assert "run.log" not in info.diff
    assert "blob.bin" not in info.diff
    assert "big.txt" not in info.diff

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    git(clone, "checkout", "-q", info.commit)
    patch = tmp_path / "patch.diff"
    patch.write_text(info.diff)
    git(clone, "apply", "--check", str(patch))
    git(clone, "apply", str(patch))
    for rel in ("staged.py", "train.py", "src/new module.py", "notes.txt"):
        assert (clone / rel).read_text() == (repo / rel).read_text(), rel


def test_capture_leaves_index_and_work_tree_alone(repo: Path, git: Git) -> None:
    _make_changes(repo, git)
    status = git(repo, "status", "--porcelain", "--untracked-files=all")
    staged = git(repo, "diff", "--cached")
    # same content, new mtime: a plain ``git diff`` would refresh (rewrite) the index
    gitignore = repo / ".gitignore"
    time_ns = gitignore.stat().st_mtime_ns + 2_000_000_000
    os.utime(gitignore, ns=(time_ns, time_ns))
    index = (repo / ".git" / "index").read_bytes()
    files = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}

    assert capture_git(repo) is not None

    assert (repo / ".git" / "index").read_bytes() == index
    assert {p: p.read_bytes() for p in files} == files
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == status
    assert git(repo, "diff", "--cached") == staged


def test_changed_binary_tracked_file_is_left_out(repo: Path, git: Git, tmp_path: Path) -> None:
    (repo / "data.bin").write_bytes(b"\x00old")
    git(repo, "add", "data.bin")
    git(repo, "commit", "-q", "-m", "binary")
    (repo / "data.bin").write_bytes(b"\x00new")
    (repo / "train.py").write_text("print('changed')\n")

    info = capture_git(repo)

    assert info is not None
    assert "data.bin" not in info.diff
    assert "+print('changed')" in info.diff
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    patch = tmp_path / "patch.diff"
    patch.write_text(info.diff)
    git(clone, "apply", str(patch))
    assert (clone / "train.py").read_text() == "print('changed')\n"


def test_huge_diff_is_cut_at_a_file_boundary() -> None:
    one = "diff --git a/a b/a\n" + "+x\n" * 10
    many = one * (6 * 1024 * 1024 // len(one))

    capped = _cap(many)

    assert capped.endswith(TRUNCATED_MARKER)
    body = capped.removesuffix(TRUNCATED_MARKER)
    assert len(body.encode()) <= 5 * 1024 * 1024
    assert body.endswith("+x\n")
    assert body.count("diff --git") * len(one) == len(body)
