"""GPU probing, on this machine (most likely without a GPU) and through a stand-in NVML
(:class:`tests.system.fake_nvml.FakeNvml`), so the conversions are checked without an
NVIDIA driver."""

from __future__ import annotations

import sys

import pytest

from corral.system.gpu import (
    GpuReading,
    gpu_indices,
    gpu_summary,
    load_nvml,
    read_gpus,
    release_nvml,
)
from tests.system.fake_nvml import GIB, FakeNvml


def test_without_nvml_there_is_no_gpu() -> None:
    assert read_gpus(False) == []
    release_nvml(False)
    release_nvml(None)
    nvml = load_nvml()
    try:
        assert len(read_gpus(nvml)) == len(gpu_indices())
    finally:
        release_nvml(nvml)
    assert gpu_summary()["gpu_count"] == len(gpu_indices())


def test_readings_through_nvml() -> None:
    nvml = FakeNvml()

    assert read_gpus(nvml) == [
        GpuReading(0, "Tesla T4", 10.0, GIB, 16 * GIB, 40.0),
        GpuReading(1, "Tesla T4", 20.0, 2 * GIB, 16 * GIB, 41.0),
    ]
    assert [g.index for g in read_gpus(nvml, only={1})] == [1]
    assert read_gpus(nvml, only=set()) == []


def test_summary_and_indices_release_nvml(monkeypatch: pytest.MonkeyPatch) -> None:
    nvml = FakeNvml()
    monkeypatch.setitem(sys.modules, "pynvml", nvml)

    assert gpu_summary() == {
        "gpu_count": 2,
        "gpu_type": "Tesla T4",  # one model, named once
        "gpu_memory_gb": 16.0,
        "gpu_driver": "550.54",
    }
    assert gpu_indices() == [0, 1]
    assert nvml.live == 0
