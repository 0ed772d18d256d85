"""Application factory: assembles settings, database, storage, routers and the UI."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Engine

from corral._version import __version__
from corral.server import hardening
from corral.server.api import errors
from corral.server.api.routes import API_PREFIX, include_routers
from corral.server.auth import addresses
from corral.server.auth.allowlist import AllowlistMiddleware
from corral.server.background.change_feed import ChangeFeed
from corral.server.db.engine import make_engine, make_sessionmaker
from corral.server.db.migrate import upgrade
from corral.server.limits import BodyLimitMiddleware
from corral.server.notifier import ChangesNotifier
from corral.server.reaper import Reaper
from corral.server.services import changes
from corral.server.settings import ServerSettings
from corral.server.storage import LocalFileStore

STATIC_DIR = Path(__file__).parent / "static"


def create_app(
    settings: ServerSettings | None = None, *, migrate: bool = True, engine: Engine | None = None
) -> FastAPI:
    """Build the hub application. Each call builds an independent app (tests build many).

    ``engine``: the database engine to use (made from the settings by default); the
    app disposes of it when it stops.
    """
    settings = settings or ServerSettings()
    hardening.private_data_dir(settings.data_dir)
    if engine is None:
        engine = make_engine(settings.resolved_database_url)
    if migrate:
        upgrade(engine)
    notifier = ChangesNotifier()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        notifier.bind(asyncio.get_running_loop())
        sweeper = asyncio.create_task(Reaper(app.state.sessionmaker, settings, notifier).run())
        feed: ChangeFeed = app.state.change_feed
        await feed.start()
        follower = asyncio.create_task(feed.run())
        yield
        notifier.close()  # ends every stream and wait the change feed serves
        sweeper.cancel()
        follower.cancel()
        engine.dispose()

    app = FastAPI(
        title="Corral hub",
        version=__version__,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    changes.install(app.state.sessionmaker)
    app.state.changes_notifier = notifier
    app.state.change_feed = ChangeFeed(
        app.state.sessionmaker,
        notifier,
        window=settings.change_window,
        buffer=settings.change_buffer,
    )
    app.state.files = LocalFileStore(settings.files_dir, max_file_bytes=settings.limits.file_bytes)
    errors.install(app)
    include_routers(app)
    # the text guard first: middleware added later runs earlier, so the body limit
    # counts a body before the guard reads it; the security headers wrap everything
    # streamed uploads (the file store, dataset blobs) have their own limit and checks
    streamed = (f"{API_PREFIX}/files/", re.compile(rf"{API_PREFIX}/datasets/[^/]+/blobs/"))
    hardening.install(app, exempt=streamed)
    app.add_middleware(
        BodyLimitMiddleware,
        limit=settings.limits.request_body_bytes,
        exempt=streamed,
    )
    # outermost: a client outside the hub-wide allowlist reaches nothing but /health
    app.add_middleware(
        AllowlistMiddleware,
        allowed=addresses.parse_networks(settings.allowed_ips, field="allowed_ips"),
        trusted=addresses.parse_networks(settings.trusted_proxies, field="trusted_proxies"),
    )
    _mount_ui(app, settings.ui_dir or STATIC_DIR)
    return app


def _mount_ui(app: FastAPI, static_dir: Path) -> None:
    from corral.server.api import ui

    ui.mount(app, static_dir)
