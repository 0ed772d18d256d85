"""Capture what is needed to run the user's code again: entry point, git state or code.

Three ways a program starts, each captured differently:

* a script (``python train.py``) or a module (``python -m pkg.train``): with git, the
  repository, commit and diff plus the entry point relative to the repository root;
  without git, the script's text;
* a notebook kernel: the notebook converted to a Python script (or the executed
  cells when the file is unknown), with git facts when the notebook is in a repo;
* the REPL or ``python -c``: no file, so no code.

:func:`capture_code` never raises: a failure leaves the fields it could not fill
empty.
"""

from __future__ import annotations

import logging
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

from corral.sdk.capture.git import GitInfo, capture_git
from corral.sdk.capture.notebook import (
    history_code,
    notebook_code,
    notebook_path,
    running_in_notebook,
    user_namespace,
)

log = logging.getLogger("corral.sdk.capture")

#: the script text kept when there is no git is cut beyond this
MAX_CODE = 1024 * 1024
TRUNCATED_MARKER = "# corral: code truncated (over 1 MiB)\n"
#: entry point of a notebook whose file could not be found
HISTORY_ENTRY_POINT = "notebook.py"


@dataclass
class CodeInfo:
    """The code of a task, in the shape of the hub's task ``script``.

    Attributes:
        repository: git remote URL (no credentials), ``""`` without git.
        branch: git branch, ``""`` when detached or without git.
        commit: git commit sha.
        diff: uncommitted changes, a patch for ``git apply``.
        entry_point: the script relative to ``root`` (posix), or ``"-m pkg.mod"``.
        working_dir: the cwd relative to ``root`` (``"."`` when equal).
        code: the script text when git cannot reproduce it (no git, notebooks).
        python: the interpreter version, e.g. ``"3.11.7"``.
        notebook_path: the notebook file, when running in a notebook.
        root: the repository root, or the script's folder without git.
    """

    repository: str = ""
    branch: str = ""
    commit: str = ""
    diff: str = ""
    entry_point: str = ""
    working_dir: str = ""
    code: str = ""
    python: str = ""
    notebook_path: Path | None = None
    root: Path | None = None

    def to_script(self) -> dict[str, str]:
        """The fields of the hub's task ``script``.

        Example:
            >>> CodeInfo(entry_point="train.py").to_script()["entry_point"]
            'train.py'
        """
        return {
            "repository": self.repository,
            "branch": self.branch,
            "commit": self.commit,
            "diff": self.diff,
            "entry_point": self.entry_point,
            "working_dir": self.working_dir,
            "code": self.code,
            "python": self.python,
        }


def capture_code(argv0: str | None = None) -> CodeInfo:
    """Capture the code of the running program.

    Args:
        argv0: the entry script; ``sys.argv[0]`` by default.

    Returns:
        What could be captured; never raises.

    Example:
        >>> info = capture_code()  # doctest: +SKIP
        >>> info.entry_point, info.commit
        ('train.py', '3f2c...')
    """
    info = CodeInfo(python=platform.python_version())
    try:
        if running_in_notebook():
            _capture_notebook(info)
        else:
            _capture_program(info, argv0)
    except Exception as e:  # never raise into the user's program
        log.debug("code capture failed: %s", e, exc_info=True)
    return info


def _cwd() -> Path | None:
    try:
        return Path.cwd().resolve()
    except OSError:  # the cwd was deleted
        return None


def _relative(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _apply_git(info: CodeInfo, git: GitInfo) -> None:
    info.repository, info.branch, info.commit = git.repository, git.branch, git.commit
    info.diff = git.diff
    info.root = git.root
    cwd = _cwd()
    if cwd is None:
        info.working_dir = "."
    else:
        info.working_dir = _relative(cwd, git.root) or str(cwd)


def _read_code(path: Path) -> str:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_CODE + 1)
    except OSError as e:
        log.debug("cannot read %s: %s", path, e)
        return ""
    if len(data) <= MAX_CODE:
        return data.decode("utf-8", errors="replace")
    head = data[:MAX_CODE]
    cut = head.rfind(b"\n")
    head = head[: cut + 1] if cut > 0 else head
    return head.decode("utf-8", errors="ignore") + TRUNCATED_MARKER


def _module_entry(argv0: str | None) -> tuple[str, Path] | None:
    """``("pkg.mod", file)`` when started with ``python -m pkg.mod``."""
    if argv0 is not None:
        return None  # an explicit script wins
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    name = getattr(spec, "name", None)
    origin = getattr(spec, "origin", None) or getattr(main, "__file__", None)
    if not name or not origin or name == "__main__":
        return None
    path = Path(origin)
    return (name, path) if path.is_file() else None


def _ipython_terminal(module: str | None, path: Path | None) -> bool:
    """Whether the program is a terminal IPython session (``ipython``, ``python -m IPython``)."""
    if user_namespace() is None:
        return False
    if module is not None and module.split(".")[0] == "IPython":
        return True
    return path is not None and (path.stem.lower().startswith("ipython") or "IPython" in path.parts)


def _capture_program(info: CodeInfo, argv0: str | None) -> None:
    module = _module_entry(argv0)
    arg = argv0 if argv0 is not None else (sys.argv[0] if sys.argv else "")
    path = Path(arg) if arg and arg not in ("-c", "-") else None
    if argv0 is None and _ipython_terminal(module[0] if module else None, path):
        module, path = None, None
    if module is not None:
        name, script = module
        script = script.resolve()
        # ``pkg.mod`` lives in <folder>/pkg/mod.py, ``pkg.__main__`` in <folder>/pkg/
        folder = script.parents[name.count(".")]
        entry = f"-m {name.removesuffix('.__main__')}"
    elif path is None or not path.is_file():
        # REPL, terminal IPython, ``python -c`` or stdin: there is no file to keep
        cwd = _cwd()
        git = capture_git(cwd) if cwd is not None else None
        if git is not None:
            _apply_git(info, git)
        else:
            info.working_dir, info.root = ".", cwd
        return
    else:
        script = path.resolve()
        folder = script.parent
        entry = ""
    git = capture_git(script)
    if git is not None:
        _apply_git(info, git)
        info.entry_point = entry or _relative(script, git.root) or script.name
        if not git.repository and not entry:
            # a repository no one else can clone: keep the script so an agent can run it
            info.code = _read_code(script)
        return
    info.code = _read_code(script)
    info.entry_point = entry or script.name
    info.working_dir = "."
    info.root = folder


def _capture_notebook(info: CodeInfo) -> None:
    path = notebook_path()
    info.notebook_path = path
    info.code = (notebook_code(path) if path is not None else "") or history_code()
    start = path if path is not None else _cwd()
    git = capture_git(start) if start is not None else None
    if git is not None:
        _apply_git(info, git)
    else:
        info.working_dir = "."
        info.root = path.parent if path is not None else _cwd()
    if path is None:
        info.entry_point = HISTORY_ENTRY_POINT
        return
    relative = _relative(path, git.root) if git is not None else None
    info.entry_point = str(Path(relative or path.name).with_suffix(".py").as_posix())
