"""Quotas on the wire: limits of a user or a team, and what a user uses.

A quota limits one user or one team: the tasks running at once in one queue (or in
every queue together when ``queue`` is null) and the bytes stored through
``PUT /files``. A user is bound by their own quotas and by those of each team they
belong to (a team's count is its members' together).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from corral.schemas.common import Input, Output

SubjectType = Literal["user", "team"]


class QuotaSet(Input):
    """``PUT /quotas``: create or replace the quota of (subject, queue)."""

    subject_type: SubjectType = "user"
    #: the user's or team's id or name
    subject: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    #: a queue's name or id; null: every queue together (and the only place for storage)
    queue: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    #: tasks running (or leased to a worker) at once; null: no limit
    max_running: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    #: bytes stored through ``PUT /files``; null: no limit
    max_storage_bytes: Annotated[int, Field(ge=0, le=2**62)] | None = None

    @model_validator(mode="after")
    def _something(self) -> QuotaSet:
        if self.max_running is None and self.max_storage_bytes is None:
            raise ValueError("set max_running, max_storage_bytes or both (DELETE removes a quota)")
        if self.queue is not None and self.max_storage_bytes is not None:
            raise ValueError("a storage limit counts every queue: leave queue null")
        return self


class QuotaOut(Output):
    id: str
    subject_type: SubjectType
    subject_id: str
    subject_name: str
    queue_id: str | None
    #: null: every queue together
    queue: str | None
    max_running: int | None
    max_storage_bytes: int | None
    created_at: datetime


class Usage(Output):
    """``GET /users/{id}/usage``: what counts against the user's quotas."""

    storage_bytes: int
    #: queue name -> tasks of the user running or leased in it
    running: dict[str, int]
