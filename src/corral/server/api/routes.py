"""Which routers make up the API, in one place."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from corral.server.api import (
    artifacts,
    audit,
    auth,
    changes,
    compare,
    dataset_blobs,
    datasets,
    docs,
    events,
    files,
    health,
    lockouts,
    models,
    oidc,
    projects,
    queues,
    quotas,
    tasks,
    teams,
    users,
    workers,
)

API_PREFIX = "/api/v1"

#: the only routes that answer without credentials (a login cannot need one)
ANONYMOUS = frozenset(
    {
        "/health",
        f"{API_PREFIX}/health",
        f"{API_PREFIX}/auth/login",
        f"{API_PREFIX}/auth/providers",
        f"{API_PREFIX}/auth/oidc/login",
        f"{API_PREFIX}/auth/oidc/callback",
    }
)


def include_routers(app: FastAPI) -> None:
    # Each router goes straight into the app: FastAPI rebuilds every route it
    # includes, so a nesting level costs start-up time.
    app.include_router(health.router)
    for module in (
        health,
        auth,
        oidc,
        users,
        teams,
        audit,
        lockouts,
        projects,
        tasks,
        artifacts,
        events,
        compare,
        files,
        changes,
        queues,
        workers,
        models,
        datasets,
        dataset_blobs,
        quotas,
        docs,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    check_authenticated(app)


def _authenticates(dependant: Any) -> bool:
    if getattr(dependant.call, "authenticates", False):
        return True
    return any(_authenticates(d) for d in dependant.dependencies)


def _api_routes(routes: Any, prefix: str = "", guarded: bool = False) -> Any:
    """(full path, route, guarded by a router-level dependency) of every route, also in
    routers FastAPI includes lazily."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route, guarded
            continue
        router = getattr(route, "original_router", None)
        context = getattr(route, "include_context", None)
        if router is not None and context is not None:
            deps = getattr(context, "dependencies", []) or []
            router_guard = any(getattr(d.dependency, "authenticates", False) for d in deps)
            yield from _api_routes(
                router.routes, prefix + (context.prefix or ""), guarded or router_guard
            )


def check_authenticated(app: FastAPI) -> None:
    """Fail closed: refuse to build a hub with a route that does not authenticate.

    Every route of the API (the UI's static shell is public) but ``ANONYMOUS`` must depend on a function marked
    ``authenticates = True`` (``deps.current_principal`` and the few that call
    ``deps.get_principal`` themselves); the authorization itself is each route's
    ``Access.require`` and the route matrix test.
    """
    open_routes = sorted(
        f"{sorted(route.methods or ())} {path}"
        for path, route, guarded in _api_routes(app.router.routes)
        if path.startswith(API_PREFIX)
        and path not in ANONYMOUS
        and not guarded
        and not _authenticates(route.dependant)
    )
    if open_routes:
        raise RuntimeError(f"routes without authentication: {open_routes}")
