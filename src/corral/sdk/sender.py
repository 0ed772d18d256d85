"""Carry out one spooled operation against the hub, and sort its failures.

An operation is a small JSON object, so that it can wait in memory or in a spool
file alike:

* ``{"kind": "request", "method": "PATCH", "path": "tasks/ID", "json": {...},
  "params": {...}, "accept": [409]}`` - a REST call; statuses in ``accept`` count
  as done (a create retried after a lost answer is a 409: it exists).
* ``{"kind": "events", "path": "tasks/ID/events", "batch_id": ..., "events": [...]}``
  - an event batch; the hub stores a batch id once.
* ``{"kind": "upload", "src": "/local/file", "dst": "hub://... | s3://...",
  "remove_src": bool, "record": <request op or null>}`` - a file, then the record
  that points at it; the record's ``json.size``/``json.hash`` are filled in when null.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from corral.client.http import HubClient
from corral.client.retry import SERVER_STATUSES, retryable
from corral.errors import AuthError, CorralError, ServerUnavailableError

log = logging.getLogger("corral.sdk")

Op = dict[str, Any]


class Transient(Exception):
    """The hub cannot take it now (unreachable, 5xx, 429): keep it and try again later."""


class Refused(Exception):
    """The hub will never take it (a 4xx but 401, 408, 429): retrying cannot help, so
    the operation is set aside (``spool.set_aside``) and what follows goes on."""


class Unauthorized(Refused):
    """The credentials are wrong (401): keep everything on disk for a later import."""


def send(client: HubClient, op: Op) -> Any:
    """Carry out ``op``; raise :class:`Transient` or :class:`Refused` when it did not happen."""
    try:
        return _send(client, op)
    except ServerUnavailableError as e:
        raise Transient(str(e)) from e
    except AuthError as e:
        if e.status == 401:
            raise Unauthorized(str(e)) from e
        raise Refused(f"{e.status} {e.title}: {e.detail}") from e  # 403: not allowed, for good
    except CorralError as e:
        if retryable(e, SERVER_STATUSES):  # never dropped for a failure of the hub's
            raise Transient(f"{e.status} {e.title}: {e.detail}") from e
        if e.status in op.get("accept", ()):
            return None
        raise Refused(f"{e.status} {e.title}: {e.detail}") from e
    except OSError as e:  # a local file vanished, a disk error: never retried
        raise Refused(str(e)) from e


def _send(client: HubClient, op: Op) -> Any:
    kind = op["kind"]
    if kind == "events":
        task_id = op["path"].strip("/").split("/")[1]  # "tasks/{id}/events"
        return client.events.post_batch(task_id, op["batch_id"], op["events"])
    if kind == "request":
        return client.request(
            op["method"], op["path"], json=op.get("json"), params=op.get("params") or None
        )
    if kind == "upload":
        return _upload(client, op)
    raise Refused(f"unknown operation kind {kind!r}")


def _upload(client: HubClient, op: Op) -> Any:
    from corral.sdk.transfer import upload

    src = Path(op["src"])
    if not src.exists() and op.get("remove_src") and not op.get("done_upload"):
        # a replay of an upload that was complete: its file is removed only after its
        # record was sent, so nothing is left to do when the file is on the remote
        from corral.sdk.storage import StorageManager

        if StorageManager.exists_file(op["dst"]):
            return None
    if not src.exists() and op.get("done_upload"):
        size, digest = op.get("size"), op.get("hash")
    else:
        size, digest = upload(src, op["dst"])
        op["done_upload"], op["size"], op["hash"] = True, size, digest
    record = op.get("record")
    result = None
    if record:
        body = dict(record.get("json") or {})
        if "size" in body and body["size"] is None:
            body["size"] = size
        if "hash" in body and body["hash"] is None:
            body["hash"] = digest or None
        result = send(client, {**record, "json": body})
    if op.get("remove_src"):
        try:
            os.unlink(src)
        except FileNotFoundError:
            pass
    return result


def describe(op: Op) -> str:
    """What an operation is, for a person: "an event batch (120 events)", "PATCH tasks/ID"."""
    kind = op.get("kind")
    if kind == "events":
        return f"an event batch ({len(op.get('events') or ())} events)"
    if kind == "upload":
        return f"the upload of {Path(str(op.get('src', ''))).name} to {op.get('dst', '')}"
    return f"{op.get('method', '')} {op.get('path', '')}".strip()
