"""The runner interface: how a dequeued task gets an environment and a command.

A runner turns a :class:`Job` (the task as the hub returned it, plus a fresh work
folder) into a :class:`Launch`: the argv, environment and working directory of
the task's process. The agent (``corral.agent.job``) does the rest the same way
for every runner: it starts the launch in a process group of its own, streams
its output into the task's console, stops it on abort, and sets the final status
from the exit code. ``tests/agent/test_runner_contract.py`` runs the same cases
against every runner.

Runners: ``venv`` (default; a cached uv virtual environment), ``docker`` (the
task's image) and ``plain`` (the agent's own environment). A Kubernetes runner
or a cloud autoscaler adds a module here and an entry in ``RUNNERS``.

Contract of :meth:`Runner.prepare`:

* it may take long (clone, install); it reports progress as console lines
  through ``job.log`` so the user sees the environment being built;
* it raises :class:`PrepareError` with a one-line, actionable message when the
  task cannot run (bad requirements, missing image...); the daemon fails the
  task with that reason;
* it never starts the task's own code.

The task's process never gets the agent's credentials: ``Job.hub_env`` holds the
hub's URL and the task's own token (``CORRAL_ACCESS_KEY``/``CORRAL_SECRET_KEY``),
and :func:`without_agent_credentials` takes the agent's own out of any environment
a runner starts from.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: writes one line of console output about the preparation (stream ``stdout``)
LogLine = Callable[[str], None]


class PrepareError(Exception):
    """The task's environment or code could not be made ready (the message says why)."""


@dataclass
class AgentOptions:
    """What the agent was started with that matters to runners."""

    #: ``~/.corral/agent`` by default: caches (vcs, venvs, pip/uv) and work folders
    root: Path
    #: docker mode: the image for tasks that name none
    docker_image: str = ""
    #: extra ``docker run`` arguments given to the agent (after the task's own)
    docker_args: list[str] = field(default_factory=list)
    #: GPU indices to give tasks (``--gpus 0,1``); ``None``: all; ``[]``: none (cpu-only)
    gpus: list[str] | None = None
    #: the python the task's venv is built from
    python: str = ""


#: variables of the agent's environment that name or hold its credentials (or the hub's,
#: when the agent runs next to it): never passed to a task
AGENT_CREDENTIALS = frozenset(
    {
        "CORRAL_HUB_URL",
        "CORRAL_ACCESS_KEY",
        "CORRAL_SECRET_KEY",
        "CORRAL_CONFIG",
        "CORRAL_ADMIN_PASSWORD",
        "CORRAL_DATABASE_URL",
    }
)
_SECRET_WORDS = ("SECRET", "PASSWORD", "TOKEN", "KEY", "CREDENTIAL", "DATABASE")


def without_agent_credentials(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without the agent's credentials: the ``CORRAL_*`` variables that hold keys,
    passwords or a config file's path, and the agent's own settings (``CORRAL_AGENT_*``).

    Example:
        >>> without_agent_credentials({"CORRAL_SECRET_KEY": "s", "PATH": "/bin"})
        {'PATH': '/bin'}
    """
    return {k: v for k, v in env.items() if not _agent_credential(k)}


def _agent_credential(name: str) -> bool:
    if not name.startswith("CORRAL_"):
        return False
    if name in AGENT_CREDENTIALS or name.startswith("CORRAL_AGENT_"):
        return True
    return any(word in name for word in _SECRET_WORDS)


@dataclass
class Job:
    """One task to run: the hub's task record and where to run it."""

    task: dict[str, Any]
    #: an empty folder owned by this run (removed after it)
    workdir: Path
    #: what the task's process needs to reach the hub: CORRAL_HUB_URL, the task's token
    #: (CORRAL_ACCESS_KEY/CORRAL_SECRET_KEY) and a CORRAL_CONFIG of its own; and the
    #: machine's datasets cache (CORRAL_DATASET_CACHE), which docker mounts
    hub_env: dict[str, str]
    #: the worker id (CORRAL_WORKER in the task's environment)
    worker: str
    log: LogLine

    @property
    def task_id(self) -> str:
        return str(self.task["id"])

    @property
    def script(self) -> dict[str, Any]:
        return dict(self.task.get("script") or {})

    @property
    def container(self) -> dict[str, Any]:
        return dict(self.task.get("container") or {})


@dataclass
class Launch:
    """How to start the task's process, as prepared by a runner."""

    argv: list[str]
    cwd: Path
    #: the whole environment of the process (not a delta)
    env: dict[str, str]
    #: the full installed environment (``pip freeze`` format) to write back on the task
    freeze: str = ""
    #: a file the task's process writes its freeze to; the daemon reads it after the
    #: process ended (docker mode: the environment only exists inside the container)
    freeze_file: Path | None = None
    #: called once after an abort signal was sent (e.g. ``docker kill`` the container)
    on_abort: Callable[[], None] | None = None
    #: called once when the process has ended, whatever the outcome (clean up)
    on_exit: Callable[[], None] | None = None


class Runner(ABC):
    """Prepares tasks to run in one kind of environment (see the module docstring)."""

    #: the name used by ``corral agent`` and in ``RUNNERS``
    name: str = ""

    def __init__(self, options: AgentOptions) -> None:
        self.options = options

    @abstractmethod
    def prepare(self, job: Job) -> Launch:
        """Restore the code and the environment of ``job``; return how to start it."""


#: runner name -> "module:class", imported on first use
RUNNERS: dict[str, str] = {
    "venv": "corral.agent.runners.venv:VenvRunner",
    "docker": "corral.agent.runners.docker:DockerRunner",
    "plain": "corral.agent.runners.plain:PlainRunner",
}


def get_runner(name: str, options: AgentOptions) -> Runner:
    """The runner called ``name`` (``venv``, ``docker``, ``plain``)."""
    import importlib

    try:
        target = RUNNERS[name]
    except KeyError:
        raise ValueError(f"unknown runner {name!r}; choose one of {', '.join(RUNNERS)}") from None
    module, _, cls = target.partition(":")
    runner_cls: type[Runner] = getattr(importlib.import_module(module), cls)
    return runner_cls(options)
