"""Facts about the machine a task runs on: OS, CPU, memory, GPUs, Python, IDE.

Reported once, when the task starts. Cheap by design (no subprocess): the CPU
model comes from ``/proc/cpuinfo`` or the environment, GPUs from NVML through
``pynvml`` (package ``nvidia-ml-py``) when it is installed and a driver answers.
"""

from __future__ import annotations

import logging
import os
import platform
import socket
import sys
from pathlib import Path
from typing import Any

from corral.sdk.capture.notebook import running_in_notebook, user_namespace

log = logging.getLogger("corral.sdk.capture")

_GIB = 1024**3
IDES = ("jupyter", "vscode", "pycharm", "colab", "kaggle", "terminal", "unknown")


def machine_facts() -> dict[str, Any]:
    """Describe this machine and interpreter.

    Returns:
        ``os``, ``os_name``, ``hostname``, ``cpu_cores`` (logical),
        ``cpu_physical_cores``, ``cpu_model``, ``memory_gb``, ``python``,
        ``python_executable``, ``corral_version``, ``ide`` (one of :data:`IDES`),
        ``gpu_count``, ``gpu_type``, ``gpu_memory_gb`` and ``gpu_driver``. A fact that
        cannot be read is left at ``0``/``""``; never raises.

    Example:
        >>> machine_facts()["gpu_count"]  # doctest: +SKIP
        0
    """
    facts: dict[str, Any] = {
        "os": "",
        "os_name": "",
        "hostname": "",
        "cpu_cores": os.cpu_count() or 0,
        "cpu_physical_cores": 0,
        "cpu_model": "",
        "memory_gb": 0.0,
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "corral_version": "",
        "ide": "unknown",
        **_no_gpu(),
    }
    steps = (_platform, _cpu_memory, _version, _ide, _gpus)
    for step in steps:
        try:
            step(facts)
        except Exception as e:  # never raise into the user's program
            log.debug("machine fact %s failed: %s", step.__name__, e)
    return facts


def _platform(facts: dict[str, Any]) -> None:
    facts["os"] = platform.platform()
    facts["os_name"] = platform.system()
    facts["hostname"] = socket.gethostname()
    facts["cpu_model"] = cpu_model()


def cpu_model() -> str:
    """Best-effort CPU model name, e.g. ``"AMD EPYC 7B13"``; the architecture otherwise."""
    try:
        if sys.platform.startswith("linux"):
            with Path("/proc/cpuinfo").open(encoding="utf-8", errors="replace") as f:
                for line in f:
                    key, _, value = line.partition(":")
                    # x86 says "model name"; some ARM kernels only "Hardware"/"Model"
                    if key.strip() in ("model name", "Hardware", "Model") and value.strip():
                        return value.strip()
        elif sys.platform == "win32":
            identifier = os.environ.get("PROCESSOR_IDENTIFIER", "")
            if identifier:
                return identifier
    except OSError:
        pass
    return platform.machine()


def _cpu_memory(facts: dict[str, Any]) -> None:
    import psutil

    facts["cpu_cores"] = psutil.cpu_count(logical=True) or facts["cpu_cores"]
    facts["cpu_physical_cores"] = psutil.cpu_count(logical=False) or 0
    facts["memory_gb"] = round(psutil.virtual_memory().total / _GIB, 2)


def _version(facts: dict[str, Any]) -> None:
    from corral._version import __version__

    facts["corral_version"] = __version__


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


def _ide(facts: dict[str, Any]) -> None:
    facts["ide"] = detect_ide()


def _no_gpu() -> dict[str, Any]:
    return {"gpu_count": 0, "gpu_type": "", "gpu_memory_gb": 0.0, "gpu_driver": ""}


def _text(value: object) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def _gpus(facts: dict[str, Any]) -> None:
    try:
        import pynvml
    except ImportError:
        return
    try:
        pynvml.nvmlInit()
    except Exception as e:  # no driver, no GPU: the common case
        log.debug("NVML unavailable: %s", e)
        return
    try:
        count = int(pynvml.nvmlDeviceGetCount())
        names: list[str] = []
        memory = 0.0
        for i in range(count):
            handle = pynvml.nvmlDeviceGetHandleByIndex(i)
            names.append(_text(pynvml.nvmlDeviceGetName(handle)))
            if i == 0:
                memory = pynvml.nvmlDeviceGetMemoryInfo(handle).total / _GIB
        facts.update(
            gpu_count=count,
            gpu_type=", ".join(dict.fromkeys(names)),  # distinct models, in order
            gpu_memory_gb=round(memory, 2),
            gpu_driver=_text(pynvml.nvmlSystemGetDriverVersion()),
        )
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:
            pass
