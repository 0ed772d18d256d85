"""``corral server``: run the hub."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from fastapi import FastAPI

    from corral.server.auth.credentials import AdminPassword
    from corral.server.settings import ServerSettings

console = Console(stderr=True, soft_wrap=True)


def server(
    host: Annotated[
        str, typer.Option(envvar="CORRAL_HOST", help="Address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="CORRAL_PORT", help="Port to listen on.")] = 8080,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            envvar="CORRAL_DATA_DIR",
            help="Where the SQLite database and stored files live [default: ~/.corral/data].",
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            envvar="CORRAL_DATABASE_URL",
            help="Use this database instead of SQLite, e.g. postgresql+psycopg://user@host/db.",
        ),
    ] = None,
    log_level: Annotated[str, typer.Option(envvar="CORRAL_LOG_LEVEL")] = "warning",
) -> None:
    """Start the Corral hub: REST API, file store and web UI.

    The first start creates the admin user and an API key, written to the client
    config file so the SDK and CLI on this machine connect with no set-up.
    """
    # Start-up creates ~200,000 objects that live as long as the hub; collecting
    # garbage among them while they are made costs 5-10% of the start for nothing.
    # (They are frozen below, so later collections do not walk them either.)
    gc.disable()
    import pydantic

    from corral.errors import CorralError
    from corral.server.settings import ServerSettings

    overrides: dict[str, object] = {"host": host, "port": port, "log_level": log_level}
    if data_dir is not None:
        overrides["data_dir"] = data_dir.expanduser().resolve()
    if database_url:
        overrides["database_url"] = database_url
    try:
        settings = ServerSettings(**overrides)  # type: ignore[arg-type]
    except pydantic.ValidationError as e:
        err = e.errors()[0]
        name = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        where = f"CORRAL_{name.upper()}" if "." not in name else "CORRAL_* variables"
        console.print(f"[red]error:[/] invalid setting {name}: {msg} (check {where})")
        raise typer.Exit(2) from e
    admin_password = _hash_admin_password_meanwhile(settings)
    try:
        app = _build_app(settings)
    except CorralError as e:
        console.print(f"[red]error:[/] {e.detail}")
        raise typer.Exit(1) from e
    except Exception as e:  # a database that does not answer, a data dir we cannot write
        console.print(f"[red]error:[/] cannot start the hub: {e}")
        raise typer.Exit(1) from e
    import uvicorn

    from corral.server.bootstrap import ensure_defaults

    first = ensure_defaults(app.state.sessionmaker, settings, admin_password)
    _announce(settings, first)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=5,
        ws="none",  # the hub speaks HTTP and SSE only; skips loading a WebSocket library
        # The client's address is the TCP peer's; only the hub's own rule (CORRAL_TRUSTED_PROXIES,
        # auth/addresses.py) may replace it from X-Forwarded-For. uvicorn's default would
        # believe any X-Forwarded-For sent through 127.0.0.1, past the IP allowlists.
        proxy_headers=False,
        forwarded_allow_ips="",
    )
    notifier = app.state.changes_notifier
    gc.freeze()
    gc.enable()

    class HubServer(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            # Long-polls and change streams end now instead of holding the shutdown.
            notifier.close()
            super().handle_exit(sig, frame)

    HubServer(config).run()


def _build_app(settings: ServerSettings) -> FastAPI:
    """The hub's app, its database schema brought up to date while the app is built.

    The schema of a fresh database takes little CPU but long waits (a fresh
    PostgreSQL database: half a second of DDL commits), so a thread does it while
    this one imports the routers; the app is returned only once both are done.
    """
    from concurrent.futures import ThreadPoolExecutor

    from corral.server.db.engine import make_engine
    from corral.server.db.migrate import upgrade
    from corral.server.hardening import private_data_dir

    private_data_dir(settings.data_dir)
    engine = make_engine(settings.resolved_database_url)
    with ThreadPoolExecutor(1, thread_name_prefix="schema") as pool:
        schema = pool.submit(upgrade, engine)
        try:
            from corral.server.app import create_app

            app = create_app(settings, engine=engine, migrate=False)
        finally:
            schema.result()  # its error first: a database that does not answer
    return app


def _hash_admin_password_meanwhile(settings: ServerSettings) -> Callable[[], AdminPassword] | None:
    """On what looks like a first start, hash the admin password while the hub loads.

    argon2 takes a few hundred milliseconds and releases the GIL, so a thread does
    it beside the imports. SQLite: the database file is missing. PostgreSQL cannot
    tell without connecting, so a data dir with no file store yet counts as a first
    start (a guess: if the admin exists after all, the hash goes unused; otherwise,
    without a guess, it is made later, only if the admin is missing).
    """
    if settings.database_url:
        if settings.files_dir.exists():
            return None
    elif (settings.data_dir / "corral.db").exists():
        return None
    from concurrent.futures import ThreadPoolExecutor

    from corral.server.auth.credentials import prepare_admin_password

    pool = ThreadPoolExecutor(1, thread_name_prefix="admin-password")
    future = pool.submit(prepare_admin_password, settings.admin_password)
    pool.shutdown(wait=False)
    return future.result


def _announce(settings: object, first: object) -> None:
    from corral.server.bootstrap import FirstStart
    from corral.server.settings import ServerSettings

    assert isinstance(settings, ServerSettings)
    out = Console(soft_wrap=True)
    out.print(f"Corral hub on [bold]{settings.local_url}[/]  (data: {settings.data_dir})")
    if isinstance(first, FirstStart):
        out.print("First start: created the admin user and an API key.")
        if first.password_file:
            out.print(f"  admin password written to {first.password_file}")
        else:
            out.print("  admin password: taken from CORRAL_ADMIN_PASSWORD")
        # the secrets stay in files only this account reads (0600): logs get copied around
        if first.config_file:
            out.print(f"  API key written to {first.config_file}")
        else:
            if first.config_skipped_reason:
                out.print(f"  {first.config_skipped_reason}")
            if first.key_file:
                out.print(f"  API key written to {first.key_file}")
