"""Which routers make up the API, in one place."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from corral.server.api import (
    artifacts,
    auth,
    changes,
    docs,
    events,
    files,
    health,
    models,
    projects,
    queues,
    tasks,
    users,
)

API_PREFIX = "/api/v1"


def include_routers(app: FastAPI) -> None:
    app.include_router(health.router)
    api = APIRouter(prefix=API_PREFIX)
    api.include_router(health.router)
    for module in (
        auth,
        users,
        projects,
        tasks,
        artifacts,
        events,
        files,
        changes,
        queues,
        models,
        docs,
    ):
        api.include_router(module.router)
    app.include_router(api)
