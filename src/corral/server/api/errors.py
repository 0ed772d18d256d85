"""Every error leaves the server as ``application/problem+json`` (RFC 9457), from here."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from corral.errors import CorralError, InsufficientStorageError
from corral.server.db.engine import DISK_FULL, disk_full

log = logging.getLogger("corral.server")

PROBLEM = "application/problem+json"


class ProblemResponse(Response):
    media_type = PROBLEM

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": errors or [],
    }
    if instance:
        body["instance"] = instance
    return ProblemResponse(body, status_code=status, headers=headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        out.append(
            {
                "loc": [str(p) if not isinstance(p, int) else p for p in err.get("loc", ())],
                "msg": err.get("msg", ""),
                "type": err.get("type", ""),
            }
        )
    return out


def _summary(errors: list[dict[str, Any]]) -> str:
    parts = []
    for e in errors[:5]:
        where = ".".join(str(p) for p in e["loc"] if p != "body") or "body"
        parts.append(f"{where}: {e['msg']}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(parts) + more


def install(app: FastAPI) -> None:
    @app.exception_handler(CorralError)
    async def _corral(request: Request, exc: CorralError) -> ProblemResponse:
        # an error may carry headers of its own (416: Content-Range)
        headers: dict[str, str] = dict(exc.headers or {})
        if exc.status == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="corral"')
        return problem(
            exc.status,
            exc.title,
            exc.detail,
            instance=request.url.path,
            errors=exc.errors,
            headers=headers or None,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> ProblemResponse:
        errors = _field_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            return problem(
                400,
                "Malformed JSON",
                "the request body is not valid JSON: " + _summary(errors),
                instance=request.url.path,
                errors=errors,
            )
        return problem(
            422, "Invalid input", _summary(errors), instance=request.url.path, errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> ProblemResponse:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such endpoint: {request.method} {request.url.path}"
        return problem(
            exc.status_code,
            titles.get(exc.status_code, "Error"),
            detail,
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
        if disk_full(exc):  # a write outside the unit of work, or a file: still a 507
            log.error("disk full on %s %s: %s", request.method, request.url.path, exc)
            return problem(
                InsufficientStorageError.status,
                InsufficientStorageError.title,
                DISK_FULL,
                instance=request.url.path,
            )
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(
            500,
            "Internal error",
            "the hub failed to handle this request; nothing was changed. See the server log.",
            instance=request.url.path,
        )
