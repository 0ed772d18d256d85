"""Users, API keys and browser sessions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from corral.errors import AuthError, ConflictError, NotFoundError, PermissionDeniedError
from corral.schemas.users import KeyCreate, UserCreate, UserUpdate
from corral.server.auth.credentials import (
    digest,
    hash_password,
    new_key_pair,
    new_token,
    verify_password,
)
from corral.server.db.models import ApiKey, User, WebSession
from corral.server.services import changes


def get_user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        user = session.scalar(select(User).where(User.name == user_id))
    if user is None:
        raise NotFoundError(f"no user {user_id!r}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def create_user(session: Session, data: UserCreate) -> User:
    if session.scalar(select(User.id).where(User.name == data.name)) is not None:
        raise ConflictError(f"a user named {data.name!r} already exists")
    user = User(
        name=data.name,
        email=data.email,
        role=data.role,
        password_hash=hash_password(data.password) if data.password else None,
    )
    session.add(user)
    session.flush()
    changes.record(session, "user", user.id, "created", payload={"name": user.name})
    return user


def update_user(session: Session, actor: User, user_id: str, data: UserUpdate) -> User:
    user = get_user(session, user_id)
    is_admin = actor.role == "admin"
    if not is_admin and actor.id != user.id:
        raise PermissionDeniedError("only an admin may change another user")
    if not is_admin and (data.role is not None or data.active is not None):
        raise PermissionDeniedError("only an admin may change roles or deactivate users")
    if actor.id == user.id and (data.active is False or data.role == "user") and is_admin:
        _ensure_other_admin(session, user)
    if data.password is not None:
        user.password_hash = hash_password(data.password)
    if data.email is not None:
        user.email = data.email
    if data.role is not None:
        user.role = data.role
    if data.active is not None:
        user.active = data.active
        if not data.active:
            session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.flush()
    changes.record(session, "user", user.id, "updated")
    return user


def _ensure_other_admin(session: Session, user: User) -> None:
    others = session.scalar(
        select(User.id).where(User.role == "admin", User.active, User.id != user.id).limit(1)
    )
    if others is None:
        raise ConflictError("this is the last active admin; make another admin first")


# --- keys -----------------------------------------------------------------------


def create_key(session: Session, actor: User, data: KeyCreate) -> tuple[ApiKey, str]:
    owner = actor
    if data.user_id and data.user_id != actor.id:
        if actor.role != "admin":
            raise PermissionDeniedError("only an admin may create keys for another user")
        owner = get_user(session, data.user_id)
    access, secret = new_key_pair()
    key = ApiKey(access_key=access, secret_hash=digest(secret), user_id=owner.id, label=data.label)
    session.add(key)
    session.flush()
    changes.record(session, "key", key.id, "created", payload={"user_id": owner.id})
    return key, secret


def list_keys(session: Session, actor: User, *, all_users: bool = False) -> list[ApiKey]:
    q = select(ApiKey).order_by(ApiKey.created_at)
    if not (all_users and actor.role == "admin"):
        q = q.where(ApiKey.user_id == actor.id)
    return list(session.scalars(q))


def revoke_key(session: Session, actor: User, key_id: str) -> ApiKey:
    key = session.get(ApiKey, key_id) or session.scalar(
        select(ApiKey).where(ApiKey.access_key == key_id)
    )
    if key is None or (key.user_id != actor.id and actor.role != "admin"):
        raise NotFoundError(f"no key {key_id!r}")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(timezone.utc)
        session.flush()
        changes.record(session, "key", key.id, "revoked", payload={"user_id": key.user_id})
    return key


# --- browser sessions -----------------------------------------------------------------


def login(session: Session, name: str, password: str, hours: int) -> tuple[WebSession, User, str]:
    """Check a password and open a browser session. Returns (session row, user, cookie token)."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None or not user.active or not verify_password(password, user.password_hash):
        raise AuthError("wrong user name or password")
    token = new_token()
    now = datetime.now(timezone.utc)
    web = WebSession(
        token_hash=digest(token),
        user_id=user.id,
        csrf_token=new_token(),
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(web)
    # Expired sessions of anyone are dropped here, so the table does not grow forever.
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.flush()
    return web, user, token


def logout(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == digest(token)))


def session_for_token(session: Session, token: str) -> WebSession | None:
    return session.get(WebSession, digest(token))
