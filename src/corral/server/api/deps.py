"""Request dependencies: the transaction, the caller, the settings.

* ``SessionDep`` opens one transaction per request (``db.unit_of_work``); it
  commits before the response is sent (so a failed commit is never reported
  as success) and rolls back on any error. Safe methods (GET, HEAD, OPTIONS)
  read without taking SQLite's write lock.
* ``CurrentUser`` authenticates with ``Authorization: Bearer KEY:SECRET``,
  HTTP Basic (``KEY:SECRET`` or ``user:password``), or the UI's session
  cookie; unsafe methods with a cookie also need the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from corral.errors import AuthError, PermissionDeniedError
from corral.server.db.models import ApiKey, User, WebSession
from corral.server.db.unit_of_work import USER_ID, write_transaction
from corral.server.security import digest, same_digest, verify_password
from corral.server.settings import ServerSettings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "corral_session"
CSRF_HEADER = "x-csrf-token"


def get_settings(request: Request) -> ServerSettings:
    return request.app.state.settings


SettingsDep = Annotated[ServerSettings, Depends(get_settings)]


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: a write transaction unless the method is safe."""
    state = request.app.state
    with write_transaction(
        state.sessionmaker,
        files=state.files,
        notifier=state.changes_notifier,
        write=request.method not in SAFE_METHODS,
    ) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def _credentials(request: Request) -> tuple[str, str, str] | None:
    """Return (kind, name, secret) from the Authorization header, if any."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "bearer":
        key, sep, secret = value.partition(":")
        if not sep:
            raise AuthError("malformed bearer token; expected 'Bearer ACCESS_KEY:SECRET'")
        return "key", key, secret
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as e:
            raise AuthError("malformed basic credentials") from e
        name, sep, secret = decoded.partition(":")
        if not sep:
            raise AuthError("malformed basic credentials")
        return "basic", name, secret
    raise AuthError(f"unsupported authorization scheme {scheme!r}; use Bearer or Basic")


def _user_from_key(session: Session, access_key: str, secret: str) -> User | None:
    row = session.execute(
        select(ApiKey, User)
        .join(User, User.id == ApiKey.user_id)
        .where(ApiKey.access_key == access_key)
    ).first()
    if row is None:
        return None
    key, user = row
    if key.revoked_at is not None or not user.active or not same_digest(secret, key.secret_hash):
        return None
    return user


def authenticate(request: Request, session: Session) -> User:
    creds = _credentials(request)
    if creds is not None:
        kind, name, secret = creds
        user = _user_from_key(session, name, secret)
        if user is None and kind == "basic":
            candidate = session.scalar(select(User).where(User.name == name))
            if candidate and candidate.active and verify_password(secret, candidate.password_hash):
                user = candidate
        if user is None:
            raise AuthError("invalid or revoked credentials")
        return user
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise AuthError(
            "authentication required: send 'Authorization: Bearer ACCESS_KEY:SECRET' "
            "(see ~/.corral/config.toml) or log in"
        )
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == digest(token))
    ).first()
    now = datetime.now(timezone.utc)
    if row is None or row[0].expires_at < now or not row[1].active:
        raise AuthError("your session has expired; log in again")
    web_session, user = row
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not same_digest(sent, digest(web_session.csrf_token)):
            raise PermissionDeniedError(
                "missing or wrong X-CSRF-Token header for a cookie-authenticated change"
            )
    return user


def current_user(request: Request, session: SessionDep) -> User:
    user = authenticate(request, session)
    creds = _credentials(request)
    if creds and creds[0] == "key" and request.method not in SAFE_METHODS:
        # Only write requests record use: a read stays a read-only transaction.
        touch_key(session, creds[1])
    session.info[USER_ID] = user.id
    request.state.user_id = user.id
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def admin_user(user: CurrentUser) -> User:
    if user.role != "admin":
        raise PermissionDeniedError("only an admin may do this")
    return user


AdminUser = Annotated[User, Depends(admin_user)]


def touch_key(session: Session, access_key: str) -> None:
    """Record when a key was last used (at most once a minute per key)."""
    now = datetime.now(timezone.utc)
    session.execute(
        update(ApiKey)
        .where(ApiKey.access_key == access_key)
        .where((ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < now - timedelta(minutes=1)))
        .values(last_used_at=now)
    )
