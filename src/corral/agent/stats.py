"""What a worker tells the hub about its machine: facts once, stats with each heartbeat.

Facts (``worker_facts``) are the SDK's machine facts (``corral.sdk.capture.machine``)
plus what only the agent knows: its mode, the GPUs it gives tasks, services mode.
Stats (:class:`StatsSampler`) are CPU and memory use, network throughput since the
previous sample and, through NVML when a driver answers, each GPU's utilisation
and memory - only the GPUs the agent was given (``--gpus 0,1``).
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from corral.schemas.queues import GpuStat, MachineStats
from corral.sdk.capture.resources import _Counters, _counters, load_nvml, release_nvml

log = logging.getLogger("corral.agent")


def gpu_indices() -> list[int]:
    """Indices of the GPUs NVML sees on this machine (``[]`` without a driver or GPU)."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:  # not installed, no driver or no GPU: the common case
        return []
    try:
        return list(range(int(pynvml.nvmlDeviceGetCount())))
    except Exception:
        return []
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:
            pass


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
    from corral.sdk.capture.machine import machine_facts

    facts = machine_facts()
    facts.pop("ide", None)  # an agent runs in no IDE; the fact would only say "terminal"
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
        self._previous: _Counters | None = self._safe_counters()

    def sample(self) -> MachineStats:
        """Take one sample now (never raises: what cannot be read is left out)."""
        import psutil

        stats = MachineStats()
        now = self._safe_counters()
        before, self._previous = self._previous, now
        if now is not None and before is not None:
            total = now.cpu_total - before.cpu_total
            if total > 0:
                busy = 100.0 * (now.cpu_busy - before.cpu_busy) / total
                stats.cpu_percent = round(min(100.0, max(0.0, busy)), 2)
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

    def _safe_counters(self) -> _Counters | None:
        try:
            return _counters()
        except Exception as e:
            log.debug("machine counters unavailable: %s", e)
            return None

    def _gpus(self) -> list[GpuStat]:
        if self._only is not None and not self._only:
            return []
        nvml = self._init_nvml()
        if not nvml:
            return []
        out: list[GpuStat] = []
        for i in range(nvml.nvmlDeviceGetCount()):
            if self._only is not None and i not in self._only:
                continue
            handle = nvml.nvmlDeviceGetHandleByIndex(i)
            util = nvml.nvmlDeviceGetUtilizationRates(handle)
            mem = nvml.nvmlDeviceGetMemoryInfo(handle)
            name = nvml.nvmlDeviceGetName(handle)
            out.append(
                GpuStat(
                    index=i,
                    name=name.decode() if isinstance(name, bytes) else str(name),
                    utilization=float(util.gpu),
                    memory_used=int(mem.used),
                    memory_total=int(mem.total),
                    temperature=float(
                        nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU)
                    ),
                )
            )
        return out

    def _init_nvml(self) -> Any:
        if self._nvml is None:
            self._nvml = load_nvml()
        return self._nvml


def _rate(new: int | None, old: int | None, seconds: float) -> float | None:
    """Bytes per second between two counter readings."""
    if new is None or old is None or seconds <= 0:
        return None
    return round(max(0, new - old) / seconds, 1)
