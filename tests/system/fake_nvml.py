"""A stand-in for ``pynvml``: two GPUs of one model, without a driver.

Give it to :func:`corral.system.gpu.read_gpus` as its ``nvml`` argument, or put it in
``sys.modules["pynvml"]`` for the code that loads NVML itself.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

GIB = 1024**3


class FakeNvml:
    """Two GPUs of one model; records init and shutdown."""

    NVML_TEMPERATURE_GPU = 0

    def __init__(self) -> None:
        self.live = 0

    def nvmlInit(self) -> None:
        self.live += 1

    def nvmlShutdown(self) -> None:
        self.live -= 1

    def nvmlDeviceGetCount(self) -> int:
        return 2

    def nvmlDeviceGetHandleByIndex(self, i: int) -> int:
        return i

    def nvmlDeviceGetName(self, handle: int) -> bytes:
        return b"Tesla T4"

    def nvmlDeviceGetUtilizationRates(self, handle: int) -> Any:
        return SimpleNamespace(gpu=10 * (handle + 1))

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> Any:
        return SimpleNamespace(used=GIB * (handle + 1), total=16 * GIB)

    def nvmlDeviceGetTemperature(self, handle: int, sensor: int) -> int:
        return 40 + handle

    def nvmlSystemGetDriverVersion(self) -> str:
        return "550.54"
