"""The run behind ``Task.init``: which task, the capture, the exit and the abort.

``start_run`` picks the task (a new one, the previous one reused or continued, or -
under an agent, ``CORRAL_TASK_ID`` - the queued one), creates it with one request
(spooled when the hub is away), and starts the capture: code and packages in a
background thread, arguments, console, resources, frameworks, the abort watch. The
``Run`` ends the task at exit: ``completed``, ``failed`` on an uncaught exception,
``stopped`` on Ctrl-C or SIGTERM; under an agent the agent sets the final status.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading
import traceback
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.core.task_status import ACTIVE, S, can
from corral.errors import AuthError, CorralError, ServerUnavailableError
from corral.sdk import local_state, spool, threads
from corral.sdk.outbox import Outbox
from corral.sdk.session import hub_client

if TYPE_CHECKING:
    from corral.sdk.task import Task

log = logging.getLogger("corral.sdk")

#: seconds Task.init waits for the hub to create the task before spooling instead
INIT_TIMEOUT = 5.0


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class Run:
    """The live part of the task this process runs."""

    def __init__(self, task: Task, outbox: Outbox, *, remote: bool, offline: bool) -> None:
        self.task = task
        self.outbox = outbox
        self.remote = remote
        self.offline = offline
        self.under_agent = bool(os.environ.get("CORRAL_AGENT"))
        self.active = True
        self.aborted = False
        #: ``execute_remotely`` ended the run for an agent to run the task
        self.handed_over = False
        self._finished = False
        self._exception: BaseException | None = None
        self._stoppers: list[Any] = []
        self._lock = threading.Lock()
        self.capture_done = threading.Event()
        #: output models published once the task has completed
        self.publish_after: list[str] = []

    def on_stop(self, stopper: Any) -> None:
        """Call ``stopper()`` when the run closes (capture threads, patches)."""
        self._stoppers.append(stopper)

    # --- the end ------------------------------------------------------------------------

    def finish(self, status: str, body: dict[str, Any] | None = None) -> None:
        """Send the final status once (``completed``, ``failed`` or ``stopped``)."""
        with self._lock:
            if self._finished:
                return
            self._finished = True
        action = {S.completed: "complete", S.failed: "fail", S.stopped: "stop"}[S(status)]
        self.task._data["status"] = status
        self.outbox.op(
            {
                "kind": "request",
                "method": "POST",
                "path": f"tasks/{self.task.id}:{action}",
                "json": body or {},
                "accept": [409],
            }
        )

    def hand_over(self, timeout: float) -> bool:
        """End the run without a final status (an agent will run the task); True if delivered."""
        self.handed_over = True
        return self.close(timeout=timeout)

    def close(
        self,
        status: str = "completed",
        body: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> bool:
        with self._lock:
            if not self.active:
                return False
            self.active = False
        self.capture_done.wait(_env_float("CORRAL_CAPTURE_TIMEOUT", 10.0))
        for stopper in reversed(self._stoppers):
            try:
                stopper()
            except Exception:
                log.debug("stopping a capture failed", exc_info=True)
        if not self.aborted and not self.under_agent and not self.handed_over:
            self.finish(status, body)
            for model_id in self.publish_after if status == S.completed else []:
                self.outbox.op(
                    {
                        "kind": "request",
                        "method": "POST",
                        "path": f"models/{model_id}:publish",
                        "json": None,
                    }
                )
        delivered = self.outbox.close(
            timeout if timeout is not None else _env_float("CORRAL_EXIT_TIMEOUT", 10.0)
        )
        if self.offline:
            print(
                f"corral: offline run recorded in {self.outbox.folder}\n"
                f"corral: upload it with `corral task import {self.outbox.folder}`",
                file=sys.__stderr__,
            )
        elif not delivered:
            log.debug("close: not everything delivered")
        import shutil

        shutil.rmtree(self.task._scratch_dir(), ignore_errors=True)
        from corral.sdk.task import Task

        if Task._current is self.task:
            Task._current = None
        return delivered

    def _atexit(self) -> None:
        if not self.active:
            return
        exc = self._exception
        if self.aborted:
            self.close()
        elif exc is None:
            self.close("completed")
        elif isinstance(exc, KeyboardInterrupt):
            self.close("stopped", {"reason": "interrupted (KeyboardInterrupt)"})
        elif isinstance(exc, SystemExit) and exc.code in (0, None):
            self.close("completed")
        elif isinstance(exc, SystemExit):
            self.close("stopped" if exc.code == 143 else "failed", _exit_reason(exc))
        else:
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            self.close(
                "failed", {"reason": f"{type(exc).__name__}: {exc}"[:4096], "message": text[-4096:]}
            )

    def install_exit_hooks(self) -> None:
        atexit.register(self._atexit)
        previous = sys.excepthook
        original_exit = sys.exit

        def exit_(status: Any = None) -> Any:
            # SystemExit never reaches sys.excepthook: remember the code for the final status
            self._exception = SystemExit(status)
            return original_exit(status)

        sys.exit = exit_

        def excepthook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
            self._exception = value
            previous(kind, value, tb)

        sys.excepthook = excepthook
        if threading.current_thread() is threading.main_thread():
            try:
                if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
                    signal.signal(signal.SIGTERM, _sigterm)
            except (ValueError, OSError):
                pass

    # --- abort --------------------------------------------------------------------------

    def abort(self, reason: str) -> None:
        """The task was aborted on the hub: stop the process, gracefully then hard."""
        self.aborted = True
        print(f"corral: task {self.task.id} was {reason} on the hub; stopping", file=sys.__stderr__)
        import _thread

        grace = _env_float("CORRAL_ABORT_GRACE", 10.0)
        timer = threading.Timer(grace, self._hard_exit)
        timer.daemon = True
        threads.start(timer)
        # a real SIGINT to the main thread also wakes it from a blocking call (sleep, a
        # socket read), where interrupt_main alone would wait for it to return
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler) and hasattr(signal, "pthread_kill"):
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        else:
            _thread.interrupt_main()

    def _hard_exit(self) -> None:
        print("corral: the process did not stop in time; ending it", file=sys.__stderr__)
        try:
            self.outbox.close(3.0)
        finally:
            os._exit(137)


def _sigterm(signum: int, frame: Any) -> None:
    from corral.sdk.task import Task

    task = Task.current_task()
    if task is not None and task._run is not None:
        task._run._exception = SystemExit(143)
    raise SystemExit(143)


def _exit_reason(exc: SystemExit) -> dict[str, Any]:
    if exc.code == 143:
        return {"reason": "terminated (SIGTERM)", "exit_code": 143}
    code = exc.code if isinstance(exc.code, int) else 1
    return {"reason": f"exit code {exc.code}", "exit_code": code}


# --- choosing and creating the task ---------------------------------------------------------


def start_run(cls: type[Task], **kw: Any) -> Task:
    # thread pools (uploads) register an exit hook when first imported; a short script can
    # be exiting by the time the background capture imports them, so import them now
    import concurrent.futures.thread  # noqa: F401

    from corral.sdk.task import Task

    offline = cls.is_offline()
    remote_id = os.environ.get("CORRAL_TASK_ID") or None
    project = kw["project_name"] or "default"
    name = kw["task_name"] or _default_name()
    meta = {"project": project, "name": name, "offline": offline}
    data: dict[str, Any] | None = None
    created_later: dict[str, Any] | None = None
    iteration_offset = 0

    if remote_id and not offline:
        data = _attach(remote_id)
    else:
        if not offline and (kw["continue_last_task"] or kw["reuse_last_task_id"]):
            data, iteration_offset = _previous(project, name, kw)
        if data is None:
            data = _new_task_body(project, name, kw)
            created_later = dict(data)
            data = {**data, "status": "created", "project_name": project}
            if not offline:
                created_later = _create(data, created_later)

    assert data is not None
    task_id = data["id"]
    meta["task_id"] = task_id
    folder = (
        spool.offline_root() / task_id
        if offline
        else spool.spool_root() / f"{task_id}-{os.getpid()}"
    )
    outbox = Outbox(hub_client, folder, meta, offline=offline)
    if created_later is not None:
        outbox.op(
            {
                "kind": "request",
                "method": "POST",
                "path": "tasks",
                "json": created_later,
                "accept": [409],
            }
        )
    if data.get("status") is None or can(data["status"], "start"):
        outbox.op(
            {
                "kind": "request",
                "method": "POST",
                "path": f"tasks/{task_id}:start",
                "json": {},
                "accept": [409],
            }
        )
    data["status"] = "in_progress"
    data.setdefault("project_name", project)

    task = Task(data, outbox=outbox)
    task.output_uri = _output_uri(kw["output_uri"])
    run = Run(task, outbox, remote=bool(remote_id) and not offline, offline=offline)
    task._run = run
    if iteration_offset:
        task.get_logger().set_iteration_offset(iteration_offset)
    if not offline:
        local_state.remember_task(project, name, task_id)
    from corral.sdk.run_capture import start_capture

    start_capture(task, run, kw)
    run.install_exit_hooks()
    return task


def _default_name() -> str:
    argv0 = sys.argv[0] if sys.argv else ""
    if argv0 and argv0 not in ("-c", "-m") and not argv0.endswith("ipykernel_launcher.py"):
        return Path(argv0).stem or "task"
    return "notebook" if "ipykernel" in sys.modules else "task"


def _new_task_body(project: str, name: str, kw: dict[str, Any]) -> dict[str, Any]:
    argv0 = sys.argv[0] if sys.argv else ""
    return {
        "id": uuid.uuid4().hex,
        "name": name,
        "project": project,
        "type": kw["task_type"],
        "tags": kw["tags"],
        "script": {"entry_point": Path(argv0).name if argv0 else ""},
    }


def _create(data: dict[str, Any], body: dict[str, Any]) -> dict[str, Any] | None:
    """Create the task now; ``body`` back when it must wait in the outbox (hub away)."""
    client = hub_client()
    if not client.creds.complete:
        log.warning(
            "corral: no hub credentials (run `corral login`, or set CORRAL_ACCESS_KEY and "
            "CORRAL_SECRET_KEY); keeping this run on disk until they are there"
        )
        return body
    try:
        # a hub that accepts but never answers must not stall the script for long
        created = client.post("tasks", json=body, timeout=INIT_TIMEOUT)
    except ServerUnavailableError as e:
        log.warning("corral: cannot reach the hub (%s); recording locally and retrying", e)
        return body
    except AuthError:
        raise
    except CorralError as e:
        if e.status >= 500:
            log.warning("corral: the hub failed (%s); recording locally and retrying", e)
            return body
        raise
    data.update(created)
    return None


def _attach(task_id: str) -> dict[str, Any]:
    """Under an agent: the queued task, started; its stored values override the code's."""
    client = hub_client()
    data = client.get(f"tasks/{task_id}")
    if can(data["status"], "start"):
        data = client.post(f"tasks/{task_id}:start", json={})
    return dict(data)


def _previous(project: str, name: str, kw: dict[str, Any]) -> tuple[dict[str, Any] | None, int]:
    """The previous task to continue or reuse, or ``None`` for a new one."""
    client = hub_client()
    cont, reuse = kw["continue_last_task"], kw["reuse_last_task_id"]
    wanted = cont if isinstance(cont, str) else reuse if isinstance(reuse, str) else None
    task_id = wanted or local_state.last_task(project, name)
    if not task_id:
        return None, 0
    try:
        data = client.get(f"tasks/{task_id}", timeout=INIT_TIMEOUT)
        if cont:
            return _continue(client, data)
        if data["archived"] or data["status"] in ACTIVE | {S.published}:
            return None, 0
        if not wanted and (
            data["models"].get("output")
            or client.get(
                f"tasks/{task_id}/artifacts", params={"mode": "output"}, timeout=INIT_TIMEOUT
            )
        ):
            return None, 0  # the last run made artifacts or models: keep it, make a new task
        if data["status"] != S.created:
            client.post(f"tasks/{task_id}:reset", json={})
        client.patch(f"tasks/{task_id}/hyperparams", json={"hyperparams": {}, "replace": True})
        client.patch(f"tasks/{task_id}/configuration", json={"configuration": {}, "replace": True})
        data = client.patch(
            f"tasks/{task_id}", json={"name": name, "type": kw["task_type"], "tags": kw["tags"]}
        )
        return dict(data), 0
    except CorralError as e:
        if wanted:
            raise
        log.debug("not reusing task %s: %s", task_id, e)
        return None, 0


def _continue(client: Any, data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    status = data["status"]
    if status == S.published:
        raise CorralError(f"task {data['id']} is published and cannot be continued; clone it")
    if can(status, "continue"):
        data = client.post(f"tasks/{data['id']}:continue", json={})
    last = data.get("last_iteration")
    return dict(data), (int(last) + 1 if last is not None else 0)


def _output_uri(value: str | bool | None) -> str:
    if isinstance(value, str) and value:
        return value
    if value is True or value is None:
        return local_state.default_output_uri() or "hub://"
    return "hub://"
