"""Capture the git state of the user's code: remote, branch, commit and uncommitted diff.

Everything goes through the ``git`` command line (no GitPython), each call with a
timeout, and read-only. Porcelain ``git diff HEAD`` refreshes the index's stat cache
(it writes ``.git/index``, even with ``GIT_OPTIONAL_LOCKS=0``), so tracked changes come
from the plumbing ``git diff-index``, which never writes it.

The diff is built so that ``git apply`` reproduces the work tree on a clean checkout
of the commit: the change of tracked files against ``HEAD`` (staged and unstaged
together), then every untracked, non-ignored text file as a "new file" diff.
"""

from __future__ import annotations

import logging
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from corral.system.git import TRUNCATED_MARKER, git_env, strip_credentials

log = logging.getLogger("corral.sdk.capture")

#: untracked files larger than this are left out of the diff
MAX_UNTRACKED_FILE = 1024 * 1024
#: the whole diff is cut (at a file boundary when possible) beyond this
MAX_DIFF = 5 * 1024 * 1024
#: at most this many untracked files are rendered (one subprocess each)
MAX_UNTRACKED_COUNT = 1000

# Settings that would change the shape of the diff and so break ``git apply``.
_DIFF_CONFIG = (
    "-c",
    "core.quotepath=off",
    "-c",
    "diff.noprefix=false",
    "-c",
    "diff.mnemonicprefix=false",
    "-c",
    "color.ui=false",
)
_DIFF_FLAGS = ("--no-color", "--no-ext-diff", "--no-textconv", "--no-relative")


@dataclass
class GitInfo:
    """Where the code comes from.

    Attributes:
        repository: URL of the remote (credentials removed), or ``""``.
        branch: the checked-out branch, ``""`` when HEAD is detached.
        commit: full sha of HEAD, ``""`` when the repository has no commit yet.
        diff: uncommitted changes and untracked files as a patch for ``git apply``.
        root: the top of the work tree.
    """

    repository: str
    branch: str
    commit: str
    diff: str
    root: Path


class _Git:
    """Runs read-only git commands in one work tree, within an overall deadline."""

    def __init__(self, exe: str, cwd: Path, timeout: float) -> None:
        self.exe = exe
        self.cwd = cwd
        self.timeout = timeout
        # untracked files each cost a subprocess: bound the whole capture as well
        self.deadline = time.monotonic() + 3 * timeout
        # read-only: no optional locks, so a capture never blocks the user's own git
        self.env = git_env(GIT_OPTIONAL_LOCKS="0")

    def expired(self) -> bool:
        return time.monotonic() > self.deadline

    def run(self, *args: str, ok: tuple[int, ...] = (0,)) -> str | None:
        """Output of ``git args`` (``None`` on failure, timeout or an unexpected code)."""
        remaining = self.deadline - time.monotonic()
        timeout = max(0.5, min(self.timeout, remaining))
        try:
            proc = subprocess.run(
                [self.exe, *args],
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as e:
            log.debug("git %s failed: %s", " ".join(args[:3]), e)
            return None
        if proc.returncode not in ok:
            return None
        return proc.stdout.decode("utf-8", errors="replace")


def capture_git(start: Path, timeout: float = 10.0) -> GitInfo | None:
    """Capture the repository that holds ``start`` (a file or a folder).

    Args:
        start: a path inside the work tree, usually the entry script.
        timeout: seconds allowed for each git command.

    Returns:
        The git state, or ``None`` when git is not installed, ``start`` is not inside a
        work tree, or git fails. Never raises.

    Example:
        >>> info = capture_git(Path(__file__))
        >>> info.commit if info else "no git"  # doctest: +SKIP
        '3f2c...'
    """
    try:
        return _capture(start, timeout)
    except Exception as e:  # never raise into the user's program
        log.debug("git capture failed: %s", e, exc_info=True)
        return None


def _capture(start: Path, timeout: float) -> GitInfo | None:
    exe = shutil.which("git")
    if exe is None:
        return None
    folder = start if start.is_dir() else start.parent
    if not folder.is_dir():
        return None
    top = _Git(exe, folder, timeout).run("rev-parse", "--show-toplevel")
    if not top or not top.strip():
        return None
    git = _Git(exe, Path(top.strip()), timeout)
    commit = (git.run("rev-parse", "--verify", "-q", "HEAD^{commit}") or "").strip()
    branch = (git.run("symbolic-ref", "-q", "--short", "HEAD") or "").strip()
    return GitInfo(
        repository=_remote_url(git, branch),
        branch=branch,
        commit=commit,
        diff=_diff(git, commit),
        root=git.cwd,
    )


def _remote_url(git: _Git, branch: str) -> str:
    remotes = (git.run("remote") or "").split()
    if not remotes:
        return ""
    upstream = ""
    if branch:
        upstream = (git.run("config", "--get", f"branch.{branch}.remote") or "").strip()
    for name in (upstream, "origin", remotes[0]):
        if name in remotes:
            url = (git.run("config", "--get", f"remote.{name}.url") or "").strip()
            if url:
                return strip_credentials(url)
    return ""


def _diff(git: _Git, commit: str) -> str:
    # without a commit, compare with the empty tree: everything tracked is new
    base = commit or (git.run("hash-object", "-t", "tree", "--stdin") or "").strip()
    parts: list[str] = []
    if base:
        parts.append(_tracked_diff(git, base))
    size = sum(len(p.encode()) for p in parts)
    for path in _untracked(git):
        if size > MAX_DIFF or git.expired():
            break
        patch = git.run(
            *_DIFF_CONFIG, "diff", "--no-index", *_DIFF_FLAGS, "--", "/dev/null", path, ok=(0, 1)
        )
        if patch:
            parts.append(patch)
            size += len(patch.encode())
    return _cap("".join(parts))


def _tracked_diff(git: _Git, base: str) -> str:
    """Changes of tracked files against ``base``, leaving out binary files.

    A plain-text diff of a binary file ("Binary files differ") cannot be applied and
    would make ``git apply`` reject the whole patch, so those files are excluded.
    """
    numstat = git.run(*_DIFF_CONFIG, "diff-index", "--numstat", "-z", "--no-renames", base) or ""
    excludes: list[str] = []
    for record in numstat.split("\0"):
        fields = record.split("\t", 2)
        if len(fields) == 3 and fields[0] == "-" and fields[1] == "-":
            excludes.append(f":(exclude,literal){fields[2]}")
    args = [*_DIFF_CONFIG, "diff-index", "-p", *_DIFF_FLAGS, base]
    if excludes:
        args += ["--", ".", *excludes]
    return git.run(*args) or ""


def _untracked(git: _Git) -> list[str]:
    """Untracked, non-ignored regular text files no larger than ``MAX_UNTRACKED_FILE``."""
    listing = git.run("ls-files", "--others", "--exclude-standard", "-z") or ""
    files: list[str] = []
    for rel in listing.split("\0"):
        if not rel or len(files) >= MAX_UNTRACKED_COUNT:
            continue
        path = git.cwd / rel
        try:
            st = path.lstat()
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_UNTRACKED_FILE:
                continue
            with path.open("rb") as f:
                if b"\0" in f.read(8192):
                    continue  # binary
        except OSError:
            continue
        files.append(rel)
    return files


def _cap(diff: str) -> str:
    data = diff.encode()
    if len(data) <= MAX_DIFF:
        return diff
    head = data[:MAX_DIFF]
    # cut before the last file that does not fit, so the rest still applies
    cut = head.rfind(b"\ndiff --git ")
    if cut <= 0:
        cut = head.rfind(b"\n")
    head = head[: cut + 1] if cut > 0 else head
    return head.decode("utf-8", errors="ignore") + TRUNCATED_MARKER
