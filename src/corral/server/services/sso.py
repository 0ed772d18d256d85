"""Users who log in with single sign-on: found or created, their teams kept in step.

An OIDC user is known by ``external_id`` = ``"ISSUER|SUBJECT"``, never by name or
e-mail (a provider account named like a local user does not become that user:
the new account gets a name of its own, ``alice-2``). Its teams with
``source="oidc"`` follow the provider's groups claim at every login
(``services/teams.py`` makes the changes, with their change records and audit
entries); local teams are never touched, and a group named like a local team is
not mapped. A group path such as ``/org/ml`` becomes the team ``org:ml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from corral.errors import PermissionDeniedError
from corral.schemas.teams import TeamCreate
from corral.server.auth import addresses
from corral.server.auth.oidc import Identity
from corral.server.db.models import Team, TeamMember, User, WebSession
from corral.server.db.unit_of_work import USER_ID
from corral.server.services import audit, changes, sessions, teams

_NAME_MAX = 64
_NOT_NAME = re.compile(r"[^A-Za-z0-9_.@-]+")


@dataclass(frozen=True)
class SignedIn:
    user: User
    web: WebSession
    #: the session cookie's value (only its hash is stored)
    token: str
    created: bool


def sign_in(
    session: Session,
    identity: Identity,
    *,
    hours: int,
    address: str,
    user_agent: str,
) -> SignedIn:
    """Find or create the user, refuse an inactive one, sync teams, open a session.

    Raises:
        PermissionDeniedError: the account is deactivated or may not connect from
            ``address``.
    """
    user = session.scalar(select(User).where(User.external_id == identity.external_id))
    created = user is None
    if user is None:
        user = _create_user(session, identity)
    session.info[USER_ID] = user.id
    audit.set_context(session, user.id, user.name, address)
    if not user.active:
        raise PermissionDeniedError(f"the account {user.name!r} is deactivated")
    if not addresses.allowed(address, user.allowed_ips):
        raise PermissionDeniedError(
            f"the account {user.name!r} may not be used from {address or 'an unknown address'}"
        )
    if identity.email and identity.email != user.email:
        user.email = identity.email[:320]
    sync_teams(session, user, identity.groups)
    web, token = sessions.open_session(
        session, user, hours=hours, address=address or None, user_agent=user_agent
    )
    sessions.record_login(session, user, address or None, "oidc")
    return SignedIn(user=user, web=web, token=token, created=created)


def _create_user(session: Session, identity: Identity) -> User:
    user = User(
        name=_unique_name(session, identity.username or "user"),
        email=identity.email[:320] if identity.email else None,
        role="user",
        kind="person",
        password_hash=None,
        auth_source="oidc",
        external_id=identity.external_id,
    )
    session.add(user)
    session.flush()
    changes.record(
        session, "user", user.id, "created", user_id=user.id, payload={"name": user.name}
    )
    audit.record(
        session,
        "user.created",
        target_type="user",
        target_id=user.id,
        target_name=user.name,
        detail={"via": "oidc", "external_id": identity.external_id},
        actor=(user.id, user.name),
    )
    return user


def _unique_name(session: Session, wanted: str) -> str:
    """A valid user name from ``wanted``, with ``-2``, ``-3``... when it is taken."""
    base = _NOT_NAME.sub("-", wanted).lstrip("_.@-")[: _NAME_MAX - 6] or "user"
    name, n = base, 1
    while session.scalar(select(User.id).where(User.name == name)) is not None:
        n += 1
        name = f"{base}-{n}"
    return name


def team_name(group: str) -> str:
    """The team a group becomes: slashes of a group path (``/org/ml``) turn into ``:``."""
    name = group.strip().strip("/").replace("/", ":")
    if any(ord(c) < 0x20 or c == "\x7f" for c in name):
        return ""
    return name[:255]


def sync_teams(session: Session, user: User, groups: list[str]) -> None:
    """Make the user's ``oidc`` teams exactly ``groups`` (creating teams as needed)."""
    wanted = {name for name in map(team_name, groups) if name}
    found = {t.name: t for t in session.scalars(select(Team).where(Team.name.in_(wanted)))}
    for name in sorted(wanted - found.keys()):
        data = TeamCreate(name=name, description="from single sign-on")
        found[name] = teams.create_team(session, data, source="oidc")
    target = {t.id for t in found.values() if t.source == "oidc"}
    current = set(
        session.scalars(
            select(TeamMember.team_id)
            .join(Team, Team.id == TeamMember.team_id)
            .where(TeamMember.user_id == user.id, Team.source == "oidc")
        )
    )
    for team_id in sorted(current - target):
        teams.remove_member(session, team_id, user.id, sync=True)
    for team_id in sorted(target - current):
        teams.add_member(session, team_id, user.id, sync=True)


def record_failure(
    session: Session, reason: str, *, address: str, external_id: str = "", name: str = ""
) -> None:
    """Audit a refused single sign-on (in a transaction of its own: the login's rolled back)."""
    audit.record(
        session,
        "login.failed",
        target_type="user",
        target_name=name,
        outcome="failed",
        detail={"via": "oidc", "reason": reason[:500], "external_id": external_id},
        actor=(None, name),
        address=address,
    )
