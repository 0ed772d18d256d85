"""What a worker tells the hub about its machine: facts once, stats with each heartbeat.

Facts (``worker_facts``) are the machine's facts (``corral.system.machine``) plus
what only the agent knows: its mode, the GPUs it gives tasks, services mode.
Stats (:class:`StatsSampler`) are CPU and memory use, network throughput since the
previous sample and, through NVML when a driver answers, each GPU's utilisation
and memory - only the GPUs the agent was given (``--gpus 0,1``).
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from corral.schemas.queues import GpuStat, MachineStats
from corral.system.counters import Counters, byte_rate, cpu_percent, read_counters
from corral.system.gpu import gpu_indices, load_nvml, read_gpus, release_nvml
from corral.system.machine import machine_facts

log = logging.getLogger("corral.agent")


def worker_facts(mode: str, gpus: list[str] | None, services: int = 0) -> dict[str, Any]:
    """The ``machine`` of the worker's registration.

    Args:
        mode: the runner (``venv``, ``docker``, ``plain``).
        gpus: the GPUs given to tasks (``None``: all the machine has; ``[]``: none).
        services: tasks run at once in services mode (0: one at a time).

    Example:
        >>> worker_facts("plain", [])["mode"]
        'plain'
    """
    facts = machine_facts()
    facts["hostname"] = facts.get("hostname") or socket.gethostname()
    facts["mode"] = mode
    facts["gpus"] = [str(i) for i in gpu_indices()] if gpus is None else list(gpus)
    facts["services_mode"] = services
    return facts


class StatsSampler:
    """Samples :class:`MachineStats`; rates are measured since the previous sample.

    Args:
        gpus: report only these GPU indices (``None``: all; ``[]``: none).

    Example:
        >>> sampler = StatsSampler(gpus=[])
        >>> sampler.sample().memory_total > 0
        True
        >>> sampler.close()
    """

    def __init__(self, gpus: list[str] | None = None) -> None:
        self._only: set[int] | None = None
        if gpus is not None:
            self._only = {int(g) for g in gpus if g.strip().isdigit()}
        self._nvml: Any = None  # the pynvml module once initialised, False if unusable
        self._previous: Counters | None = self._safe_counters()

    def sample(self) -> MachineStats:
        """Take one sample now (never raises: what cannot be read is left out)."""
        import psutil

        stats = MachineStats()
        now = self._safe_counters()
        before, self._previous = self._previous, now
        if now is not None and before is not None:
            cpu = cpu_percent(before, now)
            if cpu is not None:
                stats.cpu_percent = round(cpu, 2)
            seconds = now.at - before.at
            stats.net_rx = _rate(now.net_rx, before.net_rx, seconds)
            stats.net_tx = _rate(now.net_tx, before.net_tx, seconds)
        try:
            memory = psutil.virtual_memory()
            stats.memory_total = int(memory.total)
            stats.memory_used = int(memory.total - memory.available)
        except Exception as e:
            log.debug("memory unavailable: %s", e)
        try:
            stats.gpus = self._gpus()
        except Exception as e:
            log.debug("GPU stats unavailable: %s", e)
        return stats

    def close(self) -> None:
        """Release NVML."""
        nvml, self._nvml = self._nvml, None
        release_nvml(nvml)

    def _safe_counters(self) -> Counters | None:
        try:
            return read_counters()
        except Exception as e:
            log.debug("machine counters unavailable: %s", e)
            return None

    def _gpus(self) -> list[GpuStat]:
        if self._only is not None and not self._only:
            return []
        return [
            GpuStat(
                index=gpu.index,
                name=gpu.name,
                utilization=gpu.utilization,
                memory_used=gpu.memory_used,
                memory_total=gpu.memory_total,
                temperature=gpu.temperature,
            )
            for gpu in read_gpus(self._init_nvml(), self._only)
        ]

    def _init_nvml(self) -> Any:
        if self._nvml is None:
            self._nvml = load_nvml()
        return self._nvml


def _rate(new: int | None, old: int | None, seconds: float) -> float | None:
    """Bytes per second between two counter readings, to 0.1."""
    rate = byte_rate(new, old, seconds)
    return None if rate is None else round(rate, 1)
