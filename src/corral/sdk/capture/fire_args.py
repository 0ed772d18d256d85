"""Python Fire: the command and its arguments as the ``Args`` section, re-run with them.

Two functions of ``fire.core`` are wrapped when Fire is imported: ``_Fire`` (one per
``fire.Fire(...)`` call, with the component and the command line less Fire's own flags)
and ``_CallAndUpdateTrace`` (each call Fire makes: a class instantiated, a function or
method called), whose arguments are parsed with Fire's own parser and recorded.

The rows follow ClearML's layout:

* ``fire.Fire(fn)``: one row per argument, ``Args/<arg>``;
* a dict, class, object or ``fire.Fire()``: a row ``Args/<command>`` of type
  ``fire.Command`` per command (``True`` for the one that ran; nested groups joined with
  ``.``, e.g. ``ingestion.run``), the command's arguments as ``Args/<command>/<arg>``
  (defaults for commands that did not run), and the arguments of the class itself
  (its constructor) as ``Args/<arg>``. ``*args`` is the row ``Args/<command>/*<name>``.

Fire's flags (``-- --help``, ``--trace``...) are not recorded. Under an agent
(``CORRAL_TASK_ID``), ``_Fire`` gets the command line built from the stored rows - the
selected command's path, then every value as ``--name=<Python literal>`` - so Fire
parses it as a typed command line and the stored types survive.
"""

from __future__ import annotations

import inspect
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from corral.sdk.capture import cli_state
from corral.sdk.params import cast, to_json_value, type_name

#: the type of a command row (ClearML's name): ``True`` runs that command
COMMAND_TYPE = "fire.Command"
#: more commands than this in one component are not listed
MAX_COMMANDS = 200
_SIMPLE = {int: "int", float: "float", str: "str", bool: "bool", list: "list", dict: "dict"}


@dataclass
class _Invocation:
    #: command -> [(argument, default, type name)] for each command of the component
    commands: dict[str, list[tuple[str, Any, str]]] = field(default_factory=dict)
    #: (command path, {argument: value}) for each call Fire made, in order
    steps: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


_lock = threading.Lock()
_originals: dict[str, Any] = {}
_current: _Invocation | None = None


def install() -> None:
    """Wrap ``fire.core._Fire`` and ``fire.core._CallAndUpdateTrace`` (idempotent)."""
    core = sys.modules.get("fire.core")
    if core is None:
        return
    with _lock:
        if _originals:
            return
        for name, wrapper in (("_Fire", _fire), ("_CallAndUpdateTrace", _call)):
            _originals[name] = getattr(core, name)
            setattr(core, name, wrapper)


def uninstall() -> None:
    core = sys.modules.get("fire.core")
    with _lock:
        if core is not None:
            for name, original in _originals.items():
                setattr(core, name, original)
        _originals.clear()


def attached() -> None:
    """A task was attached: report the invocation so far (``Task.init`` inside a command)."""
    _report()


def _fire(component: Any, args: Any, *rest: Any, **kwargs: Any) -> Any:
    global _current
    context = rest[1] if len(rest) > 1 else kwargs.get("context", {})
    invocation = _Invocation()
    try:
        invocation.commands = _listing(component if component is not None else context, context)
    except Exception:
        pass
    with _lock:
        _current = invocation
    stored = _stored_args()
    if stored:
        args = command_line(stored)  # a bad stored row raises ValueError
    _report()
    return _originals["_Fire"](component, args, *rest, **kwargs)


def _call(component: Any, args: Any, component_trace: Any, *rest: Any, **kwargs: Any) -> Any:
    try:
        treatment = kwargs.get("treatment", rest[0] if rest else "class")
        path = _trace_path(component_trace)
        values = _parsed(component, list(args), treatment)
        with _lock:
            if _current is not None:
                _current.steps.append((path, values))
        _report()
    except Exception:  # Fire raises its own error for arguments it cannot parse
        pass
    return _originals["_CallAndUpdateTrace"](component, args, component_trace, *rest, **kwargs)


def _trace_path(component_trace: Any) -> str:
    """The members Fire accessed so far (``ingestion.run``), from its trace."""
    import fire.trace

    names = [
        str(element._target)
        for element in component_trace.elements
        if getattr(element, "_action", None) == fire.trace.ACCESSED_PROPERTY
    ]
    return ".".join(names)


def _parsed(component: Any, args: list[str], treatment: str) -> dict[str, Any]:
    """The values Fire will call ``component`` with, by argument name (``*args`` as a list)."""
    import fire.core
    import fire.decorators
    import fire.inspectutils

    fn = component.__call__ if treatment == "callable" else component
    metadata = fire.decorators.GetMetadata(component)
    (positional, keywords), *_ = fire.core._MakeParseFn(fn, metadata)(args)
    spec = fire.inspectutils.GetFullArgSpec(fn)
    values: dict[str, Any] = dict(zip(spec.args, positional, strict=False))
    if spec.varargs:
        values["*" + spec.varargs] = list(positional[len(spec.args) :])
    values.update(keywords)
    return values


def _listing(component: Any, context: Any) -> dict[str, list[tuple[str, Any, str]]]:
    """The commands of a multi-command component, with their arguments."""
    if inspect.isroutine(component) or inspect.ismodule(component):
        return {}
    found: list[tuple[str, Any, bool]] = []  # (name, routine, drop its first parameter)
    if isinstance(component, dict):
        module = component.get("__name__") if component is context else None
        for name, value in component.items():
            if not isinstance(name, str) or name.startswith("_") or not inspect.isroutine(value):
                continue
            if module is not None and getattr(value, "__module__", None) != module:
                continue  # fire.Fire(): only the script's own functions, not its imports
            found.append((name, value, False))
    else:
        owner = component if inspect.isclass(component) else type(component)
        for name in dir(owner):
            if name.startswith("_"):
                continue
            raw = inspect.getattr_static(owner, name, None)
            if isinstance(raw, (staticmethod, classmethod)) or inspect.isfunction(raw):
                member = getattr(component, name)
                if getattr(member, "__module__", None) != owner.__module__:
                    continue  # inherited from a library's base class: not the script's command
                unbound = inspect.isclass(component) and inspect.isfunction(raw)
                found.append((name, member, unbound))
    return {name: _arguments(fn, drop) for name, fn, drop in found[:MAX_COMMANDS]}


def _arguments(fn: Any, drop_first: bool) -> list[tuple[str, Any, str]]:
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return []
    out: list[tuple[str, Any, str]] = []
    for p in parameters[1 if drop_first else 0 :]:
        if p.kind is p.VAR_KEYWORD:
            continue
        if p.kind is p.VAR_POSITIONAL:
            out.append(("*" + p.name, [], "list"))
            continue
        default = None if p.default is p.empty else p.default
        kind = _SIMPLE.get(p.annotation, "") if isinstance(p.annotation, type) else ""
        out.append((p.name, default, kind or (type_name(default) if default is not None else "")))
    return out


def _row(value: Any, kind: str = "", description: str = "") -> dict[str, Any]:
    return {
        "value": to_json_value(value),
        "type": kind or (type_name(value) if value is not None else ""),
        "description": description,
    }


def section(invocation: _Invocation) -> dict[str, dict[str, Any]]:
    """The ``Args`` rows of an invocation (see the module docstring)."""
    ran = next((path for path, _ in reversed(invocation.steps) if path), "")
    rows: dict[str, dict[str, Any]] = {}
    for command, arguments in invocation.commands.items():
        rows[command] = _row(command == ran, COMMAND_TYPE, "Fire command (True runs it)")
        for name, default, kind in arguments:
            rows[f"{command}/{name}"] = _row(default, kind)
    for path, values in invocation.steps:
        if path and path != ran:  # reported as the command before Fire went further
            rows[path] = _row(False, COMMAND_TYPE, "Fire command (True runs it)")
        for name, value in values.items():
            rows[f"{path}/{name}" if path else name] = _row(value)
    if ran:
        rows[ran] = _row(True, COMMAND_TYPE, "Fire command (True runs it)")
    return rows


def _report() -> None:
    if cli_state.handle() is None:
        return
    with _lock:
        invocation = _current
        if invocation is None:
            return
        rows = section(invocation)
    cli_state.report_section(cli_state.ARGS, rows)


# --- the stored values as a command line (under an agent) -------------------------------------


def _stored_args() -> dict[str, dict[str, Any]] | None:
    try:
        return cli_state.stored_section(cli_state.ARGS)
    except Exception:
        return None


def command_line(stored: dict[str, dict[str, Any]]) -> list[str]:
    """The Fire command line that runs the stored command with the stored values.

    Raises:
        ValueError: the rows select more than one command.
    """
    values = {name: cast(p.get("value"), p.get("type", "")) for name, p in stored.items()}
    commands = {name for name, p in stored.items() if p.get("type") == COMMAND_TYPE}
    chosen = sorted(name for name in commands if cli_state.truthy(values[name]))
    if len(chosen) > 1:
        rows = ", ".join(f"{cli_state.ARGS}/{name}" for name in chosen)
        raise ValueError(
            f"the task's parameters select several Fire commands ({rows}): set exactly one "
            f"of them to True and the others to False"
        )
    path = chosen[0] if chosen else ""
    parts = path.split(".") if path else []
    prefixes = {""} | {".".join(parts[: i + 1]) for i in range(len(parts))}
    positional: list[str] = []
    flags: list[str] = []
    for name, value in values.items():
        if name in commands:
            continue
        prefix, _, arg = name.rpartition("/")
        if prefix not in prefixes:
            continue  # an argument of another command
        if arg.startswith("*"):
            if prefix == path and value:
                positional += [_literal(v) for v in (value if isinstance(value, list) else [value])]
        elif value is not None:
            flags.append(f"--{arg}={_literal(value)}")
    return [*parts, *positional, *flags]


def _literal(value: Any) -> str:
    """A value as Fire reads it back with the same type (a Python literal)."""
    return repr(value)
