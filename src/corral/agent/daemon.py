"""The agent daemon: a worker that runs queued tasks, one at a time or N in services mode.

Threads of one :class:`Agent`:

* **dequeue**: while a slot is free, long-polls ``POST /queues:dequeue`` with the
  queues in priority order; each task it gets runs in a thread of its own. A hub error
  or restart costs a log line and a pause, never the agent.
* **heartbeat**: every ``heartbeat`` seconds, machine stats; the reply lists the status
  of this worker's tasks, and a task no longer ``in_progress`` (aborted, reset, deleted)
  has its process stopped. A hub that forgot the worker (404) or marked it gone (409)
  gets a new registration.
* **watch**: long-polls the change log for tasks, so that an abort stops the task's
  process at once rather than one heartbeat later.

A task's life here: ``:start`` (a 409 means it was aborted meanwhile or leased
elsewhere: skipped) -> a fresh work folder -> ``runner.prepare`` (its progress in the
task's console; :class:`PrepareError` fails the task with its message) -> the process,
in a session (process group) of its own, stdout and stderr streamed to the console ->
``:complete`` on exit code 0, else ``:fail`` with the exit code. An abort sends SIGTERM
to the whole group, then SIGKILL after ``abort_grace`` seconds, and leaves the status
the hub set. Stopping the agent (SIGTERM, Ctrl-C) stops its tasks the same way, marks
them ``stopped`` ("agent stopped") and unregisters the worker.

Example::

    runner = get_runner("plain", AgentOptions(root=settings.root))
    Agent(settings, load(), runner, worker_id="box:cpu", queues=["default"]).run()
"""

from __future__ import annotations

import logging
import queue
import secrets
import shutil
import signal
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

from corral.agent.console import ConsoleShipper
from corral.agent.process import TaskRun, exit_reason, quietly
from corral.agent.runners.base import Job, Launch, PrepareError, Runner
from corral.agent.settings import AgentSettings, Backoff
from corral.agent.stats import StatsSampler, worker_facts
from corral.client.config import HubCredentials
from corral.client.http import HubClient
from corral.errors import ConflictError, CorralError, NotFoundError, ServerUnavailableError

log = logging.getLogger("corral.agent")
T = TypeVar("T")

#: the reason a task gets when the agent running it is stopped
AGENT_STOPPED = "agent stopped"
#: longest change-log poll of the watcher: a task started during a poll for the others
#: is watched from the next one (and its changes since then are read then)
WATCH_WAIT = 5.0


class WorkerNameTaken(ConflictError):
    """A live worker on the hub already has this id."""


# --- the worker ------------------------------------------------------------------------


class Agent:
    """A worker: registers, heartbeats, dequeues and runs tasks (see the module docstring).

    Args:
        settings: timings and folders.
        creds: the hub's URL and the API key (also given to the tasks' processes).
        runner: prepares each task's environment and command.
        worker_id: the worker's id on the hub (``--name``).
        queues: queue names, in priority order.
        services: run up to this many tasks at once (0: one at a time).
        facts: the registration's ``machine`` (default: this machine's).
    """

    def __init__(
        self,
        settings: AgentSettings,
        creds: HubCredentials,
        runner: Runner,
        *,
        worker_id: str,
        queues: Sequence[str] = ("default",),
        services: int = 0,
        gpus: list[str] | None = None,
        tags: Sequence[str] = (),
        facts: dict[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.creds = creds
        self.runner = runner
        self.worker_id = worker_id
        self.queues = list(queues)
        self.tags = list(tags)
        self.facts = facts if facts is not None else worker_facts(runner.name, gpus, services)
        self.client = HubClient(creds, timeout=30.0)
        # long-polls get clients of their own: their own timeouts, and closing the dequeue
        # one ends a poll in flight when the agent stops
        self._poll = HubClient(creds, timeout=_timeout(settings.dequeue_wait))
        self._watch = HubClient(creds, timeout=_timeout(settings.changes_wait))
        self._sampler = StatsSampler(gpus)
        self._slots = threading.Semaphore(max(1, services))
        self._runs: dict[str, TaskRun] = {}
        self._runs_lock = threading.Lock()
        #: bumped (under the lock) when a task starts or ends here; wakes the watcher
        self._runs_version = 0
        self._runs_changed = threading.Event()
        self._task_threads: list[threading.Thread] = []
        #: dequeued, not yet started or skipped
        self._claiming: set[str] = set()
        #: leased to this worker by a dequeue whose answer was lost (seen in heartbeats)
        self._lost_leases: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._maybe_lost: set[str] = set()
        #: no more dequeues (the agent is stopping)
        self._stopping = threading.Event()
        #: heartbeat and watch end (the worker is about to be unregistered)
        self._closed = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def hub_env(self) -> dict[str, str]:
        """What the task's process needs to reach the hub as this agent does."""
        env = {"CORRAL_HUB_URL": self.creds.url}
        if self.creds.access_key and self.creds.secret_key:
            env["CORRAL_ACCESS_KEY"] = self.creds.access_key
            env["CORRAL_SECRET_KEY"] = self.creds.secret_key
        return env

    # --- life cycle ---------------------------------------------------------------------

    def register(self) -> None:
        """Register the worker.

        Raises:
            WorkerNameTaken: a live worker has this id.
            ServerUnavailableError: the hub cannot be reached.
        """
        body = {"id": self.worker_id, "queues": self.queues, "tags": self.tags}
        try:
            self.client.post("workers", json=body | {"machine": self.facts})
        except ConflictError as e:
            raise WorkerNameTaken(
                f"a worker named {self.worker_id!r} is already running on the hub at "
                f"{self.creds.url}; choose another --name"
            ) from e

    def start(self) -> None:
        """Check the queues, register, then start the dequeue, heartbeat and watch threads.

        Raises:
            NotFoundError: a queue does not exist.
            WorkerNameTaken: a live worker has this id.
            ServerUnavailableError: the hub cannot be reached.
        """
        for name in self.queues:
            try:
                self.client.get(f"queues/{name}")
            except NotFoundError:
                raise NotFoundError(
                    f"there is no queue {name!r} on the hub at {self.creds.url}"
                ) from None
        self.register()
        self.settings.work_dir.mkdir(parents=True, exist_ok=True)
        for target, name in (
            (self._dequeue_loop, "dequeue"),
            (self._heartbeat_loop, "heartbeat"),
            (self._watch_loop, "watch"),
        ):
            thread = threading.Thread(target=target, name=f"corral-agent-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info(
            "worker %s registered at %s; queues: %s; mode: %s",
            self.worker_id,
            self.creds.url,
            ", ".join(self.queues),
            self.runner.name,
        )

    def run(self) -> int:
        """Start, then run tasks until :meth:`stop`, SIGTERM or Ctrl-C; return the exit code."""
        restore = self._install_signals()
        try:
            self.start()  # raises before anything needs undoing (the name may be another's)
            try:
                while not self._stopping.wait(1.0):
                    pass
            finally:
                self.shutdown()
        finally:
            restore()
        return 0

    def stop(self) -> None:
        """Ask :meth:`run` to stop: no more tasks; running ones are stopped."""
        self._stopping.set()

    def shutdown(self) -> None:
        """Stop the running tasks (marked stopped, "agent stopped") and unregister."""
        self._stopping.set()
        runs = self._active_runs()
        if runs:
            log.info("stopping: ending %d running task(s)", len(runs))
        for run in runs:
            run.abort(AGENT_STOPPED, by_agent=True)
        deadline = time.monotonic() + self.settings.abort_grace + 15.0
        while time.monotonic() < deadline:
            alive = [t for t in self._task_threads if t.is_alive()]
            if not alive:
                break
            alive[0].join(max(0.0, deadline - time.monotonic()))
        for run in self._active_runs():  # still preparing: the hub hears it from us
            self._report(run.id, "stop", {"reason": AGENT_STOPPED}, retry=False)
        # the long-polls in flight are not waited for: a dequeue answered now is not
        # started, and its lease goes back to the queue with the worker
        self._closed.set()
        self._poll.close()
        try:
            self.client.delete(f"workers/{self.worker_id}")
        except CorralError as e:
            log.warning("could not unregister the worker: %s", e)
        self._sampler.close()
        self.client.close()
        log.info("worker %s stopped", self.worker_id)

    def _install_signals(self) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def handler(signum: int, frame: Any) -> None:
            if self._stopping.is_set():
                # asked twice: no grace any more
                for run in self._active_runs():
                    run.kill()
                return
            log.info("%s received; stopping", signal.Signals(signum).name)
            self._stopping.set()

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}

        def restore() -> None:
            for sig, old in previous.items():
                signal.signal(sig, old)

        return restore

    def _register_again(self) -> None:
        try:
            self.register()
            log.info("worker %s registered again", self.worker_id)
        except ConflictError:
            pass  # live on the hub already
        except CorralError as e:
            log.warning("registering again failed: %s", e)

    def _active_runs(self) -> list[TaskRun]:
        with self._runs_lock:
            return list(self._runs.values())

    # --- dequeue ------------------------------------------------------------------------

    def _dequeue_loop(self) -> None:
        backoff = Backoff(self.settings.backoff_min, self.settings.backoff_max)
        while not self._stopping.is_set():
            if not self._slots.acquire(timeout=0.5):
                continue
            task: dict[str, Any] | None = None
            try:
                task = self._lost_lease() or self._dequeue(backoff)
            except Exception:
                log.exception("dequeue failed")
                self._stopping.wait(backoff.next())
            if task is None:
                self._slots.release()
                continue
            with self._runs_lock:
                self._claiming.add(str(task["id"]))
            thread = threading.Thread(
                target=self._run_task, args=(task,), name=f"corral-task-{task['id']}", daemon=True
            )
            self._task_threads = [t for t in self._task_threads if t.is_alive()] + [thread]
            thread.start()

    def _dequeue(self, backoff: Backoff) -> dict[str, Any] | None:
        body = {"worker": self.worker_id, "queues": self.queues, "wait": self.settings.dequeue_wait}
        try:
            reply = self._poll.post("queues:dequeue", json=body)
        except (NotFoundError, ConflictError) as e:
            log.warning("dequeue: %s", e.detail)
            self._register_again()
            self._stopping.wait(backoff.next())
            return None
        except CorralError as e:
            if self._stopping.is_set():
                return None
            delay = backoff.next()
            log.warning("dequeue failed: %s; retrying in %.1fs", e.detail, delay)
            self._stopping.wait(delay)
            return None
        backoff.reset()
        task: dict[str, Any] | None = (reply or {}).get("task")
        if task is not None and self._stopping.is_set():
            # not started: unregistering gives the lease back to the front of its queue
            return None
        return task

    def _lost_lease(self) -> dict[str, Any] | None:
        """A task leased to this worker whose dequeue answer never arrived, if any."""
        while not self._lost_leases.empty():
            task_id = self._lost_leases.get()
            try:
                task: dict[str, Any] = self.client.get(f"tasks/{task_id}")
            except CorralError:
                continue
            if task.get("status") == "queued" and task.get("worker") == self.worker_id:
                log.info("task %s: leased to this worker by a lost answer; running it", task_id)
                return task
        return None

    # --- heartbeat and abort watch ------------------------------------------------------

    def _heartbeat_loop(self) -> None:
        failing = False
        while not self._closed.wait(self.settings.heartbeat):
            stats = self._sampler.sample().model_dump(mode="json", exclude_none=True)
            sent = time.monotonic()
            try:
                reply = self.client.post(
                    f"workers/{self.worker_id}:heartbeat", json={"stats": stats}
                )
            except (NotFoundError, ConflictError):
                log.warning(
                    "the hub does not know worker %s as live; registering again", self.worker_id
                )
                self._register_again()
                continue
            except Exception as e:  # whatever the hub answers, the agent goes on
                if not failing:
                    log.warning("heartbeat failed: %s", getattr(e, "detail", e))
                failing = True
                continue
            if failing:
                log.info("heartbeat: the hub answers again")
            failing = False
            self._check_tasks((reply or {}).get("tasks") or {}, sent)

    def _check_tasks(self, statuses: dict[str, str], sent: float) -> None:
        """Stop what the hub no longer runs here; pick up leases whose answer was lost."""
        for run in self._active_runs():
            # the reply says nothing of a task started after the heartbeat left
            status = statuses.get(run.id)
            if run.started < sent and status != "in_progress":
                run.abort(f"the task is {status or 'gone'} on the hub")
        with self._runs_lock:
            known = set(self._runs) | self._claiming
        unknown = {t for t, status in statuses.items() if status == "queued" and t not in known}
        # seen twice: not a dequeue answer on its way at the first sighting
        for task_id in unknown & self._maybe_lost:
            self._lost_leases.put(task_id)
        self._maybe_lost = unknown - self._maybe_lost

    def _watch_loop(self) -> None:
        """Follow the change log of the tasks running here, so an abort acts at once.

        Only this worker's tasks are asked for (``entity_id`` repeated), so a busy hub
        does not send every agent every change. Idle, the thread waits for a task and
        asks nothing. When the set of tasks changes during a poll, the same stretch of
        the log is read again with the new set: nothing is missed (an abort seen twice
        is harmless).
        """
        cursor: int | None = None
        backoff = Backoff(self.settings.backoff_min, self.settings.backoff_max)
        wait = min(self.settings.changes_wait, WATCH_WAIT)
        while not self._closed.is_set():
            with self._runs_lock:
                ids, version = sorted(self._runs), self._runs_version
                self._runs_changed.clear()
            if not ids:
                self._runs_changed.wait(wait)
                continue
            params = {"entity_type": "task", "entity_id": ids, "wait": wait, "limit": 1000}
            try:
                if cursor is None:  # the start of this agent: what came before is not ours
                    cursor = int(self._watch.get("changes/latest")["cursor"])
                page = self._watch.get("changes", params={**params, "cursor": cursor})
                for change in page["items"]:
                    self._on_change(change)
            except Exception as e:  # whatever the hub answers, the agent goes on
                log.debug("watching the change log failed: %s", e)
                self._closed.wait(backoff.next())
                continue
            backoff.reset()
            with self._runs_lock:
                changed = self._runs_version != version
            if not changed:
                cursor = int(page["next_cursor"])

    def _on_change(self, change: dict[str, Any]) -> None:
        with self._runs_lock:
            run = self._runs.get(change["entity_id"])
        if run is None or run.exited:
            return
        status = (change.get("payload") or {}).get("status")
        if change["action"] != "deleted" and status in (None, "in_progress"):
            return
        # the change may be older than this run of the task (read before it started):
        # the task's status now decides
        try:
            now = self.client.get(f"tasks/{run.id}")["status"]
        except NotFoundError:
            now = "deleted"
        except CorralError:
            return  # the heartbeat will tell
        if now != "in_progress":
            run.abort(f"the task was {change['action']} on the hub")

    # --- running one task ---------------------------------------------------------------

    def _run_task(self, task: dict[str, Any]) -> None:
        run: TaskRun | None = None
        try:
            run = self._claim(task)
            if run is not None:
                self._execute(run)
        except Exception:
            log.exception("task %s: the agent failed to run it", task.get("id"))
        finally:
            with self._runs_lock:
                self._claiming.discard(str(task["id"]))
                self._runs.pop(str(task["id"]), None)
                self._runs_version += 1
            if run is not None:
                run.shipper.close(self.settings.flush_timeout)
            self._slots.release()

    def _claim(self, task: dict[str, Any]) -> TaskRun | None:
        """``:start`` the leased task; None when it may not run here (409/404)."""
        task_id = str(task["id"])
        retried: list[bool] = []
        try:
            started = self._retry(
                lambda: self.client.post(f"tasks/{task_id}:start", json={"worker": self.worker_id}),
                retried,
            )
        except ConflictError as e:
            # after a lost answer the first try may have started it for us
            current = self.client.get(f"tasks/{task_id}") if retried else {}
            if current.get("status") != "in_progress" or current.get("worker") != self.worker_id:
                log.info("task %s: not started (%s); skipping it", task_id, e.detail)
                return None
            started = current
        except NotFoundError:
            log.info("task %s: deleted before it started; skipping it", task_id)
            return None
        log.info("task %s: started (%s)", task_id, started.get("name", ""))
        shipper = ConsoleShipper(
            self.client,
            task_id,
            self.worker_id,
            line_chars=self.settings.log_line_chars,
            backoff=(self.settings.backoff_min, self.settings.backoff_max),
        )
        run = TaskRun(started, shipper, self.settings.abort_grace)
        with self._runs_lock:
            self._runs[task_id] = run
            self._runs_version += 1
            self._runs_changed.set()
        if self._stopping.is_set():  # the agent began stopping while this task started
            run.abort(AGENT_STOPPED, by_agent=True)
        return run

    def _execute(self, run: TaskRun) -> None:
        if run.stop_reason is not None:  # stopped as it started: nothing to prepare
            if run.by_agent:
                self._report(run.id, "stop", {"reason": AGENT_STOPPED})
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
        job = Job(
            task=run.task,
            workdir=workdir,
            hub_env=self.hub_env,
            worker=self.worker_id,
            log=run.shipper.log,
        )
        run.shipper.log(f"corral-agent: worker {self.worker_id} ({self.runner.name} mode)")
        try:
            return self.runner.prepare(job)
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
            self._report(run.id, "fail", {"reason": reason[:4096]})
        elif run.by_agent:
            self._report(run.id, "stop", {"reason": AGENT_STOPPED})

    def _launch(self, run: TaskRun, launch: Launch) -> int | None:
        """Run the process to its end; its exit code (None: it never started)."""
        env = dict(launch.env)
        env.update(CORRAL_TASK_ID=run.id, CORRAL_AGENT="1", CORRAL_WORKER=self.worker_id)
        env.setdefault("PYTHONUNBUFFERED", "1")  # lines reach the console as printed
        if launch.freeze:
            self._save_freeze(run.id, launch.freeze)
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
        if code is None:
            if run.by_agent:
                self._report(run.id, "stop", {"reason": AGENT_STOPPED})
            return
        log.info("task %s: %s", run.id, "stopped" if run.stop_reason else exit_reason(code))
        if run.stop_reason is None:
            run.shipper.log(f"corral-agent: the process ended: {exit_reason(code)}")
        run.shipper.flush(self.settings.flush_timeout)
        freeze_file = getattr(launch, "freeze_file", None)
        if not launch.freeze and freeze_file is not None:
            try:
                freeze = Path(freeze_file).read_text(encoding="utf-8", errors="replace")
            except OSError as e:
                log.debug("task %s: no freeze: %s", run.id, e)
            else:
                if freeze.strip():
                    self._save_freeze(run.id, freeze)
        if run.by_agent:
            self._report(run.id, "stop", {"reason": AGENT_STOPPED, "exit_code": code})
        elif run.stop_reason is not None:
            pass  # aborted on the hub: its status (stopped, reset...) stands
        elif code == 0:
            self._report(run.id, "complete", {"exit_code": 0})
        else:
            self._report(run.id, "fail", {"reason": exit_reason(code), "exit_code": code})

    def _save_freeze(self, task_id: str, freeze: str) -> None:
        try:
            self._retry(
                lambda: self.client.patch(
                    f"tasks/{task_id}",
                    params={"force": "true"},
                    json={"script": {"freeze": freeze}},
                )
            )
        except CorralError as e:
            log.warning("task %s: could not save the environment freeze: %s", task_id, e.detail)

    def _report(
        self, task_id: str, action: str, body: dict[str, Any], *, retry: bool = True
    ) -> None:
        """A final status; 409 (the status changed meanwhile) and 404 (deleted) are fine."""
        try:
            if retry:
                self._retry(lambda: self.client.post(f"tasks/{task_id}:{action}", json=body))
            else:
                self.client.post(f"tasks/{task_id}:{action}", json=body)
        except (ConflictError, NotFoundError) as e:
            log.debug("task %s: %s not applied: %s", task_id, action, e.detail)
        except CorralError as e:
            log.warning("task %s: could not %s it: %s", task_id, action, e.detail)

    def _retry(self, call: Callable[[], T], retried: list[bool] | None = None) -> T:
        """``call()``, again while the hub is away or overloaded (up to ``report_timeout``)."""
        backoff = Backoff(self.settings.backoff_min, self.settings.backoff_max)
        deadline = time.monotonic() + self.settings.report_timeout
        while True:
            try:
                return call()
            except CorralError as e:
                transient = isinstance(e, ServerUnavailableError) or e.status >= 500
                delay = backoff.next()
                if not transient or time.monotonic() + delay > deadline:
                    raise
                log.warning("the hub did not answer (%s); retrying in %.1fs", e.detail, delay)
                if retried is not None:
                    retried.append(True)
                time.sleep(delay)


def _timeout(wait: float) -> httpx.Timeout:
    """A long-poll's timeout: its wait plus time for the answer; connecting stays quick."""
    return httpx.Timeout(wait + 15.0, connect=10.0)
