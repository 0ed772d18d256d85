"""Which task ``Task.init`` runs, created on the hub with one request.

``start_run`` picks the task: under an agent (``CORRAL_TASK_ID``) the queued one;
offline a new one made here; else the previous one of this machine reused or continued
(``reuse_last_task_id``, ``continue_last_task``), or a new one. A new task is created
at once (within ``INIT_TIMEOUT``), or - hub away, no credentials - by the outbox later.
When an earlier run of this process left a capture that is still valid, the create
carries the code, packages and machine facts.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from pathlib import Path
from typing import Any

from corral.core.task_status import ACTIVE, S, can
from corral.errors import AuthError, CorralError, ServerUnavailableError
from corral.sdk import local_state, spool
from corral.sdk.capture import reuse
from corral.sdk.handle import RunHandle
from corral.sdk.outbox import Outbox
from corral.sdk.run import Run
from corral.sdk.session import hub_client

log = logging.getLogger("corral.sdk")

#: seconds Task.init waits for the hub to create the task before spooling instead
INIT_TIMEOUT = 5.0


def start_run(*, offline: bool, **kw: Any) -> Run:
    """Pick and create the task of this process; the capture is started by the caller."""
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
            data = {**data, "status": S.created.value, "project_name": project}
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
    data["status"] = S.in_progress.value
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
