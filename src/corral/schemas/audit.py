"""The audit log on the wire (docs/api.md, "Audit log")."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from corral.schemas.common import Output

Outcome = Literal["ok", "denied", "failed"]


class AuditEntryOut(Output):
    """Who did what, when, from where."""

    id: int
    time: datetime
    actor_id: str | None
    actor_name: str
    #: ``<noun>.<verb>``: ``login.failed``, ``key.created``, ``task.enqueued``...
    action: str
    target_type: str
    target_id: str
    target_name: str
    address: str | None
    outcome: str
    detail: dict[str, Any]
