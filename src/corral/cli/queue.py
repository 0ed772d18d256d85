"""``corral queue ...``: the queues agents take tasks from.

A queue is named by its name or id. ``default`` and ``services`` always exist.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from corral.cli.client import duration, fail, hub, resolve_task
from corral.cli.output import cli_errors, out, print_json
from corral.cli.task_show import status_text

queue_app = typer.Typer(
    help="Manage queues: list, create, rename, delete, reorder and clear them.",
    no_args_is_help=True,
)
QueueArg = Annotated[str, typer.Argument(metavar="QUEUE", help="The queue's name (or id).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@queue_app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """List queues with their pending tasks, workers and waiting times.

    Example: corral queue list
    """
    from rich.table import Table

    with cli_errors(), hub() as client:
        queues = client.queues.list()
    if as_json:
        print_json(queues)
        return
    table = Table(box=None, header_style="bold")
    table.add_column("name", overflow="fold")
    for column in ("pending", "workers", "avg wait", "current wait"):
        table.add_column(column, justify="right")
    table.add_column("tags", overflow="fold")
    for q in queues:
        workers = q.get("workers") or []
        table.add_row(
            Text(q["name"], style="bold" if q.get("builtin") else ""),
            str(q.get("pending", 0)),
            str(len(workers)),
            duration(q.get("avg_wait")),
            duration(q.get("current_wait")),
            Text(", ".join(q.get("tags") or [])),
        )
    out.print(table)


@queue_app.command("show")
def show(queue: QueueArg, as_json: JsonOpt = False) -> None:
    """Show a queue's tasks in the order they will run (index 0 runs next).

    Example: corral queue show gpu
    """
    from rich.table import Table

    with cli_errors(), hub() as client:
        detail = client.queues.get(queue)
    if as_json:
        print_json(detail)
        return
    workers = ", ".join(detail.get("workers") or []) or "none"
    out.print(
        Text.assemble(
            (detail["name"], "bold"),
            f"  {detail.get('pending', 0)} pending, workers: {workers}",
            f", current wait {duration(detail['current_wait'])}"
            if detail.get("current_wait") is not None
            else "",
        )
    )
    entries = detail.get("entries") or []
    if not entries:
        out.print("the queue is empty (add tasks with `corral task enqueue TASK --queue NAME`)")
        return
    table = Table(box=None, header_style="bold")
    table.add_column("#", justify="right")
    for column in ("task", "name", "status"):
        table.add_column(column, overflow="fold")
    table.add_column("waited", justify="right")
    for e in entries:
        table.add_row(
            str(e["index"]),
            e["task_id"],
            Text(e["task_name"]),
            status_text(e["status"]),
            duration(e.get("wait")),
        )
    out.print(table)


@queue_app.command("create")
def create(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The new queue's name (letters, digits, _.-).")
    ],
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="A tag; repeat for several.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the queue as JSON.")] = False,
) -> None:
    """Create a queue; agents serve it with `corral agent --queue NAME`.

    Example: corral queue create gpu --tag a100
    """
    with cli_errors(), hub() as client:
        made = client.queues.create(name, tags=tag or [])
    if as_json:
        print_json(made)
    else:
        out.print(f"created queue {made['name']} ({made['id']})", highlight=False)


@queue_app.command("rename")
def rename(
    queue: QueueArg,
    new_name: Annotated[str, typer.Argument(metavar="NEW_NAME", help="The new name.")],
) -> None:
    """Rename a queue (not `default` or `services`); its tasks stay in it.

    Example: corral queue rename gpu gpu-a100
    """
    with cli_errors(), hub() as client:
        renamed = client.queues.update(queue, name=new_name)
    out.print(f"renamed queue {queue} to {renamed['name']}", highlight=False)


@queue_app.command("delete")
def delete(
    queue: QueueArg,
    force: Annotated[
        bool, typer.Option("--force", help="Delete it even with pending tasks (back to draft).")
    ] = False,
) -> None:
    """Delete a queue. A queue with pending tasks needs --force: they become drafts again.

    Example: corral queue delete old-gpu --force
    """
    from corral.errors import ConflictError

    with cli_errors(), hub() as client:
        try:
            client.queues.delete(queue, force=force)
        except ConflictError as e:
            if force or "pending" not in e.detail:
                raise
            raise fail(
                f"queue {queue} has pending tasks; clear it (corral queue clear {queue}) or "
                "delete it with --force (its tasks go back to draft)"
            ) from e
    out.print(f"deleted queue {queue}", highlight=False)


@queue_app.command("clear")
def clear(
    queue: QueueArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Take every pending task out of a queue; they become drafts again.

    Example: corral queue clear gpu --yes
    """
    with cli_errors(), hub() as client:
        detail = client.queues.get(queue)
        pending = int(detail.get("pending", 0))
        if pending == 0:
            out.print(f"queue {detail['name']} is already empty", highlight=False)
            return
        if not yes and not _confirm(f"Take {pending} task(s) out of queue {detail['name']}?"):
            raise fail("nothing was changed (pass --yes to skip this question)")
        removed = client.queues.clear(queue)["removed"]
    out.print(f"removed {removed} task(s) from queue {detail['name']}", highlight=False)


def _confirm(question: str) -> bool:
    try:
        return typer.confirm(question, default=False)
    except typer.Abort:  # no answer: stdin closed (a script) or Ctrl-C
        return False


@queue_app.command("move")
def move(
    queue: QueueArg,
    task: Annotated[str, typer.Argument(metavar="TASK", help="A task waiting in the queue.")],
    top: Annotated[bool, typer.Option("--top", help="To the front: it runs next.")] = False,
    bottom: Annotated[bool, typer.Option("--bottom", help="To the back.")] = False,
    index: Annotated[
        int | None, typer.Option("--index", help="To this position (0 is the front).")
    ] = None,
) -> None:
    """Move a waiting task within its queue.

    Example: corral queue move gpu 3f2a9c41 --top
    """
    chosen = [flag for flag, on in (("--top", top), ("--bottom", bottom)) if on]
    if index is not None:
        chosen.append("--index")
    if len(chosen) != 1:
        raise fail("say where to move the task: exactly one of --top, --bottom or --index N")
    position = 0 if top else -1 if bottom else int(index or 0)
    with cli_errors(), hub() as client:
        task_id = resolve_task(client, task)
        detail = client.queues.reorder(queue, task_id, position)
    at = next((e["index"] for e in detail.get("entries", []) if e["task_id"] == task_id), None)
    where = f"position {at}" if at is not None else "its new place"
    out.print(f"moved task {task_id} to {where} in queue {detail['name']}", highlight=False)


@queue_app.command("remove")
def remove(
    queue: QueueArg,
    task: Annotated[str, typer.Argument(metavar="TASK", help="A task waiting in the queue.")],
) -> None:
    """Take one task out of a queue; it becomes a draft again.

    Example: corral queue remove gpu 3f2a9c41
    """
    with cli_errors(), hub() as client:
        task_id = resolve_task(client, task)
        client.queues.remove(queue, task_id)
    out.print(f"removed task {task_id} from queue {queue}; it is a draft again", highlight=False)
