"""Runners: the environments a task can run in (see ``base``)."""

from corral.agent.runners.base import (
    AgentOptions,
    Job,
    Launch,
    PrepareError,
    Runner,
    get_runner,
)

__all__ = ["AgentOptions", "Job", "Launch", "PrepareError", "Runner", "get_runner"]
