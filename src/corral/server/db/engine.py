"""Engine and session factory for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode with a busy timeout. A write request opens its
transaction with ``BEGIN IMMEDIATE`` so that two writers queue on the busy
timeout instead of failing when a read lock cannot be upgraded.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

WRITE_OPTION = "corral_write"


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        _private_sqlite_files(url)
        engine = create_engine(
            url,
            connect_args={"timeout": 60, "check_same_thread": False},
            pool_size=16,
            max_overflow=16,
            **kwargs,
        )
        _setup_sqlite(engine)
        return engine
    return create_engine(url, pool_size=16, max_overflow=16, pool_pre_ping=True, **kwargs)


def _private_sqlite_files(url: str) -> None:
    """The database file (and its -wal and -shm, which SQLite creates with the file's
    mode) readable by the hub's account only: 0600, made so before SQLite opens it."""
    import os

    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
    for path in (database, database + "-wal", database + "-shm"):
        try:
            os.chmod(path, 0o600)
        except FileNotFoundError:
            pass


def _setup_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN can be IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        # 16 MiB of page cache a connection: the pool holds up to 32 of them, and a hub
        # serving a million-file dataset must stay well under 1 GiB
        cur.execute("PRAGMA cache_size=-16384")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


#: SQLite's "database or disk is full" and PostgreSQL's SQLSTATE 53100 (disk_full)
_SQLITE_FULL = 13
_PG_DISK_FULL = "53100"
#: what a 507 says when the database cannot grow
DISK_FULL = (
    "the hub's disk is full; nothing was changed. Free space on the hub's database "
    "disk (or ask its administrator to), then retry"
)


def disk_full(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) says the database's disk is full.

    SQLite raises ``sqlite3.OperationalError`` with code ``SQLITE_FULL``; PostgreSQL
    ``DiskFull`` (SQLSTATE 53100); either arrives wrapped by SQLAlchemy (``.orig``).
    An ``OSError`` ``ENOSPC`` (the file store) counts too.
    """
    import errno

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if getattr(current, "sqlite_errorcode", None) == _SQLITE_FULL:
            return True
        if getattr(current, "sqlstate", None) == _PG_DISK_FULL:
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return False


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)


def begin_write(session: Session) -> None:
    """Start the session's transaction as a write transaction (IMMEDIATE on SQLite)."""
    session.connection(execution_options={WRITE_OPTION: True})
