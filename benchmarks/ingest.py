"""Scalar ingestion through the HTTP API: points per second, one server process.

Budget (DESIGN.md section 9): > 200,000 points/s on SQLite.

Client threads post pre-encoded batches (``--batch`` points each, spread over
``--series`` series, in the columnar ``scalars`` form the SDK uses) to one task
each, so that the figure is the hub's, not the client's JSON encoder's. The
per-point ``scalar`` form is measured too, on ``--point-events`` points.

Baseline, in the same run: the same points inserted straight into the database,
one row per point (``(task, metric, variant, iteration, value, time)`` with an
index for reads), with ``executemany`` and a commit per batch, as the naive
design would store them: the database's own floor, without HTTP, JSON or auth.

    .venv/bin/python benchmarks/ingest.py [--points 1000000] [--batch 10000] [--threads 4]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
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

BUDGET = 200_000
T0 = 1_700_000_000.0


def _batches(points: int, batch: int, series: int, columnar: bool) -> list[bytes]:
    """Pre-encoded bodies: ``points`` points in batches, iterations ascending per series."""
    bodies = []
    per_series = max(1, batch // series)
    start = 0
    while start < points:
        n = min(per_series, (points - start + series - 1) // series)
        events: list[dict[str, Any]] = []
        for s in range(series):
            its = list(range(start // series, start // series + n))
            values = [0.5 + 1e-6 * i * (s + 1) for i in its]
            times = [T0 + i * 0.01 for i in its]
            if columnar:
                events.append(
                    {
                        "type": "scalars",
                        "metric": "loss" if s % 2 == 0 else "accuracy",
                        "variant": f"v{s}",
                        "iterations": its,
                        "values": values,
                        "times": times,
                    }
                )
            else:
                metric = "loss" if s % 2 == 0 else "accuracy"
                events.extend(
                    {
                        "type": "scalar",
                        "metric": metric,
                        "variant": f"v{s}",
                        "iteration": i,
                        "value": v,
                        "time": t,
                    }
                    for i, v, t in zip(its, values, times, strict=True)
                )
        bodies.append(orjson.dumps({"batch_id": uuid.uuid4().hex, "events": events}))
        start += n * series
    return bodies


def _post_all(hub: Hub, bodies: list[bytes], threads: int, label: str) -> tuple[float, list[str]]:
    """Post every body (thread k owns a task and every k-th body); returns seconds, task ids."""
    tasks = [new_task(hub, f"{label}-{k}") for k in range(threads)]

    def worker(k: int) -> None:
        with httpx.Client(
            base_url=hub.url + "/api/v1",
            headers={**hub.auth, "content-type": "application/json"},
            timeout=120,
        ) as c:
            for body in bodies[k::threads]:
                r = c.post(f"/tasks/{tasks[k]}/events", content=body)
                if r.status_code != 200 or r.json()["duplicate"]:
                    raise RuntimeError(f"{r.status_code}: {r.text[:300]}")

    with Timer() as t, ThreadPoolExecutor(threads) as pool:
        for f in [pool.submit(worker, k) for k in range(threads)]:
            f.result()
    return t.seconds, tasks


def _stored(hub: Hub, tasks: list[str]) -> int:
    with hub.client() as c:
        return sum(m["count"] for t in tasks for m in c.get(f"/tasks/{t}/metrics").json())


def _rows(points: int, batch: int, series: int) -> list[list[tuple[Any, ...]]]:
    """The same points as the API run, one tuple per point, grouped in batches."""
    out = []
    per_series = max(1, batch // series)
    start = 0
    while start < points:
        n = min(per_series, (points - start + series - 1) // series)
        rows = []
        for s in range(series):
            metric = "loss" if s % 2 == 0 else "accuracy"
            for i in range(start // series, start // series + n):
                rows.append(("t" * 32, metric, f"v{s}", i, 0.5 + 1e-6 * i * (s + 1), T0 + i * 0.01))
        out.append(rows)
        start += n * series
    return out


SCHEMA = (
    "CREATE TABLE scalar_points (id {id}, task_id VARCHAR(32), metric VARCHAR(255),"
    " variant VARCHAR(255), iteration BIGINT, value DOUBLE PRECISION, time DOUBLE PRECISION)"
)
INDEX = "CREATE INDEX ix_points ON scalar_points (task_id, metric, variant, iteration)"
INSERT = (
    "INSERT INTO scalar_points (task_id, metric, variant, iteration, value, time)"
    " VALUES ({p}, {p}, {p}, {p}, {p}, {p})"
)


def baseline_sqlite(batches: list[list[tuple[Any, ...]]]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "baseline.db", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(SCHEMA.format(id="INTEGER PRIMARY KEY"))
        db.execute(INDEX)
        sql = INSERT.format(p="?")
        with Timer() as t:
            for rows in batches:
                db.execute("BEGIN IMMEDIATE")
                db.executemany(sql, rows)
                db.execute("COMMIT")
        db.close()
    return t.seconds


def baseline_postgres(batches: list[list[tuple[Any, ...]]]) -> float:
    import psycopg

    url = create_pg_database(os.environ["CORRAL_TEST_DATABASE_URL"])
    try:
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as db:
            db.execute(SCHEMA.format(id="BIGSERIAL PRIMARY KEY"))
            db.execute(INDEX)
            db.commit()
            sql = INSERT.format(p="%s")
            with Timer() as t:
                for rows in batches:
                    with db.cursor() as cur:
                        cur.executemany(sql, rows)
                    db.commit()
    finally:
        drop_pg_database(url)
    return t.seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=10_000, help="points per request")
    ap.add_argument("--series", type=int, default=4, help="series per request")
    ap.add_argument("--threads", type=int, default=4, help="client threads (a task each)")
    ap.add_argument("--point-events", type=int, default=200_000, help="points sent one per event")
    args = ap.parse_args()

    say(f"encoding {args.points:,} points in batches of {args.batch:,} ...")
    columnar = _batches(args.points, args.batch, args.series, columnar=True)
    per_point = _batches(args.point_events, args.batch, args.series, columnar=False)
    rows = _rows(args.points, args.batch, args.series)
    results: dict[str, Any] = {}
    for backend in backends():
        say(f"== {backend}")
        with running_hub(backend) as hub:
            _post_all(hub, columnar[: args.threads], args.threads, "warm-up")
            secs, tasks = _post_all(hub, columnar, args.threads, "columnar")
            stored = _stored(hub, tasks)
            if stored != args.points:
                raise SystemExit(f"stored {stored} points, expected {args.points}")
            rate = args.points / secs
            say(
                f"columnar 'scalars' events: {args.points:,} points in {secs:.2f} s"
                f" = {rate:,.0f} points/s ({len(columnar)} requests, {args.threads} threads)"
            )
            p_secs, p_tasks = _post_all(hub, per_point, args.threads, "per-point")
            if _stored(hub, p_tasks) != args.point_events:
                raise SystemExit("per-point run lost points")
            p_rate = args.point_events / p_secs
            say(f"per-point 'scalar' events: {args.point_events:,} points = {p_rate:,.0f} points/s")
        base_secs = baseline_sqlite(rows) if backend == "sqlite" else baseline_postgres(rows)
        base_rate = args.points / base_secs
        say(
            f"baseline, {backend} executemany, one row per point: {base_rate:,.0f} points/s;"
            f" API / baseline = {rate / base_rate:.2f}"
        )
        say(f"budget > {BUDGET:,} points/s: {'met' if rate > BUDGET else 'NOT met'}")
        results[backend] = {
            "points_per_s": round(rate),
            "per_point_events_points_per_s": round(p_rate),
            "baseline_points_per_s": round(base_rate),
            "ratio_to_baseline": round(rate / base_rate, 3),
            "seconds": round(secs, 3),
        }
    emit(
        {
            "benchmark": "ingest",
            "points": args.points,
            "batch": args.batch,
            "series_per_batch": args.series,
            "threads": args.threads,
            "budget_points_per_s": BUDGET,
            "results": results,
        }
    )


if __name__ == "__main__":
    main()
