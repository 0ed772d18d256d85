"""Load times of the web UI in a real browser (Debian's chromium, Playwright).

Figures (issue 5): the experiments table of a project with 10,000 tasks, from
navigation to the first rows on screen, and then to the 2,000th row after scrolling
(the table pages from the hub as it scrolls); the Scalars tab of a task with one
1,000,000-point series, from navigation to the chart drawn (the hub downsamples).

Baselines in the same run: the same table on a project of 10 tasks, and the same tab
on a task of 1,000 points. Tasks are bulk-loaded into the database like
``task_table.py`` does (the hub stopped meanwhile); points go through the events API.
Each figure is the median of ``--repeat`` page loads, each in a fresh page of one
logged-in browser context (the app's code is cached, as for a returning user).

    .venv/bin/python benchmarks/ui_load.py [--tasks 10000] [--points 1000000] [--repeat 7]

Needs the UI built (``scripts/build-ui``) and chromium (``apt-get install chromium``).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from _common import Hub, Timer, backends, emit, new_task, running_hub, say
from playwright.sync_api import Page, sync_playwright
from scalars_read import _ingest
from sqlalchemy import create_engine
from task_table import database_url, load

from corral.server.db.engine import normalize_url
from corral.testing.browser import CHROMIUM_ARGS, find_chromium
from corral.testing.hub import ADMIN_PASSWORD


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def _timed(page: Page, url: str, ready: str) -> float:
    """Seconds from navigation to the JS condition ``ready`` holding."""
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(ready, timeout=120_000, polling="raf")
    return time.perf_counter() - start


TABLE_READY = (
    "() => { const t = document.querySelector('[data-testid=experiments-table]');"
    " return t && Number(t.dataset.loaded) > 0"
    " && document.querySelectorAll('[data-testid=experiments-table] [data-task-id]').length > 0 }"
)
CHART_READY = "() => document.querySelector('[data-testid=chart][data-ready=true]') !== null"


def _scroll_to_row(page: Page, row: int) -> float:
    """Seconds to scroll the table down until ``row`` rows are loaded and rendered."""
    start = time.perf_counter()
    while True:
        loaded = page.evaluate(
            "() => Number(document.querySelector('[data-testid=experiments-table]').dataset.loaded)"
        )
        if loaded >= row:
            break
        page.mouse.wheel(0, 20_000)
        page.wait_for_timeout(16)
        if time.perf_counter() - start > 120:
            raise RuntimeError(f"the table did not reach row {row} (loaded {loaded})")
    return time.perf_counter() - start


def _projects(hub: Hub, n_big: int) -> tuple[str, str]:
    with hub.client() as c:
        big = c.post("/projects", json={"name": "ui-bench/big"}).json()
        small = c.post("/projects", json={"name": "ui-bench/small"}).json()
        user_id = big["owner_id"]
    hub.stop()
    engine = create_engine(normalize_url(database_url(hub)))
    with Timer() as t:
        load(engine, n_big, [big["id"]], user_id, 2000, seed=1)
        load(engine, 10, [small["id"]], user_id, 2000, seed=2)
    engine.dispose()
    say(f"bulk load of {n_big:,} + 10 tasks: {t.seconds:.1f} s")
    hub.start()
    return big["id"], small["id"]


def bench(backend: str, args: argparse.Namespace, chromium: str) -> dict[str, Any]:
    say(f"\n== {backend}")
    with running_hub(backend) as hub:
        big_project, small_project = _projects(hub, args.tasks)
        big_task, small_task = new_task(hub, "million"), new_task(hub, "thousand")
        with Timer() as t:
            _ingest(hub, big_task, args.points, 50_000)
            _ingest(hub, small_task, 1_000, 1_000)
        say(f"ingested {args.points + 1000:,} points in {t.seconds:.1f} s")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context = browser.new_context(base_url=hub.url, viewport={"width": 1400, "height": 900})
            r = context.request.post(
                "/api/v1/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD}
            )
            assert r.ok, r.text()
            samples: dict[str, list[float]] = {
                k: [] for k in ("table", "table_small", "row", "chart", "chart_small")
            }
            for _ in range(args.repeat + 1):  # the first round warms the caches
                for key, url, ready in (
                    ("table", f"/projects/{big_project}/experiments", TABLE_READY),
                    ("table_small", f"/projects/{small_project}/experiments", TABLE_READY),
                    ("chart", f"/experiments/{big_task}/scalars", CHART_READY),
                    ("chart_small", f"/experiments/{small_task}/scalars", CHART_READY),
                ):
                    page = context.new_page()
                    samples[key].append(_timed(page, url, ready))
                    if key == "table":
                        samples["row"].append(_scroll_to_row(page, args.row))
                    page.close()
            browser.close()
        figures = {k: _median_ms(v[1:]) for k, v in samples.items()}
    say(
        f"experiments table, {args.tasks:,} tasks: first rows {figures['table']} ms "
        f"(10 tasks: {figures['table_small']} ms); scrolled to row {args.row:,} in {figures['row']} ms"
    )
    say(
        f"scalars tab, {args.points:,} points: chart drawn {figures['chart']} ms "
        f"(1,000 points: {figures['chart_small']} ms)"
    )
    return {
        "table_10k_first_rows_ms": figures["table"],
        "table_scroll_to_row_ms": figures["row"],
        "scalars_1m_chart_ms": figures["chart"],
        "baseline_table_10_tasks_ms": figures["table_small"],
        "baseline_scalars_1k_points_ms": figures["chart_small"],
        "ratio_table": round(figures["table"] / figures["table_small"], 2),
        "ratio_chart": round(figures["chart"] / figures["chart_small"], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--row", type=int, default=2_000, help="scroll the big table to this row")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--backend", choices=["sqlite", "postgres"])
    args = ap.parse_args()
    chromium = find_chromium()
    if not chromium:
        raise SystemExit("chromium is missing: apt-get install chromium")
    results = {
        backend: bench(backend, args, chromium)
        for backend in ([args.backend] if args.backend else backends())
    }
    emit({"benchmark": "ui_load", "tasks": args.tasks, "points": args.points, **results})


if __name__ == "__main__":
    main()
