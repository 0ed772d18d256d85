from __future__ import annotations

import pytest

from corral.sdk.capture.machine import IDES, detect_ide, runtime_facts
from corral.system.machine import machine_facts


def test_runtime_is_the_machine_facts_and_the_ide() -> None:
    facts = runtime_facts()

    assert facts["ide"] in IDES
    assert set(facts) == set(machine_facts()) | {"ide"}
    assert facts["cpu_cores"] == machine_facts()["cpu_cores"]


def test_ide_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("COLAB_RELEASE_TAG", "KAGGLE_KERNEL_RUN_TYPE", "PYCHARM_HOSTED", "VSCODE_PID"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TERM_PROGRAM", "vscode")
    assert detect_ide() == "vscode"

    monkeypatch.setenv("PYCHARM_HOSTED", "1")
    assert detect_ide() == "pycharm"

    monkeypatch.setenv("KAGGLE_KERNEL_RUN_TYPE", "Interactive")
    assert detect_ide() == "kaggle"


def test_ide_terminal_or_unknown_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "COLAB_RELEASE_TAG",
        "KAGGLE_KERNEL_RUN_TYPE",
        "PYCHARM_HOSTED",
        "VSCODE_PID",
        "TERM_PROGRAM",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TERM", "xterm")

    assert detect_ide() == "terminal"
