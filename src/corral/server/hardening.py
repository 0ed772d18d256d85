"""Hardening at the edge of the hub: security headers on every answer, and text the
databases cannot store refused before it reaches a route.

* :func:`install` wraps the whole application (outside Starlette's own error
  middleware, so even an unexpected 500 gets them) with :class:`SecurityHeaders`:
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` and
  ``X-Frame-Options: DENY`` on every response, and :data:`UI_CSP`, a strict
  Content-Security-Policy, on the web UI's shell (HTML served outside ``/api/``).
  A response that sets its own policy keeps it: stored files (``/files``) are
  served with ``Content-Security-Policy: sandbox``, so an uploaded HTML or SVG
  never runs as a page of the hub.
* :class:`TextGuard` answers 422 (problem+json, naming the field) for a NUL
  character (U+0000) or a lone UTF-16 surrogate anywhere in a JSON body, and for a
  NUL in the path or the query string. One exception: the text of a console event
  (``{"type": "log", "text": ...}``) may hold NULs, as a program's output may; the
  hub stores them as U+FFFD. PostgreSQL cannot store either in text
  (SQLite would), so both databases refuse the same way, once, here. A JSON body
  can only carry them escaped (``\\u0000``, ``\\ud800``), so the body's bytes are
  searched for those escapes first (fast: big event batches pay one scan); only a
  body that has one is parsed to find where.
* :func:`private_data_dir` makes the data directory 0700 (the SQLite file is made
  0600 by ``db.engine``, the file store 0700 by ``storage.local``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson

from corral.server.limits import Exempt, is_exempt

Scope = dict[str, Any]
Message = dict[str, Any]
ASGIApp = Callable[..., Any]

#: the web UI's policy: its own code only, no inline script; charts draw into data:/blob:
#: images. Styles may be inline: plotly writes style attributes (d3's ``attr("style")``)
#: and injects its stylesheet as it draws; a style cannot run code.
UI_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)

#: ``\u0000`` or an escaped surrogate (``\ud800``-``\udfff``) in JSON text (or the
#: harmless ``\\u0000``, six characters: the parse that follows tells them apart)
_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89abcdefABCDEF])")
_BAD_CHAR = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class SecurityHeaders:
    """Adds the security headers to every HTTP response of ``app`` (see the module)."""

    def __init__(self, app: ASGIApp, *, api_prefix: str = "/api/") -> None:
        self.app = app
        self.api_prefix = api_prefix

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ui = not scope["path"].startswith(self.api_prefix)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in _ALWAYS if k not in present]
                if ui and b"content-security-policy" not in present and _is_html(headers):
                    headers.append((b"content-security-policy", UI_CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(k.lower() == b"content-type" and b"html" in v.lower() for k, v in headers)


class TextGuard:
    """Refuses NUL characters and lone surrogates in JSON bodies, paths and query strings.

    Paths under ``exempt`` (the file store, which checks its paths itself and takes
    raw bodies) pass untouched but for their query strings.
    """

    def __init__(self, app: ASGIApp, *, exempt: Exempt = ()) -> None:
        self.app = app
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        exempt = is_exempt(path, self.exempt)
        if not exempt and "\x00" in path:
            await _refuse(send, ["path"], f"{path!r} holds a NUL character (U+0000)")
            return
        query: bytes = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            name = _query_name(query)
            await _refuse(send, ["query", name], "a NUL character is not allowed in text")
            return
        if scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS") or exempt:
            await self.app(scope, receive, send)
            return
        if not _json_body(scope):
            await self.app(scope, receive, send)
            return
        # Read the whole body (FastAPI would too, before the route), check it, replay it.
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay_disconnect(message), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if b"\\u" in body and _SUSPECT.search(body) is not None:
            found = _find_bad_text(body)
            if found is not None:
                where, what = found
                await _refuse(send, ["body", *where], what)
                return
        await self.app(scope, _replay(body, receive), send)


def _json_body(scope: Scope) -> bool:
    """Bodies FastAPI would parse as JSON: a JSON content type, or none at all."""
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return b"json" in value.lower()
    return True


def _replay(body: bytes, receive: Any) -> Any:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        message: Message = await receive()  # a disconnect, for streaming responses
        return message

    return replay


def _replay_disconnect(message: Message) -> Any:
    async def replay() -> Message:
        return message

    return replay


def _query_name(query: bytes) -> str:
    for pair in query.split(b"&"):
        name, _, value = pair.partition(b"=")
        if b"\x00" in unquote_to_bytes(name + b"=" + value):
            return unquote_to_bytes(name).decode("utf-8", "replace").replace("\x00", "")
    return ""


def _find_bad_text(body: bytes) -> tuple[list[str | int], str] | None:
    """Where the first NUL or lone surrogate of a JSON body is, and what it is."""
    try:
        data = json.loads(body)
    except ValueError:
        return None  # malformed: the route's parser answers 400
    stack: list[tuple[list[str | int], Any, bool]] = [([], data, False)]
    while stack:
        where, node, console = stack.pop()
        if isinstance(node, dict):
            log_event = node.get("type") == "log"
            for key, value in node.items():
                problem = _bad(key)
                if problem:
                    return [*where, _printable(key)], f"a key holds {problem}"
                stack.append(([*where, key], value, log_event and key == "text"))
        elif isinstance(node, list):
            stack.extend(([*where, i], v, False) for i, v in enumerate(node))
        elif isinstance(node, str):
            problem = _bad(node, nul_ok=console)
            if problem:
                return where, f"the text holds {problem}"
    return None


def _bad(text: str, *, nul_ok: bool = False) -> str:
    """What is wrong with ``text`` ("" when nothing). ``nul_ok``: console output, which
    may carry anything; the hub stores its NULs as U+FFFD (``services.events``)."""
    m = (_SURROGATE if nul_ok else _BAD_CHAR).search(text)
    if m is None:
        return ""
    if m.group() == "\x00":
        return "a NUL character (U+0000), which cannot be stored"
    return f"a lone UTF-16 surrogate (U+{ord(m.group()):04X}), which is not valid text"


def _printable(text: str) -> str:
    return _BAD_CHAR.sub("\N{REPLACEMENT CHARACTER}", text)


async def _refuse(send: Any, loc: list[str | int], what: str) -> None:
    where = ".".join(str(p) for p in loc if p not in ("body",)) or "body"
    detail = f"{where}: {what}; nothing was changed"
    body = orjson.dumps(
        {
            "type": "about:blank",
            "title": "Invalid input",
            "status": 422,
            "detail": detail,
            "errors": [{"loc": loc, "msg": what, "type": "string_invalid_character"}],
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def private_data_dir(path: Path) -> None:
    """Create the data directory (or fix an existing one) readable by the hub's account
    only (0700): it holds the database, the stored files and the first admin's secret."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def install(app: Any, *, exempt: Exempt = ()) -> None:
    """Put :class:`TextGuard` among ``app``'s middleware and :class:`SecurityHeaders`
    around all of it (outermost, so that every answer has the headers).

    Call before the body limit middleware is added: middleware added later runs
    first, so the limit counts a body before the guard reads it whole.
    """
    app.add_middleware(TextGuard, exempt=exempt)
    build = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        return SecurityHeaders(build())

    app.build_middleware_stack = build_with_headers
