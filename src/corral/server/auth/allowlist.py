"""The hub-wide IP allowlist (``CORRAL_ALLOWED_IPS``), applied before any route runs.

Every request from outside the listed networks is refused with 403 problem+json:
the API (anonymous endpoints such as ``POST /auth/login`` included), the change
stream, the file store and the web UI. Only ``/health`` answers anyone, so that load
balancers and orchestrators probing from their own networks still see the hub; it
reads nothing but ``SELECT 1`` and says only "ok" and the version.

The client's address is the TCP peer's, or, when the peer is a trusted proxy
(``CORRAL_TRUSTED_PROXIES``), the one ``X-Forwarded-For`` names (``addresses``).
It is kept in the request's state for ``api.deps.request_address``, so the
per-user and per-key allowlists judge the same address.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from corral.server.auth import addresses

Scope = dict[str, Any]

#: paths that answer from any address
OPEN_PATHS = frozenset({"/health", "/api/v1/health"})


def _forwarded_for(scope: Scope) -> str | None:
    # every X-Forwarded-For line, in order: a proxy may add its own line after the client's
    values = [v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-forwarded-for"]
    return ", ".join(values) if values else None


class AllowlistMiddleware:
    """Works out the client's address; refuses it if the hub-wide allowlist does not hold it."""

    def __init__(
        self,
        app: Any,
        allowed: Sequence[addresses.Network],
        trusted: Sequence[addresses.Network],
    ) -> None:
        self.app = app
        self.allowed = list(allowed)
        self.trusted = list(trusted)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        peer = str(client[0]) if client else None
        address = addresses.client_address(peer, _forwarded_for(scope), self.trusted)
        scope.setdefault("state", {})["address"] = address
        if scope["path"] in OPEN_PATHS or addresses.allowed(address, self.allowed):
            await self.app(scope, receive, send)
            return
        await _refuse(send, scope["path"], address)


async def _refuse(send: Any, path: str, address: str) -> None:
    body = orjson.dumps(
        {
            "type": "about:blank",
            "title": "Forbidden",
            "status": 403,
            "detail": f"this hub may not be used from {address or 'an unknown address'}; "
            "ask an admin to allow this network (CORRAL_ALLOWED_IPS)",
            "errors": [],
            "instance": path,
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
