"""What the SDK remembers on this machine: the last task of each (project, name), and
the ``[sdk]`` section of the client config (``output_uri``).

Kept in ``~/.corral/sdk-state.json``; a broken or missing file is treated as empty.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from corral.client.config import config_path, read_file

#: remembered (project, name) pairs; the oldest are forgotten first
KEEP = 200


def _state_file() -> Path:
    return Path.home() / ".corral" / "sdk-state.json"


def _read() -> dict[str, Any]:
    try:
        data = json.loads(_state_file().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def last_task(project: str, name: str) -> str | None:
    entry = _read().get("last_tasks", {}).get(f"{project}\n{name}")
    return entry if isinstance(entry, str) else None


def remember_task(project: str, name: str, task_id: str) -> None:
    try:
        data = _read()
        tasks = data.get("last_tasks", {})
        tasks.pop(f"{project}\n{name}", None)
        tasks[f"{project}\n{name}"] = task_id
        data["last_tasks"] = dict(list(tasks.items())[-KEEP:])
        path = _state_file()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home: reuse_last_task_id just never finds a task


def default_output_uri() -> str | None:
    """``[sdk] output_uri`` of the client config, or ``CORRAL_OUTPUT_URI``."""
    env = os.environ.get("CORRAL_OUTPUT_URI")
    if env:
        return env
    try:
        value = read_file(config_path()).get("sdk", {}).get("output_uri")
    except (OSError, ValueError):
        return None
    return str(value) if value else None
