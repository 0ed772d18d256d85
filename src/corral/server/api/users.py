"""Users and service accounts (admins manage them) and API keys (everyone manages their own).

A new or reset password is checked against the policy and hashed before the
request's transaction begins (``_new_user``, ``_user_change``): argon2 and the
strength check take a while, and must not hold the database's write lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request

from corral.errors import NotFoundError, PermissionDeniedError
from corral.schemas.users import (
    KeyCreate,
    KeyCreated,
    KeyOut,
    TeamRef,
    UserCreate,
    UserOut,
    UserUpdate,
)
from corral.server.api.deps import (
    AccessDep,
    CurrentPrincipal,
    SessionDep,
    get_principal,
    get_settings,
)
from corral.server.auth import passwords
from corral.server.auth.credentials import hash_password
from corral.server.auth.principal import Principal
from corral.server.db.models import User
from corral.server.services import users

router = APIRouter(tags=["users"])


def _reader(principal: CurrentPrincipal) -> Principal:
    """People read the user directory; agents' accounts and task tokens do not."""
    if principal.is_worker or principal.is_task_token:
        raise PermissionDeniedError("an agent's account or a task's token cannot list users")
    return principal


DirectoryReader = Annotated[Principal, Depends(_reader)]


def user_out(user: User, viewer: Principal, teams: Sequence[tuple[str, str]] = ()) -> UserOut:
    """``user`` as ``viewer`` may see it: others' e-mail, role and allowlist only for admins."""
    full = viewer.is_admin or viewer.user_id == user.id
    return UserOut(
        id=user.id,
        name=user.name,
        email=user.email if full else None,
        role=user.role if full else None,
        kind=user.kind,
        auth_source=user.auth_source,
        active=user.active,
        created_at=user.created_at,
        allowed_ips=list(user.allowed_ips or []) if full else None,
        teams=[TeamRef(id=i, name=n) for i, n in teams],
    )


def _hash_checked(request: Request, password: str, user_name: str) -> str:
    settings = get_settings(request)
    passwords.check(password, user_name, min_length=settings.password_min_length)
    return hash_password(password)


def _admin_first(request: Request) -> Principal:
    principal = get_principal(request)
    if not principal.is_admin:
        raise PermissionDeniedError(
            "only an admin may do this"
            if principal.role != "admin"
            else "hub administration needs a full key (not a task token or a project-limited key)"
        )
    return principal


def _new_user(request: Request, body: UserCreate) -> tuple[UserCreate, str | None]:
    """The body and its password's hash, made by an admin, outside any transaction."""
    _admin_first(request)
    if body.password is None or body.kind == "service":
        return body, None
    return body, _hash_checked(request, body.password, body.name)


def _user_change(request: Request, user_id: str, body: UserUpdate) -> tuple[UserUpdate, str | None]:
    """The body and, for an admin's password reset, the new hash (outside any transaction)."""
    if body.password is None:
        return body, None
    principal = get_principal(request)
    if not principal.is_admin:
        raise PermissionDeniedError(
            "change your own password with POST /auth/password (it needs the old one)"
            if user_id in (principal.user_id, principal.name)
            else "only an admin may reset another user's password"
        )
    with request.app.state.sessionmaker() as session:
        user = users.find_user(session, user_id)
        name = user.name if user is not None else None
        kind = user.kind if user is not None else None
    if name is None:
        raise NotFoundError(f"no user {user_id!r} (see GET /users)")
    if kind == "service":
        raise PermissionDeniedError("a service account has no password; use its API keys")
    return body, _hash_checked(request, body.password, name)


@router.get("/users", response_model=list[UserOut])
def list_users(session: SessionDep, viewer: DirectoryReader) -> list[UserOut]:
    """Every user; for a caller who is not an admin, others' e-mail and role are null."""
    rows = users.list_users(session)
    teams = users.teams_of(session, [u.id for u in rows])
    return [user_out(u, viewer, teams.get(u.id, ())) for u in rows]


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(
    new: Annotated[tuple[UserCreate, str | None], Depends(_new_user)],
    session: SessionDep,
    admin: CurrentPrincipal,
) -> UserOut:
    """Create a person (with a password that meets the policy) or a service account."""
    body, password_hash = new
    return user_out(users.create_user(session, body, password_hash=password_hash), admin)


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(user_id: str, session: SessionDep, viewer: DirectoryReader) -> UserOut:
    """One user, by id or name."""
    user = users.get_user(session, user_id)
    return user_out(user, viewer, users.teams_of(session, [user.id]).get(user.id, ()))


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(
    user_id: str,
    change: Annotated[tuple[UserUpdate, str | None], Depends(_user_change)],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> UserOut:
    """Admins: role, active, email, allowed_ips, password reset (ends that user's sessions).
    Everyone: their own email."""
    body, password_hash = change
    user = users.update_user(session, principal, user_id, body, password_hash=password_hash)
    return user_out(user, principal, users.teams_of(session, [user.id]).get(user.id, ()))


@router.delete("/users/{user_id}", response_model=UserOut)
def deactivate_user(
    user_id: str,
    session: SessionDep,
    admin: Annotated[Principal, Depends(_admin_first)],
    principal: CurrentPrincipal,
) -> UserOut:
    """Deactivate a user: their sessions end and their keys stop working; their work stays."""
    user = users.update_user(session, principal, user_id, UserUpdate(active=False))
    return user_out(user, admin)


@router.get("/keys", response_model=list[KeyOut])
def list_keys(
    session: SessionDep,
    principal: CurrentPrincipal,
    all: bool = False,
    user: str | None = None,
    kind: Literal["user", "task"] | None = None,
) -> list[KeyOut]:
    """The caller's keys; admins: ``all=true`` every user's, ``user=`` one user's.
    Task tokens (``kind=task``) are listed to admins only."""
    rows = users.list_keys(session, principal, all_users=all, user=user, kind=kind)
    return [KeyOut.model_validate(k) for k in rows]


@router.post("/keys", response_model=KeyCreated, status_code=201)
def create_key(body: KeyCreate, session: SessionDep, access: AccessDep) -> KeyCreated:
    """A new key pair; its scope (read-only, projects, expiry, networks) is never wider
    than the caller's own rights (422). The secret is shown only in this answer."""
    key, secret = users.create_key(session, access, body)
    return KeyCreated(**KeyOut.model_validate(key).model_dump(), secret_key=secret)


@router.delete("/keys/{key_id}", response_model=KeyOut)
def revoke_key(key_id: str, session: SessionDep, principal: CurrentPrincipal) -> KeyOut:
    """Revoke a key (id or access key): requests and open streams with it end."""
    return KeyOut.model_validate(users.revoke_key(session, principal, key_id))
