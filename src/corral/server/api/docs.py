"""OpenAPI schema and docs pages, behind auth like everything but /health."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from corral.errors import AuthError, PermissionDeniedError
from corral.server.api.deps import get_principal
from corral.server.auth.principal import Principal

router = APIRouter(tags=["docs"], include_in_schema=False)


def browser_user(request: Request) -> Principal:
    """``CurrentUser``, asking a browser to log in (HTTP Basic) when it has no credentials.

    The API answers 401 with a Bearer challenge, which browsers do not prompt for; a
    person opening the docs page gets the browser's login box (user name and
    password, or access key and secret) instead.
    """
    try:
        return get_principal(request)
    except PermissionDeniedError:
        raise
    except AuthError as e:
        e.headers = {"WWW-Authenticate": 'Basic realm="corral", charset="UTF-8"'}
        raise


browser_user.authenticates = True  # type: ignore[attr-defined]


BrowserUser = Annotated[Principal, Depends(browser_user)]


@router.get("/openapi.json")
def openapi(request: Request, _user: BrowserUser) -> dict[str, Any]:
    schema: dict[str, Any] = request.app.openapi()
    return schema


@router.get("/docs")
def docs(request: Request, _user: BrowserUser) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url=str(request.url_for("openapi")), title="Corral API")
