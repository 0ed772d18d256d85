"""Request body size limit, enforced before a byte reaches a handler."""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.exceptions import HTTPException

Scope = dict[str, Any]
#: paths with limits of their own: prefixes, or patterns matched at the start of the path
Exempt = tuple["str | re.Pattern[str]", ...]


def is_exempt(path: str, exempt: Exempt) -> bool:
    """Does ``path`` start with one of the prefixes, or match one of the patterns?"""
    return any(
        path.startswith(e) if isinstance(e, str) else e.match(path) is not None for e in exempt
    )


class BodyTooLarge(HTTPException):
    """Raised while the body is read; FastAPI re-raises HTTPExceptions from body parsing."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413, f"request body exceeds the limit of {limit} bytes; send smaller batches"
        )


def _problem(limit: int) -> bytes:
    return orjson.dumps(
        {
            "type": "about:blank",
            "title": "Payload too large",
            "status": 413,
            "detail": f"request body exceeds the limit of {limit} bytes; send smaller batches",
            "errors": [],
        }
    )


class BodyLimitMiddleware:
    """Answers 413 for bodies over ``limit`` bytes (paths under ``exempt`` have their own limit)."""

    def __init__(self, app: Any, limit: int, exempt: Exempt = ()) -> None:
        self.app = app
        self.limit = limit
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or is_exempt(scope["path"], self.exempt):
            await self.app(scope, receive, send)
            return
        limit = self.limit
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > limit
                except ValueError:
                    too_big = False
                if too_big:
                    await self._reject(send, limit)
                    return
        seen = 0
        started = False

        async def counting_receive() -> dict[str, Any]:
            nonlocal seen
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._reject(send, limit)

    @staticmethod
    async def _reject(send: Any, limit: int) -> None:
        body = _problem(limit)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
