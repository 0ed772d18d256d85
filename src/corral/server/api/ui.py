"""Serves the built web UI (a single-page app) when it is present."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

_NO_UI = """<!doctype html><meta charset="utf-8"><title>Corral hub</title>
<h1>Corral hub</h1><p>The web UI is not built in this installation.
The REST API is at <a href="/api/v1/docs">/api/v1/docs</a>.</p>"""


def mount(app: FastAPI, static_dir: Path) -> None:
    index = static_dir / "index.html"
    assets = static_dir / "assets"
    if assets.is_dir():
        app.mount("/assets", StaticFiles(directory=assets), name="assets")

    # The UI shell holds no data (it is the app's code); every data call it makes is authenticated.
    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str, request: Request) -> Response:
        if path.startswith("api/"):
            from starlette.exceptions import HTTPException

            raise HTTPException(404)
        if index.is_file():
            return FileResponse(index)
        return HTMLResponse(_NO_UI)
