"""A small typed client for the hub's REST API.

Errors come back as the same exception classes the server raised
(``corral.errors``), with the server's problem detail as the message.

Each resource has typed methods (``client.tasks.get(task_id)``,
``client.queues.list()``, ``client.changes.follow(...)``; see
``corral.client.resources``); ``get``/``post``/``patch``/``delete`` remain for the
rest of the API.
"""

from __future__ import annotations

import socket
from functools import cached_property
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from corral.client.config import HubCredentials, load
from corral.errors import AuthError, ServerUnavailableError, error_for_status

if TYPE_CHECKING:
    from corral.client.changes import Changes
    from corral.client.resources import (
        Events,
        Keys,
        Models,
        Projects,
        Queues,
        Tasks,
        Users,
        Workers,
    )

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
        self._timeout = timeout
        self._transport = transport
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

    def clone(self, *, timeout: float | httpx.Timeout | None = None) -> HubClient:
        """A new client to the same hub with the same credentials (and its own connections).

        Long-polls use one of their own, with a timeout longer than their wait, so
        that :meth:`interrupt` ends only them.
        """
        return HubClient(
            self.creds,
            timeout=self._timeout if timeout is None else timeout,
            transport=self._transport,
        )

    def interrupt(self) -> None:
        """End the requests in flight on this client now (from another thread).

        Closing an ``httpx.Client`` does not wake a thread blocked reading an answer,
        so this shuts down the sockets of its open connections: the blocked request
        fails with a transport error at once. Best effort: a transport other than
        httpx's default one is left alone (its requests end when they end).
        """
        pool = getattr(self._http._transport, "_pool", None)
        for conn in list(getattr(pool, "connections", None) or ()):
            stream = getattr(getattr(conn, "_connection", None), "_network_stream", None)
            sock = getattr(stream, "_sock", None)
            if isinstance(sock, socket.socket):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed

    # --- typed resources (imported on first use: ``import corral`` stays cheap) -------

    @cached_property
    def tasks(self) -> Tasks:
        from corral.client.resources import Tasks

        return Tasks(self)

    @cached_property
    def queues(self) -> Queues:
        from corral.client.resources import Queues

        return Queues(self)

    @cached_property
    def workers(self) -> Workers:
        from corral.client.resources import Workers

        return Workers(self)

    @cached_property
    def models(self) -> Models:
        from corral.client.resources import Models

        return Models(self)

    @cached_property
    def projects(self) -> Projects:
        from corral.client.resources import Projects

        return Projects(self)

    @cached_property
    def users(self) -> Users:
        from corral.client.resources import Users

        return Users(self)

    @cached_property
    def keys(self) -> Keys:
        from corral.client.resources import Keys

        return Keys(self)

    @cached_property
    def changes(self) -> Changes:
        from corral.client.changes import Changes

        return Changes(self)

    @cached_property
    def events(self) -> Events:
        from corral.client.resources import Events

        return Events(self)

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
    err = error_for_status(response.status_code, detail, errors)
    if "Retry-After" in response.headers:  # a 429 or 503 that says when to come back
        err.headers = {"Retry-After": response.headers["Retry-After"]}
    return err
