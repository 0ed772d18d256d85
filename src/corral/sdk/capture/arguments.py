"""Command-line arguments as ``Args/...`` hyperparameters: argparse and click.

``argparse.ArgumentParser.parse_known_args`` is wrapped as soon as ``corral.Task`` is
imported (cheap: argparse is in the standard library), so that a script that parses
its arguments before ``Task.init`` is captured too. The wrapper records each top-level
parse. When a task is attached (:func:`attach`), recorded and future parses are
reported to it, and - when the task runs remotely with stored values - the parsed
namespace is overwritten in place with the stored values, cast to each argument's
type: what was edited in the UI is what the script sees.

click: ``Command.make_context`` is wrapped when ``corral.Task`` is imported (if click
is imported already) or at ``Task.init``; the current context's params are captured at
``Task.init`` (scripts call it inside the command). Under an agent
(``CORRAL_TASK_ID``), a parse before ``Task.init`` reads the stored ``Args`` from the hub
and replaces the parsed values before the command runs.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from corral.sdk.params import cast, to_json_value, type_name
from corral.sdk.session import hub_client

Report = Callable[[dict[str, dict[str, Any]]], None]

_lock = threading.Lock()
_depth = threading.local()
_original_parse: Any = None
_original_make_context: Any = None
_recorded: list[tuple[argparse.ArgumentParser, argparse.Namespace]] = []
_report: Report | None = None
_overrides: dict[str, Any] | None = None


def install() -> None:
    """Wrap argparse (and click, if imported); idempotent. Reporting starts once a task
    attaches."""
    global _original_parse
    _patch_click()
    with _lock:
        if _original_parse is not None:
            return
        _original_parse = argparse.ArgumentParser.parse_known_args
        argparse.ArgumentParser.parse_known_args = _parse_known_args  # type: ignore[method-assign]


def uninstall() -> None:
    global _original_parse, _original_make_context
    with _lock:
        if _original_parse is not None:
            argparse.ArgumentParser.parse_known_args = _original_parse  # type: ignore[method-assign]
            _original_parse = None
        if _original_make_context is not None:
            import click

            click.Command.make_context = _original_make_context  # type: ignore[method-assign]
            _original_make_context = None


def attach(report: Report, overrides: dict[str, Any] | None) -> None:
    """Report parses to ``report``; with ``overrides`` (stored ``Args`` values) apply them.

    Parses recorded before the call are reported (and overridden) now.
    """
    global _report, _overrides
    with _lock:
        _report, _overrides = report, overrides
        earlier = list(_recorded)
    for parser, namespace in earlier:
        _handle(parser, namespace)
    _attach_click()


def detach() -> None:
    global _report, _overrides
    with _lock:
        _report, _overrides = None, None


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
            with _lock:
                _recorded.append((self, result[0]))
            _handle(self, result[0])
        except Exception:  # capture must never break the user's parsing
            pass
    return result


def _handle(parser: argparse.ArgumentParser, namespace: argparse.Namespace) -> None:
    report, overrides = _report, _overrides
    if report is None:
        return
    declared = _declared_types(parser)
    if overrides:
        for dest, value in overrides.items():
            if hasattr(namespace, dest):
                current = getattr(namespace, dest)
                setattr(namespace, dest, _typed(value, declared.get(dest), current))
    section: dict[str, dict[str, Any]] = {}
    for dest, value in vars(namespace).items():
        section[dest] = {
            "value": to_json_value(value),
            "type": declared.get(dest) or type_name(value),
            "description": _help(parser, dest),
        }
    report(section)


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


# --- click --------------------------------------------------------------------------------


def _attach_click() -> None:
    click = sys.modules.get("click")
    if click is None:
        return
    _patch_click()
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        _handle_click(ctx)


def _patch_click() -> None:
    global _original_make_context
    click = sys.modules.get("click")
    if click is None:
        return
    with _lock:
        if _original_make_context is not None:
            return
        original = _original_make_context = click.Command.make_context

    @functools.wraps(original)
    def make_context(self: Any, *args: Any, **kwargs: Any) -> Any:
        ctx = original(self, *args, **kwargs)
        try:
            _handle_click(ctx, parsing=True)
        except Exception:
            pass
        return ctx

    click.Command.make_context = make_context


def _handle_click(ctx: Any, parsing: bool = False) -> None:
    report, overrides = _report, _overrides
    if overrides is None and report is None and parsing:
        # parsed before Task.init (which scripts call inside the command): under an agent
        # the stored values must replace the parsed ones now, before the command runs
        overrides = _stored_args_of_remote_task()
    if overrides:
        for name, value in overrides.items():
            if name in ctx.params:
                ctx.params[name] = _typed(value, None, ctx.params[name])
    if report is None:
        return
    section = {
        name: {"value": to_json_value(value), "type": type_name(value), "description": ""}
        for name, value in ctx.params.items()
    }
    report(section)


def _stored_args_of_remote_task() -> dict[str, Any] | None:
    task_id = os.environ.get("CORRAL_TASK_ID")
    if not task_id:
        return None
    try:
        section = hub_client().get(f"tasks/{task_id}/hyperparams").get("Args") or {}
    except Exception:
        return None
    return {name: cast(p.get("value"), p.get("type", "")) for name, p in section.items()}
