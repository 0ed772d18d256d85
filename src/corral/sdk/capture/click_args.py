"""click: commands and groups as the ``Args`` section, and re-run with the stored values.

``click.Command.make_context`` is wrapped when click is imported. Each context it makes
is recorded; with a task attached the whole ``Args`` section is reported again:

* a single command: one row per parameter, ``Args/<param>`` (as argparse's);
* a group: the group's parameters as ``Args/<group>/<param>``, and for every command
  below it (nested groups joined with ``.``, e.g. ``db.migrate``) a row ``Args/<command>``
  of type ``click.Command`` - ``True`` for the command that ran - and its parameters as
  ``Args/<command>/<param>`` (their defaults when it did not run). This is ClearML's
  layout.

Under an agent (``CORRAL_TASK_ID``), when the outermost context is made, its arguments
are replaced by a command line built from the stored rows: the group's options, the
selected command's name, its options... so click itself parses, converts, validates and
calls back exactly as for a typed command line, and prompts find their values given.
Options with ``hide_input`` (passwords) are never recorded.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
from collections.abc import Iterator
from typing import Any

from corral.sdk.capture import cli_state
from corral.sdk.params import cast, to_json_value, type_name

log = logging.getLogger("corral.sdk")

#: the type of a command row (ClearML's name): ``True`` runs that command
COMMAND_TYPE = "click.Command"
#: more commands than this below a group are not listed (a generated CLI could have many)
MAX_COMMANDS = 200

_lock = threading.Lock()
_original_make_context: Any = None
#: the outermost command of the latest invocation, and its contexts by command path
_root: Any = None
_contexts: dict[tuple[str, ...], Any] = {}


def install() -> None:
    """Wrap ``click.Command.make_context`` if click is imported (idempotent)."""
    global _original_make_context
    click = sys.modules.get("click")
    if click is None:
        return
    with _lock:
        if _original_make_context is not None:
            return
        original = _original_make_context = click.Command.make_context

    @functools.wraps(original)
    def make_context(self: Any, info_name: Any, args: Any, parent: Any = None, **extra: Any) -> Any:
        if parent is None:
            args = _stored_command_line(self, args)  # a bad stored row raises ValueError
        ctx = original(self, info_name, args, parent=parent, **extra)
        try:
            _record(ctx)
        except Exception:  # capture must never break the user's command
            pass
        return ctx

    click.Command.make_context = make_context


def uninstall() -> None:
    global _original_make_context
    with _lock:
        if _original_make_context is not None:
            import click

            click.Command.make_context = _original_make_context  # type: ignore[method-assign]
            _original_make_context = None


def attached() -> None:
    """A task was attached: report what was parsed so far (``Task.init`` inside a command)."""
    if _root is not None:
        _report()


# --- recording -------------------------------------------------------------------------------


def _path(ctx: Any) -> tuple[tuple[str, ...], Any]:
    """(the command path below the outermost command, the outermost context)."""
    names: list[str] = []
    while ctx.parent is not None:
        names.append(str(ctx.info_name or ctx.command.name))
        ctx = ctx.parent
    return tuple(reversed(names)), ctx


def _record(ctx: Any) -> None:
    global _root
    path, top = _path(ctx)
    with _lock:
        if not path:
            _root = ctx.command
            _contexts.clear()
        elif top.command is not _root:
            return
        _contexts[path] = ctx
    _report()


def _report() -> None:
    if cli_state.handle() is None:
        return
    with _lock:
        root, contexts = _root, dict(_contexts)
    if root is not None:
        cli_state.report_section(cli_state.ARGS, section(root, contexts))


def section(root: Any, contexts: dict[tuple[str, ...], Any]) -> dict[str, dict[str, Any]]:
    """The ``Args`` rows of an invocation of ``root`` (see the module docstring)."""
    import click

    if not isinstance(root, click.Group):
        return _param_rows(root, contexts.get(()), "")
    invoked = _invoked(contexts)
    rows: dict[str, dict[str, Any]] = {}
    for path, command in _commands(root, contexts.get(())):
        prefix = ".".join(path) if path else str(root.name)
        rows.update(_param_rows(command, contexts.get(path), prefix + "/"))
        if path and not isinstance(command, click.Group):
            rows[prefix] = {
                "value": path == invoked,
                "type": COMMAND_TYPE,
                "description": _short_help(command),
            }
    return rows


def _invoked(contexts: dict[tuple[str, ...], Any]) -> tuple[str, ...]:
    """The path of the command that runs: the deepest context, and its announced subcommand."""
    path = max(contexts, key=len, default=())
    sub = getattr(contexts.get(path), "invoked_subcommand", None)
    return (*path, sub) if sub and sub != "*" else path


def _commands(root: Any, ctx: Any) -> Iterator[tuple[tuple[str, ...], Any]]:
    """``(path, command)`` for ``root`` and every command below it, depth first."""
    import click

    seen = 0
    stack: list[tuple[tuple[str, ...], Any]] = [((), root)]
    while stack and seen < MAX_COMMANDS:
        path, command = stack.pop()
        seen += 1
        yield path, command
        if isinstance(command, click.Group):
            sub_ctx = ctx if ctx is not None and ctx.command is command else click.Context(command)
            names = command.list_commands(sub_ctx)
            for name in reversed(names):
                sub = command.get_command(sub_ctx, name)
                if sub is not None:
                    stack.append(((*path, name), sub))


def _find(root: Any, path: tuple[str, ...]) -> Any:
    import click

    command = root
    for name in path:
        if not isinstance(command, click.Group):
            return None
        command = command.get_command(click.Context(command), name)
        if command is None:
            return None
    return command


def _exposed(command: Any) -> list[Any]:
    import click

    return [
        p
        for p in command.params
        if p.expose_value
        and p.name
        and not (isinstance(p, click.Option) and (p.hide_input or p.name == "help"))
    ]


def _param_rows(command: Any, ctx: Any, prefix: str) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for param in _exposed(command):
        if ctx is not None and param.name in ctx.params:
            value = ctx.params[param.name]
        else:
            value = _default(command, param)
        rows[f"{prefix}{param.name}"] = {
            "value": to_json_value(value),
            "type": _type_of(param) or (type_name(value) if value is not None else ""),
            "description": str(getattr(param, "help", None) or "")[:4096],
        }
    return rows


def _default(command: Any, param: Any) -> Any:
    import click

    try:
        value = param.get_default(click.Context(command), call=False)
    except Exception:
        return None
    if callable(value) or value is getattr(click.core, "UNSET", object()):
        return None
    return value


def _type_of(param: Any) -> str:
    """The Python type name of a parameter's value, from its click type."""
    import click

    if getattr(param, "count", False):
        return "int"
    if getattr(param, "is_bool_flag", False):
        return "bool"
    if getattr(param, "multiple", False) or param.nargs != 1:
        return "list"
    kind = param.type
    if isinstance(kind, click.types.BoolParamType):
        return "bool"
    if isinstance(kind, click.types.IntParamType):
        return "int"
    if isinstance(kind, click.types.FloatParamType):
        return "float"
    if isinstance(kind, (click.types.StringParamType, click.Path, click.Choice)):
        return "str"
    return ""


def _short_help(command: Any) -> str:
    text = command.get_short_help_str(limit=200) if hasattr(command, "get_short_help_str") else ""
    return f"click command (True runs it){': ' + text if text else ''}"


# --- the stored values as a command line (under an agent) -------------------------------------


def _stored_command_line(root: Any, args: Any) -> Any:
    """``args``, or - under an agent with stored ``Args`` for ``root`` - the stored command line."""
    try:
        stored = cli_state.stored_section(cli_state.ARGS)
    except Exception:
        return args
    if not stored:
        return args
    try:
        built = command_line(root, stored)
    except ValueError:
        raise  # rows that select several commands: the user must fix them
    except Exception:  # a command tree this capture does not understand: parse as given
        log.debug("corral: could not build click's command line from the task", exc_info=True)
        return args
    return args if built is None else built


def command_line(root: Any, stored: dict[str, dict[str, Any]]) -> list[str] | None:
    """The command line that gives ``root`` the stored values; ``None`` if none are for it.

    Raises:
        ValueError: the rows select more than one command of a group.
    """
    import click

    values = {name: cast(p.get("value"), p.get("type", "")) for name, p in stored.items()}
    if not isinstance(root, click.Group):
        mine = {p.name: values[p.name] for p in _exposed(root) if p.name in values}
        return _tokens(root, mine, last=True) if mine else None
    commands = dict(_commands(root, None))
    leaves = {
        ".".join(path): path
        for path, command in commands.items()
        if path and not isinstance(command, click.Group)
    }
    prefixes = {".".join(path) for path in commands if path} | {str(root.name)}
    known = any(name.split("/")[0] in prefixes for name in values)
    if not known:
        return None
    chosen = sorted(name for name in leaves if name in stored and cli_state.truthy(values[name]))
    if len(chosen) > 1:
        rows = ", ".join(f"{cli_state.ARGS}/{name}" for name in chosen)
        raise ValueError(
            f"the task's parameters select several click commands ({rows}): set exactly one "
            f"of them to True and the others to False"
        )
    path = leaves[chosen[0]] if chosen else ()
    tokens = _tokens(root, _values_of(root, values, f"{root.name}/"), last=not path)
    for i, name in enumerate(path):
        sub_path = path[: i + 1]
        command = commands.get(sub_path) or _find(root, sub_path)
        prefix = ".".join(sub_path) + "/"
        tokens += [
            name,
            *_tokens(command, _values_of(command, values, prefix), last=i == len(path) - 1),
        ]
    return tokens


def _values_of(command: Any, values: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {p.name: values[prefix + p.name] for p in _exposed(command) if prefix + p.name in values}


def _tokens(command: Any, values: dict[str, Any], last: bool) -> list[str]:
    """Options first, then arguments (``--`` before them when one looks like an option)."""
    import click

    options: list[str] = []
    positional: list[str] = []
    for param in _exposed(command):
        if param.name not in values:
            continue
        value = values[param.name]
        if isinstance(param, click.Option):
            options += _option_tokens(param, value)
        elif value is not None:
            items = value if isinstance(value, (list, tuple)) else [value]
            positional += [_text(item) for item in items]
    if last and any(item.startswith("-") for item in positional):
        positional.insert(0, "--")
    return options + positional


def _option_tokens(param: Any, value: Any) -> list[str]:
    opt = next((o for o in param.opts if o.startswith("--")), param.opts[0])
    if param.count:
        return [opt] * int(value or 0)
    if param.is_flag:
        if param.is_bool_flag:
            wanted = cli_state.truthy(value)
            if wanted == bool(param.flag_value):
                return [opt]
            return [param.secondary_opts[0]] if param.secondary_opts else []
        return [opt] if value == param.flag_value else []
    if value is None:
        return []
    if param.multiple:
        tokens: list[str] = []
        for item in value if isinstance(value, (list, tuple)) else [value]:
            tokens += _with_value(opt, param, item)
        return tokens
    return _with_value(opt, param, value)


def _with_value(opt: str, param: Any, value: Any) -> list[str]:
    if param.nargs != 1 and isinstance(value, (list, tuple)):
        return [opt, *(_text(item) for item in value)]
    if opt.startswith("--"):
        return [f"{opt}={_text(value)}"]
    return [opt, _text(value)]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
