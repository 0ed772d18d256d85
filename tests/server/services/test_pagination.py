"""Keyset pagination: the cursor, and page walks through both of its plans.

The walks run on a real database (an SQLite file; PostgreSQL too when
``CORRAL_TEST_DATABASE_URL`` is set) with a table of their own, so that the index
windows and the hand-over to the filters can be forced with a small budget and
checked against an order computed here.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Double,
    Engine,
    Index,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session

from corral.errors import ValidationError
from corral.server.db.engine import normalize_url
from corral.server.db.models import Task, TaskMetricSummary
from corral.server.services.pagination import (
    IndexOrder,
    SortKey,
    decode_cursor,
    encode_cursor,
    page_ids,
)
from corral.testing.hub import create_pg_database, drop_pg_database

# --- the cursor ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "a:b/c",
        "",
        0,
        -12,
        2**62,
        0.1,
        -1e-300,
        float("inf"),
        float("-inf"),
        None,
        datetime(2025, 3, 1, 12, 30, 5, 123456, tzinfo=timezone.utc),
        datetime(2025, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_cursor_round_trips_its_value(value: Any) -> None:
    cursor = encode_cursor("-metric:loss:val:last", value, "f" * 32)
    assert cursor.isascii() and "=" not in cursor and "+" not in cursor and "/" not in cursor
    assert decode_cursor(cursor, "-metric:loss:val:last") == (value, "f" * 32)


def test_cursor_keeps_nan() -> None:
    value, _ = decode_cursor(encode_cursor("x", float("nan"), "a"), "x")
    assert isinstance(value, float) and math.isnan(value)


def test_cursor_of_another_sort_is_refused() -> None:
    cursor = encode_cursor("name", "b", "a" * 32)
    with pytest.raises(ValidationError, match="sorted differently"):
        decode_cursor(cursor, "-name")


@pytest.mark.parametrize(
    "cursor",
    ["", "!!!", "YWJj", encode_cursor("s", {"$dt": "not a date"}, "a")[:-3], "e30"],
)
def test_garbage_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(ValidationError, match="invalid cursor"):
        decode_cursor(cursor, "s")


@pytest.mark.parametrize("row_id", [None, 5, "", "x" * 65, ["a"]])
def test_cursor_id_must_be_an_id(row_id: Any) -> None:
    with pytest.raises(ValidationError, match="invalid cursor"):
        decode_cursor(encode_cursor("s", 1, row_id), "s")


@pytest.mark.parametrize(
    ("expr", "good", "bad"),
    [
        (Task.created_at, datetime.now(timezone.utc), ["2025-01-01", 5]),
        (Task.name, "x", [1, 1.5, True]),
        (Task.last_iteration, 7, [True, 1.5, "7"]),
        (TaskMetricSummary.last, 0.5, [True, "0.5"]),
        (Task.archived, False, [0, "false"]),
    ],
)
def test_cursor_value_must_fit_the_column(expr: Any, good: Any, bad: list[Any]) -> None:
    key = SortKey("k", expr)
    assert key.accepts is not None
    assert decode_cursor(encode_cursor("k", good, "a"), "k", key.accepts)[0] == good
    for value in bad:
        with pytest.raises(ValidationError, match="invalid cursor"):
            decode_cursor(encode_cursor("k", value, "a"), "k", key.accepts)


def test_sort_key_knows_which_columns_have_no_nulls() -> None:
    assert SortKey("created_at", Task.created_at).nullable is False
    assert SortKey("started_at", Task.started_at).nullable is True
    assert SortKey("x", func.coalesce(Task.started_at, Task.created_at)).nullable is True


# --- walks ----------------------------------------------------------------------------------

ROWS = 160
items = Table(
    "pagination_items",
    MetaData(),
    Column("id", String(32), primary_key=True),
    Column("v", Double, nullable=True),
    Column("tag", String(16), nullable=False),
    Index("ix_pagination_items_v", "v"),
)


def _rows() -> list[dict[str, Any]]:
    rng = random.Random(11)
    rows = []
    for i in range(ROWS):
        roll = rng.random()
        tag = "rare" if i in (5, 80, 81, 150) else "common" if roll < 0.3 else "plain"
        value = None if rng.random() < 0.12 else float(rng.randint(-4, 9))  # many ties
        rows.append({"id": f"{rng.getrandbits(128):032x}", "v": value, "tag": tag})
    return rows


BACKENDS = ["sqlite"] + (["postgres"] if os.environ.get("CORRAL_TEST_DATABASE_URL") else [])


@pytest.fixture(scope="module", params=BACKENDS)
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path_factory.mktemp('pagination') / 'p.db'}"
    if request.param == "postgres":
        url = create_pg_database(os.environ["CORRAL_TEST_DATABASE_URL"])
    engine = create_engine(normalize_url(url))
    items.create(engine)
    with engine.begin() as conn:
        conn.execute(insert(items), _rows())
    yield engine
    engine.dispose()
    if request.param == "postgres":
        drop_pg_database(url)
    else:
        Path(url.removeprefix("sqlite:///")).unlink()


def _expected(rows: list[dict[str, Any]], tag: str | None, descending: bool) -> list[str]:
    """Values in order, ties by id the same way; rows without a value last, by id too."""
    kept = [r for r in rows if tag is None or r["tag"] == tag]
    present = sorted(
        (r for r in kept if r["v"] is not None),
        key=lambda r: (r["v"], r["id"]),
        reverse=descending,
    )
    missing = sorted((r for r in kept if r["v"] is None), key=lambda r: r["id"], reverse=descending)
    return [r["id"] for r in present + missing]


def _key(descending: bool, indexed: bool) -> SortKey:
    name = ("-" if descending else "") + "v"
    if not indexed:
        return SortKey(name, items.c.v, descending)
    # as task_query does: the index for windows, an unindexed expression for the rest
    unindexed = func.coalesce(items.c.v, items.c.v)
    return SortKey(
        name, unindexed, descending, nullable=True, index=IndexOrder(items.c.id, items.c.v)
    )


def _walk(
    engine: Engine, key: SortKey, tag: str | None, size: int, budget: int | None
) -> list[str]:
    query = select(items.c.id)
    if tag is not None:
        query = query.where(items.c.tag == tag)
    seen: list[str] = []
    cursor = None
    with Session(engine) as session:
        for _ in range(ROWS + 2):
            ids, cursor = page_ids(
                session,
                query,
                key,
                items.c.id,
                limit=size,
                cursor=cursor,
                window_budget=budget,
            )
            assert len(ids) <= size
            seen += ids
            if cursor is None:
                return seen
            assert ids
    raise AssertionError("the cursor never ran out")


@pytest.mark.parametrize("budget", [1, 12, 60, None, 10_000], ids=lambda b: f"budget={b}")
@pytest.mark.parametrize("size", [1, 3, 10])
@pytest.mark.parametrize("tag", [None, "common", "rare"])
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_walk_through_index_windows_and_filters(
    db: Engine, descending: bool, tag: str | None, size: int, budget: int | None
) -> None:
    key = _key(descending, indexed=True)
    assert _walk(db, key, tag, size, budget) == _expected(_rows(), tag, descending)


@pytest.mark.parametrize("size", [1, 4, 500])
@pytest.mark.parametrize("tag", [None, "rare"])
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_walk_without_an_index(db: Engine, descending: bool, tag: str | None, size: int) -> None:
    key = _key(descending, indexed=False)
    assert key.nullable is True
    assert _walk(db, key, tag, size, None) == _expected(_rows(), tag, descending)


def test_walk_of_an_empty_list(db: Engine) -> None:
    for indexed in (False, True):
        assert _walk(db, _key(True, indexed), "no such tag", 3, None) == []
