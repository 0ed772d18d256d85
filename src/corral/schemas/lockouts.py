"""Failed-login counters and lockouts, as admins see them (``/lockouts``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from corral.schemas.common import Output


class LockoutOut(Output):
    #: ``user:NAME`` or ``ip:ADDRESS`` (user names that do not exist are counted too)
    subject: str
    kind: Literal["user", "address"]
    failures: int
    #: the lockout ends then (None: not locked out)
    locked_until: datetime | None
    #: no attempt is checked before then (the growing delay)
    next_attempt_at: datetime | None
    last_failure_at: datetime
