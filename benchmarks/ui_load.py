"""Load times of the web UI in a real browser (Debian's chromium, Playwright).

Figures (issue 5): the experiments table of a project with 10,000 tasks, from
navigation to the first rows on screen, and then to the 2,000th row after scrolling
(the table pages from the hub as it scrolls); the Scalars tab of a task with one
1,000,000-point series, from navigation to the chart drawn (the hub downsamples).

Figures (issue 14): the same table with 20 extra columns (11 hyperparameters and 9
metric columns, chosen as the column picker keeps them); the zoom of that
1,000,000-point chart into 12 iterations, from the end of the drag to the chart drawn
with the 12 real points the hub sent for the range; and the **first** open of the Plots
tab (a fresh browser profile: nothing cached, the plotting library downloaded) of a task
with three figures, until all three are drawn.

Baselines in the same run: the same table on a project of 10 tasks, the same tab on a
task of 1,000 points, the same zoom on that task, and the first open of the same task's
Info tab (the page without plots) in a fresh profile. Tasks are bulk-loaded into the
database like ``task_table.py`` does (the hub stopped meanwhile); points go through the
events API. Each figure is the median of ``--repeat`` page loads, each in a fresh page
of one logged-in browser context (the app's code is cached, as for a returning user),
but for the first opens, each in a fresh context.

    .venv/bin/python benchmarks/ui_load.py [--tasks 10000] [--points 1000000] [--repeat 7]

Needs the UI built (``scripts/build-ui``) and chromium (``apt-get install chromium``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from typing import Any

from _common import Hub, Timer, backends, emit, new_task, running_hub, say
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
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
PLOTS = 3
PLOTS_READY = (
    f"() => document.querySelectorAll('[data-testid=plot][data-ready=true]').length >= {PLOTS}"
)
INFO_READY = "() => document.querySelector('[data-testid=info-id]') !== null"
#: the 20 extra columns: 11 hyperparameters and last/min/max of three metric series
EXTRA_PARAMS = 6
EXTRA_COLUMNS = [
    "param:Args:lr",
    "param:Args:batch_size",
    "param:Args:optimizer",
    "param:Args:epochs",
    "param:General:seed",
    *(f"param:Extra:x{i:02d}" for i in range(EXTRA_PARAMS)),
    *(
        f"metric:{m}:{v}:{agg}"
        for m, v in (("loss", "train"), ("loss", "val"), ("accuracy", "val"))
        for agg in ("last", "min", "max")
    ),
]
DEFAULT_COLUMNS = [
    "status",
    "name",
    "type",
    "tags",
    "user",
    "started",
    "duration",
    "queue",
    "worker",
]


def _scroll_to_row(page: Page, row: int) -> float:
    """Seconds to scroll the table down until ``row`` rows are loaded and rendered."""
    box = page.locator("[data-testid=experiments-scroll]").bounding_box()
    assert box is not None
    # the table scrolls in its own area: the wheel over it scrolls it
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
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
        load(engine, n_big, [big["id"]], user_id, 2000, seed=1, extra_params=EXTRA_PARAMS)
        load(engine, 10, [small["id"]], user_id, 2000, seed=2, extra_params=EXTRA_PARAMS)
    engine.dispose()
    say(f"bulk load of {n_big:,} + 10 tasks: {t.seconds:.1f} s")
    hub.start()
    return big["id"], small["id"]


def _plots_task(hub: Hub) -> str:
    """A task with three figures of the kinds scripts report: a confusion matrix, curves, bars."""
    task_id = new_task(hub, "plots")
    z = [[(i * 7 + j * 3) % 50 for j in range(10)] for i in range(10)]
    figures = [
        (
            "confusion",
            {"data": [{"type": "heatmap", "z": z}], "layout": {"title": {"text": "confusion"}}},
        ),
        (
            "roc",
            {
                "data": [
                    {"type": "scatter", "x": list(range(200)), "y": [i / 200 for i in range(200)]}
                    for _ in range(3)
                ],
                "layout": {"title": {"text": "roc"}},
            },
        ),
        (
            "classes",
            {"data": [{"type": "bar", "x": [f"c{i}" for i in range(20)], "y": list(range(20))}]},
        ),
    ]
    events = [
        {"type": "plot", "metric": metric, "variant": "val", "iteration": 1, "figure": figure}
        for metric, figure in figures
    ]
    with hub.client() as c:
        r = c.post(
            f"/tasks/{task_id}/events", json={"batch_id": uuid.uuid4().hex, "events": events}
        )
        r.raise_for_status()
    return task_id


def _login(browser: Browser, hub: Hub) -> BrowserContext:
    context = browser.new_context(base_url=hub.url, viewport={"width": 1400, "height": 900})
    r = context.request.post(
        "/api/v1/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert r.ok, r.text()
    return context


def _first_open(browser: Browser, hub: Hub, url: str, ready: str) -> float:
    """Seconds to draw ``url`` in a fresh profile: nothing of the app is cached yet."""
    context = _login(browser, hub)
    try:
        return _timed(context.new_page(), url, ready)
    finally:
        context.close()


def _zoom(page: Page, first: int, last: int) -> float:
    """Seconds from the end of a drag over [first, last] to the chart drawn with that range.

    ``corralZoom`` is the chart's own handler of a finished drag (what uPlot calls on
    mouse-up), so the figure covers the request for the range and the redraw.
    """
    chart = page.locator("[data-testid=chart][data-ready=true]").first
    start = time.perf_counter()
    chart.evaluate("(el, r) => el.corralZoom(r[0], r[1])", [first, last])
    page.wait_for_function(
        "(want) => document.querySelector('[data-testid=chart]').dataset.range === want",
        arg=f"{first},{last}",
        timeout=120_000,
        polling="raf",
    )
    return time.perf_counter() - start


def _columns(context: BrowserContext, project_id: str, ids: list[str]) -> None:
    key = json.dumps(f"corral.experiments.columns.{project_id}")
    context.add_init_script(f"localStorage.setItem({key}, {json.dumps(json.dumps(ids))});")


def bench(backend: str, args: argparse.Namespace, chromium: str) -> dict[str, Any]:
    say(f"\n== {backend}")
    with running_hub(backend) as hub:
        big_project, small_project = _projects(hub, args.tasks)
        big_task, small_task = new_task(hub, "million"), new_task(hub, "thousand")
        plots_task = _plots_task(hub)
        with Timer() as t:
            _ingest(hub, big_task, args.points, 50_000)
            _ingest(hub, small_task, 1_000, 1_000)
        say(f"ingested {args.points + 1000:,} points in {t.seconds:.1f} s")
        mid = args.points // 2
        keys = ("table", "table_small", "table_wide", "row", "chart", "chart_small")
        samples: dict[str, list[float]] = {
            k: [] for k in (*keys, "zoom", "zoom_small", "plots", "info")
        }
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context = _login(browser, hub)
            wide = _login(browser, hub)
            _columns(wide, big_project, DEFAULT_COLUMNS + EXTRA_COLUMNS)
            for _ in range(args.repeat + 1):  # the first round warms the caches
                for key, ctx, url, ready in (
                    ("table", context, f"/projects/{big_project}/experiments", TABLE_READY),
                    ("table_small", context, f"/projects/{small_project}/experiments", TABLE_READY),
                    ("table_wide", wide, f"/projects/{big_project}/experiments", TABLE_READY),
                    ("chart", context, f"/experiments/{big_task}/scalars", CHART_READY),
                    ("chart_small", context, f"/experiments/{small_task}/scalars", CHART_READY),
                ):
                    page = ctx.new_page()
                    samples[key].append(_timed(page, url, ready))
                    if key == "table":
                        samples["row"].append(_scroll_to_row(page, args.row))
                    elif key == "chart":
                        samples["zoom"].append(_zoom(page, mid, mid + 11))
                    elif key == "chart_small":
                        samples["zoom_small"].append(_zoom(page, 500, 511))
                    page.close()
                samples["plots"].append(
                    _first_open(browser, hub, f"/experiments/{plots_task}/plots", PLOTS_READY)
                )
                samples["info"].append(
                    _first_open(browser, hub, f"/experiments/{plots_task}/info", INFO_READY)
                )
            browser.close()
        figures = {k: _median_ms(v[1:]) for k, v in samples.items()}
    say(
        f"experiments table, {args.tasks:,} tasks: first rows {figures['table']} ms, with "
        f"{len(EXTRA_COLUMNS)} extra columns {figures['table_wide']} ms "
        f"(10 tasks: {figures['table_small']} ms); scrolled to row {args.row:,} in {figures['row']} ms"
    )
    say(
        f"scalars tab, {args.points:,} points: chart drawn {figures['chart']} ms "
        f"(1,000 points: {figures['chart_small']} ms); zoom to 12 iterations redrawn in "
        f"{figures['zoom']} ms (1,000 points: {figures['zoom_small']} ms)"
    )
    say(
        f"plots tab, first open (fresh profile): {PLOTS} figures drawn in {figures['plots']} ms "
        f"(info tab, first open: {figures['info']} ms)"
    )
    return {
        "table_10k_first_rows_ms": figures["table"],
        "table_10k_20_columns_first_rows_ms": figures["table_wide"],
        "table_scroll_to_row_ms": figures["row"],
        "scalars_1m_chart_ms": figures["chart"],
        "scalars_1m_zoom_refetch_ms": figures["zoom"],
        "plots_first_open_ms": figures["plots"],
        "baseline_table_10_tasks_ms": figures["table_small"],
        "baseline_scalars_1k_points_ms": figures["chart_small"],
        "baseline_scalars_1k_zoom_ms": figures["zoom_small"],
        "baseline_info_first_open_ms": figures["info"],
        "ratio_table": round(figures["table"] / figures["table_small"], 2),
        "ratio_table_20_columns": round(figures["table_wide"] / figures["table_small"], 2),
        "ratio_chart": round(figures["chart"] / figures["chart_small"], 2),
        "ratio_zoom": round(figures["zoom"] / figures["zoom_small"], 2),
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
