"""The unit of work: commit or roll back, our errors, files after the commit, wake-ups."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from corral.errors import ConflictError, ServerUnavailableError
from corral.server.db.engine import make_engine, make_sessionmaker
from corral.server.db.migrate import upgrade
from corral.server.db.models import Change, Queue
from corral.server.db.unit_of_work import (
    FILES_TO_DELETE,
    FILES_TO_KEEP,
    write_transaction,
)
from corral.server.services import changes
from corral.server.storage import LocalFileStore
from corral.testing.hub import create_pg_database, drop_pg_database

BACKENDS = ["sqlite"] + (["postgres"] if os.environ.get("CORRAL_TEST_DATABASE_URL") else [])


class Wakes:
    """A notifier that counts its wake-ups (the unit of work only calls ``notify``)."""

    def __init__(self) -> None:
        self.count = 0

    def notify(self) -> None:
        self.count += 1


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'corral.db'}"
    else:
        url = create_pg_database(os.environ["CORRAL_TEST_DATABASE_URL"])
    eng = make_engine(url)
    upgrade(eng)
    yield eng
    eng.dispose()
    if request.param == "postgres":
        drop_pg_database(url)


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    made = make_sessionmaker(engine)
    changes.install(made)
    return made


@pytest.fixture
def files(tmp_path: Path) -> LocalFileStore:
    store = LocalFileStore(tmp_path / "files", max_file_bytes=1000)
    for path in ("tasks/t1/a.txt", "tasks/t1/kept.txt", "other.txt"):
        store.put(path, [b"x"])
    return store


def _queues(factory: sessionmaker[Session], name: str) -> int:
    with factory() as session:
        return len(session.scalars(select(Queue).where(Queue.name == name)).all())


def _names() -> str:
    return f"q-{uuid.uuid4().hex[:8]}"


def test_a_block_that_ends_well_commits(factory: sessionmaker[Session]) -> None:
    name = _names()
    with write_transaction(factory) as session:
        session.add(Queue(name=name))
    assert _queues(factory, name) == 1


def test_an_error_rolls_back_and_leaves_files_and_waiters_alone(
    factory: sessionmaker[Session], files: LocalFileStore
) -> None:
    name, wakes = _names(), Wakes()
    with (
        pytest.raises(RuntimeError, match="boom"),
        write_transaction(factory, files=files, notifier=wakes) as session,
    ):
        session.add(Queue(name=name))
        session.flush()
        changes.record(session, "queue", name, "created")
        session.info[FILES_TO_DELETE] = ["tasks/t1/", "other.txt"]
        raise RuntimeError("boom")
    assert _queues(factory, name) == 0
    assert files.stat("tasks/t1/a.txt") is not None and files.stat("other.txt") is not None
    assert wakes.count == 0


def test_a_broken_constraint_is_a_conflict(factory: sessionmaker[Session]) -> None:
    name = _names()
    with (
        pytest.raises(ConflictError, match="conflicts with existing data"),
        write_transaction(factory) as session,
    ):
        session.add(Queue(name=name))
        session.flush()
        session.add(Queue(name=name))
    assert _queues(factory, name) == 0


def test_released_files_go_after_the_commit_but_those_kept(
    factory: sessionmaker[Session], files: LocalFileStore
) -> None:
    with write_transaction(factory, files=files) as session:
        session.info.setdefault(FILES_TO_DELETE, []).extend(["tasks/t1/", "missing.txt"])
        session.info.setdefault(FILES_TO_KEEP, set()).add("tasks/t1/kept.txt")
        assert files.stat("tasks/t1/a.txt") is not None  # nothing goes before the commit
    assert files.stat("tasks/t1/a.txt") is None
    assert files.stat("tasks/t1/kept.txt") is not None
    assert files.stat("other.txt") is not None


def test_waiters_wake_once_after_a_commit_that_recorded_a_change(
    factory: sessionmaker[Session],
) -> None:
    wakes = Wakes()
    with write_transaction(factory, notifier=wakes) as session:
        session.add(Queue(name=_names()))
    assert wakes.count == 0  # no change recorded
    name = _names()
    with write_transaction(factory, notifier=wakes, user_id="u1") as session:
        changes.record(session, "queue", name, "created")
        changes.record(session, "queue", name, "updated")
    assert wakes.count == 1
    with factory() as session:
        logged = session.scalars(select(Change).where(Change.entity_id == name)).all()
    assert [(c.action, c.user_id) for c in logged] == [("created", "u1"), ("updated", "u1")]


def test_a_read_does_not_wait_for_the_write_lock(
    engine: Engine, factory: sessionmaker[Session]
) -> None:
    name = _names()
    with write_transaction(factory) as session:
        session.add(Queue(name=name))
    with write_transaction(factory) as writer:  # holds SQLite's write lock meanwhile
        writer.add(Queue(name=_names()))
        writer.flush()
        with write_transaction(factory, write=False) as reader:
            assert reader.scalar(select(Queue.name).where(Queue.name == name)) == name


def test_an_unreachable_database_is_unavailable() -> None:
    # nothing listens on port 1: the connection is refused at once
    gone = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    try:
        with (
            pytest.raises(ServerUnavailableError, match="retry shortly"),
            write_transaction(make_sessionmaker(gone)) as session,
        ):
            session.add(Queue(name=_names()))
    finally:
        gone.dispose()
