"""One task's life on a worker, from its ``:start`` to its final status.

``:start`` (a 409 means it was aborted meanwhile or leased elsewhere: skipped) -> a
fresh work folder -> ``runner.prepare`` (with the task's token: the process acts as the
task's owner, never as the agent) (its progress in the task's console;
:class:`PrepareError` fails the task with its message) -> the process, in a session
(process group) of its own, stdout and stderr streamed to the console (see
:class:`~corral.agent.process.TaskRun`) -> the environment's freeze written back ->
``:complete`` on exit code 0, else ``:fail`` with the exit code.

An abort (from the watcher or the heartbeat, through :meth:`TaskRun.abort`) stops the
process group and leaves the status the hub set; a task stopped by its agent ends
``stopped`` ("agent stopped"). :class:`Runs` is what the worker knows of its tasks,
shared with the daemon (dequeue, heartbeat, shutdown) and the abort watcher.

Example::

    job = TaskJob(task, worker, runs, stopping, token)
    job.run()  # returns when the task has its final status
"""

from __future__ import annotations

import logging
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from corral.agent.console import ConsoleShipper
from corral.agent.process import TaskRun, exit_reason, quietly
from corral.agent.runners.base import Job, Launch, PrepareError, Runner
from corral.agent.settings import AgentSettings
from corral.client.http import HubClient
from corral.client.retry import SERVER_STATUSES
from corral.core.task_status import S
from corral.errors import ConflictError, CorralError, NotFoundError

log = logging.getLogger("corral.agent")
T = TypeVar("T")

#: the reason a task gets when the agent running it is stopped
AGENT_STOPPED = "agent stopped"
#: what happened to a task on the hub, by the status it has after it
_VERBS: dict[str, str] = {S.stopped: "aborted", S.queued: "reset", S.created: "reset"}


class Runs:
    """The tasks of one worker: dequeued but not started yet (claiming), and running.

    Thread-safe. Listeners (:meth:`listen`, the abort watcher) hear the ids of the
    running tasks whenever a task starts or ends here.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, TaskRun] = {}
        self._claiming: set[str] = set()
        self._listeners: list[Callable[[set[str]], None]] = []

    def listen(self, listener: Callable[[set[str]], None]) -> None:
        """Call ``listener`` with the running tasks' ids after each start and end."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        ids = self.running()
        for listener in self._listeners:
            listener(ids)

    def claim(self, task_id: str) -> None:
        """A task was dequeued for this worker and is about to be started."""
        with self._lock:
            self._claiming.add(task_id)

    def add(self, run: TaskRun) -> None:
        """The task's ``:start`` was confirmed: it is this worker's now."""
        with self._lock:
            self._runs[run.id] = run
        self._changed()

    def end(self, task_id: str) -> None:
        """The task is done here (finished, skipped or failed to start)."""
        with self._lock:
            self._claiming.discard(task_id)
            self._runs.pop(task_id, None)
        self._changed()

    def get(self, task_id: str) -> TaskRun | None:
        with self._lock:
            return self._runs.get(task_id)

    def active(self) -> list[TaskRun]:
        with self._lock:
            return list(self._runs.values())

    def running(self) -> set[str]:
        """Ids of the tasks running here."""
        with self._lock:
            return set(self._runs)

    def known(self) -> set[str]:
        """Ids of the tasks running or being started here."""
        with self._lock:
            return set(self._runs) | self._claiming


@dataclass(frozen=True)
class Lease:
    """A task leased to this worker (as the hub returned it) and the token of its run."""

    task: dict[str, Any]
    #: ``{access_key, secret_key, expires_at}``: the key the task's process uses
    token: dict[str, Any] | None


def task_hub_env(base: dict[str, str], token: dict[str, Any], workdir: Path) -> dict[str, str]:
    """What a task's process needs to reach the hub: the URL, its token, its own config.

    ``CORRAL_CONFIG`` names a file of the task's work folder (there is none at first), so
    that nothing the task does reads or writes the agent's configuration file.
    """
    return {
        **base,
        "CORRAL_ACCESS_KEY": str(token["access_key"]),
        "CORRAL_SECRET_KEY": str(token["secret_key"]),
        "CORRAL_CONFIG": str(workdir / "corral-config.toml"),
    }


@dataclass
class Worker:
    """What one task's life needs of the worker that runs it."""

    settings: AgentSettings
    client: HubClient
    runner: Runner
    worker_id: str
    #: the hub's URL for the tasks' processes (each adds its own token)
    hub_env: dict[str, str]

    def report(
        self, task_id: str, action: str, body: dict[str, Any], *, retry: bool = True
    ) -> None:
        """A final status; 409 (the status changed meanwhile) and 404 (deleted) are fine."""
        try:
            if retry:
                self.retry(lambda: self.client.post(f"tasks/{task_id}:{action}", json=body))
            else:
                self.client.post(f"tasks/{task_id}:{action}", json=body)
        except (ConflictError, NotFoundError) as e:
            log.debug("task %s: %s not applied: %s", task_id, action, e.detail)
        except CorralError as e:
            log.warning("task %s: could not %s it: %s", task_id, action, e.detail)

    def retry(self, call: Callable[[], T], retried: list[bool] | None = None) -> T:
        """``call()``, again while the hub is away or overloaded (up to ``report_timeout``)."""
        policy = self.settings.retry_policy(statuses=SERVER_STATUSES)
        backoff = policy.backoff()
        deadline = time.monotonic() + self.settings.report_timeout
        while True:
            try:
                return call()
            except CorralError as e:
                delay = backoff.next(e)
                if not policy.retryable(e) or time.monotonic() + delay > deadline:
                    raise
                log.warning("the hub did not answer (%s); retrying in %.1fs", e.detail, delay)
                if retried is not None:
                    retried.append(True)
                time.sleep(delay)


class TaskJob:
    """One leased task, run to its final status (see the module docstring).

    Args:
        task: the task as the dequeue returned it.
        worker: the worker running it.
        runs: the worker's tasks; this one is added when started, removed at its end.
        stopping: set when the agent stops (a task starting then is stopped at once).
        token: the task's token from the lease (None: the hub gave none; the task fails).
    """

    def __init__(
        self,
        task: dict[str, Any],
        worker: Worker,
        runs: Runs,
        stopping: threading.Event,
        token: dict[str, Any] | None,
    ) -> None:
        self.task = task
        self.token = token
        self.id = str(task["id"])
        self.worker = worker
        self.settings = worker.settings
        self.runs = runs
        self.stopping = stopping

    def run(self) -> None:
        """Start, prepare, run and report the task; never raises."""
        run: TaskRun | None = None
        try:
            run = self._claim()
            if run is not None:
                self._execute(run)
        except Exception:
            log.exception("task %s: the agent failed to run it", self.id)
        finally:
            self.runs.end(self.id)
            if run is not None:
                run.shipper.close(self.settings.flush_timeout)

    def _claim(self) -> TaskRun | None:
        """``:start`` the leased task; None when it may not run here (409/404)."""
        client, worker_id = self.worker.client, self.worker.worker_id
        retried: list[bool] = []
        try:
            started = self.worker.retry(
                lambda: client.post(f"tasks/{self.id}:start", json={"worker": worker_id}),
                retried,
            )
        except ConflictError as e:
            # after a lost answer the first try may have started it for us
            current = client.get(f"tasks/{self.id}") if retried else {}
            if current.get("status") != S.in_progress or current.get("worker") != worker_id:
                log.info("task %s: not started (%s); skipping it", self.id, e.detail)
                return None
            started = current
        except NotFoundError:
            log.info("task %s: deleted before it started; skipping it", self.id)
            return None
        log.info("task %s: started (%s)", self.id, started.get("name", ""))
        shipper = ConsoleShipper(
            client,
            self.id,
            worker_id,
            line_chars=self.settings.log_line_chars,
            retry=self.settings.retry_policy(statuses=SERVER_STATUSES),
        )
        run = TaskRun(started, shipper, self.settings.abort_grace)
        self.runs.add(run)
        if self.stopping.is_set():  # the agent began stopping while this task started
            run.abort(AGENT_STOPPED, by_agent=True)
        return run

    def _execute(self, run: TaskRun) -> None:
        if run.stop_reason is not None:  # stopped as it started: nothing to prepare
            if run.by_agent:
                self.worker.report(run.id, "stop", {"reason": AGENT_STOPPED})
            return
        workdir = self.settings.work_dir / f"{run.id}-{secrets.token_hex(4)}"
        workdir.mkdir(parents=True)
        launch: Launch | None = None
        try:
            launch = self._prepare(run, workdir)
            if launch is None:
                return
            code = self._launch(run, launch)
            self._finish(run, launch, code)
        finally:
            if launch is not None and launch.on_exit is not None:
                quietly(launch.on_exit)
            shutil.rmtree(workdir, ignore_errors=True)

    def _prepare(self, run: TaskRun, workdir: Path) -> Launch | None:
        """The runner's launch; None (the task failed or stopped) when there is none."""
        worker = self.worker
        if not self.token:
            self._fail_before_start(
                run, "the hub gave no token for this task (a hub older than this agent?)"
            )
            return None
        job = Job(
            task=run.task,
            workdir=workdir,
            hub_env=task_hub_env(worker.hub_env, self.token, workdir),
            worker=worker.worker_id,
            log=run.shipper.log,
        )
        run.shipper.log(f"corral-agent: worker {worker.worker_id} ({worker.runner.name} mode)")
        try:
            return worker.runner.prepare(job)
        except PrepareError as e:
            reason = str(e) or type(e).__name__
        except Exception as e:
            log.exception("task %s: preparing failed", run.id)
            reason = f"the agent could not prepare the task: {type(e).__name__}: {e}"
        self._fail_before_start(run, reason)
        return None

    def _fail_before_start(self, run: TaskRun, reason: str) -> None:
        run.shipper.write(f"corral-agent: {reason}", "stderr")
        run.shipper.flush(self.settings.flush_timeout)
        if run.stop_reason is None:
            self.worker.report(run.id, "fail", {"reason": reason[:4096]})
        elif run.by_agent:
            self.worker.report(run.id, "stop", {"reason": AGENT_STOPPED})

    def _launch(self, run: TaskRun, launch: Launch) -> int | None:
        """Run the process to its end; its exit code (None: it never started)."""
        env = dict(launch.env)
        env.update(CORRAL_TASK_ID=run.id, CORRAL_AGENT="1", CORRAL_WORKER=self.worker.worker_id)
        env.setdefault("PYTHONUNBUFFERED", "1")  # lines reach the console as printed
        if launch.freeze:
            self._save_freeze(launch.freeze)
        try:
            process = run.spawn(launch, env)
        except OSError as e:
            self._fail_before_start(run, f"cannot start {launch.argv[0]!r}: {e}")
            return None
        if process is None:
            return None
        return run.wait(self.settings.log_line_chars)

    def _finish(self, run: TaskRun, launch: Launch, code: int | None) -> None:
        """Console, freeze, then the final status (so a finished task has its whole log)."""
        report = self.worker.report
        if code is None:
            if run.by_agent:
                report(run.id, "stop", {"reason": AGENT_STOPPED})
            return
        asked = not run.by_agent and (run.stop_reason is not None or code != 0)
        hub_task = self._hub_task(run) if asked else None
        verb = _VERBS.get(str((hub_task or {}).get("status")))
        if verb is not None:
            # one wording whoever noticed first: the change log, the heartbeat, or the
            # task's own SDK (which then ended the process itself)
            run.stop_reason = f"the task was {verb} on the hub"
        log.info("task %s: %s", run.id, "stopped" if run.stop_reason else exit_reason(code))
        if run.stop_reason is None:
            run.shipper.log(f"corral-agent: the process ended: {exit_reason(code)}")
        else:
            reason = str((hub_task or {}).get("status_reason") or "")[:200]
            run.shipper.write(run.stopped_line(code, reason), "stderr")
        run.shipper.flush(self.settings.flush_timeout)
        if not launch.freeze and launch.freeze_file is not None:
            self._save_freeze_file(launch.freeze_file)
        if run.by_agent:
            report(run.id, "stop", {"reason": AGENT_STOPPED, "exit_code": code})
        elif run.stop_reason is not None:
            pass  # aborted on the hub: its status (stopped, reset...) stands
        elif code == 0:
            report(run.id, "complete", {"exit_code": 0})
        else:
            report(run.id, "fail", {"reason": exit_reason(code), "exit_code": code})

    def _hub_task(self, run: TaskRun) -> dict[str, Any] | None:
        """The task as the hub has it now (why it was stopped); None if it cannot say."""
        try:
            task: dict[str, Any] = self.worker.client.get(f"tasks/{run.id}")
        except CorralError:
            return None  # gone, or the hub does not answer: the line says less
        return task

    def _save_freeze_file(self, path: Path) -> None:
        try:
            freeze = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            log.debug("task %s: no freeze: %s", self.id, e)
            return
        if freeze.strip():
            self._save_freeze(freeze)

    def _save_freeze(self, freeze: str) -> None:
        client = self.worker.client
        try:
            self.worker.retry(
                lambda: client.patch(
                    f"tasks/{self.id}",
                    params={"force": "true"},
                    json={"script": {"freeze": freeze}},
                )
            )
        except CorralError as e:
            log.warning("task %s: could not save the environment freeze: %s", self.id, e.detail)
