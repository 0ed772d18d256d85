"""Agent settings, read once from ``CORRAL_AGENT_*`` environment variables.

A value given to the constructor (a command-line flag) wins over the environment
variable ``CORRAL_AGENT_<FIELD NAME IN CAPITALS>``, which wins over the default.
Values from the environment are strings, converted and checked by pydantic::

    CORRAL_AGENT_HEARTBEAT=0.5 CORRAL_AGENT_ROOT=/scratch/agent corral agent --plain

The hub's URL and keys are not here: they come from the client configuration
(``corral.client.config``: ``~/.corral/config.toml`` or ``CORRAL_HUB_URL`` and keys).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import Field, field_validator

from corral.client.env_settings import EnvSettings
from corral.client.retry import RetryPolicy


def default_root() -> Path:
    return Path.home() / ".corral" / "agent"


class AgentSettings(EnvSettings):
    """Timings and folders of one ``corral agent`` process (env prefix ``CORRAL_AGENT_``).

    Example:
        >>> AgentSettings(heartbeat=0.5).heartbeat
        0.5
    """

    env_prefix: ClassVar[str] = "CORRAL_AGENT_"

    #: seconds between two heartbeats (with machine stats)
    heartbeat: Annotated[float, Field(gt=0)] = 5.0
    #: seconds an aborted task gets between SIGTERM and SIGKILL
    abort_grace: Annotated[float, Field(ge=0)] = 10.0
    #: seconds one dequeue request waits on the hub for a task
    dequeue_wait: Annotated[float, Field(ge=0, le=60)] = 30.0
    #: seconds one change-log long-poll waits (how abort reaches a running task at once)
    changes_wait: Annotated[float, Field(ge=0, le=60)] = 25.0
    #: caches and work folders (``work/<task id>-<random>``) and detached agents' ``logs/``
    root: Path = Field(default_factory=default_root)
    #: first and longest pause after a failed request to the hub, in seconds
    backoff_min: Annotated[float, Field(gt=0)] = 0.5
    backoff_max: Annotated[float, Field(gt=0)] = 10.0
    #: longest wait for a task's console to reach the hub when the task ends, in seconds
    flush_timeout: Annotated[float, Field(ge=0)] = 30.0
    #: how long the final status of a task is retried while the hub is away, in seconds
    report_timeout: Annotated[float, Field(ge=0)] = 300.0
    #: longest console line the hub stores (its ``CORRAL_LIMIT_LOG_LINE_CHARS``)
    log_line_chars: Annotated[int, Field(ge=80)] = 64 * 1024
    #: the datasets cache every task shares (``CORRAL_DATASET_CACHE`` of its process);
    #: default ``<root>/datasets``
    dataset_cache: Path | None = None

    @field_validator("root", "dataset_cache")
    @classmethod
    def _expand(cls, path: Path | None) -> Path | None:
        return None if path is None else path.expanduser().absolute()

    def retry_policy(self, **options: Any) -> RetryPolicy:
        """The pauses after a failed request: ``backoff_min`` doubled up to ``backoff_max``."""
        return RetryPolicy(first=self.backoff_min, cap=self.backoff_max, **options)

    @property
    def work_dir(self) -> Path:
        """Where each task gets a fresh folder of its own."""
        return self.root / "work"

    @property
    def dataset_cache_dir(self) -> Path:
        """The folder of the datasets cache shared by every task this agent runs."""
        return self.dataset_cache or self.root / "datasets"

    @property
    def logs_dir(self) -> Path:
        """Where ``corral agent --detached`` writes the output of background agents."""
        return self.root / "logs"
