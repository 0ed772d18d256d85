"""OpenAPI schema and docs pages, behind auth like everything but /health."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from corral.server.api.deps import CurrentUser

router = APIRouter(tags=["docs"], include_in_schema=False)


@router.get("/openapi.json")
def openapi(request: Request, _user: CurrentUser) -> dict[str, Any]:
    return request.app.openapi()


@router.get("/docs")
def docs(request: Request, _user: CurrentUser) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url=str(request.url_for("openapi")), title="Corral API")
