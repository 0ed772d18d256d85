"""Fixtures for the framework auto-capture tests.

``sink`` is a :class:`CollectingSink`: it records every call the bindings make. It stands
for the SDK side of the seam (the ``CaptureSink`` protocol); the frameworks themselves
are real. ``capture`` installs the bindings for one test and uninstalls them after it.
``run_python`` runs a script in a fresh interpreter, optionally with a directory of
stand-in packages first on ``PYTHONPATH``, and returns what the script printed as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from corral.sdk.capture.frameworks import Installed, install
from tests import factories as f
from tests.sdk.conftest import run_script


class CollectingSink:
    """Records each call as ``(method, args)``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def report_scalar(self, title: str, series: str, value: float, iteration: int) -> None:
        self.calls.append(("report_scalar", (title, series, value, iteration)))

    def report_image(self, title: str, series: str, iteration: int, image: Any) -> None:
        self.calls.append(("report_image", (title, series, iteration, image)))

    def report_histogram(self, title: str, series: str, iteration: int, values: Any) -> None:
        self.calls.append(("report_histogram", (title, series, iteration, values)))

    def report_matplotlib_figure(
        self, title: str, series: str, iteration: int, figure: Any
    ) -> None:
        self.calls.append(("report_matplotlib_figure", (title, series, iteration, figure)))

    def report_text(self, text: str) -> None:
        self.calls.append(("report_text", (text,)))

    def report_parameters(self, section: str, values: dict[str, Any]) -> None:
        self.calls.append(("report_parameters", (section, dict(values))))

    def register_output_model(self, path: str, framework: str, name: str | None = None) -> None:
        self.calls.append(("register_output_model", (path, framework, name)))

    def of(self, method: str) -> list[tuple[Any, ...]]:
        """The arguments of each call to ``method``."""
        return [args for name, args in self.calls if name == method]


@pytest.fixture
def sink() -> CollectingSink:
    return CollectingSink()


Capture = Callable[..., Installed]


@pytest.fixture
def capture(sink: CollectingSink) -> Iterator[Capture]:
    """``capture(frameworks=True, sink=sink)`` installs; every installation is undone after."""
    made: list[Installed] = []

    def _install(frameworks: bool | Mapping[str, bool] = True, to: Any = None) -> Installed:
        installed = install(sink if to is None else to, frameworks)
        made.append(installed)
        return installed

    yield _install
    for installed in reversed(made):
        installed.uninstall()


# A sink for scripts run in a subprocess: records JSON-able summaries, printed at exit.
SCRIPT_PRELUDE = """
import atexit, json, sys
from corral.sdk.capture.frameworks import install

class Sink:
    def __init__(self):
        self.calls = []
    def report_scalar(self, title, series, value, iteration):
        self.calls.append(["report_scalar", title, series, value, iteration])
    def report_image(self, title, series, iteration, image):
        self.calls.append(["report_image", title, series, iteration, list(image.shape)])
    def report_histogram(self, title, series, iteration, values):
        self.calls.append(["report_histogram", title, series, iteration, len(values)])
    def report_matplotlib_figure(self, title, series, iteration, figure):
        self.calls.append(["report_matplotlib_figure", title, series, iteration])
    def report_text(self, text):
        self.calls.append(["report_text", text])
    def report_parameters(self, section, values):
        self.calls.append(["report_parameters", section, sorted(values)])
    def register_output_model(self, path, framework, name=None):
        self.calls.append(["register_output_model", path, framework, name])

sink = Sink()
result = {"calls": sink.calls}
atexit.register(lambda: print(json.dumps(result)))
"""


def run_python(code: str, cwd: Path, *, first_on_path: Path | None = None) -> dict[str, Any]:
    """Run :data:`SCRIPT_PRELUDE` + ``code`` in a new interpreter; its ``result`` dict."""
    env = dict(os.environ)
    if first_on_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(first_on_path), env.get("PYTHONPATH", "")) if p
        )
    env["MPLBACKEND"] = "Agg"
    script = cwd / "script.py"
    script.write_text(SCRIPT_PRELUDE + textwrap.dedent(code))
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def write_package(root: Path, files: Mapping[str, str]) -> Path:
    """Write ``{"pkg/__init__.py": source, ...}`` under ``root``; returns ``root``."""
    for rel, source in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return root


Curves = dict[tuple[str, str], tuple[list[int], list[float]]]


def run_and_read_curves(
    script: str, env: dict[str, str], api: httpx.Client, cwd: Path
) -> tuple[str, Curves]:
    """Run a training ``script`` (it prints ``TASK <id>``) against the hub; the task's id
    and its curves ``{(title, series): (iterations, values)}`` without the machine's."""
    out = run_script(script, env, cwd)
    task_id = next(x.split()[1] for x in out.stdout.splitlines() if x.startswith("TASK "))
    page = f.ok(api.get(f"/tasks/{task_id}/scalars", params={"full": "true"}))
    curves = {
        (s["metric"], s["variant"]): (s["iterations"], s["values"])
        for s in page["series"]
        if not s["metric"].startswith(":monitor:")  # machine use, when the run lasts
    }
    return task_id, curves
