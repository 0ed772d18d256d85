"""Browser login with a session cookie (the UI), its sessions, and password change.

Programs use API keys instead. ``POST /auth/login`` and ``POST /auth/password`` check
a password with ``auth.login.LoginGuard`` (throttled, never inside a transaction), so
they do not take ``SessionDep``: the guard opens its own short transactions.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from corral.errors import (
    AuthError,
    NotFoundError,
    PermissionDeniedError,
    TooManyRequestsError,
    ValidationError,
)
from corral.schemas.users import Login, PasswordChange, SessionInfo, SessionOut, UserOut
from corral.server.api.deps import (
    SESSION_COOKIE,
    CurrentPrincipal,
    CurrentUser,
    SessionDep,
    SettingsDep,
    get_principal,
    request_address,
)
from corral.server.auth import addresses, passwords
from corral.server.auth.credentials import hash_password
from corral.server.auth.login import Failure, WrongPassword, guard_for
from corral.server.auth.principal import Principal
from corral.server.db.models import User, WebSession
from corral.server.services import audit, sessions, users
from corral.server.services.clock import now

router = APIRouter(prefix="/auth", tags=["auth"])

THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many failed attempts; `Retry-After` says when to try again"}
}
#: seconds a refused login waits before its 429 is sent (never longer than Retry-After)
REFUSAL_PAUSE = 0.5
SessionId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="a session's id")]


@router.post("/login", response_model=SessionOut, responses=THROTTLED)
async def login(body: Login, request: Request, response: Response) -> SessionOut:
    """Check the password and set an HttpOnly, SameSite=Strict session cookie.

    Changes made with the cookie must send the returned ``csrf_token`` in the
    ``X-CSRF-Token`` header. Failed attempts are throttled per user name and per
    address: 429 with ``Retry-After`` while an attempt must wait or is locked out
    (the password is then not checked). Unknown users answer like wrong passwords.
    """
    settings = request.app.state.settings
    address = request_address(request)
    if not addresses.allowed(address, settings.allowed_ips):
        raise PermissionDeniedError(f"this hub may not be used from {address or 'here'}")
    guard = guard_for(request.app.state)
    user_agent = request.headers.get("user-agent", "")

    def opened(session: Session, user: User) -> tuple[WebSession, UserOut, str]:
        if not addresses.allowed(address, user.allowed_ips):
            raise PermissionDeniedError(
                f"the account {user.name!r} may not be used from {address or 'here'}"
            )
        web, token = sessions.open_session(
            session, user, hours=settings.session_hours, address=address, user_agent=user_agent
        )
        sessions.record_login(session, user, address, "login")
        return web, UserOut.model_validate(user), token

    def failed(session: Session, failure: Failure) -> None:
        sessions.record_failure(session, failure, "login")

    try:
        guard.refuse_early(body.username, address)  # a flood is refused here, on the loop
        web, user, token = await run_in_threadpool(
            guard.check, body.username, body.password, address, on_success=opened, on_failure=failed
        )
    except TooManyRequestsError:
        # An idle pause before the answer: a client that retries at once cannot turn
        # refusals into a flood that takes the CPU from other users' requests.
        await asyncio.sleep(REFUSAL_PAUSE)
        raise
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/",
    )
    return SessionOut(user=user, csrf_token=web.csrf_token, expires_at=web.expires_at)


@router.post("/logout", status_code=204)
def logout(
    request: Request, response: Response, session: SessionDep, _user: CurrentPrincipal
) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    ended = sessions.logout(session, token) if token else None
    if ended is not None:
        audit.record(session, "logout", target_type="session", target_id=sessions.public_id(ended))
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me", response_model=SessionOut | UserOut)
def me(request: Request, session: SessionDep, user: CurrentUser) -> SessionOut | UserOut:
    """The caller; with a cookie session, also its CSRF token (so a reloaded UI can recover it)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token and not request.headers.get("authorization"):
        web = sessions.session_for_token(session, token)
        if web is None:
            raise AuthError("your session has expired; log in again")
        return SessionOut(
            user=UserOut.model_validate(user), csrf_token=web.csrf_token, expires_at=web.expires_at
        )
    return UserOut.model_validate(user)


@router.get("/sessions", response_model=list[SessionInfo])
def list_sessions(
    session: SessionDep,
    principal: CurrentPrincipal,
    user: Annotated[
        str | None, Query(max_length=255, description="another user's (admins only)")
    ] = None,
) -> list[SessionInfo]:
    """The caller's browser sessions (an admin may name another ``user``)."""
    user_id = principal.user_id
    if user is not None:
        if not principal.is_admin:
            raise PermissionDeniedError("only an admin may list another user's sessions")
        user_id = users.get_user(session, user).id
    return [
        SessionInfo(
            id=sessions.public_id(web),
            created_at=web.created_at,
            expires_at=web.expires_at,
            last_seen_at=web.last_seen_at,
            address=web.address,
            user_agent=web.user_agent,
            current=web.token_hash == principal.session_id,
        )
        for web in sessions.list_sessions(session, user_id)
    ]


@router.delete("/sessions/{session_id}", status_code=204)
def revoke_session(
    session_id: SessionId, response: Response, session: SessionDep, principal: CurrentPrincipal
) -> None:
    """End one session: the caller's own (any user's for an admin). Its cookie stops working."""
    web = sessions.find(session, session_id)
    if web is None or (web.user_id != principal.user_id and not principal.is_admin):
        raise NotFoundError(f"no session {session_id!r}")
    owner = session.get(User, web.user_id)
    current = web.token_hash == principal.session_id
    sessions.revoke(session, web, owner.name if owner is not None else "")
    if current:
        response.delete_cookie(SESSION_COOKIE, path="/")


def caller(request: Request) -> Principal:
    """The caller, authenticated outside ``SessionDep`` (no transaction stays open)."""
    return get_principal(request)


caller.authenticates = True  # type: ignore[attr-defined]


@router.post("/password", status_code=204, responses=THROTTLED)
def change_password(
    body: PasswordChange,
    request: Request,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(caller)],
) -> None:
    """Change the caller's password: the old one is needed (a wrong one counts as a
    failed login), the new one must pass the password policy. Ends the caller's other
    browser sessions; the one making this request stays."""
    if principal.is_task_token:
        raise PermissionDeniedError("a task's token cannot change its owner's password")
    passwords.check(
        body.new_password,
        principal.name,
        min_length=settings.password_min_length,
        field="new_password",
    )
    if body.new_password == body.old_password:
        raise ValidationError(
            "the new password must differ from the old one",
            errors=[{"loc": ["body", "new_password"], "msg": "same as the old password"}],
        )
    address = principal.address or request_address(request)
    guard = guard_for(request.app.state)
    guard.refuse_early(principal.name, address)
    new_hash = hash_password(body.new_password)  # outside any transaction, like the check
    actor = (principal.user_id, principal.name)

    def changed(session: Session, user: User) -> None:
        if user.id != principal.user_id:  # the name now belongs to someone else
            raise WrongPassword("the old password is wrong")
        user.password_hash = new_hash
        user.password_changed_at = now()
        ended = sessions.end_other_sessions(session, user.id, keep=principal.session_id)
        audit.record(
            session,
            "password.changed",
            target_type="user",
            target_id=user.id,
            target_name=user.name,
            detail={"sessions_ended": ended},
            actor=actor,
            address=address,
        )

    def failed(session: Session, failure: Failure) -> None:
        sessions.record_failure(session, failure, "password change", actor=actor)

    try:
        guard.check(
            principal.name, body.old_password, address, on_success=changed, on_failure=failed
        )
    except WrongPassword as e:
        raise PermissionDeniedError("the old password is wrong") from e
