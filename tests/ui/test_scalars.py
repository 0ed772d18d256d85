"""The Scalars tab in a real browser: charts per metric, their controls, live updates."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from corral.testing.hub import Hub, client_env
from tests.factories import ok, run_to, send_events, unique
from tests.ui.seed import Seeded, scalar_series


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
    expect(loss).to_have_attribute("data-points", "100")
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
        expect(chart(page, "late_metric")).to_have_attribute("data-ready", "true")
        expect(chart(page, "late_metric")).to_have_attribute("data-points", "1")
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
