"""The ``plain`` runner: the task runs in the agent's own Python environment.

Nothing is installed: this is for machines where the agent's environment already
is the task's (a Colab notebook, a prepared image without docker). The freeze
recorded on the task is the agent's environment.

The task's environment is the agent's minus the agent's credentials (see
:func:`~corral.agent.runners.base.without_agent_credentials`), plus the task's token.
It still runs as the agent's OS user, with the agent's files in reach: plain mode is
for trusted code (docs/agent.md, "Tasks run as their owner").
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from corral.agent.runners.base import AgentOptions, Job, Launch, Runner, without_agent_credentials
from corral.agent.runners.code import restore_code
from corral.system.packages import freeze

__all__ = ["PlainRunner", "task_env"]


def task_env(
    job: Job, options: AgentOptions, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of the task's process: ``base`` (default ``os.environ``) without
    the agent's credentials, plus what tells the SDK it runs under an agent, the hub's
    address and the task's token, unbuffered output and the GPUs it may use.

    Example:
        >>> task_env(job, options)["CORRAL_TASK_ID"]  # doctest: +SKIP
        '3f2c...'
    """
    env = without_agent_credentials(os.environ if base is None else base)
    env["CORRAL_TASK_ID"] = job.task_id
    env["CORRAL_WORKER"] = job.worker
    env["CORRAL_AGENT"] = "1"
    env.update(job.hub_env)
    # the daemon reads the output line by line as it comes
    env["PYTHONUNBUFFERED"] = "1"
    if options.gpus is not None:
        # an empty value hides every GPU (cpu-only), unlike an unset variable
        env["CUDA_VISIBLE_DEVICES"] = ",".join(options.gpus)
    return env


class PlainRunner(Runner):
    """Runs the task with the agent's interpreter (``sys.executable``), installing nothing.

    Example:
        >>> launch = PlainRunner(AgentOptions(root=root)).prepare(job)  # doctest: +SKIP
        >>> launch.argv[0] == sys.executable
        True
    """

    name = "plain"

    def prepare(self, job: Job) -> Launch:
        """Restore the code; run it with the agent's python in the agent's environment."""
        cwd, tail = restore_code(job, self.options.root)
        job.log("corral-agent: running in the agent's own environment (plain mode)")
        return Launch(
            argv=[sys.executable, *tail],
            cwd=cwd,
            env=task_env(job, self.options),
            freeze=freeze(),
        )
