"""The schema at start: migrations and the models agree, on each backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from corral.server.db.engine import make_engine
from corral.server.db.migrate import HEAD, alembic_config, current_revision, upgrade
from corral.server.db.models import Base
from corral.testing.hub import create_pg_database, drop_pg_database

BACKENDS = ["sqlite"] + (["postgres"] if os.environ.get("CORRAL_TEST_DATABASE_URL") else [])


def _engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'corral.db'}"
    else:
        url = create_pg_database(os.environ["CORRAL_TEST_DATABASE_URL"])
    eng = make_engine(url)
    yield eng
    eng.dispose()
    if backend == "postgres":
        drop_pg_database(url)


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from _engine(request.param, tmp_path)


#: PostgreSQL only: runs when CORRAL_TEST_DATABASE_URL names a server (as in CI)
@pytest.fixture(params=[b for b in BACKENDS if b == "postgres"])
def pg_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from _engine(request.param, tmp_path)


def test_upgrade_twice_changes_nothing(engine: Engine) -> None:
    upgrade(engine)
    before = {t: inspect(engine).get_indexes(t) for t in Base.metadata.tables}
    upgrade(engine)
    engine.dispose()
    assert {t: inspect(engine).get_indexes(t) for t in Base.metadata.tables} == before


def test_head_is_the_newest_migration() -> None:
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


def test_an_empty_database_is_created_from_the_models_at_head(engine: Engine) -> None:
    upgrade(engine)
    with engine.connect() as conn:
        assert current_revision(conn) == HEAD
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_the_migrations_build_the_schema_from_scratch(engine: Engine) -> None:
    """The path a database of an older release takes: Alembic runs every migration."""
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with engine.connect() as conn:
        assert current_revision(conn) == HEAD
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    upgrade(engine)  # at head: nothing to do, nothing fails


def _storage(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT attname, attstorage FROM pg_attribute "
                "WHERE attrelid = 'scalar_chunks'::regclass "
                "AND attname IN ('iterations', 'values', 'times')"
            )
        )
        return {name: storage for name, storage in rows}


@pytest.mark.parametrize("path", ["models", "migrations"])
def test_postgres_stores_scalar_arrays_uncompressed(pg_engine: Engine, path: str) -> None:
    engine = pg_engine
    if path == "models":
        upgrade(engine)
    else:
        from alembic import command

        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    assert _storage(engine) == {"iterations": "e", "values": "e", "times": "e"}


@pytest.mark.parametrize("path", ["models", "migrations"])
def test_postgres_sorts_dataset_paths_as_bytes(pg_engine: Engine, path: str) -> None:
    """Dataset paths have collation "C" whatever the database's default (keyset paging)."""
    engine = pg_engine
    if path == "models":
        upgrade(engine)
    else:
        from alembic import command

        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT table_name, collation_name FROM information_schema.columns "
                "WHERE column_name = 'path' AND table_name LIKE 'dataset_%'"
            )
        )
        assert dict(rows.all()) == {"dataset_files": "C", "dataset_removals": "C"}
