"""Replay a spool or offline folder to the hub (``corral task import``, and leftovers of
runs that ended while the hub was away).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from corral.client.http import HubClient
from corral.sdk import spool
from corral.sdk.sender import Refused, Transient, Unauthorized, describe, send
from corral.sdk.session import hub_client

log = logging.getLogger("corral.sdk")


@dataclass
class ReplayResult:
    task_id: str
    sent: int = 0
    refused: list[str] = field(default_factory=list)
    #: the hub went away (or the folder is busy): what is left stays in the folder
    complete: bool = True


class FolderBusyError(Exception):
    """Another live process is writing or replaying the folder."""


def replay_folder(
    folder: Path,
    client: HubClient | None = None,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    remove_when_done: bool = False,
) -> ReplayResult:
    """Send the folder's pending operations in order; stop at the first transient failure.

    Raises:
        FolderBusyError: a live process holds the folder.
        corral.errors.AuthError: the hub refused the credentials.
    """
    lock = spool.try_lock(folder)
    if lock is None:
        raise FolderBusyError(f"{folder} is in use by a running process")
    client = client or hub_client()
    result = ReplayResult(task_id=str(spool.read_meta(folder).get("task_id", "")))
    try:
        total = spool.count_ops(folder)
        for n, op in spool.pending(folder):
            try:
                send(client, op)
                result.sent += 1
            except Unauthorized as e:
                from corral.errors import AuthError

                raise AuthError(str(e)) from e
            except Transient as e:
                log.warning("corral: the hub went away while replaying %s: %s", folder, e)
                result.complete = False
                return result
            except Refused as e:
                where = spool.set_aside(op, str(e), result.task_id)
                result.refused.append(f"{describe(op)} ({e}); it is set aside in {where}")
            spool.mark_done(folder, n + 1)
            if on_progress is not None:
                on_progress(n + 1, total)
    finally:
        spool.release(lock)
    if remove_when_done:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def replay_orphans() -> None:
    """Send what earlier runs on this machine left in the spool (quietly, best effort)."""
    for folder in spool.orphans():
        try:
            result = replay_folder(folder, remove_when_done=True)
        except FolderBusyError:
            continue
        except Exception as e:
            log.debug("replay of %s failed: %s", folder, e)
            return
        for line in result.refused:
            log.warning("corral: the hub refused %s of task %s", line, result.task_id)
        if not result.complete:
            return
        log.warning(
            "corral: sent %d kept operations of task %s from an earlier run",
            result.sent,
            result.task_id,
        )
