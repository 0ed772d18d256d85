"""``Task.execute_remotely``: hand the run over to an agent.

Run locally, the capture is finished (code, packages, arguments, parameters all
reach the hub), the task goes back to draft and into a queue, and the local process
ends. Under an agent the same call does nothing, so one script serves both: it sets
itself up locally, then continues on the machine the agent runs on.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from corral.errors import CorralError
from corral.sdk.handle import RunHandle
from corral.sdk.session import hub_client

#: how long to wait for the capture and the outbox before giving up, in seconds
HANDOFF_TIMEOUT = 30.0


def execute_remotely(
    handle: RunHandle, queue_name: str | None, clone: bool, exit_process: bool
) -> dict[str, Any] | None:
    """Hand the run over; the enqueued task as the hub returns it (the clone with
    ``clone``), or ``None`` under an agent."""
    run = handle.run
    if run is None or run.remote:
        return None  # under an agent (or not a live run): carry on here
    if run.offline:
        raise CorralError("execute_remotely needs the hub; this run is offline")
    queue = queue_name or "default"
    client = hub_client()
    client.get(f"queues/{queue}")  # an unknown queue fails now, before anything changes
    run.capture_done.wait(HANDOFF_TIMEOUT)
    if clone:
        if not handle.flush(HANDOFF_TIMEOUT):
            raise CorralError("the hub did not receive the task in time; nothing was enqueued")
        target_id = client.post(f"tasks/{handle.id}:clone", json={})["id"]
        target = client.post(
            f"tasks/{target_id}:enqueue", json={"queue": queue, "position": "bottom"}
        )
        _say(f"task {target_id} (a clone of {handle.id}) enqueued in {queue!r}")
        if exit_process:
            run.close("stopped", {"reason": f"executed remotely as task {target_id}"})
            _leave()
        return dict(target)
    # the run ends here without a final status: the agent's run gives it
    if not run.hand_over(HANDOFF_TIMEOUT):
        raise CorralError(
            "the hub did not receive everything in time; nothing was enqueued "
            "(check that the hub is reachable)"
        )
    client.post(f"tasks/{handle.id}:reset", json={"force": True})
    data = client.post(f"tasks/{handle.id}:enqueue", json={"queue": queue})
    handle.data = dict(data)
    _say(f"task {handle.id} enqueued in {queue!r}; an agent serving it will run it")
    if exit_process:
        _leave()
    return handle.data


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
