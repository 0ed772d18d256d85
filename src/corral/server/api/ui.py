"""Serves the built web UI (a single-page app) when it is present.

Vite names every asset by its content hash, so assets are cached for a year; the
``index.html`` shell is revalidated on every load, so a new build shows at once. Any
path that is not the API or an asset gets the shell (the app routes in the browser).

The build writes precompressed copies next to the large assets (``NAME.br``,
``NAME.gz``, see ``web/vite.config.ts``); a browser that accepts one gets it, with
``Content-Encoding`` and ``Vary: Accept-Encoding``, and the plain file otherwise. The
hub compresses nothing at request time.
"""

from __future__ import annotations

import mimetypes
import stat
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import Scope

_NO_UI = """<!doctype html><meta charset="utf-8"><title>Corral hub</title>
<h1>Corral hub</h1><p>The web UI is not built in this installation
(build it with <code>scripts/build-ui</code>, which needs Node.js and npm).
The REST API is at <a href="/api/v1/docs">/api/v1/docs</a>.</p>"""

#: the shell may not be framed by another site (clickjacking), nor its types sniffed
_SHELL_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


#: precompressed copies, by preference: (Content-Encoding, file suffix)
_ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def accepted_encodings(accept_encoding: str) -> set[str]:
    """The codings an ``Accept-Encoding`` header accepts (a ``q=0`` refuses one).

    Example:
        >>> sorted(accepted_encodings("gzip, deflate, br;q=0"))
        ['deflate', 'gzip']
    """
    accepted: set[str] = set()
    for part in accept_encoding.lower().split(","):
        coding, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if coding and q > 0:
            accepted.add(coding.strip())
    return accepted


class _HashedAssets(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Any:
        response = await self._precompressed(path, scope)
        if response is None:
            response = await super().get_response(path, scope)
        if response.status_code in (200, 206, 304):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            response.headers["X-Content-Type-Options"] = "nosniff"
            # the plain file too: a shared cache must not hand it to a browser that
            # would have had the compressed copy (or the other way round)
            response.headers["Vary"] = "Accept-Encoding"
        return response

    async def _precompressed(self, path: str, scope: Scope) -> Response | None:
        """The ``.br``/``.gz`` copy of ``path`` the client accepts, if the build wrote one."""
        if scope["method"] not in ("GET", "HEAD") or path.endswith((".br", ".gz")):
            return None
        accepted = accepted_encodings(Headers(scope=scope).get("accept-encoding", ""))
        media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if media_type.startswith("text/"):
            media_type += "; charset=utf-8"  # as the plain file is served
        for coding, suffix in _ENCODINGS:
            if coding not in accepted:
                continue
            try:
                full_path, stat_result = await anyio.to_thread.run_sync(
                    self.lookup_path, path + suffix
                )
            except (OSError, ValueError):
                continue
            if stat_result is None or not stat.S_ISREG(stat_result.st_mode):
                continue
            response = self.file_response(full_path, stat_result, scope)
            if response.status_code != 304:
                response.headers["Content-Type"] = media_type
                response.headers["Content-Encoding"] = coding
            return response
        return None


def mount(app: FastAPI, static_dir: Path) -> None:
    index = static_dir / "index.html"
    assets = static_dir / "assets"
    if assets.is_dir():
        app.mount("/assets", _HashedAssets(directory=assets), name="assets")

    # The UI shell holds no data (it is the app's code); every data call it makes is authenticated.
    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str, request: Request) -> Response:
        if path.startswith("api/") or path.startswith("assets/"):
            raise HTTPException(404)
        if index.is_file():
            return FileResponse(index, headers=_SHELL_HEADERS)
        return HTMLResponse(_NO_UI, headers=_SHELL_HEADERS)
