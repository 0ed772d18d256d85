"""The unit of work: one transaction, and what must happen once it commits.

Every writer of the hub (a request, the workers' dequeue, the reaper, the first
start) opens its transaction here, so the rules live in one place:

* a write transaction starts as ``BEGIN IMMEDIATE`` on SQLite (see ``engine``),
  so two writers queue on the busy timeout instead of failing to upgrade a lock;
* it commits when the block ends without an error, and rolls back otherwise;
* database errors become ours: ``IntegrityError`` -> ``ConflictError`` (409),
  ``OperationalError`` -> ``ServerUnavailableError`` (503), or
  ``InsufficientStorageError`` (507) when the database's disk is full;
* stored files the transaction let go (``FILES_TO_DELETE`` but ``FILES_TO_KEEP``
  in ``session.info``, see ``services.stored_files``) are removed only after the
  commit, so a rolled-back change loses nothing;
* waiters in this process (long-polls, SSE streams) are woken once a transaction
  that recorded a change (``CHANGED``, set by ``services.changes.record``) commits.

Services never commit; they flush and leave that to this block.

Example::

    with write_transaction(factory, files=store, notifier=notifier) as session:
        task_lifecycle.enqueue(session, task_id, body)
    # committed, files released, waiters woken
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Protocol

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from corral.errors import ConflictError, InsufficientStorageError, ServerUnavailableError
from corral.server.db.engine import DISK_FULL, begin_write, disk_full

__all__ = [
    "CHANGED",
    "FILES_TO_DELETE",
    "FILES_TO_KEEP",
    "USER_ID",
    "FileReleaser",
    "Notifier",
    "write_transaction",
]

log = logging.getLogger("corral.server")

#: ``session.info`` key: store paths (files or ``dir/`` trees) to remove after the commit
FILES_TO_DELETE = "delete_files"
#: ``session.info`` key: store paths under those trees that records still use
FILES_TO_KEEP = "keep_files"
#: ``session.info`` key: the transaction recorded a change for the change log
CHANGED = "changed"
#: ``session.info`` key: who makes the change (recorded with each change)
USER_ID = "user_id"


class FileReleaser(Protocol):
    """What the unit of work needs of the file store."""

    def delete_paths(self, paths: list[str], keep: Collection[str] = ()) -> None: ...


class Notifier(Protocol):
    """What the unit of work needs of the change notifier."""

    def notify(self) -> None: ...


@contextmanager
def write_transaction(
    factory: sessionmaker[Session],
    *,
    files: FileReleaser | None = None,
    notifier: Notifier | None = None,
    write: bool = True,
    user_id: str | None = None,
) -> Iterator[Session]:
    """A session in one transaction, committed when the block ends without an error.

    Args:
        factory: the hub's session factory.
        files: the file store that removes released files after the commit.
        notifier: woken after a commit that recorded a change.
        write: start a write transaction (``BEGIN IMMEDIATE`` on SQLite). A read-only
            block (``False``) still commits, so the same error mapping applies.
        user_id: recorded as the author of the changes the block makes.

    Raises:
        ConflictError: the commit broke a constraint (a duplicate or a missing reference).
        ServerUnavailableError: the database was busy or unreachable.
    """
    session = factory()
    try:
        if write:
            begin_write(session)
        if user_id is not None:
            session.info[USER_ID] = user_id
        yield session
        session.commit()
    except IntegrityError as e:
        session.rollback()
        raise ConflictError(
            "the change conflicts with existing data (a duplicate name or a missing reference)"
        ) from e
    except OperationalError as e:
        session.rollback()
        if disk_full(e):
            raise InsufficientStorageError(DISK_FULL) from e
        raise ServerUnavailableError("the database is busy or unavailable; retry shortly") from e
    except BaseException:
        session.rollback()
        raise
    else:
        _after_commit(session, files, notifier)
    finally:
        session.close()


def _after_commit(session: Session, files: FileReleaser | None, notifier: Notifier | None) -> None:
    info = session.info
    doomed = info.pop(FILES_TO_DELETE, None)
    kept = info.pop(FILES_TO_KEEP, ())
    if doomed and files is None:
        # a writer without the store let files go: they stay on disk, so say so
        log.error("no file store to remove %d released path(s): %s", len(doomed), doomed[:5])
    elif doomed and files is not None:
        # never raises: a file that cannot go is logged and left (the records are gone)
        files.delete_paths(doomed, kept)
    if info.pop(CHANGED, False) and notifier is not None:
        notifier.notify()
