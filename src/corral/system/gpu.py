"""NVIDIA GPUs through NVML (``pynvml``, package ``nvidia-ml-py``), when a driver answers.

Every function here is safe on a machine without ``pynvml``, without a driver or
without a GPU (the common case): it answers "no GPU" instead of raising.

Example:
    >>> nvml = load_nvml()
    >>> try:
    ...     readings = read_gpus(nvml)
    ... finally:
    ...     release_nvml(nvml)
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("corral.system")

_GIB = 1024**3


@dataclass(frozen=True)
class GpuReading:
    """One GPU's state at one instant (memory in bytes, temperature in °C)."""

    index: int
    name: str
    utilization: float
    memory_used: int
    memory_total: int
    temperature: float


def load_nvml() -> Any:
    """The initialised ``pynvml`` module, or ``False`` (not installed, no driver, no GPU).

    Pair every successful call with :func:`release_nvml`.
    """
    try:
        import pynvml

        pynvml.nvmlInit()
        return pynvml
    except Exception as e:  # no driver, no GPU: the common case
        log.debug("NVML unavailable: %s", e)
        return False


def release_nvml(nvml: Any) -> None:
    """Shut down what :func:`load_nvml` gave (``False`` or ``None``: nothing to do)."""
    if nvml:
        try:
            nvml.nvmlShutdown()
        except Exception:  # the driver went away: nothing left to release
            pass


def _text(value: object) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def gpu_indices() -> list[int]:
    """Indices of the GPUs NVML sees on this machine (``[]`` without a driver or GPU).

    Example:
        >>> gpu_indices()  # doctest: +SKIP
        [0, 1]
    """
    nvml = load_nvml()
    if not nvml:
        return []
    try:
        return list(range(int(nvml.nvmlDeviceGetCount())))
    except Exception:
        return []
    finally:
        release_nvml(nvml)


def gpu_summary() -> dict[str, Any]:
    """``gpu_count``, ``gpu_type`` (distinct models), ``gpu_memory_gb`` (of the first GPU)
    and ``gpu_driver``; zeros and empty strings without a GPU. Never raises.

    Example:
        >>> gpu_summary()["gpu_count"] >= 0
        True
    """
    summary: dict[str, Any] = {
        "gpu_count": 0,
        "gpu_type": "",
        "gpu_memory_gb": 0.0,
        "gpu_driver": "",
    }
    nvml = load_nvml()
    if not nvml:
        return summary
    try:
        count = int(nvml.nvmlDeviceGetCount())
        names: list[str] = []
        memory = 0.0
        for i in range(count):
            handle = nvml.nvmlDeviceGetHandleByIndex(i)
            names.append(_text(nvml.nvmlDeviceGetName(handle)))
            if i == 0:
                memory = nvml.nvmlDeviceGetMemoryInfo(handle).total / _GIB
        summary.update(
            gpu_count=count,
            gpu_type=", ".join(dict.fromkeys(names)),  # distinct models, in order
            gpu_memory_gb=round(memory, 2),
            gpu_driver=_text(nvml.nvmlSystemGetDriverVersion()),
        )
    except Exception as e:  # a driver that answers init but not the queries
        log.debug("GPU facts unavailable: %s", e)
    finally:
        release_nvml(nvml)
    return summary


def read_gpus(nvml: Any, only: Collection[int] | None = None) -> list[GpuReading]:
    """Utilisation, memory and temperature of each GPU, now.

    Args:
        nvml: what :func:`load_nvml` gave (falsy: no GPU, ``[]``).
        only: read only these indices (``None``: every GPU).

    Raises:
        Exception: whatever NVML raises for a GPU that stops answering (callers that
            sample in a loop catch it).
    """
    if not nvml:
        return []
    readings: list[GpuReading] = []
    for i in range(int(nvml.nvmlDeviceGetCount())):
        if only is not None and i not in only:
            continue
        handle = nvml.nvmlDeviceGetHandleByIndex(i)
        util = nvml.nvmlDeviceGetUtilizationRates(handle)
        mem = nvml.nvmlDeviceGetMemoryInfo(handle)
        readings.append(
            GpuReading(
                index=i,
                name=_text(nvml.nvmlDeviceGetName(handle)),
                utilization=float(util.gpu),
                memory_used=int(mem.used),
                memory_total=int(mem.total),
                temperature=float(nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU)),
            )
        )
    return readings
