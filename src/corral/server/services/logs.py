"""Console reads: pages forwards and backwards by ``seq``, the tail, and the whole log as text.

``seq`` is global and increases in arrival order. Batches of one task are
stored one at a time (the task row is locked while a batch is stored), so a
reader polling with ``after=<last seq seen>`` misses no line of that task.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session, sessionmaker

from corral.errors import ValidationError
from corral.server.db.models import LogEvent
from corral.server.services.scalars import check_tasks_exist


@dataclass
class LogPageData:
    #: rows with seq, time, stream, level, text, worker
    items: list[Row[Any]]
    has_more: bool

    @property
    def first_seq(self) -> int | None:
        return self.items[0].seq if self.items else None

    @property
    def last_seq(self) -> int | None:
        return self.items[-1].seq if self.items else None


def _filtered(task_id: str, search: str | None, stream: str | None) -> Any:
    """The console lines of a task (a ``Select`` of the columns a page shows)."""
    e = LogEvent
    q = select(e.seq, e.time, e.stream, e.level, e.text, e.worker).where(e.task_id == task_id)
    if stream:
        q = q.where(LogEvent.stream == stream)
    if search:
        # lower() LIKE lower(): case-insensitive on both SQLite and PostgreSQL
        q = q.where(LogEvent.text.icontains(search, autoescape=True))
    return q


def page(
    session: Session,
    task_id: str,
    *,
    after: int | None = None,
    before: int | None = None,
    tail: int | None = None,
    limit: int = 500,
    search: str | None = None,
    stream: str | None = None,
) -> LogPageData:
    """One page of console lines, oldest first.

    ``after``: the lines after that seq (the default, from the start); ``before``: the
    ``limit`` lines before that seq; ``tail``: the last ``tail`` lines. Give at most one.
    """
    given = [
        name for name, v in (("after", after), ("before", before), ("tail", tail)) if v is not None
    ]
    if len(given) > 1:
        raise ValidationError(
            f"give at most one of after, before and tail (got {', '.join(given)})",
            errors=[
                {"loc": ["query", name], "msg": "conflicts", "type": "value_error"}
                for name in given
            ],
        )
    check_tasks_exist(session, [task_id])
    q = _filtered(task_id, search, stream)
    if before is None and tail is None:
        rows = list(
            session.execute(
                q.where(LogEvent.seq > (after or 0)).order_by(LogEvent.seq).limit(limit + 1)
            )
        )
        return LogPageData(rows[:limit], len(rows) > limit)
    n = tail if tail is not None else limit
    if before is not None:
        q = q.where(LogEvent.seq < before)
    rows = list(session.execute(q.order_by(LogEvent.seq.desc()).limit(n + 1)))
    more = len(rows) > n
    rows = rows[:n]
    rows.reverse()
    return LogPageData(rows, more)


def iter_text(
    make_session: sessionmaker[Session], task_id: str, page_size: int = 5000
) -> Iterator[bytes]:
    """The whole console as text, read page by page in sessions of its own (it is streamed
    after the request's transaction has ended)."""
    last = 0
    while True:
        with make_session() as session:
            q = (
                select(LogEvent.seq, LogEvent.text)
                .where(LogEvent.task_id == task_id, LogEvent.seq > last)
                .order_by(LogEvent.seq)
                .limit(page_size)
            )
            rows = session.execute(q).all()
        if not rows:
            return
        last = rows[-1].seq
        parts = [text if text.endswith("\n") else text + "\n" for _, text in rows]
        yield "".join(parts).encode()
        if len(rows) < page_size:
            return
