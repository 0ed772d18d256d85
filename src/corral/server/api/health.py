"""``/health``: the one anonymous endpoint (load balancers, start-up checks)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text

from corral._version import __version__

router = APIRouter(tags=["health"])


@router.get("/health")
def health(request: Request) -> dict[str, str]:
    """Answers 200 when the database answers."""
    with request.app.state.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__}
