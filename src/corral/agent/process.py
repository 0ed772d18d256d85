"""One task's process on the agent: its process group, its console streams, its abort.

The process runs in a session (process group) of its own, so that an abort reaches
every process the task started, and a Ctrl-C meant for the agent never reaches the task.
An abort sends SIGTERM to the group, then SIGKILL after the grace period; when the
leader exits, what it left in its group gets the grace period too, then SIGKILL. Once
an aborted process has ended, the agent writes one line saying why and how
(:meth:`TaskRun.stopped_line`) as the console's last.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from corral.agent.console import ConsoleShipper, pump
from corral.agent.runners.base import Launch

log = logging.getLogger("corral.agent")


class TaskRun:
    """One task of this worker: its process group, its console, and why it was stopped."""

    def __init__(self, task: dict[str, Any], shipper: ConsoleShipper, grace: float) -> None:
        self.task = task
        self.id = str(task["id"])
        self.shipper = shipper
        self.grace = grace
        #: when ``:start`` was confirmed (a heartbeat sent before says nothing about it)
        self.started = time.monotonic()
        #: set on abort: why the process was (or is to be) stopped
        self.stop_reason: str | None = None
        #: the agent stopped it (then the agent, not the hub, sets the final status)
        self.by_agent = False
        self.process: subprocess.Popen[bytes] | None = None
        #: the process has ended: an abort changes nothing any more
        self.exited = False
        self._on_abort: Callable[[], None] | None = None
        self._killer: threading.Timer | None = None
        #: the grace period ran out: the group got SIGKILL
        self.killed = False
        self._lock = threading.Lock()

    def spawn(self, launch: Launch, env: dict[str, str]) -> subprocess.Popen[bytes] | None:
        """Start the process in a session of its own; None when it was aborted before."""
        with self._lock:
            if self.stop_reason is not None:
                return None
            self._on_abort = launch.on_abort
            self.process = subprocess.Popen(
                launch.argv,
                cwd=launch.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                # its own process group: an abort reaches its children too, and a Ctrl-C
                # meant for the agent does not reach the task
                start_new_session=True,
            )
            return self.process

    def abort(self, reason: str, *, by_agent: bool = False) -> None:
        """Stop the process group: SIGTERM now, SIGKILL after the grace period (once)."""
        with self._lock:
            if self.stop_reason is not None or self.exited:
                return
            self.stop_reason, self.by_agent = reason, by_agent
            process, on_abort = self.process, self._on_abort
        if process is None:  # still preparing: the process will not be started
            self.shipper.write(f"corral-agent: {reason}; the task will not be started", "stderr")
            return
        # the console's last line says how it ended, once it has (see stopped_line)
        log.info("task %s: %s; stopping it", self.id, reason)
        _signal_group(process.pid, signal.SIGTERM)
        if on_abort is not None:
            threading.Thread(target=quietly, args=(on_abort,), daemon=True).start()
        self._killer = threading.Timer(self.grace, self.kill)
        self._killer.daemon = True
        self._killer.start()

    def kill(self) -> None:
        """SIGKILL whatever is left of the process group."""
        if self.process is not None:
            self.killed = True
            _signal_group(self.process.pid, signal.SIGKILL)

    def stopped_line(self, code: int, detail: str = "") -> str:
        """The console's last line for a process stopped by an abort (one line, the
        agent's: the SDK prints nothing of its own then).

        Example: ``corral-agent: the task was aborted on the hub (wrong data) — the
        process stopped on SIGTERM (exit code 143)``.
        """
        why = f"{self.stop_reason} ({detail})" if detail else str(self.stop_reason)
        if self.killed and code == -signal.SIGKILL:
            how = f"did not stop within {self.grace:g} s of SIGTERM and was killed (SIGKILL)"
        elif code == 128 + signal.SIGTERM:
            how = "stopped on SIGTERM (exit code 143)"
        elif code == -signal.SIGTERM:
            how = "was ended by SIGTERM"
        else:
            how = f"ended after SIGTERM: {exit_reason(code)}"
        return f"corral-agent: {why} — the process {how}"

    def wait(self, line_chars: int) -> int:
        """Stream the output until the process exits; end what it left in its group."""
        process = self.process
        assert process is not None and process.stdout is not None and process.stderr is not None
        readers = [
            threading.Thread(target=pump, args=(pipe, name, self.shipper, line_chars), daemon=True)
            for pipe, name in ((process.stdout, "stdout"), (process.stderr, "stderr"))
        ]
        for reader in readers:
            reader.start()
        code = process.wait()
        with self._lock:
            self.exited = True
        self._end_group(process.pid)
        for reader in readers:
            # a process that left its group keeps the pipes open: do not wait for it forever
            reader.join(5.0)
        return code

    def _end_group(self, pgid: int) -> None:
        """The leader exited: give what is left of its group the grace period, then SIGKILL."""
        if _group_alive(pgid):
            if self.stop_reason is None:
                _signal_group(pgid, signal.SIGTERM)
            deadline = time.monotonic() + self.grace
            while _group_alive(pgid) and time.monotonic() < deadline:
                time.sleep(0.05)
            _signal_group(pgid, signal.SIGKILL)
            deadline = time.monotonic() + 5.0
            while _group_alive(pgid) and time.monotonic() < deadline:
                time.sleep(0.05)
        if self._killer is not None:
            self._killer.cancel()


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


#: ``prctl`` option: whether the process may be dumped or traced by its own user
_PR_SET_DUMPABLE = 4


def protect_process() -> bool:
    """Make this process non-dumpable (Linux): its ``/proc/<pid>/environ``, memory and
    ``ptrace`` are then closed to other processes of the same OS user, such as the
    tasks it runs. Its children are dumpable again once they ``exec``. Returns whether
    it worked (False on other systems).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        log.debug("prctl(PR_SET_DUMPABLE) is not available here")
        return False


def quietly(fn: Callable[[], None]) -> None:
    try:
        fn()
    except Exception:  # a runner's clean-up must not take the agent down
        log.exception("a runner callback failed")


def exit_reason(code: int) -> str:
    """``exit code 3``, or ``killed by signal SIGKILL`` for a negative code.

    Example:
        >>> exit_reason(-9)
        'killed by signal SIGKILL'
    """
    if code >= 0:
        return f"exit code {code}"
    try:
        return f"killed by signal {signal.Signals(-code).name}"
    except ValueError:
        return f"killed by signal {-code}"
