"""What a worker reports of its machine: facts at registration, stats with heartbeats."""

from __future__ import annotations

import sys

import pytest

from corral.agent.stats import StatsSampler, worker_facts
from corral.system.machine import machine_facts
from tests.system.fake_nvml import FakeNvml


def test_worker_facts_are_the_machine_s_and_the_agent_s() -> None:
    facts = worker_facts("docker", ["0", "2"], services=3)

    assert set(machine_facts()) <= set(facts)
    assert "ide" not in facts  # an agent runs in no IDE
    assert (facts["mode"], facts["gpus"], facts["services_mode"]) == ("docker", ["0", "2"], 3)
    assert facts["hostname"]


def test_stats_of_this_machine() -> None:
    sampler = StatsSampler(gpus=[])
    try:
        sum(i * i for i in range(200_000))  # some CPU time between two samples
        stats = sampler.sample()
    finally:
        sampler.close()

    assert stats.memory_total > stats.memory_used > 0
    assert stats.cpu_percent is None or 0.0 <= stats.cpu_percent <= 100.0
    assert stats.gpus == []


def test_stats_report_only_the_gpus_given_to_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    nvml = FakeNvml()
    monkeypatch.setitem(sys.modules, "pynvml", nvml)

    every = StatsSampler(gpus=None)
    given = StatsSampler(gpus=["1"])
    try:
        assert [g.index for g in every.sample().gpus] == [0, 1]
        (gpu,) = given.sample().gpus
    finally:
        every.close()
        given.close()

    assert (gpu.index, gpu.name, gpu.utilization, gpu.temperature) == (1, "Tesla T4", 20.0, 41.0)
    assert (gpu.memory_used, gpu.memory_total) == (2 * 1024**3, 16 * 1024**3)
    assert nvml.live == 0  # every NVML init was shut down
    assert worker_facts("venv", None)["gpus"] == ["0", "1"]  # None: every GPU
