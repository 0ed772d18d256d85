"""What the command-line captures share: the task they report to and its stored values.

Each parser capture (``argparse_args``, ``click_args``, ``fire_args``, ``hydra_args``)
records what it parsed, and reports it once a task is attached (``Task.init``). Under an
agent (``CORRAL_TASK_ID``), the values stored on the task - perhaps edited in the UI -
replace the command line's. Click, Fire and Hydra parse *before* a script's
``Task.init`` (it is usually called inside the command), so :func:`stored_task` reads
the stored values from the hub itself when no task is attached yet.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

from corral.sdk.handle import RunHandle
from corral.sdk.session import hub_client

log = logging.getLogger("corral.sdk")

#: the section of command-line arguments (argparse, click, Fire), as in ClearML
ARGS = "Args"

_lock = threading.Lock()
_handle: RunHandle | None = None
_stored: Mapping[str, Any] | None = None
_fetched: dict[str, Mapping[str, Any] | None] = {}


def attach(handle: RunHandle, remote: bool) -> None:
    """Report to ``handle``; with ``remote``, its stored values win over the command line's."""
    global _handle, _stored
    with _lock:
        _handle = handle
        _stored = handle.data if remote else None


def detach() -> None:
    global _handle, _stored
    with _lock:
        _handle, _stored = None, None


def handle() -> RunHandle | None:
    """The attached task, or ``None`` before ``Task.init`` (parses are kept until then)."""
    return _handle


def stored_task() -> Mapping[str, Any] | None:
    """The task as stored on the hub when an agent runs it (``hyperparams``, ``configuration``).

    ``None`` when the process runs locally. Before ``Task.init`` the task is read from the
    hub once (``CORRAL_TASK_ID``); a failure to read it is logged and counts as ``None``.
    """
    with _lock:
        if _handle is not None:
            return _stored
    task_id = os.environ.get("CORRAL_TASK_ID")
    if not task_id:
        return None
    with _lock:
        if task_id in _fetched:
            return _fetched[task_id]
    try:
        task: Mapping[str, Any] | None = hub_client().get(f"tasks/{task_id}")
    except Exception as e:
        log.warning(
            "corral: could not read the stored arguments of task %s (%s); the command "
            "line's values are used",
            task_id,
            e,
        )
        task = None
    with _lock:
        _fetched[task_id] = task
    return task


def stored_section(name: str) -> dict[str, dict[str, Any]] | None:
    """A stored hyperparameter section (``{name: {"value", "type", ...}}``) under an agent."""
    task = stored_task()
    if task is None:
        return None
    section = (task.get("hyperparams") or {}).get(name)
    return dict(section) if isinstance(section, Mapping) else None


def stored_configuration(name: str) -> str | None:
    """The text of a stored configuration object under an agent, or ``None``."""
    task = stored_task()
    if task is None:
        return None
    item = (task.get("configuration") or {}).get(name)
    return str(item.get("value") or "") if isinstance(item, Mapping) else None


def report_section(section: str, values: dict[str, dict[str, Any]]) -> bool:
    """Merge typed parameters into a section of the attached task; ``False`` when none is."""
    target = _handle
    if target is None:
        return False
    target.set_section(section, values)
    return True


def report_configuration(name: str, item: dict[str, Any]) -> bool:
    """Set a configuration object (``{"type", "value", "description"}``) of the attached task."""
    target = _handle
    if target is None:
        return False
    target.data.setdefault("configuration", {})[name] = item
    target.request("PATCH", f"tasks/{target.id}/configuration", {"configuration": {name: item}})
    return True


def truthy(value: Any) -> bool:
    """A stored flag as a bool: ``True``, ``"true"``, ``"1"``, ``"yes"``... (the UI may send text)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)
