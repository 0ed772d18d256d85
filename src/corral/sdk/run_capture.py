"""What ``Task.init`` switches on: console, arguments, frameworks, resources, the abort
watch, and - in a background thread - the code, packages and machine facts.

Each capture is reversible: it registers its own ``stop`` with the run.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from corral.client.http import HubClient
from corral.core.task_status import S, can
from corral.errors import NotFoundError
from corral.sdk import local_state, threads
from corral.sdk.abort import AbortWatcher, Connect
from corral.sdk.artifacts import upload_artifact
from corral.sdk.capture import arguments
from corral.sdk.capture.console import ConsoleCapture
from corral.sdk.capture.frameworks import install
from corral.sdk.capture.resources import ResourceMonitor
from corral.sdk.capture.reuse import environment_patch
from corral.sdk.connect import set_parameters
from corral.sdk.handle import RunHandle
from corral.sdk.logger import Logger, logger_for
from corral.sdk.model import OutputModel
from corral.sdk.replay import replay_orphans
from corral.sdk.run import Run
from corral.sdk.session import hub_client

log = logging.getLogger("corral.sdk")

#: seconds between two looks for spool folders left by ended processes (many runs in
#: one process look once, not once per run)
REPLAY_EVERY = 60.0
#: seconds a run lives before it watches the hub for an abort (see ``_late_client``)
ABORT_WATCH_AFTER = 1.0
_last_replay: float | None = None


def start_capture(handle: RunHandle, run: Run, kw: Mapping[str, Any]) -> None:
    outbox = run.outbox
    if run.under_agent:
        handle.console_captured = True  # the agent records the whole process output
    elif kw["auto_connect_streams"]:

        def to_log(stream: str, text: str) -> None:
            level = "error" if stream == "stderr" else "info"
            outbox.event(
                {"type": "log", "stream": stream, "level": level, "text": text, "time": time.time()}
            )

        console = ConsoleCapture(to_log)
        console.start()
        handle.console_captured = True
        run.on_stop(console.stop)

    if kw["auto_connect_arg_parser"]:
        arguments.attach(handle, remote=run.remote)
        run.on_stop(arguments.detach)

    if kw["auto_connect_frameworks"]:
        frameworks = kw["auto_connect_frameworks"]
        installed = install(FrameworkSink(handle), frameworks if frameworks is not True else True)
        run.on_stop(installed.uninstall)

    if not run.offline:
        stopped = threading.Event()
        watcher = AbortWatcher(_late_client(handle, run, stopped), handle.id, run.abort)
        watcher.start()
        run.on_stop(stopped.set)
        run.on_stop(watcher.stop)  # stoppers run last first: the watch knows it is stopped
        _replay_orphans()

    threads.start(
        threading.Thread(
            target=_capture_environment,
            args=(handle, run, kw["auto_resource_monitoring"], dict(kw["extra_requirements"])),
            name="corral-capture",
            daemon=True,
        )
    )


class _RunEnded(Exception):
    """The run closed before its abort watch began, or the watch already fired."""


def _late_client(handle: RunHandle, run: Run, stopped: threading.Event) -> Connect:
    """The abort watch's connection, made only once the run has lived ``ABORT_WATCH_AFTER``.

    A shorter run (many runs in a loop) costs the hub no watch at all. When the watch
    begins, it takes the change log's cursor, then looks at the task once: an abort (or a
    reset or deletion) before the cursor shows in the task, one after it in the change
    log that the watch follows from that cursor.
    """
    fired = threading.Event()

    def factory() -> tuple[HubClient, int | None]:
        if stopped.wait(ABORT_WATCH_AFTER) or fired.is_set():
            stopped.wait()
            raise _RunEnded  # the watch pauses, sees its stop flag and ends
        client = hub_client()
        cursor = int(client.get("changes/latest")["cursor"])
        reason = _missed_stop(client, handle, run)
        if reason is not None:
            fired.set()
            run.abort(reason)
            raise _RunEnded
        return client, cursor

    return factory


def _missed_stop(client: HubClient, handle: RunHandle, run: Run) -> str | None:
    """Whether the task was aborted, reset or deleted on the hub before the watch began."""
    if not run.on_hub or run.finished:
        return None  # a create still in the outbox: the task's state says nothing yet
    try:
        status = client.get(f"tasks/{handle.id}")["status"]
    except NotFoundError:
        return "deleted"
    if run.finished:
        return None
    if status == S.stopped:
        return "aborted"
    if can(status, "start") and run.outbox.sent_ops:
        return "reset"  # the start was delivered, and the task is a draft again
    return None


def _replay_orphans() -> None:
    global _last_replay
    now = time.monotonic()
    if _last_replay is not None and now - _last_replay < REPLAY_EVERY:
        return
    _last_replay = now
    threads.start(threading.Thread(target=replay_orphans, name="corral-replay", daemon=True))


def _start_monitor(handle: RunHandle, run: Run) -> None:
    interval = float(os.environ.get("CORRAL_MONITOR_INTERVAL", "5") or 5)
    monitor = ResourceMonitor(logger_for(handle).report_scalar, interval=interval)
    monitor.start()
    run.on_stop(monitor.stop)
    if not run.active:  # the run ended while the monitor was starting
        monitor.stop()


def _capture_environment(
    handle: RunHandle, run: Run, monitor: bool, extra_requirements: dict[str, str]
) -> None:
    """Machine facts always; code and packages unless the task came from the hub (agent).

    Also starts the resource monitor (psutil's first samples take a while). What an
    earlier run of this process captured is reused while nothing it depends on changed
    (``corral.sdk.capture.reuse``).
    """
    try:
        if run.remember is not None:
            local_state.remember_task(*run.remember, handle.id)
        if monitor:
            _start_monitor(handle, run)
        if run.environment_sent:
            return
        patch, notebook = environment_patch(with_code=not run.remote, extra=extra_requirements)
        handle.data.setdefault("runtime", {}).update(patch["runtime"])
        if "script" in patch:
            handle.data.setdefault("script", {}).update(patch["script"])
        handle.request("PATCH", f"tasks/{handle.id}", patch)
        if notebook is not None and notebook.exists():
            upload_artifact(handle, "notebook", notebook)
    except Exception:
        log.warning("corral: could not capture the code and environment", exc_info=True)
    finally:
        run.capture_done.set()


class FrameworkSink:
    """Where framework captures report: the task's logger and output models."""

    def __init__(self, handle: RunHandle) -> None:
        self._handle = handle
        self._models: dict[str, OutputModel] = {}
        self._lock = threading.Lock()

    @property
    def _logger(self) -> Logger:
        return logger_for(self._handle)

    def report_scalar(self, title: str, series: str, value: float, iteration: int) -> None:
        self._logger.report_scalar(title, series, value, iteration)

    def report_image(self, title: str, series: str, iteration: int, image: Any) -> None:
        self._logger.report_image(title, series, iteration=iteration, image=image)

    def report_histogram(self, title: str, series: str, iteration: int, values: Any) -> None:
        self._logger.report_histogram(title, series, values, iteration=iteration)

    def report_matplotlib_figure(
        self, title: str, series: str, iteration: int, figure: Any
    ) -> None:
        self._logger.report_matplotlib_figure(title, series, figure, iteration)

    def report_text(self, text: str) -> None:
        self._logger.report_text(text, print_console=False)

    def report_parameters(self, section: str, values: dict[str, Any]) -> None:
        set_parameters(self._handle, {f"{section}/{name}": v for name, v in values.items()})

    def register_output_model(self, path: str, framework: str, name: str | None = None) -> None:
        """A saved model file: the first save registers a model, later saves update it."""
        key = os.path.abspath(path)
        with self._lock:
            model = self._models.get(key)
            if model is None:
                model = OutputModel(self._handle, framework=framework, name=name or Path(path).stem)
                self._models[key] = model
        model.update_weights(path, auto_delete_file=False, update_comment=False)
