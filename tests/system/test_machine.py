from __future__ import annotations

import platform
import sys

from corral._version import __version__
from corral.system.machine import cpu_model, machine_facts

KEYS = {
    "os": str,
    "os_name": str,
    "hostname": str,
    "cpu_cores": int,
    "cpu_physical_cores": int,
    "cpu_model": str,
    "memory_gb": float,
    "python": str,
    "python_executable": str,
    "corral_version": str,
    "gpu_count": int,
    "gpu_type": str,
    "gpu_memory_gb": float,
    "gpu_driver": str,
}


def test_machine_facts_keys_and_types() -> None:
    facts = machine_facts()

    assert set(facts) == set(KEYS)
    for key, kind in KEYS.items():
        assert isinstance(facts[key], kind), (key, facts[key])


def test_machine_facts_values() -> None:
    facts = machine_facts()

    assert facts["memory_gb"] > 0
    assert facts["memory_gb"] == round(facts["memory_gb"], 2)
    assert facts["cpu_cores"] >= 1
    assert facts["cpu_cores"] >= facts["cpu_physical_cores"] >= 0
    assert facts["os"] == platform.platform()
    assert facts["os_name"] == platform.system()
    assert facts["python"] == platform.python_version()
    assert facts["python_executable"] == sys.executable
    assert facts["corral_version"] == __version__
    assert facts["cpu_model"] == cpu_model() != ""
    assert facts["gpu_count"] >= 0
    if facts["gpu_count"] == 0:
        assert facts["gpu_type"] == facts["gpu_driver"] == ""
