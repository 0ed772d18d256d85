"""A small typed client for the hub's REST API.

Errors come back as the same exception classes the server raised
(``corral.errors``), with the server's problem detail as the message.

Each resource has typed methods (``client.tasks.get(task_id)``,
``client.queues.list()``, ``client.changes.follow(...)``; see
``corral.client.resources``); ``get``/``post``/``patch``/``delete`` remain for the
rest of the API.

The client's own traffic is quiet: ``httpx`` and ``httpcore`` log every request (at
INFO and DEBUG), and a script that calls ``logging.basicConfig(level=logging.DEBUG)``
would otherwise see a line per report, or feed those lines back into its captured
console, which sends them, which logs again. While a :class:`HubClient` request runs
(or its streamed body is read), :data:`QUIET_LOGGERS` drop their records on that thread;
the same loggers still log every other ``httpx`` client of the process.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cached_property
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from corral.client.config import HubCredentials, load
from corral.errors import AuthError, ServerUnavailableError, error_for_status

if TYPE_CHECKING:
    from corral.client.changes import Changes
    from corral.client.datasets import Datasets
    from corral.client.resources import (
        Audit,
        Events,
        Keys,
        Models,
        Projects,
        Queues,
        Tasks,
        Teams,
        Users,
        Workers,
    )

API = "/api/v1"

#: the loggers of ``httpx`` and ``httpcore`` (one per module of httpcore: a logger's
#: filter does not apply to its children's records)
QUIET_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.connection_pool",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)

_in_hub_request: ContextVar[bool] = ContextVar("corral_hub_request", default=False)


def in_hub_request() -> bool:
    """Whether the calling thread is inside a request of a :class:`HubClient` now."""
    return _in_hub_request.get()


@contextmanager
def hub_request() -> Iterator[None]:
    """Mark the block as the hub client's own traffic: its HTTP log records are dropped."""
    token = _in_hub_request.set(True)
    try:
        yield
    finally:
        _in_hub_request.reset(token)


class _DropHubTraffic(logging.Filter):
    """Drops the records made while a :class:`HubClient` request runs on this thread."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _in_hub_request.get()


_DROP = _DropHubTraffic("")


def quiet_http_logs() -> None:
    """Put the filter on :data:`QUIET_LOGGERS` (idempotent; other clients still log)."""
    for name in QUIET_LOGGERS:
        target = logging.getLogger(name)
        if _DROP not in target.filters:
            target.addFilter(_DROP)


class _QuietBody(httpx.SyncByteStream):
    """A streamed response body whose reading and closing are quiet too."""

    def __init__(self, inner: httpx.SyncByteStream) -> None:
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        chunks = iter(self._inner)
        while True:
            with hub_request():
                chunk = next(chunks, None)
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        with hub_request():
            self._inner.close()


class _QuietClient(httpx.Client):
    """An ``httpx.Client`` whose requests (and streamed bodies) make no log records."""

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        with hub_request():
            response = super().send(request, **kwargs)
        if not response.is_stream_consumed and isinstance(response.stream, httpx.SyncByteStream):
            response.stream = _QuietBody(response.stream)
        return response


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
        quiet_http_logs()
        self._http = _QuietClient(
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
    def teams(self) -> Teams:
        from corral.client.resources import Teams

        return Teams(self)

    @cached_property
    def audit(self) -> Audit:
        from corral.client.resources import Audit

        return Audit(self)

    @cached_property
    def datasets(self) -> Datasets:
        from corral.client.datasets import Datasets

        return Datasets(self)

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
        title = str(body.get("title") or "")
    except ValueError:
        detail, errors, title = response.text[:500] or response.reason_phrase, [], ""
    if response.status_code == 401:
        return AuthError(f"{detail} (run `corral login` to store credentials)")
    err = error_for_status(response.status_code, detail, errors, title=title)
    if "Retry-After" in response.headers:  # a 429 or 503 that says when to come back
        err.headers = {"Retry-After": response.headers["Retry-After"]}
    return err
