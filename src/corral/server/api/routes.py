"""Which routers make up the API, in one place."""

from __future__ import annotations

from fastapi import FastAPI

from corral.server.api import (
    artifacts,
    auth,
    changes,
    docs,
    events,
    files,
    health,
    lockouts,
    models,
    projects,
    queues,
    tasks,
    users,
    workers,
)

API_PREFIX = "/api/v1"


def include_routers(app: FastAPI) -> None:
    # Each router goes straight into the app: FastAPI rebuilds every route it
    # includes, so a nesting level costs start-up time.
    app.include_router(health.router)
    for module in (
        health,
        auth,
        users,
        lockouts,
        projects,
        tasks,
        artifacts,
        events,
        files,
        changes,
        queues,
        workers,
        models,
        docs,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
