"""Apply Alembic migrations at server start (safe with several processes starting at once)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the database schema to the newest revision."""
    cfg = alembic_config()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Serialise concurrent starts: only one process migrates at a time.
            conn.execute(text("SELECT pg_advisory_xact_lock(725194)"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
