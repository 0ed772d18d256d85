"""Bring the database schema to the newest revision at server start.

Alembic runs the migrations. Two cases skip it, so that a start stays fast
(importing and running Alembic costs a good part of a second):

* the database is already at ``HEAD``: nothing to do;
* the database is empty: the schema is created from the models in one go and
  stamped ``HEAD`` (the tests check that the migrations build the same schema).

Several processes starting at once are safe: on PostgreSQL they take turns under
an advisory lock; on SQLite
the migration runs in one ``BEGIN IMMEDIATE`` transaction, one process at a time.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, Connection, Engine, MetaData, String, Table, inspect, select, text

from corral.server.db.engine import WRITE_OPTION
from corral.server.db.models import Base

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
#: the newest revision in ``migrations/versions`` (a test keeps the two in step)
HEAD = "0007"
_LOCK_KEY = 725194

_version_table = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), primary_key=True),
)


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def current_revision(conn: Connection) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.scalar(select(_version_table.c.version_num))


def upgrade(engine: Engine) -> None:
    """Bring the database schema to ``HEAD``."""
    with engine.connect() as conn, conn.execution_options(**{WRITE_OPTION: True}).begin():
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        revision = current_revision(conn)
        if revision == HEAD:
            return
        if revision is None and not inspect(conn).get_table_names():
            # the database was just seen empty (under the lock): no table-by-table check
            Base.metadata.create_all(conn, checkfirst=False)
            _version_table.create(conn)
            conn.execute(_version_table.insert().values(version_num=HEAD))
            return
        from alembic import command

        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
