"""The run behind ``Task.init``: which task, the capture, the exit and the abort.

``start_run`` picks the task (a new one, the previous one reused or continued, or -
under an agent, ``CORRAL_TASK_ID`` - the queued one) and creates it with one request
(spooled when the hub is away); ``Task.init`` then starts the capture
(``corral.sdk.run_capture``). The ``Run`` ends the task at exit: ``completed``,
``failed`` on an uncaught exception, ``stopped`` on Ctrl-C or SIGTERM; under an agent
the agent sets the final status. The process's exit hooks are installed once and close
whichever run is active, so many runs in one process stack nothing.
"""

from __future__ import annotations

import _thread
import atexit
import concurrent.futures.thread  # noqa: F401  (see start_run)
import logging
import os
import shutil
import signal
import sys
import threading
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from corral.errors import AuthError, CorralError, ServerUnavailableError
from corral.sdk import local_state, spool, threads
from corral.sdk.capture import reuse
from corral.sdk.handle import RunHandle, set_current
from corral.sdk.outbox import Outbox
from corral.sdk.session import hub_client

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

    def __init__(self, handle: RunHandle, outbox: Outbox, *, remote: bool, offline: bool) -> None:
        self.handle = handle
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
        self._closed: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self.capture_done = threading.Event()
        #: output models published once the task has completed
        self.publish_after: list[str] = []
        #: (project, name) to remember as this machine's last task of that name
        self.remember: tuple[str, str] | None = None
        #: the create carried the code, packages and machine facts (a reused capture)
        self.environment_sent = False
        #: the task was on the hub when Task.init returned (not waiting in the outbox)
        self.on_hub = False

    @property
    def finished(self) -> bool:
        """This process sent the task's final status (or ``mark_*`` did)."""
        return self._finished

    def on_stop(self, stopper: Any) -> None:
        """Call ``stopper()`` when the run closes (capture threads, patches)."""
        self._stoppers.append(stopper)

    def on_closed(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` once the run has closed (the facade forgets its task)."""
        self._closed.append(callback)

    # --- the end ------------------------------------------------------------------------

    def finish(self, status: str, body: dict[str, Any] | None = None) -> None:
        """Send the final status once (``completed``, ``failed`` or ``stopped``)."""
        with self._lock:
            if self._finished:
                return
            self._finished = True
        action = {"completed": "complete", "failed": "fail", "stopped": "stop"}[status]
        self.handle.data["status"] = status
        self.outbox.op(
            {
                "kind": "request",
                "method": "POST",
                "path": f"tasks/{self.handle.id}:{action}",
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
            for model_id in self.publish_after if status == "completed" else []:
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
        shutil.rmtree(self.handle.scratch_path, ignore_errors=True)
        global _active
        if _active is self:
            _active = None
            set_current(None)
        for callback in self._closed:
            callback()
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
        """Make this the run the process's exit closes (the hooks are installed once)."""
        global _active
        _active = self
        set_current(self.handle)
        _install_process_hooks()
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
        print(
            f"corral: task {self.handle.id} was {reason} on the hub; stopping", file=sys.__stderr__
        )
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


#: the run the process's exit closes (one at a time: ``Task.init`` runs one task)
_active: Run | None = None
_hooks_installed = False


def _install_process_hooks() -> None:
    """Once per process: the exit closes the active run, with the status the exit gives.

    Installed once (not per run) so that many runs in one process do not stack
    wrappers around ``sys.exit`` and ``sys.excepthook`` or keep every run alive.
    """
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_atexit)
    previous = sys.excepthook
    original_exit = sys.exit

    def exit_(status: Any = None) -> Any:
        # SystemExit never reaches sys.excepthook: remember the code for the final status
        _note_exception(SystemExit(status))
        return original_exit(status)

    sys.exit = exit_

    def excepthook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        _note_exception(value)
        previous(kind, value, tb)

    sys.excepthook = excepthook


def _note_exception(exc: BaseException) -> None:
    run = _active
    if run is not None:
        run._exception = exc


def _atexit() -> None:
    run = _active
    if run is not None:
        run._atexit()


def _sigterm(signum: int, frame: Any) -> None:
    _note_exception(SystemExit(143))
    raise SystemExit(143)


def _exit_reason(exc: SystemExit) -> dict[str, Any]:
    if exc.code == 143:
        return {"reason": "terminated (SIGTERM)", "exit_code": 143}
    code = exc.code if isinstance(exc.code, int) else 1
    return {"reason": f"exit code {exc.code}", "exit_code": code}


# --- choosing and creating the task ---------------------------------------------------------


def start_run(*, offline: bool, **kw: Any) -> Run:
    """Pick and create the task of this process; the capture is started by the caller.

    (``concurrent.futures.thread`` is imported at the top of this module: thread pools
    register an exit hook when first imported, and a short script can be exiting by the
    time the background capture would import them.)
    """
    remote_id = os.environ.get("CORRAL_TASK_ID") or None
    project = kw["project_name"] or "default"
    name = kw["task_name"] or _default_name()
    meta = {"project": project, "name": name, "offline": offline}
    data: dict[str, Any] | None = None
    created_later: dict[str, Any] | None = None
    iteration_offset = 0
    early: dict[str, Any] | None = None

    if remote_id and not offline:
        data = _attach(remote_id)
    else:
        if not offline and (kw["continue_last_task"] or kw["reuse_last_task_id"]):
            data, iteration_offset = _previous(project, name, kw)
        if data is None:
            data = _new_task_body(project, name, kw)
            # an earlier run of this process captured an unchanged script and environment:
            # the create carries them, and no capture request follows
            early = None if offline else reuse.kept_patch(kw["extra_requirements"])
            data.update(early or {})
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
    if data.get("status") in (None, "created", "queued"):
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

    handle = RunHandle(data, outbox=outbox)
    handle.output_uri = _output_uri(kw["output_uri"])
    handle.iteration_offset = iteration_offset
    run = Run(handle, outbox, remote=bool(remote_id) and not offline, offline=offline)
    handle.run = run
    run.environment_sent = early is not None
    run.on_hub = created_later is None and not offline
    run.remember = None if offline else (project, name)
    return run


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
    if data["status"] in ("created", "queued"):
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
        if data["archived"] or data["status"] in ("published", "queued", "in_progress"):
            return None, 0
        if not wanted and (
            data["models"].get("output")
            or client.get(
                f"tasks/{task_id}/artifacts", params={"mode": "output"}, timeout=INIT_TIMEOUT
            )
        ):
            return None, 0  # the last run made artifacts or models: keep it, make a new task
        if data["status"] != "created":
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
    if status == "published":
        raise CorralError(f"task {data['id']} is published and cannot be continued; clone it")
    if status in ("completed", "failed", "stopped"):
        data = client.post(f"tasks/{data['id']}:continue", json={})
    last = data.get("last_iteration")
    return dict(data), (int(last) + 1 if last is not None else 0)


def _output_uri(value: str | bool | None) -> str:
    if isinstance(value, str) and value:
        return value
    if value is True or value is None:
        return local_state.default_output_uri() or "hub://"
    return "hub://"
