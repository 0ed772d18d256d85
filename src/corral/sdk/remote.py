"""``Task.execute_remotely``: hand the run over to an agent; and ``running_locally``.

Run locally, the capture is finished (code, packages, arguments, parameters all
reach the hub), the task goes back to draft and into a queue (with no queue it stays a
draft for the user to enqueue), and the local process ends. Under an agent the same
call does nothing, so one script serves both: it sets itself up locally, then
continues on the machine the agent runs on.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from corral.errors import CorralError
from corral.sdk.handle import RunHandle
from corral.sdk.session import hub_client

#: how long to wait for the capture and the outbox before giving up, in seconds
HANDOFF_TIMEOUT = 30.0


def execute_remotely(
    handle: RunHandle, queue_name: str | None, clone: bool, exit_process: bool
) -> dict[str, Any] | None:
    """Hand the run over; the task as the hub returns it (the clone with ``clone``),
    or ``None`` under an agent. With no ``queue_name`` nothing is enqueued: the task
    (or the clone) is left a draft."""
    run = handle.run
    if run is None or run.remote:
        return None  # under an agent (or not a live run): carry on here
    if run.offline:
        raise CorralError("execute_remotely needs the hub; this run is offline")
    if not clone and not exit_process:
        raise ValueError(
            "execute_remotely(clone=False) hands this very run over, so the process must "
            "end: pass exit_process=True, or clone=True to go on here with a copy enqueued"
        )
    client = hub_client()
    if queue_name:
        client.get(f"queues/{queue_name}")  # an unknown queue fails now, before any change
    run.capture_done.wait(HANDOFF_TIMEOUT)
    if clone:
        if not handle.flush(HANDOFF_TIMEOUT):
            raise CorralError("the hub did not receive the task in time; nothing was enqueued")
        target: dict[str, Any] = dict(client.post(f"tasks/{handle.id}:clone", json={}))
        target_id = target["id"]
        if queue_name:
            target = dict(
                client.post(
                    f"tasks/{target_id}:enqueue", json={"queue": queue_name, "position": "bottom"}
                )
            )
            _say(f"task {target_id} (a clone of {handle.id}) enqueued in {queue_name!r}")
        else:
            _say(f"task {target_id} (a clone of {handle.id}) is a draft; {enqueue_hint(target_id)}")
        if exit_process:
            run.close("stopped", {"reason": f"executed remotely as task {target_id}"})
            _leave()
        return target
    # the run ends here without a final status: the agent's run gives it
    if not run.hand_over(HANDOFF_TIMEOUT):
        raise CorralError(
            "the hub did not receive everything in time; nothing was enqueued "
            "(check that the hub is reachable)"
        )
    data = client.post(f"tasks/{handle.id}:reset", json={"force": True})
    if queue_name:
        data = client.post(f"tasks/{handle.id}:enqueue", json={"queue": queue_name})
        _say(f"task {handle.id} enqueued in {queue_name!r}; an agent serving it will run it")
    else:
        _say(
            f"task {handle.id} is a draft with this run's code and parameters; {enqueue_hint(handle.id)}"
        )
    handle.data = dict(data)
    _leave()
    return handle.data


def enqueue_hint(task_id: str) -> str:
    """The sentence telling the user how to run a draft on an agent."""
    return f"enqueue it with: corral task enqueue {task_id} --queue NAME"


# --- running locally ------------------------------------------------------------------------


def running_remotely() -> bool:
    """An agent runs this process (it set ``CORRAL_TASK_ID``) and it is not offline."""
    return bool(os.environ.get("CORRAL_TASK_ID")) and os.environ.get(
        "CORRAL_OFFLINE", ""
    ).lower() not in ("1", "true", "yes")


class LocalFlag:
    """``True`` when no agent runs the task: a bool that can also be called.

    ClearML spells it ``Task.running_locally()`` (a static method); Corral had the
    property ``task.running_locally``. This object answers both: ``if
    task.running_locally:``, ``task.running_locally()`` and ``Task.running_locally()``
    give the same answer, and it compares equal to that bool.
    """

    __slots__ = ("_answer",)

    def __init__(self, answer: Callable[[], bool]) -> None:
        self._answer = answer

    def __call__(self) -> bool:
        return self._answer()

    def __bool__(self) -> bool:
        return self._answer()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (bool, LocalFlag)):
            return bool(self) == bool(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(bool(self))

    def __repr__(self) -> str:
        return repr(bool(self))


class RunningLocally:
    """The descriptor behind ``Task.running_locally`` (see :class:`LocalFlag`).

    On the class it answers for this process; on a task this process runs, for that
    run (a run attached to its task by an agent is not local).
    """

    def __get__(self, task: Any, owner: type | None = None) -> LocalFlag:
        handle: RunHandle | None = getattr(task, "_handle", None) if task is not None else None
        if handle is not None and handle.run is not None:
            run = handle.run
            return LocalFlag(lambda: not run.remote)
        return LocalFlag(lambda: not running_remotely())


def _say(text: str) -> None:
    print(f"corral: {text}", file=sys.__stderr__, flush=True)


def _leave() -> None:
    if "ipykernel" in sys.modules:
        # ending the process would kill the notebook's kernel: stop the cell instead
        raise SystemExit(0)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(0)
