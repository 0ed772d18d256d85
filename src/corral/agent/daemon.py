"""The agent daemon: a worker that runs queued tasks, one at a time or N in services mode.

Threads of one :class:`Agent`:

* **dequeue**: while a slot is free, long-polls ``POST /queues:dequeue`` with the
  queues in priority order; each task it gets runs in a thread of its own. A hub error
  or restart costs a log line and a pause, never the agent.
* **heartbeat**: every ``heartbeat`` seconds, machine stats; the reply lists the status
  of this worker's tasks, and a task no longer ``in_progress`` (aborted, reset, deleted)
  has its process stopped. A hub that forgot the worker (404) or marked it gone (409)
  gets a new registration.
* **watch**: long-polls the change log for the tasks running here, so that an abort
  stops the task's process at once rather than one heartbeat later.

One task's life (``:start``, prepare, run, console, final status) is
:class:`~corral.agent.job.TaskJob`; the change-log watcher is
:class:`~corral.agent.watch.AbortWatcher`.

The agent's key is for the agent's calls only (register, heartbeat, dequeue, the
status and console of its tasks). Each task's process gets the token the hub issued
with the lease, which acts as the task's owner (:attr:`Agent.hub_env` holds no key).
On Linux the agent makes itself non-dumpable, so that the tasks it runs (the same OS
user) cannot read its environment or memory through ``/proc``.

Stopping the agent (SIGTERM, Ctrl-C) stops its tasks (SIGTERM to each process group,
SIGKILL after ``abort_grace``), marks them ``stopped`` ("agent stopped") and
unregisters the worker.

Example::

    runner = get_runner("plain", AgentOptions(root=settings.root))
    Agent(settings, load(), runner, worker_id="box:cpu", queues=["default"]).run()
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from corral.agent.job import AGENT_STOPPED, Lease, Runs, TaskJob, Worker
from corral.agent.process import protect_process
from corral.agent.runners.base import Runner
from corral.agent.settings import AgentSettings
from corral.agent.stats import StatsSampler, worker_facts
from corral.agent.watch import AbortWatcher
from corral.client.config import HubCredentials
from corral.client.http import HubClient
from corral.client.retry import Backoff
from corral.core.task_status import S
from corral.errors import ConflictError, CorralError, NotFoundError

log = logging.getLogger("corral.agent")


class WorkerNameTaken(ConflictError):
    """A live worker on the hub already has this id."""


# --- the worker ------------------------------------------------------------------------


class Agent:
    """A worker: registers, heartbeats, dequeues and runs tasks (see the module docstring).

    Args:
        settings: timings and folders.
        creds: the hub's URL and the agent's API key (never given to the tasks' processes).
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
        self._sampler = StatsSampler(gpus)
        self._slots = threading.Semaphore(max(1, services))
        #: the tasks dequeued, starting or running here
        self._runs = Runs()
        self._worker = Worker(settings, self.client, runner, worker_id, self.hub_env)
        self._task_threads: list[threading.Thread] = []
        #: leased to this worker by a dequeue whose answer was lost (seen in heartbeats)
        self._lost_leases: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._maybe_lost: set[str] = set()
        #: no more dequeues (the agent is stopping)
        self._stopping = threading.Event()
        #: heartbeat and watch end (the worker is about to be unregistered)
        self._closed = threading.Event()
        self._watcher = AbortWatcher(self.client, self._runs, settings)
        self._threads: list[threading.Thread] = []

    @property
    def hub_env(self) -> dict[str, str]:
        """What every task's process gets from the agent: the hub's address (no key: each
        task gets its token) and the datasets cache of this machine, shared by all tasks."""
        return {
            "CORRAL_HUB_URL": self.creds.url,
            "CORRAL_DATASET_CACHE": str(self.settings.dataset_cache_dir),
        }

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
        protect_process()
        self.settings.work_dir.mkdir(parents=True, exist_ok=True)
        # made by the agent's user, so that docker does not create it owned by root
        self.settings.dataset_cache_dir.mkdir(parents=True, exist_ok=True)
        for target, name in (
            (self._dequeue_loop, "dequeue"),
            (self._heartbeat_loop, "heartbeat"),
            (self._watcher.run, "watch"),
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
        runs = self._runs.active()
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
        for run in self._runs.active():  # still preparing: the hub hears it from us
            self._worker.report(run.id, "stop", {"reason": AGENT_STOPPED}, retry=False)
        # the long-polls in flight are not waited for: a dequeue answered now is not
        # started, and its lease goes back to the queue with the worker
        self._closed.set()
        self._watcher.stop()
        self._poll.interrupt()  # a dequeue in flight ends now, not when the hub answers
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
                for run in self._runs.active():
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

    # --- dequeue ------------------------------------------------------------------------

    def _dequeue_loop(self) -> None:
        backoff = self.settings.retry_policy().backoff()
        while not self._stopping.is_set():
            if not self._slots.acquire(timeout=0.5):
                continue
            lease: Lease | None = None
            try:
                lease = self._lost_lease() or self._dequeue(backoff)
            except Exception:
                log.exception("dequeue failed")
                self._stopping.wait(backoff.next())
            if lease is None:
                self._slots.release()
                continue
            task_id = str(lease.task["id"])
            self._runs.claim(task_id)
            thread = threading.Thread(
                target=self._run_task, args=(lease,), name=f"corral-task-{task_id}", daemon=True
            )
            self._task_threads = [t for t in self._task_threads if t.is_alive()] + [thread]
            thread.start()

    def _dequeue(self, backoff: Backoff) -> Lease | None:
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
        if task is None or self._stopping.is_set():
            # not started: unregistering gives the lease back to the front of its queue
            return None
        return Lease(task, (reply or {}).get("token"))

    def _lost_lease(self) -> Lease | None:
        """A task leased to this worker whose dequeue answer never arrived, if any.

        Its token was in that answer: the hub issues a new one (the old one is revoked).
        """
        while not self._lost_leases.empty():
            task_id = self._lost_leases.get()
            try:
                task: dict[str, Any] = self.client.get(f"tasks/{task_id}")
                if task.get("status") != S.queued or task.get("worker") != self.worker_id:
                    continue
                token = self.client.post(
                    f"workers/{self.worker_id}:token", json={"task_id": task_id}
                )
            except CorralError as e:
                log.debug("task %s: not picked up again: %s", task_id, e)
                continue
            log.info("task %s: leased to this worker by a lost answer; running it", task_id)
            return Lease(task, token)
        return None

    # --- heartbeat ----------------------------------------------------------------------

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
        for run in self._runs.active():
            # the reply says nothing of a task started after the heartbeat left
            status = statuses.get(run.id)
            if run.started < sent and status != S.in_progress:
                run.abort(f"the task is {status or 'gone'} on the hub")
        known = self._runs.known()
        unknown = {t for t, status in statuses.items() if status == S.queued and t not in known}
        # seen twice: not a dequeue answer on its way at the first sighting
        for task_id in unknown & self._maybe_lost:
            self._lost_leases.put(task_id)
        self._maybe_lost = unknown - self._maybe_lost

    # --- running one task ---------------------------------------------------------------

    def _run_task(self, lease: Lease) -> None:
        try:
            TaskJob(lease.task, self._worker, self._runs, self._stopping, lease.token).run()
        finally:
            self._slots.release()


def _timeout(wait: float) -> httpx.Timeout:
    """A long-poll's timeout: its wait plus time for the answer; connecting stays quick."""
    return httpx.Timeout(wait + 15.0, connect=10.0)
