"""argparse: each top-level parse becomes the ``Args`` section.

``argparse.ArgumentParser.parse_known_args`` is wrapped as soon as ``corral.Task`` is
imported, so that a script that parses its arguments before ``Task.init`` is captured
too. When a task is attached, recorded and future parses are reported to it, and - when
an agent runs the task - the parsed namespace is overwritten in place with the stored
values, cast to each argument's type: what was edited in the UI is what the script sees.

Parses made by Fire and Hydra for their own flags are not the script's arguments: they
are left alone (those frameworks have captures of their own).
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from corral.sdk.capture import cli_state
from corral.sdk.params import cast, to_json_value, type_name

#: packages whose own argparse parsers are not the script's arguments
FRAMEWORKS = ("fire", "hydra")

_lock = threading.Lock()
_depth = threading.local()
_original_parse: Any = None
_recorded: list[tuple[argparse.ArgumentParser, argparse.Namespace]] = []


def install() -> None:
    """Wrap ``parse_known_args`` (idempotent)."""
    global _original_parse
    with _lock:
        if _original_parse is not None:
            return
        _original_parse = argparse.ArgumentParser.parse_known_args
        argparse.ArgumentParser.parse_known_args = _parse_known_args  # type: ignore[method-assign]


def uninstall() -> None:
    global _original_parse
    with _lock:
        if _original_parse is not None:
            argparse.ArgumentParser.parse_known_args = _original_parse  # type: ignore[method-assign]
            _original_parse = None


def attached() -> None:
    """A task was attached: report (and, under an agent, override) the earlier parses."""
    with _lock:
        earlier = list(_recorded)
    for parser, namespace in earlier:
        _handle(parser, namespace)


def _parse_known_args(
    self: argparse.ArgumentParser, args: Any = None, namespace: Any = None
) -> Any:
    depth = getattr(_depth, "n", 0)
    _depth.n = depth + 1
    try:
        result = _original_parse(self, args, namespace)
    finally:
        _depth.n = depth
    if depth == 0:  # subparsers parse inside their parent: record the whole result once
        try:
            if not _called_by_framework():
                with _lock:
                    _recorded.append((self, result[0]))
                _handle(self, result[0])
        except Exception:  # capture must never break the user's parsing
            pass
    return result


def _called_by_framework() -> bool:
    """Whether the parse was asked for by Fire's or Hydra's own code (their flags)."""
    frame = sys._getframe(2)  # the caller of the wrapper (argparse's parse_args, or user code)
    while frame is not None and frame.f_globals.get("__name__") == "argparse":
        frame = frame.f_back  # type: ignore[assignment]
    module = str(frame.f_globals.get("__name__") or "") if frame is not None else ""
    return module.split(".")[0] in FRAMEWORKS


def _handle(parser: argparse.ArgumentParser, namespace: argparse.Namespace) -> None:
    if cli_state.handle() is None:
        return
    declared = _declared_types(parser)
    stored = cli_state.stored_section(cli_state.ARGS) if cli_state.stored_task() else None
    for dest, param in (stored or {}).items():
        if hasattr(namespace, dest):
            value = cast(param.get("value"), param.get("type", ""))
            setattr(namespace, dest, _typed(value, declared.get(dest), getattr(namespace, dest)))
    section: dict[str, dict[str, Any]] = {}
    for dest, value in vars(namespace).items():
        section[dest] = {
            "value": to_json_value(value),
            "type": declared.get(dest) or type_name(value),
            "description": _help(parser, dest),
        }
    cli_state.report_section(cli_state.ARGS, section)


def _typed(value: Any, declared: str | None, current: Any) -> Any:
    if declared:
        return cast(value, declared)
    if current is not None and value is not None and type(current) is not type(value):
        return cast(value, type_name(current))
    return value


def _actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    found = list(parser._actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found.extend(_actions(sub))
    return found


def _declared_types(parser: argparse.ArgumentParser) -> dict[str, str]:
    """dest -> declared type name: ``bool`` for flags, ``list`` for nargs, else ``type=``."""
    out: dict[str, str] = {}
    for action in _actions(parser):
        if action.dest in (argparse.SUPPRESS, "help"):
            continue
        if isinstance(
            action,
            (argparse._StoreTrueAction, argparse._StoreFalseAction, argparse.BooleanOptionalAction),
        ):
            out[action.dest] = "bool"
        elif isinstance(action, (argparse._AppendAction, argparse._ExtendAction)) or (
            action.nargs not in (None, "?", argparse.SUPPRESS) and action.nargs != 1
        ):
            out[action.dest] = "list"
        elif isinstance(action, argparse._CountAction):
            out[action.dest] = "int"
        elif isinstance(action.type, type) and action.type in (int, float, str):
            out[action.dest] = action.type.__name__
    return out


def _help(parser: argparse.ArgumentParser, dest: str) -> str:
    for action in _actions(parser):
        if action.dest == dest and action.help and action.help != argparse.SUPPRESS:
            return str(action.help)[:4096]
    return ""
