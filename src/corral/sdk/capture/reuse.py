"""Reuse the capture of an unchanged script and environment within a process.

Capturing the code (a dozen ``git`` commands), the imports and the installed packages
takes tens of milliseconds; a process that runs ``Task.init``/``close()`` in a loop
would redo it for every run. So the last capture is kept with a *fingerprint* of
everything it was made from, and used again while the fingerprint is unchanged:

* the program: ``sys.argv[0]``, ``python -m``'s module, the working directory;
* the files: in a git work tree, every tracked and every untracked, non-ignored file,
  every folder outside the ignored ones (a new file changes its folder), and git's own
  ``HEAD``, branch ref, ``packed-refs``, index, config and ``info/exclude``; outside
  git, the script's folder (its Python files and subfolders). A file is compared by
  modification time, size, inode and change time; one modified in the two seconds
  before the capture (which a coarse clock could miss) by its content;
* the packages: ``sys.path`` and the modification time of each of its folders
  (installing or removing a package changes them).

Notebooks are captured every time (the executed cells change). Folders too big to
watch (over ``MAX_WATCHED`` paths) are captured every time too. Machine facts do not
change while a process runs: they are read once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corral.sdk.capture.machine import runtime_facts
from corral.sdk.capture.notebook import running_in_notebook
from corral.sdk.capture.packages import requirements, scan_imports
from corral.sdk.capture.script import CodeInfo, capture_code
from corral.system.packages import freeze

#: above this many watched paths, the capture is not kept (checking would cost too much)
MAX_WATCHED = 20_000
#: a kept capture watching at most this many paths is checked in ``Task.init`` itself
CHECK_NOW_MAX = 2_000
#: a file modified this close (seconds) to the capture is compared by content
RACY = 2.0
_GIT_TIMEOUT = 10.0

Stamp = tuple[Any, ...] | None


@dataclass
class _Kept:
    program: tuple[Any, ...]
    packages: tuple[Any, ...]
    watched: dict[str, Stamp]
    racy: dict[str, str] = field(default_factory=dict)
    #: folders outside git, compared by their Python files and subfolders
    listings: dict[str, str] = field(default_factory=dict)
    script: dict[str, Any] = field(default_factory=dict)
    requirements: list[str] = field(default_factory=list)


_lock = threading.Lock()
_kept: _Kept | None = None
#: captures made and reused in this process (what a test or a curious user can look at)
stats = {"captured": 0, "reused": 0}
_machine: tuple[int, dict[str, Any]] | None = None


def environment_patch(
    *, with_code: bool, extra: Mapping[str, str]
) -> tuple[dict[str, Any], Path | None]:
    """The task patch of the capture: ``runtime`` (machine facts), and with ``with_code``
    the ``script`` (code, requirements with ``extra`` added, freeze). Also the notebook
    file to upload, when running in one."""
    patch: dict[str, Any] = {"runtime": facts()}
    notebook: Path | None = None
    if with_code:
        script, lines, notebook = code_and_packages()
        patch["script"] = _with_requirements(script, lines, extra)
    return patch, notebook


def kept_patch(extra: Mapping[str, str]) -> dict[str, Any] | None:
    """The patch of :func:`environment_patch` right now, from the kept capture, when it is
    still valid and cheap to check (``Task.init`` then sends it with the create); else
    ``None`` (the background capture does it)."""
    if running_in_notebook():
        return None
    with _lock:
        kept = _kept
    if kept is None or len(kept.watched) + len(kept.listings) > CHECK_NOW_MAX:
        return None
    if not _unchanged(kept):
        return None
    stats["reused"] += 1
    script = _with_requirements(_copy(kept.script), list(kept.requirements), extra)
    return {"runtime": facts(), "script": script}


def _with_requirements(
    script: dict[str, Any], lines: list[str], extra: Mapping[str, str]
) -> dict[str, Any]:
    for name, spec in extra.items():
        lines = [ln for ln in lines if _dist(ln) != name.lower()]
        lines.append(f"{name}{spec}")
    script["requirements"] = {"pip": "\n".join(lines) + ("\n" if lines else "")}
    return script


def facts() -> dict[str, Any]:
    """Machine facts, read once per process (a forked child reads its own)."""
    global _machine
    if _machine is None or _machine[0] != os.getpid():
        _machine = (os.getpid(), runtime_facts())
    return dict(_machine[1])


def code_and_packages() -> tuple[dict[str, Any], list[str], Path | None]:
    """The task's ``script`` (without requirements), the requirement lines, the notebook."""
    global _kept
    if running_in_notebook():
        script, lines, code = _capture()
        return script, lines, code.notebook_path
    with _lock:
        kept = _kept
        if kept is not None and _unchanged(kept):
            stats["reused"] += 1
            return _copy(kept.script), list(kept.requirements), None
        _kept = None
    started = time.time()
    program, packages = _program(), _packages()
    script, lines, code = _capture()
    kept = _keep(code, started)
    if kept is not None:
        kept.program, kept.packages = program, packages
        kept.script, kept.requirements = _copy(script), list(lines)
        with _lock:
            _kept = kept
    return script, lines, None


def _keep(code: CodeInfo, started: float) -> _Kept | None:
    """The fingerprint of a capture that began at ``started``, or ``None`` when it cannot
    be trusted (a watched path changed while it ran) or would cost too much to check."""
    watched = _watch_list(code)
    if watched is None:
        return None
    listings = {p: _listing(p) for p in watched if p.endswith(os.sep)}
    watched = [p for p in watched if not p.endswith(os.sep)]
    stamps = {path: _stamp(path) for path in watched}
    racy: dict[str, str] = {}
    for path, stamp in stamps.items():
        if stamp is None:
            continue
        # a change during the capture may not be in it: do not keep it. A clock of whole
        # seconds (FAT, HFS+) cannot tell "during" from "just before": allow it no margin
        margin = 0.05 if stamp[0] % 1_000_000_000 else RACY
        if stamp[0] >= (started - margin) * 1e9:
            return None
        if stamp[0] >= (started - RACY) * 1e9:
            racy[path] = _content(path)
    return _Kept((), (), stamps, racy, listings)


def forget() -> None:
    """Drop the kept capture (the next run captures again)."""
    global _kept
    with _lock:
        _kept = None


# --- capture --------------------------------------------------------------------------------


def _capture() -> tuple[dict[str, Any], list[str], CodeInfo]:
    stats["captured"] += 1
    code = capture_code()
    script: dict[str, Any] = dict(code.to_script())
    entry: Path | None = None
    if code.root is not None and code.entry_point and not code.entry_point.startswith("-m "):
        candidate = code.root / code.entry_point
        entry = candidate if candidate.is_file() else None
    if code.notebook_path is not None:
        modules = scan_imports(None, code=code.code, root=code.root)
    else:
        modules = scan_imports(entry, code=None if entry else code.code or None, root=code.root)
    lines = [ln for ln in requirements(modules).splitlines() if ln]
    script["freeze"] = freeze()
    return script, lines, code


def _dist(line: str) -> str:
    for sep in ("==", ">=", "<=", "~=", "!=", " @ ", ">", "<"):
        line = line.split(sep, 1)[0]
    return line.strip().lower()


def _copy(script: dict[str, Any]) -> dict[str, Any]:
    return {k: dict(v) if isinstance(v, dict) else v for k, v in script.items()}


# --- the fingerprint ------------------------------------------------------------------------


def _program() -> tuple[Any, ...]:
    main = sys.modules.get("__main__")
    spec = getattr(getattr(main, "__spec__", None), "name", None)
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = None
    return (tuple(sys.argv[:1]), spec, cwd, sys.executable)


def _packages() -> tuple[Any, ...]:
    marks: list[Any] = []
    for entry in sys.path:
        try:
            marks.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            marks.append((entry, None))
    return tuple(marks)


def _stamp(path: str) -> Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns, st.st_mode)


def _content(path: str) -> str:
    """A file's bytes, a folder's entry names, as a hash."""
    digest = hashlib.sha1()
    try:
        if os.path.isdir(path):
            digest.update("\0".join(sorted(os.listdir(path))).encode())
        else:
            with open(path, "rb") as f:
                digest.update(f.read())
    except OSError:
        return ""
    return digest.hexdigest()


def _unchanged(kept: _Kept) -> bool:
    if kept.program != _program() or kept.packages != _packages():
        return False
    for path, stamp in kept.watched.items():
        if _stamp(path) != stamp:
            return False
    if any(_listing(path) != digest for path, digest in kept.listings.items()):
        return False
    return all(_content(path) == digest for path, digest in kept.racy.items())


def _listing(folder: str) -> str:
    """The Python files and subfolders of a folder, as a hash (other files do not count)."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(
                e.name + ("/" if e.is_dir() else "")
                for e in entries
                if e.name.endswith(".py") or (e.is_dir() and not _skipped(e.name))
            )
    except OSError:
        return ""
    return hashlib.sha1("\0".join(names).encode()).hexdigest()


def _skipped(folder: str) -> bool:
    return folder.startswith(".") or folder == "__pycache__"


def _watch_list(code: CodeInfo) -> list[str] | None:
    """The paths whose change would change the capture; ``None``: too many to watch."""
    if code.root is None:
        return []
    root = code.root
    if code.commit or code.repository or code.diff or (root / ".git").exists():
        return _git_watch_list(root)
    return _folder_watch_list(root)


def _folder_watch_list(root: Path) -> list[str] | None:
    """Outside git: the folder's Python files and subfolders (what the import scan reads).

    Folders end with a separator: they are compared by listing, not by time.
    """
    paths: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not _skipped(d)]
        paths.append(os.path.join(folder, ""))
        paths += [os.path.join(folder, f) for f in files if f.endswith(".py")]
        if len(paths) > MAX_WATCHED:
            return None
    return paths


def _git_watch_list(root: Path) -> list[str] | None:
    exe = shutil.which("git")
    if exe is None:
        return None
    dirs = _git(exe, root, "rev-parse", "--absolute-git-dir", "--git-common-dir", split="\n")
    files = _git(exe, root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    ignored = _git(
        exe, root, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"
    )
    if dirs is None or len(dirs) < 2 or files is None or ignored is None:
        return None
    if len(files) > MAX_WATCHED:
        return None
    git_dir = Path(dirs[0])
    common = (root / dirs[1]).resolve() if not Path(dirs[1]).is_absolute() else Path(dirs[1])
    paths = [str(root / f) for f in files]
    paths += _git_meta(git_dir, common)
    skip = {str(root / d.rstrip("/")) for d in ignored if d.endswith("/")}
    skip.add(str(root / ".git"))
    for folder, subdirs, _ in os.walk(root):
        paths.append(folder)
        subdirs[:] = [d for d in subdirs if os.path.join(folder, d) not in skip]
        if len(paths) > MAX_WATCHED:
            return None
    return paths


def _git_meta(git_dir: Path, common: Path) -> list[str]:
    paths = [git_dir / "HEAD", git_dir / "index", common / "packed-refs", common / "config"]
    paths.append(common / "info" / "exclude")
    try:
        head = (git_dir / "HEAD").read_text().strip()
    except OSError:
        head = ""
    if head.startswith("ref: "):
        paths.append(common / head[len("ref: ") :])
    return [str(p) for p in paths]


def _git(exe: str, cwd: Path, *args: str, split: str = "\0") -> list[str] | None:
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    try:
        proc = subprocess.run(
            [exe, *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return [p for p in proc.stdout.decode("utf-8", errors="replace").split(split) if p]
