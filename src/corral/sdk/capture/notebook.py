"""Capture the code of a Jupyter notebook as a plain Python script.

When ``Task.init`` runs inside an IPython kernel there is no script file: the code
is the notebook's, converted to a ``# %%``-separated Python file (the "percent"
format editors understand). IPython syntax that is not Python (magics, shell
escapes) is commented out so the script compiles. When the notebook file cannot be
found, the cells executed so far are taken from the kernel's input history.

IPython is never imported here: when it is not already loaded, we are not in a
kernel.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger("corral.sdk.capture")

CELL_MARKER = "# %%"
MARKDOWN_MARKER = "# %% [markdown]"
# ``files = !ls`` and ``t = %timeit f()``: an assignment from a magic or shell escape
_ASSIGNED_MAGIC = re.compile(r"^\s*[\w.,\s]+=\s*[!%]")


def _shell() -> Any:
    """The running IPython shell, or ``None`` (without importing IPython)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    get_ipython = getattr(ipython, "get_ipython", None)
    if get_ipython is None:
        return None
    try:
        return get_ipython()
    except Exception:
        return None


def user_namespace() -> dict[str, Any] | None:
    """The user namespace of the running IPython shell, or ``None`` outside IPython."""
    ns = getattr(_shell(), "user_ns", None)
    return ns if isinstance(ns, dict) else None


def running_in_notebook() -> bool:
    """Whether this code runs in a notebook kernel (Jupyter, VS Code, Colab...).

    A terminal IPython session is not a notebook: only a kernel shell
    (``ZMQInteractiveShell`` or a shell with a ``kernel``) counts.

    Example:
        >>> running_in_notebook()
        False
    """
    shell = _shell()
    if shell is None:
        return False
    if any(cls.__name__ == "ZMQInteractiveShell" for cls in type(shell).__mro__):
        return True
    return getattr(shell, "kernel", None) is not None


def _existing(value: object) -> Path | None:
    """``value`` as the path of an existing notebook, relative ones tried from the cwd."""
    if not isinstance(value, str) or not value.strip():
        return None
    path = Path(value.strip())
    if value.startswith("file://"):
        path = Path(value[len("file://") :])
    candidates = [path] if path.is_absolute() else [Path.cwd() / path, Path.cwd() / path.name]
    for candidate in candidates:
        if candidate.suffix == ".ipynb" and candidate.is_file():
            return candidate.resolve()
    return None


def notebook_path() -> Path | None:
    """Best-effort path of the running notebook file.

    Looks at ``JPY_SESSION_NAME`` (set by jupyter_server 2+), then the user
    namespace's ``__vsc_ipynb_file__`` (VS Code) and ``__session__`` (ipykernel).

    Returns:
        The absolute path of an existing ``.ipynb`` file, or ``None``.
    """
    try:
        found = _existing(os.environ.get("JPY_SESSION_NAME"))
        if found is not None:
            return found
        ns = user_namespace() or {}
        for name in ("__vsc_ipynb_file__", "__session__"):
            found = _existing(ns.get(name))
            if found is not None:
                return found
    except Exception as e:
        log.debug("notebook path lookup failed: %s", e)
    return None


def comment_magics(source: str) -> str:
    """Comment out IPython-only lines so that ``source`` is plain Python.

    A cell magic (``%%bash``...) comments the whole cell; line magics, shell escapes
    and assignments from them (``x = !ls``) comment their own line.

    Example:
        >>> comment_magics("%matplotlib inline\\nx = 1")
        '# %matplotlib inline\\nx = 1'
    """
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return "\n".join(f"# {line}" if line else "#" for line in lines)
    out = []
    for line in lines:
        stripped = line.lstrip()
        if (
            stripped.startswith(("%", "!"))
            or stripped.startswith("get_ipython().")
            or _ASSIGNED_MAGIC.match(line)
        ):
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}# {stripped}")
        else:
            out.append(line)
    return "\n".join(out)


def _as_text(source: object) -> str:
    if isinstance(source, list):
        return "".join(str(s) for s in source)
    return source if isinstance(source, str) else ""


def _read_cells(path: Path) -> list[dict[str, Any]]:
    try:
        import nbformat
    except ImportError:
        data = json.loads(path.read_text(encoding="utf-8"))
        cells = data.get("cells", [])
        if not cells:  # nbformat 3 kept the cells in worksheets
            for sheet in data.get("worksheets", []):
                cells.extend(sheet.get("cells", []))
        return [c for c in cells if isinstance(c, dict)]
    nb = nbformat.read(str(path), as_version=4)
    return [dict(c) for c in nb.cells]


def notebook_code(path: Path) -> str:
    """The notebook at ``path`` as a Python script in the "percent" format.

    Code cells keep their order, each after a ``# %%`` line, with IPython magics and
    shell lines commented out; markdown and raw cells become comments.

    Args:
        path: an ``.ipynb`` file.

    Returns:
        The script text; ``""`` when the file cannot be read.

    Example:
        >>> print(notebook_code(Path("train.ipynb")))  # doctest: +SKIP
        # %%
        import numpy as np
    """
    try:
        cells = _read_cells(path)
    except Exception as e:
        log.debug("cannot read notebook %s: %s", path, e)
        return ""
    chunks = []
    for cell in cells:
        text = _as_text(cell.get("source", "")).rstrip()
        kind = cell.get("cell_type")
        if kind == "code":
            chunks.append(f"{CELL_MARKER}\n{comment_magics(text)}".rstrip())
        elif text:
            marker = MARKDOWN_MARKER if kind == "markdown" else f"{CELL_MARKER} [{kind}]"
            commented = "\n".join(f"# {line}" if line else "#" for line in text.splitlines())
            chunks.append(f"{marker}\n{commented}")
    return "\n\n".join(chunks) + "\n" if chunks else ""


def history_code() -> str:
    """The cells executed so far in this kernel, as a ``# %%``-separated script.

    Used when the notebook file is unknown. The raw input history is preferred (the
    cells as typed); ``In`` from the user namespace is the fallback.

    Returns:
        The script text; ``""`` outside IPython.
    """
    try:
        shell = _shell()
        history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
        if not isinstance(history, list):
            history = (user_namespace() or {}).get("In")
        if not isinstance(history, list):
            return ""
        chunks = [
            f"{CELL_MARKER}\n{comment_magics(cell.rstrip())}".rstrip()
            for cell in history
            if isinstance(cell, str) and cell.strip()
        ]
        return "\n\n".join(chunks) + "\n" if chunks else ""
    except Exception as e:
        log.debug("notebook history unavailable: %s", e)
        return ""
