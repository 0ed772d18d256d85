"""``corral task ...``: work with tasks from the shell."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from corral.cli.output import cli_errors, err, out

task_app = typer.Typer(help="Work with tasks.", no_args_is_help=True)


@task_app.command("import")
def import_(
    folder: Annotated[
        Path,
        typer.Argument(
            help="An offline run's folder (printed by the run), or a spool folder "
            "left by a run that lost the hub (~/.corral/spool/...).",
        ),
    ],
) -> None:
    """Upload a run recorded offline (`Task.set_offline(True)`) or kept while the hub was away.

    Everything the run reported is sent in order; running the import again sends only
    what is still missing, and the hub stores nothing twice.
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
