"""Users and service accounts, API keys, and browser sessions.

Admins create users, change their roles and allowlists, reset passwords and
deactivate them; everyone manages their own keys. Every change is recorded in
the change log (streams end on ``user``/``key`` changes) and the audit log, in
the transaction that makes it. Password hashes are made by the caller, outside
any transaction (``api.users``), and handed in.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from corral.errors import (
    AuthError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from corral.schemas.users import KeyCreate, UserCreate, UserUpdate
from corral.server.auth import addresses
from corral.server.auth.credentials import (
    digest,
    new_key_pair,
)
from corral.server.auth.policy import Access
from corral.server.auth.principal import ADMIN, Principal
from corral.server.db.models import ApiKey, Project, Team, TeamMember, User
from corral.server.services import audit, changes, sessions


def find_user(session: Session, ref: str) -> User | None:
    """The user with id or name ``ref``."""
    user = session.get(User, ref) if len(ref) <= 32 else None
    if user is None:
        user = session.scalar(select(User).where(User.name == ref))
    return user


def get_user(session: Session, user_id: str) -> User:
    """The user with id or name ``user_id`` (404 when there is none)."""
    user = find_user(session, user_id)
    if user is None:
        raise NotFoundError(f"no user {user_id!r} (see GET /users)")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def teams_of(session: Session, user_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    """user id -> [(team id, team name)] for these users, by team name."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    if not user_ids:
        return out
    rows = session.execute(
        select(TeamMember.user_id, Team.id, Team.name)
        .join(Team, Team.id == TeamMember.team_id)
        .where(TeamMember.user_id.in_(user_ids))
        .order_by(Team.name)
    )
    for user_id, team_id, team_name in rows:
        out[user_id].append((team_id, team_name))
    return out


def create_user(session: Session, data: UserCreate, *, password_hash: str | None = None) -> User:
    """Create a person or a service account (``password_hash`` made outside the transaction)."""
    if data.kind == "service" and data.password is not None:
        raise ValidationError(
            "a service account has no password; give it an API key "
            "(POST /keys with its user_id, or `corral key create --user NAME`)",
            errors=[{"loc": ["body", "password"], "msg": "not allowed", "type": "value_error"}],
        )
    networks = addresses.normalize_networks(data.allowed_ips)
    if session.scalar(select(User.id).where(User.name == data.name)) is not None:
        raise ConflictError(f"a user named {data.name!r} already exists")
    now = datetime.now(timezone.utc)
    user = User(
        name=data.name,
        email=data.email,
        role=data.role,
        kind=data.kind,
        password_hash=password_hash,
        password_changed_at=now if password_hash else None,
        allowed_ips=networks,
        auth_source="local",
    )
    session.add(user)
    session.flush()
    changes.record(session, "user", user.id, "created", payload={"name": user.name})
    _audit_user(
        session,
        "user.created",
        user,
        {"role": user.role, "kind": user.kind, "allowed_ips": networks},
    )
    return user


def update_user(
    session: Session,
    actor: Principal,
    user_id: str,
    data: UserUpdate,
    *,
    password_hash: str | None = None,
) -> User:
    """Change a user: admins anything, a user only their own e-mail.

    A password reset (``password_hash``) ends that user's browser sessions (but
    the caller's own); deactivation ends all of them, and their keys stop working.
    """
    user = get_user(session, user_id)
    is_admin = actor.is_admin
    if not is_admin:
        if actor.user_id != user.id:
            raise PermissionDeniedError("only an admin may change another user")
        if data.password is not None:
            raise PermissionDeniedError(
                "change your own password with POST /auth/password (it needs the old one)"
            )
        if data.role is not None or data.active is not None or data.allowed_ips is not None:
            raise PermissionDeniedError(
                "only an admin may change roles, allowlists or deactivate users"
            )
    demoted = data.role is not None and data.role != ADMIN
    if user.role == ADMIN and user.active and (demoted or data.active is False):
        _ensure_other_admin(session, user)
    updated: dict[str, Any] = {}
    if data.email is not None and data.email != user.email:
        user.email = data.email
        updated["email"] = data.email
    if data.allowed_ips is not None:
        networks = addresses.normalize_networks(data.allowed_ips)
        if networks != list(user.allowed_ips or []):
            user.allowed_ips = networks
            updated["allowed_ips"] = networks
    if password_hash is not None:
        user.password_hash = password_hash
        user.password_changed_at = datetime.now(timezone.utc)
        updated["password"] = "reset"
        end_sessions(session, user.id, keep=actor.session_id)
    old_role = user.role
    if data.role is not None and data.role != old_role:
        user.role = data.role
    deactivated = data.active is False and user.active
    reactivated = data.active is True and not user.active
    if data.active is not None:
        user.active = data.active
    if reactivated:
        updated["active"] = True
    if deactivated:
        end_sessions(session, user.id)
    session.flush()
    if user.role != old_role:
        _audit_user(session, "user.role_changed", user, {"from": old_role, "to": user.role})
    if updated:
        _audit_user(session, "user.updated", user, updated)
    if deactivated:
        _audit_user(session, "user.deactivated", user)
        changes.record(session, "user", user.id, "deactivated")
    elif updated or user.role != old_role:
        changes.record(session, "user", user.id, "updated")
    return user


def _audit_user(
    session: Session, action: str, user: User, detail: dict[str, Any] | None = None
) -> None:
    audit.record(
        session,
        action,
        target_type="user",
        target_id=user.id,
        target_name=user.name,
        detail=detail,
    )


def end_sessions(session: Session, user_id: str, *, keep: str | None = None) -> None:
    """End a user's browser sessions (but ``keep``, a session id = its token hash).

    Each ending is recorded, so the change streams opened with them end too.
    """
    sessions.end_other_sessions(session, user_id, keep)


def _ensure_other_admin(session: Session, user: User) -> None:
    others = session.scalar(
        select(User.id).where(User.role == ADMIN, User.active, User.id != user.id).limit(1)
    )
    if others is None:
        raise ConflictError("this is the last active admin; make another admin first")


# --- keys -----------------------------------------------------------------------


def _wider(message: str, field: str) -> ValidationError:
    text = f"{message}: a key cannot be wider than your own rights"
    return ValidationError(
        text, errors=[{"loc": ["body", field], "msg": text, "type": "value_error"}]
    )


def _key_projects(session: Session, access: Access, refs: list[str]) -> list[str]:
    """Project ids for ids or names, each one the caller may read (else 422)."""
    ids: list[str] = []
    for ref in refs:
        ref = ref.strip()
        project = session.get(Project, ref) if len(ref) == 32 else None
        if project is None:
            project = session.scalar(select(Project).where(Project.name == ref.strip("/")))
        # an unknown project and one the caller may not read get the same answer
        if project is None or not access.can("read", project.id):
            raise _wider(f"no project {ref!r} that you may read", "projects")
        if project.id not in ids:
            ids.append(project.id)
    return ids


def _key_expiry(actor: Principal, expires_at: datetime | None) -> datetime | None:
    now = datetime.now(timezone.utc)
    if expires_at is not None:
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=timezone.utc)
        if expires_at <= now:
            raise ValidationError(
                "expires_at is in the past; give a time to come",
                errors=[
                    {"loc": ["body", "expires_at"], "msg": "in the past", "type": "value_error"}
                ],
            )
    limit = actor.expires_at if actor.key_id else None
    if limit is not None and (expires_at is None or expires_at > limit):
        raise _wider(
            f"the key you use expires at {limit.isoformat()}; a key it makes must expire by then",
            "expires_at",
        )
    return expires_at


def _key_networks(session: Session, actor: Principal, values: list[str]) -> list[str]:
    networks = addresses.normalize_networks(values)
    creator = session.get(ApiKey, actor.key_id) if actor.key_id else None
    limit = addresses.parse_networks(creator.allowed_ips) if creator else []
    if limit:
        parsed = addresses.parse_networks(networks)
        inside = all(
            any(n.version == m.version and n.subnet_of(m) for m in limit)  # type: ignore[arg-type]
            for n in parsed
        )
        if not parsed or not inside:
            raise _wider(
                "the key you use works only from "
                + ", ".join(str(m) for m in limit)
                + "; a key it makes needs allowed_ips within those",
                "allowed_ips",
            )
    return networks


def create_key(session: Session, access: Access, data: KeyCreate) -> tuple[ApiKey, str]:
    """Make a key for the caller (or, for an admin, another user), never wider than the
    caller's own rights: its projects readable by the caller and within the caller's key
    scope, no later expiry and no wider allowlist than the key it is made with."""
    actor = access.principal
    if actor.is_task_token:
        raise PermissionDeniedError("a task's token cannot make API keys")
    if actor.read_only:
        raise _wider("the key you use is read-only", "read_only")
    owner = session.get(User, actor.user_id)
    if data.user_id and data.user_id not in (actor.user_id, actor.name):
        if not actor.is_admin:
            raise PermissionDeniedError("only an admin may create keys for another user")
        owner = find_user(session, data.user_id)
        if owner is None:
            raise ValidationError(
                f"no user {data.user_id!r} (see GET /users)",
                errors=[{"loc": ["body", "user_id"], "msg": "no such user", "type": "value_error"}],
            )
    if owner is None:
        raise AuthError("this account no longer exists")
    if not owner.active:
        raise ConflictError(f"user {owner.name!r} is deactivated; activate them first")
    project_ids = _key_projects(session, access, data.projects)
    if actor.projects and not project_ids:
        raise _wider("the key you use is limited to some projects; name them", "projects")
    expires_at = _key_expiry(actor, data.expires_at)
    networks = _key_networks(session, actor, data.allowed_ips)
    access_key, secret = new_key_pair()
    key = ApiKey(
        access_key=access_key,
        secret_hash=digest(secret),
        user_id=owner.id,
        label=data.label,
        kind="user",
        read_only=data.read_only,
        projects=project_ids,
        allowed_ips=networks,
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    changes.record(session, "key", key.id, "created", payload={"user_id": owner.id})
    audit.record(
        session,
        "key.created",
        target_type="user",
        target_id=owner.id,
        target_name=owner.name,
        detail={
            "key_id": key.id,
            "access_key": key.access_key,
            "label": key.label,
            "read_only": key.read_only,
            "projects": project_ids,
            "expires_at": expires_at.isoformat() if expires_at else None,
            "allowed_ips": networks,
        },
    )
    return key, secret


def list_keys(
    session: Session,
    actor: Principal,
    *,
    all_users: bool = False,
    user: str | None = None,
    kind: str | None = None,
) -> list[ApiKey]:
    """The caller's keys; an admin's ``all_users`` (or ``user``): everyone's (or theirs).

    Task tokens are listed to admins only.
    """
    if actor.is_task_token:
        raise PermissionDeniedError("a task's token cannot list API keys")
    q = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    if (all_users or user) and not actor.is_admin:
        raise PermissionDeniedError("only an admin may list other users' keys")
    if user:
        q = q.where(ApiKey.user_id == get_user(session, user).id)
    elif not all_users:
        q = q.where(ApiKey.user_id == actor.user_id)
    if not actor.is_admin:
        q = q.where(ApiKey.kind == "user")
    if kind:
        q = q.where(ApiKey.kind == kind)
    return list(session.scalars(q))


def revoke_key(session: Session, actor: Principal, key_id: str) -> ApiKey:
    """Revoke a key (by id or access key): one's own, or any for an admin."""
    if actor.is_task_token:
        raise PermissionDeniedError("a task's token cannot revoke API keys")
    key = session.get(ApiKey, key_id) if len(key_id) <= 32 else None
    if key is None:
        key = session.scalar(select(ApiKey).where(ApiKey.access_key == key_id))
    visible = key is not None and (
        actor.is_admin or (key.user_id == actor.user_id and key.kind == "user")
    )
    if key is None or not visible:
        raise NotFoundError(f"no key {key_id!r} (see GET /keys)")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(timezone.utc)
        session.flush()
        changes.record(session, "key", key.id, "revoked", payload={"user_id": key.user_id})
        owner = session.get(User, key.user_id)
        audit.record(
            session,
            "key.revoked",
            target_type="user",
            target_id=key.user_id,
            target_name=owner.name if owner else "",
            detail={"key_id": key.id, "access_key": key.access_key, "kind": key.kind},
        )
    return key
