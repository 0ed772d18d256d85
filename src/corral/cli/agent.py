"""``corral agent``: run queued tasks on this machine.

Parsing and start-up only; the daemon is ``corral.agent.daemon``. ``--docker`` takes an
optional image, which click cannot express through Typer: :class:`AgentCommand`
rewrites a bare ``--docker`` to ``--docker=`` before parsing.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

from corral.cli.client import fail
from corral.cli.output import cli_errors, out

if TYPE_CHECKING:
    from typer._click.core import Context

    from corral.agent.settings import AgentSettings

_NOT_ID = re.compile(r"[^A-Za-z0-9_.:@+=,-]")
#: seconds ``--detached`` waits to see the background agent register (or fail)
DETACH_WAIT = 30.0


class AgentCommand(TyperCommand):
    """The ``agent`` command: lets ``--docker`` be given without an image."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        fixed: list[str] = []
        for i, arg in enumerate(args):
            following = args[i + 1] if i + 1 < len(args) else None
            if arg == "--docker" and (following is None or following.startswith("-")):
                arg = "--docker="  # docker mode, no default image: each task names its own
            fixed.append(arg)
        return super().parse_args(ctx, fixed)


QueueOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--queue",
        "-q",
        metavar="NAME",
        help="A queue to take tasks from; repeat for several, highest priority first "
        "(default: default).",
    ),
]
DockerOpt = Annotated[
    str | None,
    typer.Option(
        "--docker",
        metavar="[IMAGE]",
        help="Run each task in a docker container of its own image, else of IMAGE. "
        "Without IMAGE, a task that names no image fails.",
    ),
]
PlainOpt = Annotated[
    bool,
    typer.Option(
        "--plain", help="Run tasks in the agent's own Python environment: no venv, no docker."
    ),
]
GpusOpt = Annotated[
    str | None,
    typer.Option("--gpus", metavar="LIST", help="GPUs tasks may use, e.g. 0,1 (default: all)."),
]
CpuOnlyOpt = Annotated[bool, typer.Option("--cpu-only", help="Give tasks no GPU.")]
ServicesOpt = Annotated[
    int,
    typer.Option(
        "--services-mode",
        metavar="N",
        min=0,
        help="Run up to N tasks at once (pipelines, schedulers and other services).",
    ),
]
NameOpt = Annotated[
    str | None,
    typer.Option(
        "--name", help="The worker's id on the hub (default: HOSTNAME:GPUS, or HOSTNAME:cpu)."
    ),
]
DetachedOpt = Annotated[
    bool,
    typer.Option(
        "--detached",
        help="Run in the background; print its pid and log file (under the agent root).",
    ),
]


def agent(
    queue: QueueOpt = None,
    docker: DockerOpt = None,
    plain: PlainOpt = False,
    gpus: GpusOpt = None,
    cpu_only: CpuOnlyOpt = False,
    services_mode: ServicesOpt = 0,
    name: NameOpt = None,
    detached: DetachedOpt = False,
) -> None:
    """Run queued tasks on this machine.

    The agent registers a worker on the hub, takes tasks from the queues,
    rebuilds each task's environment, runs it and streams its output.
    By default a task gets a virtual environment with its requirements
    (cached); with --docker it runs in a container, with --plain in the
    agent's own environment.

    The hub and keys come from `corral login` (or CORRAL_HUB_URL,
    CORRAL_ACCESS_KEY, CORRAL_SECRET_KEY); timings and folders from
    CORRAL_AGENT_HEARTBEAT, CORRAL_AGENT_ABORT_GRACE, CORRAL_AGENT_ROOT...

    Example: corral agent --queue gpu --queue default --gpus 0,1
    """
    if plain and docker is not None:
        raise fail("choose one of --plain and --docker")
    if cpu_only and gpus:
        raise fail("choose one of --cpu-only and --gpus")
    gpu_list = _gpu_list(gpus, cpu_only)
    worker_id = name or default_name(gpu_list)
    if _NOT_ID.search(worker_id):
        raise fail(f"invalid --name {worker_id!r}: use letters, digits and _.:@+=,-")
    settings = _settings()
    queues = queue or ["default"]
    if detached:
        args = _args(queues, docker, plain, gpus, cpu_only, services_mode, worker_id)
        raise typer.Exit(_detach(settings, worker_id, args))
    _configure_logging()
    mode = "plain" if plain else "docker" if docker is not None else "venv"
    with cli_errors():
        daemon = _build(settings, mode, docker or "", gpu_list, worker_id, queues, services_mode)
        raise typer.Exit(daemon.run())


def default_name(gpus: list[str] | None) -> str:
    """``HOSTNAME:0,1`` (the GPUs given to tasks) or ``HOSTNAME:cpu``."""
    if gpus is None:
        from corral.system.gpu import gpu_indices

        gpus = [str(i) for i in gpu_indices()]
    return _NOT_ID.sub("-", f"{socket.gethostname()}:{','.join(gpus) or 'cpu'}")


def _gpu_list(gpus: str | None, cpu_only: bool) -> list[str] | None:
    if cpu_only:
        return []
    if not gpus:
        return None
    return [g.strip() for g in gpus.split(",") if g.strip()]


def _settings() -> AgentSettings:
    import pydantic

    from corral.agent.settings import AgentSettings

    try:
        return AgentSettings()
    except pydantic.ValidationError as e:
        error = e.errors()[0]
        field = ".".join(str(p) for p in error["loc"])
        raise fail(f"invalid setting CORRAL_AGENT_{field.upper()}: {error['msg']}") from e


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s corral-agent %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    # one line per request would drown what matters
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _build(
    settings: AgentSettings,
    mode: str,
    image: str,
    gpus: list[str] | None,
    worker_id: str,
    queues: list[str],
    services: int,
) -> Any:
    from corral.agent.daemon import Agent
    from corral.agent.runners import AgentOptions, get_runner
    from corral.client.config import load

    options = AgentOptions(root=settings.root, docker_image=image, gpus=gpus)
    runner = get_runner(mode, options)
    return Agent(
        settings,
        load(),
        runner,
        worker_id=worker_id,
        queues=queues,
        services=services,
        gpus=gpus,
    )


def _args(
    queues: list[str],
    docker: str | None,
    plain: bool,
    gpus: str | None,
    cpu_only: bool,
    services: int,
    worker_id: str,
) -> list[str]:
    """The command line of the same agent, without ``--detached``."""
    args = [arg for q in queues for arg in ("--queue", q)]
    if docker is not None:
        args.append(f"--docker={docker}")
    if plain:
        args.append("--plain")
    if gpus:
        args += ["--gpus", gpus]
    if cpu_only:
        args.append("--cpu-only")
    if services:
        args += ["--services-mode", str(services)]
    return [*args, "--name", worker_id]


def _detach(settings: AgentSettings, worker_id: str, args: list[str]) -> int:
    """Start the agent again in a session of its own; report once it registered."""
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.logs_dir / f"{_NOT_ID.sub('-', worker_id).replace(':', '_')}.log"
    start = log_path.stat().st_size if log_path.exists() else 0
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "corral", "agent", *args],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=dict(os.environ),
        )
    deadline = time.monotonic() + DETACH_WAIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            lines = _read_from(log_path, start).strip().splitlines()
            last = lines[-1].removeprefix("error: ") if lines else f"see {log_path}"
            raise fail(f"the agent stopped at once: {last}")
        if f"worker {worker_id} registered" in _read_from(log_path, start):
            break
        time.sleep(0.1)
    out.print(
        f"agent {worker_id} runs in the background: pid {process.pid}, log {log_path}",
        highlight=False,
        soft_wrap=True,
    )
    return 0


def _read_from(path: Path, offset: int) -> str:
    try:
        with path.open("rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
