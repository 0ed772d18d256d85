"""Browser login with a session cookie (the UI); programs use API keys instead."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from corral.errors import AuthError
from corral.schemas.users import Login, SessionOut, UserOut
from corral.server.api.deps import SESSION_COOKIE, CurrentUser, SessionDep, SettingsDep
from corral.server.services import users

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=SessionOut)
def login(
    body: Login, response: Response, session: SessionDep, settings: SettingsDep
) -> SessionOut:
    """Check the password and set an HttpOnly, SameSite=Strict session cookie.

    Changes made with the cookie must send the returned ``csrf_token`` in the
    ``X-CSRF-Token`` header.
    """
    web, user, token = users.login(session, body.username, body.password, settings.session_hours)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/",
    )
    return SessionOut(
        user=UserOut.model_validate(user), csrf_token=web.csrf_token, expires_at=web.expires_at
    )


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, session: SessionDep, _user: CurrentUser) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        users.logout(session, token)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me", response_model=SessionOut | UserOut)
def me(request: Request, session: SessionDep, user: CurrentUser) -> SessionOut | UserOut:
    """The caller; with a cookie session, also its CSRF token (so a reloaded UI can recover it)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token and not request.headers.get("authorization"):
        web = users.session_for_token(session, token)
        if web is None:
            raise AuthError("your session has expired; log in again")
        return SessionOut(
            user=UserOut.model_validate(user), csrf_token=web.csrf_token, expires_at=web.expires_at
        )
    return UserOut.model_validate(user)
