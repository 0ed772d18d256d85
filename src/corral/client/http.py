"""A small typed client for the hub's REST API.

Errors come back as the same exception classes the server raised
(``corral.errors``), with the server's problem detail as the message.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from corral.client.config import HubCredentials, load
from corral.errors import AuthError, ServerUnavailableError, error_for_status

API = "/api/v1"


class HubClient:
    """``HubClient.from_config()`` connects with ``~/.corral/config.toml`` (or ``CORRAL_*``)."""

    def __init__(
        self,
        creds: HubCredentials,
        *,
        timeout: float | httpx.Timeout = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.creds = creds
        headers = {"User-Agent": "corral-client"}
        if creds.complete:
            headers["Authorization"] = f"Bearer {creds.access_key}:{creds.secret_key}"
        # plain http needs no certificates: loading them costs ~20-50 ms per client
        verify = not creds.url.lower().startswith("http://")
        self._http = httpx.Client(
            base_url=creds.url.rstrip("/"),
            headers=headers,
            timeout=timeout,
            transport=transport,
            verify=verify,
        )

    @classmethod
    def from_config(
        cls, path: str | None = None, *, timeout: float | httpx.Timeout = 30.0
    ) -> HubClient:
        return cls(load(path), timeout=timeout)

    @property
    def http(self) -> httpx.Client:
        """The underlying ``httpx.Client`` (base URL and auth set), for streamed transfers."""
        return self._http

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        url = path if path == "/health" or path.startswith(API) else f"{API}/{path.lstrip('/')}"
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.TransportError as e:
            raise ServerUnavailableError(
                f"cannot reach the hub at {self.creds.url}: {e}. Is `corral server` running?"
            ) from e
        if response.status_code >= 400:
            raise _error(response)
        if response.status_code == 204 or not response.content:
            return None
        # orjson decodes a large answer (a 100k-point series) several times faster
        return orjson.loads(response.content)

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.request("POST", path, **kw)

    def patch(self, path: str, **kw: Any) -> Any:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)


def _error(response: httpx.Response) -> Exception:
    try:
        body = response.json()
        detail = body.get("detail") or body.get("title") or response.reason_phrase
        errors = body.get("errors") or []
    except ValueError:
        detail, errors = response.text[:500] or response.reason_phrase, []
    if response.status_code == 401:
        return AuthError(f"{detail} (run `corral login` to store credentials)")
    return error_for_status(response.status_code, detail, errors)
