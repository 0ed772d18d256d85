"""``corral``: the command line entry point; each noun lives in its own module."""

from __future__ import annotations

import typer

from corral._version import __version__
from corral.cli import (
    agent,
    audit,
    auth,
    datasets,
    keys,
    pipelines,
    queue,
    server,
    task,
    teams,
    users,
    worker,
)

app = typer.Typer(
    name="corral",
    help="Corral: track, reproduce and run ML experiments. Start a hub with `corral server`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("server")(server.server)
app.command("login")(auth.login)
app.add_typer(users.user_app, name="user")
app.add_typer(teams.team_app, name="team")
app.add_typer(keys.key_app, name="key")
app.command("audit")(audit.audit)
app.add_typer(task.task_app, name="task")
app.command("agent", cls=agent.AgentCommand)(agent.agent)
app.add_typer(queue.queue_app, name="queue")
app.add_typer(worker.worker_app, name="worker")
app.add_typer(datasets.dataset_app, name="dataset")
app.add_typer(pipelines.pipeline_app, name="pipeline")


@app.command("version")
def version() -> None:
    """Print Corral's version."""
    typer.echo(__version__)


def main() -> None:
    app()
