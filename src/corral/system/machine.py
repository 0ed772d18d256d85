"""What the machine is: OS, CPU, memory, Python, corral's version, GPUs.

Cheap by design (no subprocess): the CPU model comes from ``/proc/cpuinfo`` or the
environment, memory from psutil, GPUs from NVML (:mod:`corral.system.gpu`). The SDK
adds where the program runs (its IDE) to make a task's ``runtime``; the agent adds
its mode and GPUs to make a worker's ``machine``.
"""

from __future__ import annotations

import logging
import os
import platform
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from corral._version import __version__
from corral.system.gpu import gpu_summary

log = logging.getLogger("corral.system")

_GIB = 1024**3


def machine_facts() -> dict[str, Any]:
    """Describe this machine and interpreter.

    Returns:
        ``os``, ``os_name``, ``hostname``, ``cpu_cores`` (logical),
        ``cpu_physical_cores``, ``cpu_model``, ``memory_gb``, ``python``,
        ``python_executable``, ``corral_version``, ``gpu_count``, ``gpu_type``,
        ``gpu_memory_gb`` and ``gpu_driver``. A fact that cannot be read is left at
        ``0``/``""``; never raises.

    Example:
        >>> machine_facts()["cpu_cores"] > 0
        True
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
    }
    steps: tuple[Callable[[dict[str, Any]], None], ...] = (_platform, _cpu_memory, _version)
    for step in steps:
        try:
            step(facts)
        except Exception as e:  # never raise into the caller's program
            log.debug("machine fact %s failed: %s", step.__name__, e)
    facts.update(gpu_summary())
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
    facts["corral_version"] = __version__
