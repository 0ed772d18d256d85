"""The live run behind ``Task.init``: its end and its abort.

``corral.sdk.run_start`` picks and creates the task, ``corral.sdk.run_capture`` starts
the capture. The ``Run`` ends the task at exit: ``completed``, ``failed`` on an
uncaught exception, ``stopped`` on Ctrl-C or SIGTERM; under an agent the agent sets
the final status. The process's exit hooks are installed once and close whichever run
is active, so many runs in one process stack nothing.
"""

from __future__ import annotations

import _thread
import atexit
import concurrent.futures.thread  # noqa: F401  (registers the pools' exit hook before any exit)
import logging
import os
import shutil
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

from corral.core.task_status import S
from corral.sdk import threads
from corral.sdk.handle import RunHandle, set_current
from corral.sdk.outbox import Outbox

log = logging.getLogger("corral.sdk")


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
        #: the agent is stopping this process (an abort): the exit says nothing of its own
        self._stopped_by_agent = False
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
        """Send the final status once (``completed``, ``failed`` or ``stopped``).

        The capture's code and packages go first: the hub takes no script edit of an
        ended task (a ``mark_failed`` right after ``Task.init`` would lose them).
        """
        with self._lock:
            if self._finished:
                return
            self._finished = True
        self.capture_done.wait(_env_float("CORRAL_CAPTURE_TIMEOUT", 10.0))
        action = {S.completed: "complete", S.failed: "fail", S.stopped: "stop"}[S(status)]
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
            for model_id in self.publish_after if status == S.completed else []:
                self.outbox.op(
                    {
                        "kind": "request",
                        "method": "POST",
                        "path": f"models/{model_id}:publish",
                        "json": None,
                    }
                )
        level = log.level
        if self._stopped_by_agent:
            # the hub has stopped the task and refuses its last reports; the agent writes
            # the console's last line: no warnings of ours after it
            log.setLevel(logging.ERROR)
        elif self.outbox.held_auth_warning is not None:
            log.warning(
                "corral: the hub refused the credentials (%s); keeping reports",
                self.outbox.held_auth_warning,
            )
        try:
            delivered = self.outbox.close(
                timeout if timeout is not None else _env_float("CORRAL_EXIT_TIMEOUT", 10.0)
            )
        finally:
            log.setLevel(level)
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
        terminated = isinstance(exc, SystemExit) and exc.code == 143
        self._stopped_by_agent = self.under_agent and (self.aborted or terminated)
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
        """The task was aborted on the hub: stop the process, gracefully then hard.

        The main thread gets a SIGINT (a ``KeyboardInterrupt`` the script may handle).
        Under an agent it gets a SIGTERM instead, as the agent sends too: with the SDK's
        handler that ends it with ``SystemExit(143)``, quietly (no traceback); and the SDK
        prints nothing, since the agent writes the console's last line.
        """
        with self._lock:
            if not self.active:
                return  # already ending: nothing left to interrupt
        self.aborted = True
        if not self.under_agent:
            print(
                f"corral: task {self.handle.id} was {reason} on the hub; stopping",
                file=sys.__stderr__,
            )
        grace = _env_float("CORRAL_ABORT_GRACE", 10.0)
        timer = threading.Timer(grace, self._hard_exit)
        timer.daemon = True
        threads.start(timer)
        # a real signal to the main thread also wakes it from a blocking call (sleep, a
        # socket read), where interrupt_main alone would wait for it to return
        main = threading.main_thread().ident or 0
        if (
            self.under_agent
            and signal.getsignal(signal.SIGTERM) is _sigterm
            and hasattr(signal, "pthread_kill")
        ):
            # what the agent sends too (its own SIGTERM then finds the exit under way)
            signal.pthread_kill(main, signal.SIGTERM)
            return
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler) and hasattr(signal, "pthread_kill"):
            signal.pthread_kill(main, signal.SIGINT)
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
#: the process that installed the hooks; a forked child inherits them but owns no run
_owner_pid = 0


def _install_process_hooks() -> None:
    """Once per process: the exit closes the active run, with the status the exit gives.

    Installed once (not per run) so that many runs in one process do not stack
    wrappers around ``sys.exit`` and ``sys.excepthook`` or keep every run alive.
    """
    global _hooks_installed, _owner_pid
    if _hooks_installed:
        return
    _hooks_installed = True
    _owner_pid = os.getpid()
    atexit.register(_atexit)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)
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
    global _terminating
    # from here on a SIGTERM (the agent stopping an aborted task) lets the exit finish:
    # raised inside this callback it would only print "Exception ignored in atexit
    # callback ... SystemExit: 143" and cut the delivery of the last events short
    _terminating = True
    run = _active
    if run is not None and os.getpid() == _owner_pid:
        run._atexit()


def _after_fork_in_child() -> None:
    """A forked child (a multiprocessing worker, say) runs none of the parent's run: it
    gets SIGTERM's default action back (``Pool.terminate`` ends blocked workers with it),
    and its exit closes nothing."""
    try:
        if signal.getsignal(signal.SIGTERM) is _sigterm:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
    except (ValueError, OSError):  # pragma: no cover - fork from a non-main thread
        pass


#: the process is already ending (a first SIGTERM, or the exit hooks have begun)
_terminating = False


def _sigterm(signum: int, frame: Any) -> None:
    """SIGTERM ends the script like ``sys.exit(143)``: the exit hooks run, no traceback.

    Only the first one: a later SIGTERM (the agent's, after the SDK's own abort) while
    the script unwinds or the exit hooks deliver the last events is ignored, since
    raising it there would print a traceback and stop the delivery. The agent's
    SIGKILL after its grace period still ends a process that does not stop.
    """
    global _terminating
    if _terminating:
        return
    _terminating = True
    _note_exception(SystemExit(143))
    raise SystemExit(143)


def _exit_reason(exc: SystemExit) -> dict[str, Any]:
    if exc.code == 143:
        return {"reason": "terminated (SIGTERM)", "exit_code": 143}
    code = exc.code if isinstance(exc.code, int) else 1
    return {"reason": f"exit code {exc.code}", "exit_code": code}
