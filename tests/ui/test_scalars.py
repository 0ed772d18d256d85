"""The Scalars tab in a real browser: charts per metric, their controls, live updates."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from corral.testing.hub import Hub, client_env
from tests.factories import ok, run_to, send_events, unique
from tests.ui.seed import Seeded, scalar_series

pytestmark = pytest.mark.sqlite_hub


def chart(page: Page, title: str) -> Locator:
    return page.locator(f"[data-testid=chart][data-title='{title}']")


def open_scalars(page: Page, task_id: str) -> None:
    page.goto(f"/experiments/{task_id}/scalars")
    expect(page.get_by_test_id("scalars")).to_be_visible()


def legend_row(c: Locator, label: str) -> Locator:
    """The legend row of a line (raw lines under a smoothed one are left out)."""
    return c.locator("tr.u-series:not(.chart-aux)").filter(
        has=c.page.locator(".u-label", has_text=re.compile(f"^{re.escape(label)}$"))
    )


def hover_value(page: Page, c: Locator, label: str, at: float = 0.5) -> str:
    """The legend's value of ``label`` with the cursor at ``at`` of the chart's width."""
    over = c.locator(".u-over")
    box = over.bounding_box()
    assert box is not None
    page.mouse.move(0, 0)
    page.mouse.move(box["x"] + box["width"] * at, box["y"] + box["height"] / 2)
    value = legend_row(c, label).locator(".u-value")
    expect(value).not_to_have_text(re.compile(r"^(—|--|)$"))
    return value.inner_text()


def test_a_chart_per_metric_with_its_variants_overlaid(page: Page, seeded: Seeded) -> None:
    open_scalars(page, seeded.tasks["baseline"]["id"])
    loss, accuracy = chart(page, "loss"), chart(page, "accuracy")
    expect(loss).to_have_attribute("data-ready", "true")
    expect(accuracy).to_have_attribute("data-ready", "true")
    expect(loss).to_have_attribute("data-lines", "2")
    # data-points: the first line's points in the view
    expect(loss).to_have_attribute("data-points", "50")
    expect(accuracy).to_have_attribute("data-lines", "1")
    expect(legend_row(loss, "train")).to_be_visible()
    expect(legend_row(loss, "val")).to_be_visible()
    # hover values: train loss is 1/(i+1) somewhere in the middle of the 50 iterations
    value = float(hover_value(page, loss, "train"))
    assert 1 / 50 < value < 1 / 5


def test_smoothing_log_scale_and_wall_clock(page: Page, seeded: Seeded) -> None:
    open_scalars(page, seeded.tasks["baseline"]["id"])
    loss = chart(page, "loss")
    expect(loss).to_have_attribute("data-ready", "true")
    raw = hover_value(page, loss, "train")

    page.get_by_label("Smoothing").fill("0.9")
    expect(page.get_by_test_id("smoothing-value")).to_have_text("0.90")
    # the raw values stay as faint lines behind the smoothed ones, out of the legend
    expect(loss.locator("tr.u-series.chart-aux")).to_have_count(2)
    expect(loss).to_have_attribute("data-lines", "2")
    smoothed = hover_value(page, loss, "train")
    # the smoothed curve of a falling loss lags behind: higher than the raw value
    assert float(smoothed) > float(raw)

    page.get_by_label("Log scale").check()
    expect(loss).to_have_attribute("data-ready", "true")
    assert float(hover_value(page, loss, "train")) > 0

    page.get_by_label("X axis").select_option("wall")
    expect(loss).to_have_attribute("data-ready", "true")
    # the x value under the cursor is now a date of this year, not an iteration
    x_value = loss.locator("tr.u-series").first.locator(".u-value")
    hover_value(page, loss, "train")
    expect(x_value).to_contain_text(time.strftime("%Y")[-2:])
    page.get_by_label("X axis").select_option("relative")
    expect(loss.locator("tr.u-series").first).to_contain_text("time since start")


def test_filter_and_expand(page: Page, seeded: Seeded) -> None:
    open_scalars(page, seeded.tasks["baseline"]["id"])
    expect(chart(page, "loss")).to_be_visible()
    page.get_by_label("Filter metrics").fill("accu")
    expect(chart(page, "accuracy")).to_be_visible()
    expect(chart(page, "loss")).to_have_count(0)
    page.get_by_label("Filter metrics").fill("nothing-like-this")
    expect(page.get_by_text('No metric matches "nothing-like-this"')).to_be_visible()
    page.get_by_label("Filter metrics").fill("")

    card = page.get_by_test_id("scalar-chart").filter(has=chart(page, "loss"))
    before = card.bounding_box()
    page.get_by_role("button", name="Expand loss").click()
    expect(page.get_by_role("button", name="Shrink loss")).to_have_attribute("aria-pressed", "true")
    after = card.bounding_box()
    assert before and after and after["width"] > before["width"] * 1.5
    assert after["height"] > before["height"]


def test_a_task_without_scalars_says_how_to_report_them(page: Page, hub: Hub) -> None:
    with hub.client() as api:
        task = api.post("/tasks", json={"name": "empty", "project": unique("ui-scalars")}).json()
    open_scalars(page, task["id"])
    expect(page.get_by_text("No scalars reported yet")).to_be_visible()
    expect(page.get_by_text("report_scalar(")).to_be_visible()


SCRIPT = textwrap.dedent(
    """
    import sys
    import time
    from pathlib import Path

    from corral import Task

    project, out = sys.argv[1], Path(sys.argv[2])


    def wait_for(name):
        deadline = time.monotonic() + 120
        while not (out / name).exists():
            if time.monotonic() > deadline:
                sys.exit(f"{name} did not appear")
            time.sleep(0.05)


    task = Task.init(
        project_name=project,
        task_name="live scalars",
        auto_resource_monitoring=False,
        auto_connect_frameworks=False,
    )
    logger = task.get_logger()
    for i in range(10):
        logger.report_scalar("loss", "train", 1.0 / (i + 1), i)
    assert task.flush(wait_for_uploads=True)
    (out / "task_id").write_text(task.id)
    wait_for("go")
    logger.report_scalar("late_metric", "value", 0.5, 10)
    assert task.flush(wait_for_uploads=True)
    wait_for("finish")
    task.close()
    """
)


def test_a_new_scalar_of_a_running_script_appears_without_reload(
    page: Page, hub: Hub, tmp_path: Path
) -> None:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen(
        [sys.executable, str(script), unique("ui-live"), str(out)],
        env=client_env(hub, tmp_path / "home"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not (out / "task_id").exists():
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            if time.monotonic() > deadline:
                pytest.fail("the script did not start its task within 60 s")
            time.sleep(0.05)
        task_id = (out / "task_id").read_text()

        open_scalars(page, task_id)
        expect(chart(page, "loss")).to_have_attribute("data-points", "10")
        expect(chart(page, "late_metric")).to_have_count(0)
        page.evaluate("window.__notReloaded = true")

        (out / "go").touch()
        # a series of one point is a single value: a row of the summary table
        late = page.get_by_test_id("scalar-summary").locator("tr[data-metric=late_metric]")
        expect(late).to_contain_text("0.5")
        assert page.evaluate("window.__notReloaded === true")

        (out / "finish").touch()
        output, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, output.decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_log_scale_leaves_out_values_it_cannot_show(page: Page, hub: Hub) -> None:
    with hub.client() as api:
        task = ok(api.post("/tasks", json={"name": "signs", "project": unique("ui-scalars")}))
        run_to(api, task["id"], "in_progress")
        events = [
            scalar_series("negative", "a", 20, lambda i: -1.0 - i),
            scalar_series("zero", "z", 20, lambda i: 0.0),
            scalar_series("mixed", "m", 20, lambda i: i - 10.0),
        ]
        ok(send_events(api, task["id"], events))
    open_scalars(page, task["id"])
    for title in ("negative", "zero", "mixed"):
        expect(chart(page, title)).to_have_attribute("data-ready", "true")
    page.get_by_label("Log scale").check()
    page.get_by_label("Smoothing").fill("0.5")
    for title in ("negative", "zero", "mixed"):
        expect(chart(page, title)).to_have_attribute("data-ready", "true")
    # the positive end of "mixed" is still drawn
    assert float(hover_value(page, chart(page, "mixed"), "m", at=0.97)) > 0


def _values(i: int) -> float:
    return math.sin(i / 7.0) + i / 50_000


def seed_zoomable(api: httpx.Client) -> str:
    """A run with a 50,000-point series, a short one beside it, a single value and
    machine monitoring, reported in a few big batches like the SDK's."""
    task = ok(api.post("/tasks", json={"name": "zoom", "project": unique("ui-zoom")}))
    run_to(api, task["id"], "in_progress")
    n = 50_000
    for start in (0, n // 2):
        its = list(range(start, start + n // 2))
        batch = {"type": "scalars", "metric": "loss", "variant": "train", "iterations": its}
        ok(send_events(api, task["id"], [{**batch, "values": [_values(i) for i in its]}]))
    monitor = [
        scalar_series(":monitor:machine", variant, 20, lambda i: 10.0 + i)
        for variant in ("cpu_usage", "memory_usage", "memory_used_gb", "net_rx_mbs")
    ]
    monitor.append(scalar_series(":monitor:gpu", "gpu_0_temperature", 20, lambda i: 60.0))
    val = {"type": "scalars", "metric": "loss", "variant": "val"}
    val |= {"iterations": list(range(0, n, 100)), "values": [1.0 - i / n for i in range(0, n, 100)]}
    single = {"type": "scalar", "metric": "Summary", "variant": "accuracy", "iteration": 0}
    ok(send_events(api, task["id"], [val, {**single, "value": 0.9375}, *monitor]))
    return str(task["id"])


def drag(page: Page, c: Locator, x0: float, x1: float) -> None:
    """A mouse drag over the chart from iteration x0 to x1 (the chart's own scale)."""
    over = c.locator(".u-over").bounding_box()
    assert over is not None
    a, b = c.evaluate("(el, r) => r.map((v) => el.corralPlot.valToPos(v, 'x'))", [x0, x1])
    y = over["y"] + over["height"] / 2
    page.mouse.move(over["x"] + a, y)
    page.mouse.down()
    page.mouse.move(over["x"] + (a + b) / 2, y, steps=3)
    page.mouse.move(over["x"] + b, y, steps=3)
    page.mouse.up()


def zoomed_range(c: Locator, previous: str | None) -> tuple[int, int]:
    """The range of the finer points once drawn (a new one after ``previous``)."""
    expect(c).to_have_attribute("data-range", re.compile(r"^-?\d+,-?\d+$"))
    if previous is not None:
        expect(c).not_to_have_attribute("data-range", previous)
    first, last = (c.get_attribute("data-range") or "").split(",")
    return int(first), int(last)


def test_zoom_loads_the_real_points_of_the_view_and_the_view_s_sections(
    page: Page, api: httpx.Client
) -> None:
    task_id = seed_zoomable(api)
    open_scalars(page, task_id)
    loss = chart(page, "loss")
    expect(loss).to_have_attribute("data-ready", "true")
    card = page.get_by_test_id("scalar-chart").filter(has=loss)
    expect(card).to_contain_text("of 50,500 points")

    # the single value is a row of the summary table, not a one-dot chart
    summary = page.get_by_test_id("scalar-summary")
    expect(summary.locator("tr[data-series=accuracy]")).to_contain_text("0.9375")
    expect(chart(page, "Summary")).to_have_count(0)

    # monitoring comes last, one unit per chart, and folds
    section = page.get_by_test_id("monitor-section")
    monitor_titles = [
        ":monitor:gpu (°C)",
        ":monitor:machine (%)",
        ":monitor:machine (GB)",
        ":monitor:machine (MB/s)",
    ]
    expect(section.get_by_test_id("scalar-chart")).to_have_count(4)
    titles = page.get_by_test_id("scalar-chart").evaluate_all(
        "els => els.map((e) => e.dataset.metric)"
    )
    assert titles == ["loss", *monitor_titles]
    expect(chart(page, ":monitor:machine (%)")).to_have_attribute("data-lines", "2")
    section.locator("summary").click()
    expect(section.get_by_test_id("scalar-chart")).to_have_count(0)
    section.locator("summary").click()
    expect(section.get_by_test_id("scalar-chart")).to_have_count(4)

    # three drags down to 12 iterations; each draws the finer points the hub sends
    drag(page, loss, 20_000, 25_000)
    first, last = zoomed_range(loss, None)
    assert 19_000 < first < last < 26_000
    middle = (first + last) // 2
    drag(page, loss, middle - 50, middle + 50)
    first, last = zoomed_range(loss, f"{first},{last}")
    assert last - first < 200
    start = (first + last) // 2
    drag(page, loss, start - 0.5, start + 11.5)
    first, last = zoomed_range(loss, f"{first},{last}")
    assert (first, last) == (start, start + 11)
    expect(loss).to_have_attribute("data-points", "12")
    drawn = loss.evaluate("el => el.corralDrawn()")
    (raw,) = ok(
        api.get(
            f"/tasks/{task_id}/scalars",
            params={
                "metric": "loss",
                "variant": "train",
                "first_iteration": first,
                "last_iteration": last,
                "full": "true",
            },
        )
    )["series"]
    assert drawn == {"x": raw["iterations"], "y": raw["values"]}
    assert drawn["x"] == list(range(start, start + 12))
    assert drawn["y"] == [_values(i) for i in range(start, start + 12)]
    # whole iterations on the x axis
    expect(loss).to_have_attribute("data-xticks", re.compile(r"^\d+(\|\d+)*$"))

    # the hover legend only ever names an iteration inside the view
    x_value = loss.locator("tr.u-series").first.locator(".u-value")
    for at in (0.02, 0.3, 0.6, 0.98):
        hover_value(page, loss, "train", at)
        assert first <= int(x_value.inner_text()) <= last

    # the legend hides a line (and the CSV leaves it out); the CSV is the view's points
    legend_row(loss, "val").locator(".u-label").click()
    expect(legend_row(loss, "val")).to_have_class(re.compile(r"\bu-off\b"))
    with page.expect_download() as download:
        card.get_by_role("button", name="Download loss as CSV").click()
    rows = Path(download.value.path()).read_text().splitlines()
    assert download.value.suggested_filename == "loss.csv"
    assert rows[0] == "iteration,train"
    assert [(int(i), float(v)) for i, v in (r.split(",") for r in rows[1:])] == list(
        zip(raw["iterations"], raw["values"], strict=True)
    )
    with page.expect_download() as picture:
        card.get_by_role("button", name="Download loss as PNG").click()
    assert Path(picture.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # a double-click zooms out to the downsampled overview
    loss.locator(".u-over").dblclick()
    expect(loss).not_to_have_attribute("data-range", re.compile("."))
    expect(card).to_contain_text("of 50,500 points")
    overview = int(loss.get_attribute("data-points") or 0)
    assert 100 < overview < 5000

    # a theme change redraws the chart in the theme's colours
    page.evaluate(
        """() => {
          document.documentElement.style.setProperty("--muted", "rgb(1, 2, 3)");
          document.documentElement.dataset.theme = "dark";
        }"""
    )
    expect(loss).to_have_attribute("data-axis-color", "rgb(1, 2, 3)")
    expect(loss).to_have_attribute("data-ready", "true")

    # one chart per series
    page.get_by_label("One chart per series").check()
    expect(chart(page, "loss / train")).to_have_attribute("data-ready", "true")
    expect(chart(page, "loss / val")).to_have_attribute("data-lines", "1")
    expect(chart(page, "loss")).to_have_count(0)
    page.get_by_label("One chart per series").uncheck()
    expect(chart(page, "loss")).to_have_attribute("data-lines", "2")
