"""Connecting parameters and configuration objects to a task (``Task.connect...``).

Locally, the code's values are recorded on the task. When an agent runs the task
(``CORRAL_TASK_ID``), the values stored on it - perhaps edited in the UI - replace the
code's in place, each cast back to the type of the code's value. Either way the object
stays tracked afterwards: later changes by the script are recorded too
(``corral.sdk.tracked``).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from corral.sdk import params as P
from corral.sdk import tracked
from corral.sdk.handle import RunHandle
from corral.sdk.model import InputModel, OutputModel


def connect(
    handle: RunHandle, mutable: Any, name: str | None, ignore_remote_overrides: bool = False
) -> Any:
    """Track a dict, an object's attributes or an argparse namespace (see ``Task.connect``).

    The values are sent now, and the object stays tracked: what the script changes in it
    later reaches the task at the run's flush points (``corral.sdk.tracked``). An input
    model is recorded among the task's input models instead; an output model and an
    argument parser are returned as they are.
    """
    if isinstance(mutable, InputModel):
        handle.add_input_model(name or mutable.name, mutable.id)
        return mutable
    if isinstance(mutable, (OutputModel, argparse.ArgumentParser)):
        # an output model belongs to its task already; a parser's arguments are recorded
        # when it parses (the argparse capture)
        return mutable
    read: Callable[[], Mapping[str, Any]]
    if _is_task_parameters(mutable):
        section = name or "General"
        read = mutable.to_dict
    elif isinstance(mutable, argparse.Namespace):
        section = name or "Args"
        read = functools.partial(vars, mutable)
    elif isinstance(mutable, Mapping):
        section = name or "General"
        read = functools.partial(_itself, mutable)
    else:
        if isinstance(mutable, type):
            section = name or mutable.__name__
        else:
            section = name or type(mutable).__name__
        read = functools.partial(P.object_params, mutable)
    values = dict(read())
    remote = handle.remote and not ignore_remote_overrides
    stored = (handle.data.get("hyperparams") or {}).get(section) if remote else None
    if stored:
        flat_stored = P.unflatten(stored)
        for key, original in values.items():
            if key in flat_stored:
                new = _merge_typed(flat_stored[key], original)
                values[key] = new
                _assign(mutable, key, new)
    sent = P.flatten(values)
    publish = functools.partial(handle.set_section, section, _described(mutable, sent))
    tracker = tracked.tracker_for(handle)
    if tracker is None:
        publish()
    else:
        tracker.track(section, mutable, read, sent, publish)
    return mutable


def _described(mutable: Any, rows: P.Flat) -> P.Flat:
    """A parameter class's rows with the ``desc`` of each parameter as its description."""
    if not _is_task_parameters(mutable):
        return rows
    out = dict(rows)
    for field in getattr(type(mutable), "__attrs_attrs__", ()):
        desc = field.metadata.get("desc")
        if desc and field.name in out:
            out[field.name] = {**out[field.name], "description": str(desc)}
    return out


def _itself(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping


def _is_task_parameters(obj: Any) -> bool:
    # the module is imported only by scripts that use it: no attrs import for the others
    module = sys.modules.get("corral.sdk.task_parameters")
    return module is not None and isinstance(obj, module.TaskParameters)


def sync_connected(handle: RunHandle) -> None:
    """Bring the task's parameters up to date with the connected objects (a read follows)."""
    tracked.sync(handle)


def connect_configuration(
    handle: RunHandle,
    configuration: Any,
    name: str,
    description: str,
    ignore_remote_overrides: bool = False,
) -> Any:
    """Track a configuration file or dict (see ``Task.connect_configuration``)."""
    stored = (handle.data.get("configuration") or {}).get(name) if handle.run else None
    remote = handle.remote and stored is not None and not ignore_remote_overrides
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
        # a nested dict of the script is updated in place (it stays the object it holds)
        merged = original if isinstance(original, dict) else dict(original)
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
