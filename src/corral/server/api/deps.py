"""Request dependencies: the transaction, the caller, the settings.

* ``SessionDep`` opens one transaction per request (``db.unit_of_work``); it
  commits before the response is sent (so a failed commit is never reported
  as success) and rolls back on any error. Safe methods (GET, HEAD, OPTIONS)
  read without taking SQLite's write lock.
* ``CurrentPrincipal`` authenticates with ``Authorization: Bearer KEY:SECRET``,
  HTTP Basic (``KEY:SECRET`` or ``user:password``), or the UI's session
  cookie; unsafe methods with a cookie also need the ``X-CSRF-Token`` header.
  It looks the credential up in a short session of its own, so a password
  check never holds a database lock, and applies the IP allowlists.
* ``AccessDep`` is the authorization seam (``auth.policy.Access``) bound to the
  request's transaction; ``CurrentUser`` is the caller's ``User`` row.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from corral.errors import AuthError, PermissionDeniedError
from corral.server.auth import addresses
from corral.server.auth.credentials import digest, same_digest
from corral.server.auth.login import Failure, guard_for
from corral.server.auth.policy import Access
from corral.server.auth.principal import Principal
from corral.server.db.models import ApiKey, Task, User, WebSession
from corral.server.db.unit_of_work import USER_ID, write_transaction
from corral.server.services import audit, sessions
from corral.server.settings import ServerSettings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "corral_session"
CSRF_HEADER = "x-csrf-token"


def get_settings(request: Request) -> ServerSettings:
    settings: ServerSettings = request.app.state.settings
    return settings


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
        if not sep or "\x00" in name:  # no key or user has a NUL (PostgreSQL cannot compare it)
            raise AuthError("malformed basic credentials")
        return "basic", name, secret
    raise AuthError(f"unsupported authorization scheme {scheme!r}; use Bearer or Basic")


def request_address(request: Request) -> str:
    """The client's address (``X-Forwarded-For`` only from a trusted proxy)."""
    cached: str | None = getattr(request.state, "address", None)
    if cached is not None:
        return cached
    settings = get_settings(request)
    trusted = addresses.parse_networks(settings.trusted_proxies, field="trusted_proxies")
    peer = request.client.host if request.client else None
    address = addresses.client_address(peer, request.headers.get("x-forwarded-for"), trusted)
    request.state.address = address
    return address


def _refuse_address(address: str, whose: str) -> PermissionDeniedError:
    return PermissionDeniedError(
        f"{whose} may not be used from {address or 'an unknown address'}; "
        "ask an admin to allow this network"
    )


def _principal_from_key(
    session: Session, access_key: str, secret: str, address: str
) -> Principal | None:
    row = session.execute(
        select(ApiKey, User, Task.project_id)
        .join(User, User.id == ApiKey.user_id)
        .outerjoin(Task, Task.id == ApiKey.task_id)
        .where(ApiKey.access_key == access_key)
    ).first()
    if row is None:
        return None
    key, user, task_project = row
    if key.revoked_at is not None or not user.active or not same_digest(secret, key.secret_hash):
        return None
    if key.expires_at is not None and key.expires_at <= datetime.now(timezone.utc):
        return None
    if key.kind == "task" and task_project is None:
        return None
    if not addresses.allowed(address, key.allowed_ips):
        raise _refuse_address(address, "this API key")
    if not addresses.allowed(address, user.allowed_ips):
        raise _refuse_address(address, f"the account {user.name!r}")
    return Principal(
        user_id=user.id,
        name=user.name,
        role=user.role,
        kind=user.kind,
        key_id=key.id,
        read_only=key.read_only,
        projects=frozenset(key.projects or ()),
        task_id=key.task_id,
        task_project_id=task_project,
        expires_at=key.expires_at,
        address=address,
    )


def _user_principal(
    user: User,
    address: str,
    *,
    session_id: str | None = None,
    expires_at: datetime | None = None,
) -> Principal:
    if not addresses.allowed(address, user.allowed_ips):
        raise _refuse_address(address, f"the account {user.name!r}")
    return Principal(
        user_id=user.id,
        name=user.name,
        role=user.role,
        kind=user.kind,
        session_id=session_id,
        expires_at=expires_at,
        address=address,
    )


def _principal_from_password(request: Request, name: str, password: str, address: str) -> Principal:
    """HTTP Basic with a user's password, through the login guard (throttled; the hash
    is checked outside any transaction). Failures are audited; successes are not (each
    request would be a ``login.ok``).

    Raises:
        TooManyRequestsError: the name or the address must wait.
        AuthError: wrong name or password.
    """

    def failed(session: Session, failure: Failure) -> None:
        sessions.record_failure(session, failure, "basic")

    return guard_for(request.app.state).check(
        name,
        password,
        address,
        on_success=lambda _session, user: _user_principal(user, address),
        on_failure=failed,
    )


def _principal_from_cookie(request: Request, session: Session, address: str) -> Principal:
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
    request.state.session_seen = sessions.needs_touch(web_session.last_seen_at, now)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not same_digest(sent, digest(web_session.csrf_token)):
            raise PermissionDeniedError(
                "missing or wrong X-CSRF-Token header for a cookie-authenticated change"
            )
    return _user_principal(
        user, address, session_id=web_session.token_hash, expires_at=web_session.expires_at
    )


def get_principal(request: Request) -> Principal:
    """Authenticate the request (once; the result is kept on ``request.state``).

    The lookup runs in a short read session of its own, closed before the
    endpoint's transaction begins; a password is checked outside any session.
    """
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    settings = get_settings(request)
    address = request_address(request)
    if not addresses.allowed(address, settings.allowed_ips):
        raise _refuse_address(address, "this hub")
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    creds = _credentials(request)
    principal: Principal | None
    if creds is not None:
        kind, name, secret = creds
        with factory() as session:
            principal = _principal_from_key(session, name, secret, address)
        if principal is None and kind == "basic":
            principal = _principal_from_password(request, name, secret, address)
        if principal is None:
            raise AuthError("invalid, expired or revoked credentials")
    else:
        with factory() as session:
            principal = _principal_from_cookie(request, session, address)
        if getattr(request.state, "session_seen", False) and principal.session_id:
            with write_transaction(factory) as session:  # at most once a minute
                sessions.touch(session, principal.session_id)
    if principal.read_only and request.method not in SAFE_METHODS:
        raise PermissionDeniedError("this API key is read-only; use a key that may write")
    request.state.principal = principal
    request.state.user_id = principal.user_id
    return principal


def credential_valid(session: Session, principal: Principal) -> bool:
    """Is the credential a long-lived request (a stream) was opened with still good?"""
    now = datetime.now(timezone.utc)
    user = session.get(User, principal.user_id)
    if user is None or not user.active or user.role != principal.role:
        return False
    if principal.key_id:
        key = session.get(ApiKey, principal.key_id)
        return (
            key is not None
            and key.revoked_at is None
            and (key.expires_at is None or key.expires_at > now)
        )
    if principal.session_id:
        web = session.get(WebSession, principal.session_id)
        return web is not None and web.expires_at > now
    return True


def authenticate(request: Request, session: Session | None = None) -> Principal:
    """The caller (kept for endpoints that authenticate outside ``SessionDep``)."""
    return get_principal(request)


def current_principal(request: Request, session: SessionDep) -> Principal:
    principal = get_principal(request)
    session.info[USER_ID] = principal.user_id
    audit.set_context(session, principal.user_id, principal.name, principal.address)
    if principal.key_id and request.method not in SAFE_METHODS:
        # Only write requests record use: a read stays a read-only transaction.
        touch_key(session, principal.key_id, principal.address)
    return principal


current_principal.authenticates = True  # type: ignore[attr-defined]


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def current_user(session: SessionDep, principal: CurrentPrincipal) -> User:
    user = session.get(User, principal.user_id)
    if user is None:
        raise AuthError("this account no longer exists")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def get_access(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Access:
    """The authorization seam for this request (see ``auth.policy``)."""
    settings = get_settings(request)
    return Access(session, principal, public_role=settings.public_project_role)


AccessDep = Annotated[Access, Depends(get_access)]


def admin_user(user: CurrentUser, principal: CurrentPrincipal) -> User:
    if not principal.is_admin:
        raise PermissionDeniedError(
            "only an admin may do this"
            if principal.role != "admin"
            else "hub administration needs a full key (not a task token or a project-limited key)"
        )
    return user


AdminUser = Annotated[User, Depends(admin_user)]


def touch_key(session: Session, key_id: str, address: str | None) -> None:
    """Record when (and from where) a key was last used (at most once a minute per key)."""
    now = datetime.now(timezone.utc)
    session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id)
        .where((ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < now - timedelta(minutes=1)))
        .values(last_used_at=now, last_used_address=address)
    )
