"""Connecting parameters and configuration objects to a task (``Task.connect...``).

Locally, the code's values are recorded on the task. When an agent runs the task
(``CORRAL_TASK_ID``), the values stored on it - perhaps edited in the UI - replace the
code's in place, each cast back to the type of the code's value.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from corral.sdk import params as P
from corral.sdk.handle import RunHandle


def connect(handle: RunHandle, mutable: Any, name: str | None) -> Any:
    """Track a dict, an object's attributes or an argparse namespace (see ``Task.connect``)."""
    if isinstance(mutable, argparse.Namespace):
        section = name or "Args"
        values = vars(mutable)
    elif isinstance(mutable, Mapping):
        section = name or "General"
        values = dict(mutable)
    else:
        section = (
            name or type(mutable).__name__
            if not isinstance(mutable, type)
            else (name or mutable.__name__)
        )
        values = P.object_params(mutable)
    stored = (handle.data.get("hyperparams") or {}).get(section) if handle.remote else None
    if stored:
        flat_stored = P.unflatten(stored)
        for key, original in values.items():
            if key in flat_stored:
                new = _merge_typed(flat_stored[key], original)
                values[key] = new
                _assign(mutable, key, new)
    handle.set_section(section, P.flatten(values))
    return mutable


def connect_configuration(
    handle: RunHandle, configuration: Any, name: str, description: str
) -> Any:
    """Track a configuration file or dict (see ``Task.connect_configuration``)."""
    stored = (handle.data.get("configuration") or {}).get(name) if handle.run else None
    remote = handle.remote and stored is not None
    if isinstance(configuration, Mapping):
        if remote and stored is not None:
            loaded = json.loads(stored["value"])
            if isinstance(configuration, dict):
                configuration.clear()
                configuration.update(loaded)
                return configuration
            return loaded
        item = {"type": "json", "value": json.dumps(P.to_json_value(configuration), indent=2)}
    else:
        path = Path(configuration)
        if remote and stored is not None:
            target = handle.scratch_dir() / f"config-{path.name}"
            target.write_text(stored["value"], encoding="utf-8")
            return target if isinstance(configuration, Path) else str(target)
        kind = path.suffix.lstrip(".").lower() or "text"
        item = {"type": kind, "value": path.read_text(encoding="utf-8")}
    item["description"] = description
    handle.data.setdefault("configuration", {})[name] = item
    handle.request("PATCH", f"tasks/{handle.id}/configuration", {"configuration": {name: item}})
    return configuration


def set_parameters(handle: RunHandle, flat: Mapping[str, Any], description: str = "") -> None:
    """Set ``{"Section/name": value}`` parameters (a name without a section goes to General)."""
    by_section: dict[str, dict[str, Any]] = {}
    for full, value in flat.items():
        section, _, key = full.partition("/") if "/" in full else ("General", "", full)
        param = {"value": P.to_json_value(value), "type": P.type_name(value)}
        if description:
            param["description"] = description
        by_section.setdefault(section, {})[key] = param
    for section, values in by_section.items():
        handle.set_section(section, values)


def _merge_typed(stored: Any, original: Any) -> Any:
    if isinstance(stored, dict) and isinstance(original, Mapping):
        merged = dict(original)
        for key, value in stored.items():
            merged[key] = _merge_typed(value, original.get(key))
        return merged
    return P.like(stored, original)


def _assign(target: Any, key: str, value: Any) -> None:
    if isinstance(target, argparse.Namespace) or not isinstance(target, Mapping):
        try:
            setattr(target, key, value)
        except (AttributeError, TypeError):
            pass
    elif isinstance(target, dict):
        target[key] = value
