"""The services' imports point one way: the deletion cascade and the clock stand alone."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _services_loaded_by(module: str) -> set[str]:
    code = (
        f"import sys, {module}\n"
        "print(' '.join(m for m in sys.modules if m.startswith('corral.server.services.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return {m.rsplit(".", 1)[1] for m in out.split()}


@pytest.mark.parametrize(
    ("module", "allowed"),
    [
        ("corral.server.services.clock", {"clock"}),
        (
            "corral.server.services.deletion",
            {"deletion", "changes", "stored_files", "clock", "task_tokens", "dataset_gc"},
        ),
    ],
)
def test_the_cascade_imports_no_resource_service(module: str, allowed: set[str]) -> None:
    # projects, tasks and models call the cascade; it must not call them back
    assert _services_loaded_by(module) <= allowed


def test_task_records_do_not_import_the_task_lifecycle() -> None:
    assert "task_lifecycle" not in _services_loaded_by("corral.server.services.tasks")
