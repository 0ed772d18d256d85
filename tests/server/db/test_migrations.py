"""The migrations build exactly the schema the models describe, on each backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from corral.server.db.engine import make_engine
from corral.server.db.migrate import upgrade
from corral.server.db.models import Base
from tests.hub import create_pg_database, drop_pg_database

BACKENDS = ["sqlite"] + (["postgres"] if os.environ.get("CORRAL_TEST_DATABASE_URL") else [])


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'corral.db'}"
    else:
        url = create_pg_database(os.environ["CORRAL_TEST_DATABASE_URL"])
    eng = make_engine(url)
    yield eng
    eng.dispose()
    if request.param == "postgres":
        drop_pg_database(url)


def test_migrations_match_the_models(engine: Engine) -> None:
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_upgrade_twice_changes_nothing(engine: Engine) -> None:
    upgrade(engine)
    before = {t: inspect(engine).get_indexes(t) for t in Base.metadata.tables}
    upgrade(engine)
    engine.dispose()
    assert {t: inspect(engine).get_indexes(t) for t in Base.metadata.tables} == before
