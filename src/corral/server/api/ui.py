"""Serves the built web UI (a single-page app) when it is present.

Vite names every asset by its content hash, so assets are cached for a year; the
``index.html`` shell is revalidated on every load, so a new build shows at once. Any
path that is not the API or an asset gets the shell (the app routes in the browser).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
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


class _HashedAssets(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Any:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response


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
