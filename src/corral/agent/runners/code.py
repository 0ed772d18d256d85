"""Restore a task's code in its work folder: a git checkout plus the diff, or the stored script.

Repositories are cloned through a bare mirror per URL under ``<cache>/vcs/``, so a
repeated task costs a local clone (hard links) instead of a network clone. Several
agents on one machine share the cache: every change to a mirror happens under an
``flock`` on a lock file next to it.

The result is what the task's process needs: the folder to run in and the argv tail
after the python executable (``["/abs/train.py"]`` or ``["-m", "pkg.mod"]``).
Everything that goes wrong raises :class:`PrepareError` with a message the user can
act on; credentials in URLs never reach a log line or an error message.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from corral.agent.runners.base import Job, LogLine, PrepareError
from corral.system.git import TRUNCATED_PREFIX, git_env, strip_credentials

_MODULE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@")


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created when missing) for the block.

    Example:
        >>> with file_lock(Path("/tmp/x.lock")):  # doctest: +SKIP
        ...     build()
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def mask_url(text: str) -> str:
    """``text`` with every ``scheme://user:password@`` reduced to ``scheme://***@``.

    Example:
        >>> mask_url("cloning https://bob:s3cret@example.com/r.git")
        'cloning https://***@example.com/r.git'
    """
    return _CREDENTIALS.sub(r"\1***@", text)


def restore_code(job: Job, cache_root: Path) -> tuple[Path, list[str]]:
    """Put the task's code in ``job.workdir / "code"``.

    Args:
        job: the task; its ``script`` names a repository (plus branch, commit and
            diff) or holds the code itself.
        cache_root: the agent's cache folder; mirrors live in ``cache_root / "vcs"``.

    Returns:
        The working folder of the task's process and the argv tail after the python
        executable.

    Raises:
        PrepareError: no code, a path escaping the code folder, or git failing.

    Example:
        >>> cwd, tail = restore_code(job, Path.home() / ".corral/agent")  # doctest: +SKIP
        >>> tail
        ['/home/me/.corral/agent/work/123/code/train.py']
    """
    script = job.script
    code_dir = job.workdir / "code"
    entry = str(script.get("entry_point") or "").strip()
    working_dir = str(script.get("working_dir") or ".").strip() or "."
    if PurePosixPath(working_dir).is_absolute() or re.match(r"^[A-Za-z]:", working_dir):
        # the run started from a folder outside its code: that folder exists only there
        job.log(
            f"corral-agent: the working dir {working_dir!r} was outside the code; "
            "running from the code's root"
        )
        working_dir = "."
    module = _module(entry)
    if module is None:
        _check_relative(entry, "entry point")
    _check_relative(working_dir, "working dir")

    repository = str(script.get("repository") or "").strip()
    code = str(script.get("code") or "")
    if repository:
        _checkout(job, repository, cache_root, code_dir)
    elif code:
        if not entry:
            entry = "script.py"
        target = code_dir / (module.replace(".", "/") + ".py" if module else entry)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code, encoding="utf-8")
        job.log(f"corral-agent: wrote the stored script to {target.relative_to(code_dir)}")
    else:
        raise PrepareError(
            "the task has no code to run: it has neither a repository nor a stored script; "
            "run it once with Task.init so its code is captured, or set script.repository "
            "and script.entry_point on the task"
        )

    # an empty folder (e.g. an output folder) is not kept by git: make it
    _inside(code_dir, working_dir, "working dir").mkdir(parents=True, exist_ok=True)
    cwd = _inside(code_dir, working_dir, "working dir")
    if not cwd.is_dir():
        raise PrepareError(f"the task's working dir {working_dir!r} is not in its code")
    if module is not None:
        return cwd, ["-m", module]
    if not entry:
        raise PrepareError("the task has no entry point: set script.entry_point on the task")
    path = _inside(code_dir, entry, "entry point")
    if not path.is_file():
        raise PrepareError(f"the task's entry point {entry!r} is not in its code")
    return cwd, [str(path)]


def _module(entry: str) -> str | None:
    """``pkg.mod`` for an entry point ``-m pkg.mod``; ``None`` for a script path."""
    if not entry.startswith("-m"):
        return None
    name = entry[2:].strip()
    if not _MODULE.match(name):
        raise PrepareError(f"the task's entry point {entry!r} is not a valid '-m module'")
    return name


def _check_relative(path: str, what: str) -> None:
    pure = PurePosixPath(path.replace("\\", "/"))
    if pure.is_absolute() or re.match(r"^[A-Za-z]:", path) or ".." in pure.parts:
        raise PrepareError(
            f"the task's {what} {path!r} leaves its code folder; it must be relative to "
            "the repository root, without '..'"
        )


def _inside(code_dir: Path, rel: str, what: str) -> Path:
    # a symlink in the repository could still point outside: check the real path too
    path = (code_dir / rel).resolve()
    if not path.is_relative_to(code_dir.resolve()):
        raise PrepareError(f"the task's {what} {rel!r} leaves its code folder")
    return path


def _git(*args: str, cwd: Path | None = None, stdin: str | None = None) -> str:
    """Run git; its output, or :class:`PrepareError` with git's last stderr line."""
    git = shutil.which("git")
    if git is None:
        raise PrepareError("git is needed to restore the task's repository: install git")
    proc = subprocess.run(
        [git, *args],
        cwd=cwd,
        env=git_env(),  # an agent has nobody to type a password: fail instead of waiting
        input=stdin.encode() if stdin is not None else None,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        lines = [ln.strip() for ln in proc.stderr.decode(errors="replace").splitlines()]
        last = next((ln for ln in reversed(lines) if ln), f"exit code {proc.returncode}")
        raise PrepareError(mask_url(f"git {args[0]} failed: {last}"))
    return proc.stdout.decode(errors="replace")


def _mirror(url: str, cache_root: Path, commit: str, log: LogLine) -> Path:
    """The bare mirror of ``url``, cloned or brought up to date."""
    vcs = cache_root / "vcs"
    key = hashlib.sha1(url.encode()).hexdigest()
    mirror = vcs / key
    with file_lock(vcs / f"{key}.lock"):
        if (mirror / "HEAD").is_file():
            # a commit never changes: when the mirror has it, skip the network
            if commit and _has_commit(mirror, commit):
                return mirror
            log(f"corral-agent: fetching {mask_url(url)} into the cached mirror")
            _git("--git-dir", str(mirror), "fetch", "--prune", "--quiet", "origin")
            return mirror
        # clone next to the mirror and rename, so a crash never leaves half a mirror
        partial = vcs / f"{key}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(mirror, ignore_errors=True)
        try:
            _git("clone", "--mirror", "--quiet", url, str(partial))
        except PrepareError:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        partial.rename(mirror)
    return mirror


def _has_commit(mirror: Path, commit: str) -> bool:
    try:
        _git("--git-dir", str(mirror), "cat-file", "-e", f"{commit}^{{commit}}")
    except PrepareError:
        return False
    return True


def _checkout(job: Job, url: str, cache_root: Path, code_dir: Path) -> None:
    script = job.script
    branch = str(script.get("branch") or "").strip()
    commit = str(script.get("commit") or "").strip()
    job.log(f"corral-agent: cloning {mask_url(url)} at {commit or branch or 'its default branch'}")
    mirror = _mirror(url, cache_root, commit, job.log)
    code_dir.parent.mkdir(parents=True, exist_ok=True)
    _git("clone", "--no-checkout", "--quiet", str(mirror), str(code_dir))
    if commit:
        _git("checkout", "--quiet", "--detach", commit, cwd=code_dir)
    elif branch:
        _git("checkout", "--quiet", branch, cwd=code_dir)
    else:
        _git("reset", "--quiet", "--hard", "HEAD", cwd=code_dir)
    # the task's own git capture must see where the code comes from, not the cache
    _git("remote", "set-url", "origin", strip_credentials(url), cwd=code_dir)
    diff = str(script.get("diff") or "")
    if diff.strip():
        _apply(job, diff, code_dir)


def _apply(job: Job, diff: str, code_dir: Path) -> None:
    lines = diff.splitlines(keepends=True)
    if lines and lines[-1].startswith(TRUNCATED_PREFIX):
        lines.pop()
        job.log("corral-agent: the stored diff was cut at capture (over 5 MiB); applying the rest")
    job.log(f"corral-agent: applying uncommitted changes ({len(lines)} lines)")
    try:
        _git("apply", "--whitespace=nowarn", "-", cwd=code_dir, stdin="".join(lines))
    except PrepareError as e:
        raise PrepareError(
            f"the task's uncommitted changes do not apply on its commit: {e}"
        ) from None
