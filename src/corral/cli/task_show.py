"""``corral task show``: one task as a readable summary (or its full JSON)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from corral.cli.client import duration, fetch_task, hub, since, when
from corral.cli.output import cli_errors, out, print_json
from corral.core.task_status import S

if TYPE_CHECKING:
    from rich.table import Table

    from corral.client.types import Project, QueueDetail, Task

STATUS_STYLE: dict[str, str] = {
    S.created: "dim",
    S.queued: "yellow",
    S.in_progress: "cyan",
    S.completed: "green",
    S.failed: "red",
    S.stopped: "magenta",
    S.published: "bold green",
}
TaskArg = Annotated[
    str, typer.Argument(metavar="TASK", help="The task id (or 6+ of its first characters).")
]


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLE.get(status, ""))


def show(
    task: TaskArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the task as JSON.")] = False,
) -> None:
    """Show a task: status, code, parameters, configuration, last metrics, worker and times.

    Example: corral task show 3f2a9c41
    """
    with cli_errors(), hub() as client:
        data = fetch_task(client, task)
        if as_json:
            print_json(data)
            return
        project = _name(client.projects.get, data["project_id"])
        queue = _name(client.queues.get, data["queue_id"])
    render(data, project, queue)


def _name(get: Callable[[str], Project | QueueDetail], ref: str | None) -> str:
    """The name of a project or queue, or its id when it is gone."""
    from corral.errors import NotFoundError

    if not ref:
        return ""
    try:
        return get(ref)["name"]
    except NotFoundError:
        return ref


def render(data: Task, project: str, queue: str) -> None:
    from rich.console import Group
    from rich.panel import Panel

    head = Text.assemble((data["name"], "bold"), "  ", (data["id"], "dim"))
    parts: list[Any] = [_summary(data, project, queue)]
    params = data.get("hyperparams") or {}
    if params:
        parts += [Text("\nParameters", style="bold"), _params_table(params)]
    config = data.get("configuration") or {}
    if config:
        names = ", ".join(f"{name} ({item.get('type', 'text')})" for name, item in config.items())
        parts += [Text("\nConfiguration", style="bold"), Text(names)]
    metrics = data.get("last_metrics") or {}
    if metrics:
        parts += [Text("\nLast metrics", style="bold"), _metrics_table(metrics)]
    out.print(Panel(Group(*parts), title=head, title_align="left", expand=False))


def _summary(data: Task, project: str, queue: str) -> Table:
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    status = status_text(data["status"])
    reason = " - ".join(r for r in (data.get("status_reason"), data.get("status_message")) if r)
    if reason:
        status.append(f"  ({reason})", style="")
    if data.get("exit_code") is not None:
        status.append(f"  exit code {data['exit_code']}", style="")
    rows: list[tuple[str, str | Text]] = [
        ("status", status),
        ("project", project),
        ("type", data["type"]),
    ]
    script = data.get("script") or {}
    if script.get("repository"):
        where = script["repository"]
        ref = script.get("commit") or script.get("branch")
        rows.append(("repository", f"{where} @ {ref}" if ref else where))
    if script.get("entry_point"):
        rows.append(("entry point", _entry(script)))
    elif script.get("code"):
        rows.append(("code", f"inline script, {len(script['code'].splitlines())} lines"))
    if (data.get("container") or {}).get("image"):
        rows.append(("container", data["container"]["image"]))
    if data.get("tags"):
        rows.append(("tags", ", ".join(data["tags"])))
    if data.get("parent_id"):
        rows.append(("parent", str(data["parent_id"])))
    rows += [("worker", data.get("worker") or ""), ("queue", queue)]
    if data.get("last_iteration") is not None:
        rows.append(("iteration", str(data["last_iteration"])))
    rows += _times(data)
    if data.get("comment"):
        rows.append(("comment", data["comment"]))
    for label, value in rows:
        if value:
            grid.add_row(label, value if isinstance(value, Text) else Text(str(value)))
    return grid


def _entry(script: dict[str, Any]) -> str:
    entry = str(script["entry_point"])
    folder = script.get("working_dir")
    return f"{entry}  (in {folder})" if folder and folder != "." else entry


def _times(data: Task) -> list[tuple[str, str]]:
    rows = [("created", when(data.get("created_at")))]
    started, completed = data.get("started_at"), data.get("completed_at")
    if started:
        rows.append(("started", when(started)))
    if completed:
        rows.append(("completed", when(completed)))
    if started:
        run = (since(started) or 0.0) - (since(completed) or 0.0)
        rows.append(("run time", duration(run) + ("" if completed else " so far")))
    rows.append(("last update", when(data.get("last_update"))))
    return rows


def _params_table(params: dict[str, dict[str, Any]]) -> Table:
    from rich.table import Table

    table = Table(box=None, header_style="dim", pad_edge=False)
    for column in ("section", "name", "value", "type"):
        table.add_column(column, overflow="fold")
    for section, values in sorted(params.items()):
        for i, (name, param) in enumerate(sorted(values.items())):
            value = param.get("value") if isinstance(param, dict) else param
            kind = param.get("type", "") if isinstance(param, dict) else ""
            table.add_row(
                Text(section if i == 0 else ""), Text(name), Text(_value(value)), Text(kind)
            )
    return table


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _metrics_table(metrics: dict[str, dict[str, Any]]) -> Table:
    from rich.table import Table

    table = Table(box=None, header_style="dim", pad_edge=False)
    for column in ("metric", "variant", "last", "min", "max", "iteration"):
        table.add_column(column, overflow="fold", justify="right" if column != "metric" else "left")
    table.columns[1].justify = "left"
    for metric, variants in sorted(metrics.items()):
        for variant, m in sorted(variants.items()):
            table.add_row(
                Text(metric),
                Text(variant),
                _num(m.get("last")),
                _num(m.get("min")),
                _num(m.get("max")),
                "" if m.get("iteration") is None else str(m["iteration"]),
            )
    return table


def _num(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
