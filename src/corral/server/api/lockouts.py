"""Failed-login counters and lockouts (admins): see who is throttled, clear a lockout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from corral.errors import NotFoundError
from corral.schemas.lockouts import LockoutOut
from corral.server.api.deps import AdminUser, SessionDep
from corral.server.auth import login
from corral.server.db.models import LoginThrottle
from corral.server.services import audit

router = APIRouter(prefix="/lockouts", tags=["users"])

Subject = Annotated[
    str, Path(min_length=4, max_length=320, description="``user:NAME`` or ``ip:ADDRESS``")
]


def _out(row: LoginThrottle) -> LockoutOut:
    return LockoutOut(
        subject=row.subject,
        kind="address" if row.subject.startswith(login.ADDRESS) else "user",
        failures=row.failures,
        locked_until=row.locked_until,
        next_attempt_at=row.next_attempt_at,
        last_failure_at=row.last_failure_at,
    )


@router.get("", response_model=list[LockoutOut])
def list_lockouts(session: SessionDep, _admin: AdminUser) -> list[LockoutOut]:
    """User names and addresses with recent failed logins, newest first: locked out
    (``locked_until``), delayed (``next_attempt_at``) or still counting."""
    return [_out(row) for row in login.list_lockouts(session)]


@router.delete("/{subject}", status_code=204)
def clear_lockout(
    subject: Subject, request: Request, session: SessionDep, _admin: AdminUser
) -> None:
    """Forget a user name's or an address's failures: its lockout and delay end at once."""
    row = login.clear_lockout(session, subject)
    if row is None:
        raise NotFoundError(f"no failed logins recorded for {subject!r}")
    audit.record(
        session,
        "lockout.cleared",
        target_type="lockout",
        target_id=subject,
        target_name=subject,
        detail={"failures": row.failures},
    )
    login.guard_for(request.app.state).forget(subject)
