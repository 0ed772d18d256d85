"""What ``Task.init`` switches on: console, arguments, frameworks, resources, the abort
watch, and - in a background thread - the code, packages and machine facts.

Each capture is reversible: it registers its own ``stop`` with the run.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.sdk import params as P
from corral.sdk import threads
from corral.sdk.capture import arguments
from corral.sdk.session import hub_client

if TYPE_CHECKING:
    from corral.sdk.model import OutputModel
    from corral.sdk.run import Run
    from corral.sdk.task import Task

log = logging.getLogger("corral.sdk")


def start_capture(task: Task, run: Run, kw: dict[str, Any]) -> None:
    outbox = run.outbox
    if run.under_agent:
        task._console_captured = True  # the agent records the whole process output
    elif kw["auto_connect_streams"]:
        from corral.sdk.capture.console import ConsoleCapture

        def to_log(stream: str, text: str) -> None:
            level = "error" if stream == "stderr" else "info"
            outbox.event(
                {"type": "log", "stream": stream, "level": level, "text": text, "time": time.time()}
            )

        console = ConsoleCapture(to_log)
        console.start()
        task._console_captured = True
        run.on_stop(console.stop)

    if kw["auto_connect_arg_parser"]:
        arguments.attach(
            lambda section: task._set_section("Args", section, replace=False),
            _stored_args(task) if run.remote else None,
        )
        run.on_stop(arguments.detach)

    if kw["auto_connect_frameworks"]:
        from corral.sdk.capture.frameworks import install

        frameworks = kw["auto_connect_frameworks"]
        installed = install(FrameworkSink(task), frameworks if frameworks is not True else True)
        run.on_stop(installed.uninstall)

    if not run.offline:
        from corral.sdk.abort import AbortWatcher

        watcher = AbortWatcher(hub_client, task.id, run.abort)
        watcher.start()
        run.on_stop(watcher.stop)
        from corral.sdk.replay import replay_orphans

        threads.start(threading.Thread(target=replay_orphans, name="corral-replay", daemon=True))

    threads.start(
        threading.Thread(
            target=_capture_environment,
            args=(task, run, kw["auto_resource_monitoring"]),
            name="corral-capture",
            daemon=True,
        )
    )


def _stored_args(task: Task) -> dict[str, Any]:
    section = (task._data.get("hyperparams") or {}).get("Args") or {}
    return {name: P.cast(p.get("value"), p.get("type", "")) for name, p in section.items()}


def _start_monitor(task: Task, run: Run) -> None:
    from corral.sdk.capture.resources import ResourceMonitor

    interval = float(os.environ.get("CORRAL_MONITOR_INTERVAL", "5") or 5)
    monitor = ResourceMonitor(task.get_logger().report_scalar, interval=interval)
    monitor.start()
    run.on_stop(monitor.stop)
    if not run.active:  # the run ended while the monitor was starting
        monitor.stop()


def _capture_environment(task: Task, run: Run, monitor: bool) -> None:
    """Machine facts always; code and packages unless the task came from the hub (agent).

    Also starts the resource monitor (psutil's first samples take a while).
    """
    try:
        if monitor:
            _start_monitor(task, run)
        from corral.sdk.capture.machine import runtime_facts

        patch: dict[str, Any] = {"runtime": runtime_facts()}
        notebook: Path | None = None
        if not run.remote:
            script, notebook = _script()
            patch["script"] = script
        task._data.setdefault("runtime", {}).update(patch["runtime"])
        if "script" in patch:
            task._data.setdefault("script", {}).update(patch["script"])
        task._request("PATCH", f"tasks/{task.id}", patch)
        if notebook is not None and notebook.exists():
            task.upload_artifact("notebook", notebook)
    except Exception:
        log.warning("corral: could not capture the code and environment", exc_info=True)
    finally:
        run.capture_done.set()


def _script() -> tuple[dict[str, Any], Path | None]:
    from corral.sdk.capture.packages import requirements, scan_imports
    from corral.sdk.capture.script import capture_code
    from corral.sdk.task import Task
    from corral.system.packages import freeze

    code = capture_code()
    script: dict[str, Any] = dict(code.to_script())
    entry: Path | None = None
    if code.root is not None and code.entry_point and not code.entry_point.startswith("-m "):
        candidate = code.root / code.entry_point
        entry = candidate if candidate.is_file() else None
    if code.notebook_path is not None:
        modules = scan_imports(None, code=code.code, root=code.root)
    else:
        modules = scan_imports(entry, code=None if entry else code.code or None, root=code.root)
    lines = [ln for ln in requirements(modules).splitlines() if ln]
    for name, spec in Task._extra_requirements.items():
        lines = [ln for ln in lines if _dist(ln) != name.lower()]
        lines.append(f"{name}{spec}")
    script["requirements"] = {"pip": "\n".join(lines) + ("\n" if lines else "")}
    script["freeze"] = freeze()
    return script, code.notebook_path


def _dist(line: str) -> str:
    for sep in ("==", ">=", "<=", "~=", "!=", " @ ", ">", "<"):
        line = line.split(sep, 1)[0]
    return line.strip().lower()


class FrameworkSink:
    """Where framework captures report: the task's logger and output models."""

    def __init__(self, task: Task) -> None:
        self._task = task
        self._models: dict[str, OutputModel] = {}
        self._lock = threading.Lock()

    def report_scalar(self, title: str, series: str, value: float, iteration: int) -> None:
        self._task.get_logger().report_scalar(title, series, value, iteration)

    def report_image(self, title: str, series: str, iteration: int, image: Any) -> None:
        self._task.get_logger().report_image(title, series, iteration=iteration, image=image)

    def report_histogram(self, title: str, series: str, iteration: int, values: Any) -> None:
        self._task.get_logger().report_histogram(title, series, values, iteration=iteration)

    def report_matplotlib_figure(
        self, title: str, series: str, iteration: int, figure: Any
    ) -> None:
        self._task.get_logger().report_matplotlib_figure(title, series, figure, iteration)

    def report_text(self, text: str) -> None:
        self._task.get_logger().report_text(text, print_console=False)

    def register_output_model(self, path: str, framework: str, name: str | None = None) -> None:
        """A saved model file: the first save registers a model, later saves update it."""
        from corral.sdk.model import OutputModel

        key = os.path.abspath(path)
        with self._lock:
            model = self._models.get(key)
            if model is None:
                model = OutputModel(self._task, framework=framework, name=name or Path(path).stem)
                self._models[key] = model
        model.update_weights(path)
