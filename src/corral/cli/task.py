"""``corral task ...``: find, inspect, edit, queue and follow tasks from the shell.

Commands live in small modules (``task_show``, ``task_actions``, ``task_logs``) and are
registered here; ``list`` and ``import`` are below.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from corral.cli import task_actions, task_logs, task_show
from corral.cli.client import ago, fail, hub, project_id, project_names, queue_names, when
from corral.cli.output import cli_errors, err, out, print_json
from corral.core.task_status import TaskStatus

if TYPE_CHECKING:
    from corral.client.http import HubClient
    from corral.client.types import TaskBrief

task_app = typer.Typer(
    help="Work with tasks: list, show, clone, edit parameters, enqueue, abort, follow logs.",
    no_args_is_help=True,
)

STATUSES = tuple(s.value for s in TaskStatus)
#: ids asked for per request when listing the tasks of a queue
_ID_CHUNK = 100


@task_app.command("list")
def list_(
    project: Annotated[
        str | None,
        typer.Option("--project", "-p", help="Only this project (and its subprojects)."),
    ] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            "-s",
            help=f"Only these statuses; repeat or separate with commas ({', '.join(STATUSES)}).",
        ),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", "-t", help="Only tasks with this tag; repeat for several (all)."),
    ] = None,
    queue: Annotated[
        str | None, typer.Option("--queue", "-q", help="Only tasks waiting in this queue.")
    ] = None,
    filter_: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            "-f",
            help="A metric or parameter value, e.g. 'metric:acc:val:last>0.9' or "
            "'param:Args:opt=adam'; repeat for several (all).",
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List tasks, newest first (a queue's tasks in queue order).

    Example: corral task list --project mnist --status in_progress,queued --limit 20
    --filter 'metric:accuracy:val:max>=0.9'
    """
    statuses = [s.strip() for value in status or [] for s in value.split(",") if s.strip()]
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise fail(f"unknown status {unknown[0]!r}; use one of {', '.join(STATUSES)}")
    params: dict[str, Any] = {"limit": min(limit, 500), "status": statuses, "tag": tag or []}
    if filter_:
        params["filter"] = filter_
    with cli_errors(), hub() as client:
        if project:
            params["project_id"] = project_id(client, project)
        if queue:
            rows = _queue_tasks(client, queue, params, limit)
        else:
            rows = _pages(client, params, limit)
        if as_json:
            print_json(rows)
            return
        projects = project_names(client)
        queues = queue_names(client) if any(r.get("queue_id") for r in rows) else {}
    _table(rows, projects, queues)


def _pages(client: HubClient, params: dict[str, Any], limit: int) -> list[TaskBrief]:
    rows: list[TaskBrief] = []
    cursor = None
    while len(rows) < limit:
        page = client.tasks.list(**params, cursor=cursor)
        rows.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return rows[:limit]


def _queue_tasks(
    client: HubClient, queue: str, params: dict[str, Any], limit: int
) -> list[TaskBrief]:
    """The tasks waiting in ``queue`` that match the other filters, in queue order."""
    entries = client.queues.get(queue)["entries"]
    order = [e["task_id"] for e in entries]
    found: dict[str, TaskBrief] = {}
    for start in range(0, len(order), _ID_CHUNK):
        ids = order[start : start + _ID_CHUNK]
        page = client.tasks.list(**{**params, "id": ids, "limit": len(ids)})
        found.update((row["id"], row) for row in page["items"])
        if len(found) >= limit:
            break
    return [found[i] for i in order if i in found][:limit]


def _table(rows: list[TaskBrief], projects: dict[str, str], queues: dict[str, str]) -> None:
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for column in ("id", "name", "project", "status", "type", "worker/queue"):
        table.add_column(column, overflow="fold")
    table.add_column("started", no_wrap=True)
    table.add_column("last update", no_wrap=True)
    for row in rows:
        queue = queues.get(row.get("queue_id") or "", "")
        table.add_row(
            row["id"],
            Text(row["name"]),
            Text(projects.get(row["project_id"], row["project_id"])),
            task_show.status_text(row["status"]),
            row["type"],
            Text(row.get("worker") or (f"queue {queue}" if queue else "")),
            when(row.get("started_at"))[:16],
            ago(row.get("last_update")),
        )
    out.print(table if rows else "no tasks match (try fewer filters)")


task_app.command("show")(task_show.show)
task_app.command("clone")(task_actions.clone)
task_app.command("set-param")(task_actions.set_param)
task_app.command("enqueue")(task_actions.enqueue)
task_app.command("abort")(task_actions.abort)
task_app.command("reset")(task_actions.reset)
task_app.command("logs")(task_logs.logs)


@task_app.command("import")
def import_(
    folder: Annotated[
        Path,
        typer.Argument(
            metavar="FOLDER",
            help="An offline run's folder (printed by the run), or a spool folder "
            "left by a run that lost the hub (~/.corral/spool/...).",
        ),
    ],
) -> None:
    """Upload a run recorded offline (`Task.set_offline(True)`) or kept while the hub was away.

    Everything the run reported is sent in order.

    Running the import again sends only what is missing; the hub stores nothing twice.

    Example: corral task import ~/.corral/offline/3f2a9c...
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from corral.sdk import spool
    from corral.sdk.replay import FolderBusyError, replay_folder

    if not (folder / "ops.jsonl").is_file():
        err.print(
            f"[red]error:[/] {folder} is not a recorded run (no ops.jsonl); offline runs are "
            f"kept in {spool.offline_root()}",
            highlight=False,
        )
        raise typer.Exit(1)
    pending = spool.count_ops(folder) - spool.read_done(folder)
    task_id = spool.read_meta(folder).get("task_id", "?")
    if pending <= 0:
        out.print(f"task {task_id}: already imported, nothing to send")
        return
    with (
        cli_errors(),
        Progress(
            TextColumn("importing"), BarColumn(), MofNCompleteColumn(), console=err, transient=True
        ) as progress,
    ):
        bar = progress.add_task("ops", total=pending)
        done0 = spool.read_done(folder)
        try:
            result = replay_folder(
                folder, on_progress=lambda n, total: progress.update(bar, completed=n - done0)
            )
        except FolderBusyError as e:
            err.print(f"[red]error:[/] {e}; wait for it to end", highlight=False)
            raise typer.Exit(1) from e
    for line in result.refused:
        err.print(f"[yellow]refused:[/] {line}", highlight=False)
    if not result.complete:
        err.print(
            f"[red]error:[/] the hub went away after {result.sent} operations; run the "
            "import again to send the rest",
            highlight=False,
        )
        raise typer.Exit(1)
    out.print(f"imported task {result.task_id}: {result.sent} operations sent")
