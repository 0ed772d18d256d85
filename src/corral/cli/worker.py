"""``corral worker ...``: the agents registered with the hub, what they run, their load."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from corral.cli.client import ago, duration, hub, size, when
from corral.cli.output import cli_errors, out, print_json
from corral.cli.task_show import status_text

if TYPE_CHECKING:
    from rich.table import Table

    from corral.client.types import Worker, WorkerTask

worker_app = typer.Typer(
    help="See workers (agents): their queues, current tasks and machine load.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@worker_app.command("list")
def list_(
    include_gone: Annotated[
        bool, typer.Option("--all", "-a", help="Also workers that stopped heartbeating.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List live workers: queues, current task, load and last heartbeat.

    Start one with `corral agent --queue NAME`.

    Example: corral worker list --all
    """
    from rich.table import Table

    with cli_errors(), hub() as client:
        workers = client.workers.list(include_gone=include_gone)
    if as_json:
        print_json(workers)
        return
    if not workers:
        out.print("no workers (start one with `corral agent --queue default`)")
        return
    table = Table(box=None, header_style="bold")
    for column in ("id", "queues", "task"):
        table.add_column(column, overflow="fold")
    for column in ("run time", "heartbeat", "cpu", "memory", "gpus"):
        table.add_column(column, justify="right", no_wrap=column != "gpus")
    for w in workers:
        tasks = w.get("tasks") or []
        current = tasks[0] if tasks else None
        stats: Mapping[str, Any] = w.get("last_stats") or {}
        wid = Text(w["id"], style="dim" if w.get("gone_at") else "")
        if w.get("gone_at"):
            wid.append(" (gone)")
        table.add_row(
            wid,
            Text(", ".join(w.get("queues") or [])),
            Text(_task_label(current) + (f" +{len(tasks) - 1}" if len(tasks) > 1 else "")),
            duration(current.get("run_time")) if current else "",
            ago(w.get("last_heartbeat")),
            _percent(stats.get("cpu_percent")),
            _memory(stats),
            _gpus(stats.get("gpus") or []),
        )
    out.print(table)


@worker_app.command("show")
def show(
    worker: Annotated[
        str, typer.Argument(metavar="WORKER", help="The worker's id (see `corral worker list`).")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Show a worker: machine, queues, current tasks and its last machine stats.

    Example: corral worker show gpu-box-1:0
    """
    from rich.console import Group
    from rich.panel import Panel

    with cli_errors(), hub() as client:
        w = client.workers.get(worker)
    if as_json:
        print_json(w)
        return
    parts: list[Any] = [_summary(w)]
    if w.get("tasks"):
        parts += [Text("\nTasks", style="bold"), _tasks_table(w["tasks"])]
    out.print(
        Panel(Group(*parts), title=Text(w["id"], style="bold"), title_align="left", expand=False)
    )


def _summary(w: Worker) -> Table:
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    machine = w.get("machine") or {}
    stats: Mapping[str, Any] = w.get("last_stats") or {}
    state = f"gone since {when(w['gone_at'])}" if w.get("gone_at") else "alive"
    rows = [
        ("state", state),
        ("queues", ", ".join(w.get("queues") or []) or "none"),
        ("tags", ", ".join(w.get("tags") or [])),
        ("host", str(machine.get("hostname") or "") + (f" ({w['ip']})" if w.get("ip") else "")),
        ("os", str(machine.get("os") or "")),
        ("python", str(machine.get("python") or "")),
        ("cpus", str(machine.get("cpu_count") or "")),
        ("registered", when(w.get("registered_at"))),
        ("heartbeat", ago(w.get("last_heartbeat"))),
        ("cpu", _percent(stats.get("cpu_percent"))),
        ("memory", _memory(stats)),
        ("gpus", _gpus(stats.get("gpus") or [])),
        ("network", _network(stats)),
    ]
    for label, value in rows:
        if value:
            grid.add_row(label, Text(value))
    return grid


def _tasks_table(tasks: list[WorkerTask]) -> Table:
    from rich.table import Table

    table = Table(box=None, header_style="dim", pad_edge=False)
    for column in ("task", "name", "status"):
        table.add_column(column, overflow="fold")
    table.add_column("run time", justify="right")
    table.add_column("iteration", justify="right")
    for t in tasks:
        table.add_row(
            t["id"],
            Text(t["name"]),
            status_text(t["status"]),
            duration(t.get("run_time")),
            "" if t.get("last_iteration") is None else str(t["last_iteration"]),
        )
    return table


def _task_label(task: WorkerTask | None) -> str:
    if not task:
        return ""
    return f"{task['id'][:8]} {task['name']}"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}%"


def _memory(stats: Mapping[str, Any]) -> str:
    used, total = stats.get("memory_used"), stats.get("memory_total")
    if used is None:
        return ""
    return f"{size(used)} / {size(total)}" if total else size(used)


def _gpus(gpus: list[dict[str, Any]]) -> str:
    """``2: 87% 93%`` - the count and each GPU's utilization."""
    if not gpus:
        return ""
    loads = [_percent(g.get("utilization")) for g in gpus if g.get("utilization") is not None]
    return f"{len(gpus)}" + (f": {' '.join(loads)}" if loads else "")


def _network(stats: Mapping[str, Any]) -> str:
    rx, tx = stats.get("net_rx"), stats.get("net_tx")
    if rx is None and tx is None:
        return ""
    return f"in {size(rx or 0)}/s, out {size(tx or 0)}/s"
