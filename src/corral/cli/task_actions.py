"""``corral task clone | set-param | enqueue | abort | reset``: act on one task."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

import typer

from corral.cli.client import fetch_task, hub
from corral.cli.output import cli_errors, out, print_json
from corral.cli.task_show import TaskArg
from corral.core.task_status import FINAL, NEEDS_FORCE, S
from corral.errors import ConflictError, ValidationError

#: a task in one of these may be cloned or reset to run again
_DONE = FINAL


def clone(
    task: TaskArg,
    name: Annotated[
        str | None, typer.Option("--name", help="Name of the copy (default: 'Clone of ...').")
    ] = None,
    project: Annotated[
        str | None,
        typer.Option("--project", "-p", help="Put the copy in this project (created if missing)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the new task as JSON.")] = False,
) -> None:
    """Copy a task's code, parameters and configuration into a new draft; print its id.

    The copy has no results: edit it with `corral task set-param`, run it with `enqueue`.

    Example: NEW=$(corral task clone 3f2a9c41 --name "lr 0.1") && corral task enqueue $NEW
    """
    body = {"name": name, "project": project}
    with cli_errors(), hub() as client:
        source = fetch_task(client, task)
        new = client.tasks.action(source["id"], "clone", **body)
    if as_json:
        print_json(new)
    else:
        typer.echo(new["id"])


def set_param(
    task: TaskArg,
    assignments: Annotated[
        list[str],
        typer.Argument(
            help="Section/name=value pairs; values are JSON when they parse (0.5, true, "
            '"text", [1,2]), else text.',
            metavar="SECTION/NAME=VALUE",
        ),
    ],
) -> None:
    """Set parameters of a draft task; an existing parameter keeps its type.

    An int given 9 stays an int, a bool given false stays a bool; a misfit is refused.

    Only drafts change: clone a task that ran (`corral task clone`) and edit the copy.

    Example: corral task set-param 3f2a9c41 Args/lr=0.01 Args/epochs=20 General/optimizer=adam
    """
    with cli_errors():
        pairs = [parse_assignment(a) for a in assignments]
        with hub() as client:
            data = fetch_task(client, task)
            task_id = data["id"]
            if data["status"] != S.created:
                raise ConflictError(_not_draft(task_id, data["status"]))
            current = data.get("hyperparams") or {}
            patch: dict[str, dict[str, Any]] = {}
            for section, name, raw in pairs:
                existing = current.get(section, {}).get(name)
                value, kind = coerce(raw, existing, f"{section}/{name}")
                param = {"value": value, "type": kind}
                if existing and existing.get("description"):
                    param["description"] = existing["description"]
                patch.setdefault(section, {})[name] = param
            try:
                client.tasks.patch_hyperparams(task_id, patch)
            except ConflictError as e:  # it left the draft meanwhile
                raise ConflictError(_not_draft(task_id, "no longer a draft")) from e
    for section, params in patch.items():
        for name, param in params.items():
            shown = json.dumps(param["value"])
            out.print(
                f"{section}/{name} = {shown} ({param['type']})", highlight=False, markup=False
            )


def _not_draft(task_id: str, status: str) -> str:
    return (
        f"task {task_id} is {status}: parameters change only in a draft; clone it and edit "
        f"the copy: corral task clone {task_id}"
    )


def parse_assignment(text: str) -> tuple[str, str, str]:
    """``"Args/lr=0.1"`` -> ``("Args", "lr", "0.1")``; a nested name keeps its ``/``."""
    key, eq, raw = text.partition("=")
    section, slash, name = key.strip().partition("/")
    if not eq or not slash or not section or not name:
        raise ValidationError(
            f"{text!r} is not Section/name=value; write e.g. Args/lr=0.01 (nothing was changed)"
        )
    return section, name, raw


def _json_or_text(raw: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(constant)  # NaN, Infinity: not JSON the hub stores

    try:
        return json.loads(raw, parse_constant=refuse)
    except ValueError:
        return raw


_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def coerce(raw: str, existing: dict[str, Any] | None, label: str) -> tuple[Any, str]:
    """The value to store for ``raw`` and its type name, keeping an existing declared type.

    >>> coerce("9", {"value": 3, "type": "int"}, "Args/epochs")
    (9, 'int')
    >>> coerce("false", {"value": True, "type": "bool"}, "Args/cuda")
    (False, 'bool')
    """
    from corral.sdk.params import type_name

    parsed = _json_or_text(raw)
    declared = str((existing or {}).get("type") or "")
    if declared in ("", "NoneType"):
        return parsed, type_name(parsed)

    def refuse() -> ValidationError:
        return ValidationError(f"{label} is {declared!r}; {raw!r} is not one (nothing was changed)")

    if declared == "bool":
        text = str(parsed).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE, "bool"
        raise refuse()
    if declared == "int":
        if isinstance(parsed, int) and not isinstance(parsed, bool):
            return parsed, "int"
        if isinstance(parsed, float) and parsed.is_integer():
            return int(parsed), "int"
        raise refuse()
    if declared == "float":
        number = isinstance(parsed, (int, float)) and not isinstance(parsed, bool)
        if number and math.isfinite(float(parsed)):
            return float(parsed), "float"
        raise refuse()
    if declared == "str":
        return (parsed if isinstance(parsed, str) else raw), "str"
    if declared in ("list", "tuple"):
        if isinstance(parsed, list):
            return parsed, declared
        raise refuse()
    if declared == "dict":
        if isinstance(parsed, dict):
            return parsed, "dict"
        raise refuse()
    # a type the hub cannot check (Path, an Enum...): the value, its declared type kept
    return parsed, declared


def enqueue(
    task: TaskArg,
    queue: Annotated[
        str | None, typer.Option("--queue", "-q", help="Queue name (default: 'default').")
    ] = None,
    top: Annotated[bool, typer.Option("--top", help="Put it first: it runs next.")] = False,
) -> None:
    """Queue a draft task for an agent (`corral agent`) to run.

    Example: corral task enqueue 3f2a9c41 --queue gpu --top
    """
    body = {"queue": queue, "position": "top" if top else "bottom"}
    with cli_errors(), hub() as client:
        data = fetch_task(client, task)
        if data["status"] in _DONE:
            raise ConflictError(
                f"task {data['id']} is {data['status']}; to run it again clone it "
                f"(corral task clone {data['id']}) or reset it (corral task reset {data['id']})"
            )
        client.tasks.action(data["id"], "enqueue", **body)
    where = "at the front of" if top else "in"
    out.print(f"queued task {data['id']} {where} {queue or 'default'}", highlight=False)


def abort(
    task: TaskArg,
    reason: Annotated[
        str, typer.Option("--reason", help="Why (shown as the task's status reason).")
    ] = "",
) -> None:
    """Stop a queued or running task; its process notices and ends itself.

    Example: corral task abort 3f2a9c41 --reason "diverged"
    """
    with cli_errors(), hub() as client:
        data = fetch_task(client, task)
        done = client.tasks.action(data["id"], "abort", reason=reason)
    out.print(f"aborted task {done['id']} (now {done['status']})", highlight=False)


def reset(
    task: TaskArg,
    force: Annotated[
        bool, typer.Option("--force", help="Reset even a running task (it is stopped).")
    ] = False,
) -> None:
    """Turn a task back into a draft; its results (metrics, logs, artifacts) are deleted.

    Example: corral task reset 3f2a9c41 && corral task set-param 3f2a9c41 Args/lr=0.1
    """
    with cli_errors(), hub() as client:
        data = fetch_task(client, task)
        if data["status"] in NEEDS_FORCE and not force:
            raise ConflictError(
                f"task {data['id']} is running; abort it first (corral task abort "
                f"{data['id']}) or reset it with --force"
            )
        client.tasks.action(data["id"], "reset", force=force)
    out.print(f"reset task {data['id']}: it is a draft again", highlight=False)
