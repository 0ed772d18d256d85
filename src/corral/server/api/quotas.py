"""Quotas: admins set them; everyone sees those that bind them and their own usage.

* ``GET /quotas``: admins get every quota, others those of their own and their teams.
* ``PUT /quotas`` (admin) creates or replaces the quota of (subject, queue).
* ``DELETE /quotas/{id}`` (admin).
* ``GET /users/{id}/usage`` (the user themself, or an admin): stored bytes and
  running tasks per queue.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from corral.errors import NotFoundError, PermissionDeniedError
from corral.schemas.common import Ok
from corral.schemas.quotas import QuotaOut, QuotaSet, Usage
from corral.server.api.deps import AdminUser, CurrentPrincipal, SessionDep
from corral.server.db.models import User
from corral.server.services import changes, quotas

router = APIRouter(tags=["quotas"])


@router.get("/quotas", response_model=list[QuotaOut])
def list_quotas(session: SessionDep, principal: CurrentPrincipal) -> list[QuotaOut]:
    """Every quota (admins), or those that bind the caller."""
    found = quotas.list_quotas(session, None if principal.is_admin else principal.user_id)
    return quotas.describe(session, found)


@router.put("/quotas", response_model=QuotaOut)
def set_quota(body: QuotaSet, session: SessionDep, _admin: AdminUser) -> QuotaOut:
    """Create or replace the quota of a user or team in a queue (null: all queues)."""
    quota = quotas.set_quota(session, body)
    # waiting workers look again: a raised limit may free a task
    changes.record(session, "quota", quota.id, "set")
    (out,) = quotas.describe(session, [quota])
    return out


@router.delete("/quotas/{quota_id}", response_model=Ok)
def delete_quota(quota_id: str, session: SessionDep, _admin: AdminUser) -> Ok:
    quotas.remove_quota(session, quota_id)
    changes.record(session, "quota", quota_id, "removed")
    return Ok()


@router.get("/users/{user_id}/usage", response_model=Usage)
def user_usage(user_id: str, session: SessionDep, principal: CurrentPrincipal) -> Usage:
    """What counts against the user's quotas: stored bytes, running tasks per queue."""
    user = session.get(User, user_id) or session.scalar(select(User).where(User.name == user_id))
    if user is None:
        raise NotFoundError(f"no user {user_id!r}")
    if user.id != principal.user_id and not principal.is_admin:
        raise PermissionDeniedError("only the user themself or an admin may see a user's usage")
    return quotas.usage(session, user.id)
