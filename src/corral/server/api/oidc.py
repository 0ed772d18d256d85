"""Single sign-on with OpenID Connect (anonymous routes; the flow is ``auth/oidc.py``).

* ``GET /auth/providers`` tells the login page which ways to log in there are.
* ``GET /auth/oidc/login?next=/path`` sends the browser to the identity provider.
* ``GET /auth/oidc/callback`` is where the provider sends it back: the code is
  exchanged and the ID token validated *outside* any database transaction, then
  one short write transaction finds or creates the user, syncs its teams, opens
  the browser session (the same cookie and CSRF token as ``POST /auth/login``)
  and records ``login.ok``. A failure records ``login.failed`` and answers a
  small HTML page that says what went wrong and links back to the login page.
"""

from __future__ import annotations

import html
import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from corral.errors import ConflictError, CorralError
from corral.schemas.sso import AuthProviders, OidcProvider
from corral.server.api.deps import SESSION_COOKIE, SettingsDep, request_address
from corral.server.auth import oidc
from corral.server.db.unit_of_work import write_transaction
from corral.server.services import sso
from corral.server.settings import ServerSettings

log = logging.getLogger(__name__)

router = APIRouter(prefix="/auth", tags=["auth"])

#: bounds on what the provider (or anyone) may send to the callback
Param = Annotated[str | None, Query(max_length=4096)]


@router.get("/providers", response_model=AuthProviders)
def providers(settings: SettingsDep) -> AuthProviders:
    """How users may log in: always with a password; with single sign-on when configured."""
    if not oidc.enabled(settings):
        return AuthProviders(password=True, oidc=None)
    return AuthProviders(password=True, oidc=OidcProvider(name=settings.oidc_name))


@router.get(
    "/oidc/login",
    response_class=RedirectResponse,
    status_code=302,
    responses={302: {"description": "to the identity provider"}},
)
def oidc_login(
    request: Request,
    settings: SettingsDep,
    next: Annotated[str, Query(max_length=2048)] = "/",
) -> Response:
    """Start single sign-on: 302 to the provider (404 when SSO is not configured).

    ``next`` is where to land after the login; only a path on this hub is
    followed (anything else lands on ``/``).
    """
    redirect_uri = oidc.callback_url(settings, str(request.base_url))
    try:
        login = oidc.start(settings, redirect_uri, next)
    except CorralError as e:
        if e.status == 404:
            raise
        return _error_page(e)
    response = RedirectResponse(login.url, status_code=302)
    response.set_cookie(
        oidc.COOKIE,
        login.cookie,
        max_age=oidc.STATE_SECONDS,
        httponly=True,
        # Lax, not Strict: the provider's redirect back is a cross-site navigation
        samesite="lax",
        secure=settings.secure_cookies,
        path=oidc.COOKIE_PATH,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(
    "/oidc/callback",
    response_class=RedirectResponse,
    status_code=302,
    responses={
        302: {"description": "logged in: to the path the login started from"},
        400: {"description": "the login failed (an HTML page says why)"},
        403: {"description": "the account is deactivated (an HTML page says so)"},
    },
)
def oidc_callback(
    request: Request,
    settings: SettingsDep,
    code: Param = None,
    state: Param = None,
    iss: Param = None,
    error: Param = None,
    error_description: Param = None,
) -> Response:
    """The provider's redirect back: log the user in and go to ``next``."""
    if not oidc.enabled(settings):
        return _error_page(CorralError("single sign-on is not configured on this hub"), 404)
    address = request_address(request)
    params = {
        k: v
        for k, v in {
            "code": code,
            "state": state,
            "iss": iss,
            "error": error,
            "error_description": error_description,
        }.items()
        if v is not None
    }
    identity: oidc.Identity | None = None
    try:
        # The provider is called here, with no database transaction open.
        identity = oidc.finish(settings, params, request.cookies.get(oidc.COOKIE))
        token = _sign_in(request, settings, identity, address)
    except CorralError as e:
        _record_failure(request, e, address, identity)
        return _error_page(e)
    response = RedirectResponse(identity.next, status_code=302)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/",
    )
    response.delete_cookie(oidc.COOKIE, path=oidc.COOKIE_PATH)
    response.headers["Cache-Control"] = "no-store"
    return response


def _sign_in(
    request: Request, settings: ServerSettings, identity: oidc.Identity, address: str
) -> str:
    """The new session's cookie token.

    Two first logins at once may both create the same user or team; the one that
    loses (a 409 at the commit) runs again and finds what the other made.
    """
    state = request.app.state
    for attempt in (1, 2):
        try:
            with write_transaction(
                state.sessionmaker, files=state.files, notifier=state.changes_notifier
            ) as session:
                signed = sso.sign_in(
                    session,
                    identity,
                    hours=settings.session_hours,
                    address=address,
                    user_agent=request.headers.get("user-agent", ""),
                )
            return signed.token
        except ConflictError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _record_failure(
    request: Request, error: CorralError, address: str, identity: oidc.Identity | None
) -> None:
    state = request.app.state
    try:
        with write_transaction(state.sessionmaker) as session:
            sso.record_failure(
                session,
                str(error),
                address=address,
                external_id=identity.external_id if identity else "",
                name=identity.username if identity else "",
            )
    except CorralError:  # the database is busy: the page still tells the user
        log.warning("could not record a failed single sign-on: %s", error)


def _error_page(error: CorralError, status: int | None = None) -> HTMLResponse:
    code = status or (error.status if 400 <= error.status < 600 else 400)
    message = html.escape(str(error))
    page = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<title>Single sign-on failed</title></head><body><main>"
        "<h1>Single sign-on failed</h1>"
        f'<p role="alert">{message}</p>'
        '<p><a href="/">Back to the login page</a></p>'
        "</main></body></html>"
    )
    response = HTMLResponse(page, status_code=code)
    response.delete_cookie(oidc.COOKIE, path=oidc.COOKIE_PATH)
    response.headers["Cache-Control"] = "no-store"
    return response
