"""A task's ``runtime``: the machine's facts (:mod:`corral.system.machine`) and its IDE.

Reported once, when the task starts. Where the program runs (Jupyter, VS Code,
PyCharm, Colab, Kaggle, a terminal) is the SDK's own part: only a program the user
runs has an IDE, and telling notebooks apart needs the notebook capture.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from corral.sdk.capture.notebook import running_in_notebook, user_namespace
from corral.system.machine import machine_facts

log = logging.getLogger("corral.sdk.capture")

IDES = ("jupyter", "vscode", "pycharm", "colab", "kaggle", "terminal", "unknown")


def runtime_facts() -> dict[str, Any]:
    """The machine's facts (see :func:`corral.system.machine.machine_facts`) plus ``ide``
    (one of :data:`IDES`). Never raises.

    Example:
        >>> runtime_facts()["ide"] in IDES
        True
    """
    facts = machine_facts()
    try:
        facts["ide"] = detect_ide()
    except Exception as e:  # never raise into the user's program
        log.debug("IDE detection failed: %s", e)
        facts["ide"] = "unknown"
    return facts


def detect_ide() -> str:
    """Where the program runs: one of :data:`IDES`.

    Example:
        >>> detect_ide() in IDES
        True
    """
    env = os.environ
    if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in env:
        return "colab"
    if "KAGGLE_KERNEL_RUN_TYPE" in env:
        return "kaggle"
    if running_in_notebook():
        # a Jupyter server started from a VS Code terminal inherits its variables,
        # so only VS Code's own notebook marker says "vscode" here
        return "vscode" if "__vsc_ipynb_file__" in (user_namespace() or {}) else "jupyter"
    if env.get("PYCHARM_HOSTED"):
        return "pycharm"
    if env.get("TERM_PROGRAM") == "vscode" or "VSCODE_PID" in env:
        return "vscode"
    stdin = sys.stdin
    try:
        interactive = stdin is not None and stdin.isatty()
    except (ValueError, OSError):  # a closed or detached stdin
        interactive = False
    if interactive or "TERM" in env:
        return "terminal"
    return "unknown"
