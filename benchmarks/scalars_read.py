"""Scalar reads through the HTTP API: a downsampled chart and a full-resolution series.

Budgets (DESIGN.md section 9): a chart of a 1,000,000-point series (downsampled)
< 100 ms server time; a 100,000-point series at full resolution < 200 ms.

The series are ingested through the API first (batches of ``--batch`` points, so
one stored chunk per batch). Each read is repeated and the median reported, both
as the hub's own time (its ``Server-Timing`` header: reading, decoding,
downsampling and encoding) and as seen by the client (plus HTTP and JSON
decoding).

The full read is also timed through Corral's own client (``HubClient.get``, what
the SDK's ``Task.get_reported_scalars`` calls): budget < 100 ms for 100,000 points
at the client (issue 11). A series read at full resolution carries no ``min``/``max``
arrays (they would repeat the values).

Baselines, in the same run: the same points read back naively from the database,
one row per point (``SELECT iteration, value, time ... ORDER BY iteration`` over
an index), fetched into Python with no JSON at all; and, for the client read, the
same answer decoded with the standard library's ``json`` (as the client did
before it used orjson).

    .venv/bin/python benchmarks/scalars_read.py [--points 1000000] [--full-points 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from _common import (
    Hub,
    Timer,
    backends,
    create_pg_database,
    drop_pg_database,
    emit,
    new_task,
    running_hub,
    say,
)

BUDGET_CHART_MS = 100
BUDGET_FULL_MS = 200
BUDGET_CLIENT_FULL_MS = 100


def _values(n: int) -> tuple[list[int], list[float], list[float]]:
    its = list(range(n))
    return its, [1.0 / (1 + i) + (i % 97) * 1e-3 for i in its], [1.7e9 + i * 0.01 for i in its]


def _ingest(hub: Hub, task_id: str, n: int, batch: int) -> None:
    its, values, times = _values(n)
    with hub.client() as c:
        for a in range(0, n, batch):
            event = {
                "type": "scalars",
                "metric": "loss",
                "variant": "train",
                "iterations": its[a : a + batch],
                "values": values[a : a + batch],
                "times": times[a : a + batch],
            }
            body = orjson.dumps({"batch_id": uuid.uuid4().hex, "events": [event]})
            r = c.post(
                f"/tasks/{task_id}/events",
                content=body,
                headers={"content-type": "application/json"},
            )
            r.raise_for_status()


def _read(
    hub: Hub, task_id: str, params: dict[str, Any], repeat: int, expect: Callable[[dict], bool]
) -> tuple[float, float]:
    """Median server and client milliseconds of ``repeat`` reads (after one warm-up)."""
    server, client = [], []
    with hub.client() as c:
        for i in range(repeat + 1):
            with Timer() as t:
                r = c.get(f"/tasks/{task_id}/scalars", params=params)
                r.raise_for_status()
                body = orjson.loads(r.content)
            if not expect(body["series"][0]):
                raise SystemExit(f"unexpected answer: {str(body)[:300]}")
            if i:
                timing = r.headers["server-timing"]
                server.append(float(timing.split("dur=")[1]))
                client.append(t.seconds * 1000)
    return statistics.median(server), statistics.median(client)


def _client_read(hub: Hub, task_id: str, n: int, repeat: int) -> tuple[float, float, int]:
    """Median ms of a full read through ``HubClient`` (request, orjson decode), and of the
    same request decoded with the stdlib ``json`` (the old client); the answer's bytes."""
    from corral.client.config import HubCredentials
    from corral.client.http import HubClient

    creds = HubCredentials(url=hub.url, access_key=hub.access_key, secret_key=hub.secret_key)
    url = f"tasks/{task_id}/scalars"
    ours, stdlib = [], []
    size = 0
    with HubClient(creds, timeout=60) as c:
        for i in range(repeat + 1):
            with Timer() as t:
                (s,) = c.get(url, params={"full": "true"})["series"]
            if len(s["values"]) != n or s["min"] is not None:
                raise SystemExit(f"unexpected answer: {str(s)[:300]}")
            with Timer() as old:
                r = c.http.get(f"/api/v1/{url}", params={"full": "true"})
                json.loads(r.content)
            size = len(r.content)
            if i:
                ours.append(t.seconds * 1000)
                stdlib.append(old.seconds * 1000)
    return statistics.median(ours), statistics.median(stdlib), size


def _naive_rows(n: int) -> list[tuple[Any, ...]]:
    its, values, times = _values(n)
    return [("t", "loss", "train", i, v, tm) for i, v, tm in zip(its, values, times, strict=True)]


SCHEMA = (
    "CREATE TABLE scalar_points (task_id VARCHAR(32), metric VARCHAR(255), variant VARCHAR(255),"
    " iteration BIGINT, value DOUBLE PRECISION, time DOUBLE PRECISION)"
)
INDEX = "CREATE INDEX ix_points ON scalar_points (task_id, metric, variant, iteration)"
SELECT = (
    "SELECT iteration, value, time FROM scalar_points WHERE task_id = {p} AND metric = {p}"
    " AND variant = {p} ORDER BY iteration"
)


def _median_ms(fn: Callable[[], int], expected: int, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        with Timer() as t:
            got = fn()
        if got != expected:
            raise SystemExit(f"baseline read {got} rows, expected {expected}")
        runs.append(t.seconds * 1000)
    return statistics.median(runs)


def baseline_sqlite(sizes: list[int], repeat: int) -> list[float]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            db = sqlite3.connect(Path(tmp) / f"naive-{n}.db", isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)
            db.execute(INDEX)
            db.execute("BEGIN")
            db.executemany("INSERT INTO scalar_points VALUES (?, ?, ?, ?, ?, ?)", _naive_rows(n))
            db.execute("COMMIT")
            sql = SELECT.format(p="?")
            out.append(
                _median_ms(
                    lambda db=db, sql=sql: len(db.execute(sql, ("t", "loss", "train")).fetchall()),
                    n,
                    repeat,
                )
            )
            db.close()
    return out


def baseline_postgres(sizes: list[int], repeat: int) -> list[float]:
    import psycopg

    out = []
    for n in sizes:
        url = create_pg_database(os.environ["CORRAL_TEST_DATABASE_URL"])
        try:
            with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as db:
                db.execute(SCHEMA)
                db.execute(INDEX)
                with db.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO scalar_points VALUES (%s, %s, %s, %s, %s, %s)",
                        _naive_rows(n),
                    )
                db.execute("ANALYZE scalar_points")
                db.commit()
                sql = SELECT.format(p="%s")
                out.append(
                    _median_ms(
                        lambda db=db, sql=sql: len(
                            db.execute(sql, ("t", "loss", "train")).fetchall()
                        ),
                        n,
                        repeat,
                    )
                )
        finally:
            drop_pg_database(url)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000, help="points of the charted series")
    ap.add_argument("--full-points", type=int, default=100_000, help="points read in full")
    ap.add_argument("--max-points", type=int, default=2000, help="buckets of the chart")
    ap.add_argument("--batch", type=int, default=10_000, help="points per ingested batch")
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()

    results: dict[str, Any] = {}
    for backend in backends():
        say(f"== {backend}")
        with running_hub(backend) as hub:
            big, small = new_task(hub, "chart"), new_task(hub, "full")
            with Timer() as t:
                _ingest(hub, big, args.points, args.batch)
                _ingest(hub, small, args.full_points, args.batch)
            say(f"ingested {args.points + args.full_points:,} points in {t.seconds:.1f} s")
            chart_server, chart_client = _read(
                hub,
                big,
                {"max_points": args.max_points},
                args.repeat,
                lambda s: (
                    s["total_points"] == args.points
                    and len(s["iterations"]) == min(args.max_points, args.points)
                ),
            )
            full_server, full_client = _read(
                hub,
                small,
                {"full": "true"},
                args.repeat,
                lambda s: len(s["iterations"]) == args.full_points,
            )
            sdk_full, sdk_full_stdlib, size = _client_read(
                hub, small, args.full_points, args.repeat
            )
        base = (baseline_sqlite if backend == "sqlite" else baseline_postgres)(
            [args.points, args.full_points], max(3, args.repeat // 3)
        )
        say(
            f"chart of {args.points:,} points -> {args.max_points} buckets: "
            f"{chart_server:.1f} ms in the hub, {chart_client:.1f} ms at the client "
            f"(budget < {BUDGET_CHART_MS} ms hub time: "
            f"{'met' if chart_server < BUDGET_CHART_MS else 'NOT met'})"
        )
        say(
            f"full read of {args.full_points:,} points: {full_server:.1f} ms in the hub, "
            f"{full_client:.1f} ms at the client (budget < {BUDGET_FULL_MS} ms: "
            f"{'met' if full_client < BUDGET_FULL_MS else 'NOT met'})"
        )
        say(
            f"full read of {args.full_points:,} points through HubClient (what the SDK "
            f"uses): {sdk_full:.1f} ms ({size / 1e6:.1f} MB; budget < "
            f"{BUDGET_CLIENT_FULL_MS} ms: "
            f"{'met' if sdk_full < BUDGET_CLIENT_FULL_MS else 'NOT met'}); "
            f"decoded with the stdlib json instead: {sdk_full_stdlib:.1f} ms"
        )
        say(
            f"baseline, naive one-row-per-point {backend} read: {base[0]:.1f} ms for "
            f"{args.points:,} rows, {base[1]:.1f} ms for {args.full_points:,} rows; "
            f"chart / baseline = {chart_client / base[0]:.3f}, "
            f"full / baseline = {full_client / base[1]:.3f}"
        )
        results[backend] = {
            "chart_server_ms": round(chart_server, 2),
            "chart_client_ms": round(chart_client, 2),
            "full_server_ms": round(full_server, 2),
            "full_client_ms": round(full_client, 2),
            "full_hubclient_ms": round(sdk_full, 2),
            "full_body_bytes": size,
            "baseline_full_hubclient_stdlib_json_ms": round(sdk_full_stdlib, 2),
            "baseline_chart_naive_read_ms": round(base[0], 2),
            "baseline_full_naive_read_ms": round(base[1], 2),
            "chart_ratio_to_baseline": round(chart_client / base[0], 4),
            "full_ratio_to_baseline": round(full_client / base[1], 4),
        }
    emit(
        {
            "benchmark": "scalars_read",
            "points": args.points,
            "full_points": args.full_points,
            "max_points": args.max_points,
            "batch": args.batch,
            "budget_chart_server_ms": BUDGET_CHART_MS,
            "budget_full_ms": BUDGET_FULL_MS,
            "budget_client_full_ms": BUDGET_CLIENT_FULL_MS,
            "results": results,
        }
    )


if __name__ == "__main__":
    main()
