"""The compare page in a real browser: hyperparameters, scalars, final metrics, plots and
debug samples side by side, parameters against a metric."""

from __future__ import annotations

import base64
import re
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, Request, expect

from corral.testing.hub import Hub
from tests.factories import ok, send_events, unique
from tests.ui.seed import PNG, Seeded, hyperparams, new_id, scalar_series

pytestmark = pytest.mark.sqlite_hub


def param_row(page: Page, name: str) -> Locator:
    table = page.get_by_role("table", name="Hyperparameters")
    return table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name, exact=True))


def open_compare(page: Page, *ids: str) -> None:
    page.goto("/compare?ids=" + ",".join(ids))
    expect(page.get_by_test_id("compare-page")).to_be_visible()


def test_hyperparameters_side_by_side_with_differences_highlighted(
    page: Page, seeded: Seeded
) -> None:
    baseline, wide = seeded.tasks["baseline"], seeded.tasks["wide"]
    open_compare(page, baseline["id"], wide["id"])
    header = page.get_by_role("list", name="Compared experiments")
    expect(header.get_by_role("link", name="baseline")).to_have_attribute(
        "href", f"/experiments/{baseline['id']}"
    )
    expect(header.get_by_role("link", name="wide")).to_be_visible()
    expect(header.get_by_role("link", name=seeded.name).first).to_be_visible()

    lr, augment = param_row(page, "Args/lr"), param_row(page, "Args/augment")
    expect(lr).to_have_attribute("data-differs", "true")
    expect(lr).to_have_class(re.compile(r"\bdiffers\b"))
    expect(lr.get_by_role("cell")).to_have_text(["0.01", "0.1"])
    expect(augment).to_have_attribute("data-differs", "false")
    expect(augment).not_to_have_class(re.compile(r"\bdiffers\b"))
    expect(lr.get_by_role("cell").first).to_have_css("background-color", "rgb(255, 244, 194)")

    page.get_by_label("Only differences").check()
    expect(augment).to_have_count(0)
    expect(lr).to_be_visible()
    expect(param_row(page, "General/optimizer")).to_be_visible()
    page.get_by_label("Only differences").uncheck()
    expect(augment).to_be_visible()


def test_scalars_overlaid_and_final_metrics(page: Page, seeded: Seeded) -> None:
    baseline, wide = seeded.tasks["baseline"], seeded.tasks["wide"]
    open_compare(page, baseline["id"], wide["id"])
    # the section nav scrolls to the scalars (charts are drawn as they come near the screen)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Scalars").click()
    expect(page).to_have_url(re.compile(r"#scalars$"))
    expect(page.locator("#scalars")).to_be_in_viewport()

    loss = page.locator("[data-testid=chart][data-title='loss / train']")
    expect(loss).to_have_attribute("data-ready", "true")
    expect(loss).to_have_attribute("data-lines", "2")
    legend = loss.locator("tr.u-series:not(.chart-aux) .u-label")
    expect(legend).to_have_text(["iteration", "baseline", "wide"])
    # only baseline reported loss/val: one line
    expect(page.locator("[data-testid=chart][data-title='loss / val']")).to_have_attribute(
        "data-lines", "1"
    )
    # the same controls as the Scalars tab
    page.get_by_label("Smoothing").fill("0.5")
    expect(loss.locator("tr.u-series.chart-aux")).to_have_count(2)
    page.get_by_label("Log scale").check()
    page.get_by_label("X axis").select_option("relative")
    expect(loss).to_have_attribute("data-ready", "true")

    table = page.get_by_role("table", name="Final metrics")
    expect(table.get_by_role("columnheader")).to_have_text(["Metric", "baseline", "wide"])
    row = table.get_by_role("row").filter(has_text="loss / train")
    cells = row.get_by_role("cell")
    expect(cells.nth(0)).to_contain_text("0.02")  # 1 / 50
    expect(cells.nth(1)).to_contain_text("0.04")  # 2 / 50
    # lower loss is better: baseline's is marked
    expect(cells.nth(0)).to_have_attribute("data-best", "true")
    expect(cells.nth(1)).not_to_have_attribute("data-best", "true")
    accuracy = table.get_by_role("row").filter(has_text="accuracy / val").get_by_role("cell")
    expect(accuracy.nth(0)).to_contain_text("0.99")
    expect(accuracy.nth(1)).to_have_text("—")


def test_remove_then_add_an_experiment(page: Page, seeded: Seeded) -> None:
    baseline, wide = seeded.tasks["baseline"], seeded.tasks["wide"]
    open_compare(page, baseline["id"], wide["id"])
    page.get_by_role("button", name="Remove wide from the comparison").click()
    expect(page).to_have_url(re.compile(rf"ids={baseline['id']}$"))
    expect(page.get_by_test_id("compare-problem")).to_contain_text("at least one more")
    expect(page.get_by_role("table", name="Hyperparameters")).to_have_count(0)

    page.get_by_label("Add an experiment by id or name").fill(wide["id"][:12])
    page.get_by_role("button", name="Add wide").click()
    expect(page).to_have_url(re.compile(rf"ids={baseline['id']}(%2C|,){wide['id']}$"))
    expect(param_row(page, "Args/lr")).to_have_attribute("data-differs", "true")


def test_readable_messages_for_bad_links(page: Page, seeded: Seeded) -> None:
    baseline, wide = seeded.tasks["baseline"], seeded.tasks["wide"]
    open_compare(page)
    expect(page.get_by_test_id("compare-problem")).to_contain_text("at least two")

    unknown = new_id()
    open_compare(page, baseline["id"], unknown)
    expect(page.get_by_test_id("compare-missing")).to_contain_text(unknown)
    page.get_by_role("button", name=f"Remove {unknown} from the comparison").click()
    expect(page.get_by_test_id("compare-missing")).to_have_count(0)

    open_compare(page, *[new_id() for _ in range(11)], baseline["id"], wide["id"])
    expect(page.get_by_role("alert")).to_contain_text("At most 12 experiments")
    page.get_by_role("button", name="Compare the first 12").click()
    expect(page.get_by_test_id("compare-missing")).to_contain_text("Unknown experiments")


#: a 2x2 red PNG, as a data URI (a debug sample the browser loads without the hub)
PNG_URI = "data:image/png;base64," + base64.b64encode(PNG).decode()


def seed_eight_runs(hub: Hub) -> list[dict[str, Any]]:
    """Eight runs of one project: hyperparameters (a number and a category), scalars
    (with a monitor series), a plotly heatmap at two iterations, a matplotlib-like image
    figure and a debug image. Two requests per run."""
    project = unique("cmp8")
    runs = []
    with hub.client() as api:
        for i in range(8):
            task = ok(
                api.post(
                    "/tasks",
                    json={
                        "name": f"run-{i}",
                        "project": project,
                        "hyperparams": hyperparams(0.01 * (i + 1), 32, ["adam", "sgd"][i % 2]),
                    },
                )
            )
            image_plot = {
                "data": [],
                "layout": {
                    "images": [{"source": PNG_URI, "xref": "paper", "yref": "paper", "x": 0,
                                "y": 1, "sizex": 1, "sizey": 1, "sizing": "contain"}],
                    "xaxis": {"visible": False},
                    "yaxis": {"visible": False},
                    "width": 640,
                    "height": 480,
                    "meta": {"source": "matplotlib", "rendered": "image"},
                },
            }  # fmt: skip
            events: list[dict[str, Any]] = [
                scalar_series("loss", "train", 20, lambda n, i=i: (i + 1) / (n + 1)),
                scalar_series(":monitor:machine", "cpu_usage", 20, lambda n, i=i: 10.0 * i + n),
                *[
                    {
                        "type": "plot",
                        "metric": "confusion",
                        "variant": "val",
                        "iteration": it,
                        "figure": {"data": [{"type": "heatmap", "z": [[i, it], [2, 7]]}]},
                    }
                    for it in (1, 5)
                ],
                {"type": "plot", "metric": "pyplot", "variant": "figure", "iteration": 5,
                 "figure": image_plot},
                {"type": "debug_sample", "metric": "inputs", "variant": "image", "iteration": 5,
                 "uri": PNG_URI, "content_type": "image/png"},
            ]  # fmt: skip
            ok(send_events(api, task["id"], events))
            runs.append(task)
    return runs


def test_eight_runs_side_by_side_one_request_per_data_set(page: Page, hub: Hub) -> None:
    runs = seed_eight_runs(hub)
    ids = [r["id"] for r in runs]
    requests: Counter[str] = Counter()

    def count(request: Request) -> None:
        path = urlsplit(request.url).path
        if path in ("/api/v1/tasks", "/api/v1/scalars", "/api/v1/plots", "/api/v1/debug-samples"):
            requests[path] += 1

    page.on("request", count)
    page.goto("/compare?ids=" + ",".join(ids) + "#plots")

    # the link's anchor: the plots are on screen, under the sticky section nav
    expect(page.get_by_role("navigation", name="Sections").get_by_role("link")).to_have_text(
        [
            "Hyperparameters",
            "Parameters vs metric",
            "Final metrics",
            "Scalars",
            "Plots",
            "Debug samples",
        ]
    )
    confusion = page.locator("[data-testid=compare-row][data-title='confusion / val']")
    expect(confusion).to_be_in_viewport()

    # plots side by side: one row, a column per run with its name, each figure drawn
    cells = confusion.get_by_test_id("compare-cell")
    expect(cells).to_have_count(8)
    expect(cells.locator("figcaption .compare-cell-name")).to_have_text(
        [f"run-{i}" for i in range(8)]
    )
    expect(cells.locator("[data-testid=plot] .heatmaplayer image")).to_have_count(8)
    tops = cells.evaluate_all("cs => cs.map(c => Math.round(c.getBoundingClientRect().top))")
    assert len(set(tops)) == 1, tops
    image_plots = page.locator("[data-testid=compare-row][data-title='pyplot / figure']")
    # a matplotlib figure rendered as an image is shown as one, fitted to its column
    expect(image_plots.get_by_test_id("plot-image")).to_have_count(8)
    widths = image_plots.get_by_test_id("compare-cell").evaluate_all(
        "cs => cs.map(c => c.querySelector('img').getBoundingClientRect().width <= c.clientWidth)"
    )
    assert all(widths), widths
    # the page does not scroll sideways: a wide row scrolls in its own area
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # debug samples side by side
    samples = page.locator("[data-testid=compare-row][data-title='inputs / image']")
    samples.scroll_into_view_if_needed()
    expect(samples.get_by_role("img")).to_have_count(8)
    page.wait_for_function(
        "() => [...document.querySelectorAll(\"[data-title='inputs / image'] img\")]"
        ".filter(i => i.complete && i.naturalWidth > 0).length === 8"
    )

    # eight distinct colours, the same for a run in every section
    swatches = cells.locator(".swatch").evaluate_all(
        "ss => ss.map(s => getComputedStyle(s).backgroundColor)"
    )
    assert len(set(swatches)) == 8, swatches
    headers = page.get_by_test_id("compared-task").evaluate_all(
        "cs => cs.map(c => getComputedStyle(c).borderTopColor)"
    )
    assert headers == swatches

    # parallel coordinates: an axis per differing parameter, the metric last, a line
    # per run coloured by its metric value
    analysis = page.get_by_test_id("params-vs-metric")
    analysis.scroll_into_view_if_needed()
    expect(analysis.locator(".parcoords")).to_have_count(1)
    expect(analysis.locator(".parcoords text.axis-title")).to_have_text(
        ["Args/lr", "General/optimizer", "loss / train"]
    )
    lines = analysis.locator(".parcoords polyline.parcoords-line")
    expect(lines).to_have_count(8)
    assert len(set(lines.evaluate_all("ls => ls.map(l => l.getAttribute('stroke'))"))) == 8
    optimizer_ticks = analysis.locator(".parcoords-axis").nth(1).locator(".tick")
    expect(optimizer_ticks).to_have_text(["adam", "sgd"])
    # the scatter: a point per run, in the run's colour
    points = analysis.locator("[data-testid=scatter] .scatterlayer path.point")
    expect(points).to_have_count(8)
    fills = points.evaluate_all("ps => ps.map(p => getComputedStyle(p).fill)")
    assert sorted(fills) == sorted(swatches)
    # plotly finds the point under the mouse through its drag layer, which covers the points
    points.nth(3).hover(force=True)
    expect(analysis.locator("[data-testid=scatter] .hoverlayer")).to_contain_text("run-3")
    # the theme changes: the scatter is drawn again in the theme's colours, and the
    # parallel coordinates take them from the CSS
    page.evaluate(
        """() => {
            document.documentElement.style.setProperty('--text', 'rgb(1, 2, 3)');
            document.documentElement.dataset.theme = 'dark';
        }"""
    )
    expect(analysis.locator("[data-testid=scatter] .xtick text").first).to_have_css(
        "fill", "rgb(1, 2, 3)"
    )
    expect(analysis.locator(".parcoords .axis-title").first).to_have_css("fill", "rgb(1, 2, 3)")

    # monitor series: no best mark, and their charts last, folded
    table = page.get_by_role("table", name="Final metrics")
    monitor_row = table.get_by_role("row").filter(has_text=":monitor:machine / cpu_usage")
    expect(monitor_row).to_have_attribute("data-direction", "none")
    expect(monitor_row.locator("[data-best]")).to_have_count(0)
    loss_row = table.get_by_role("row").filter(has_text="loss / train")
    expect(loss_row.locator("[data-best=true]")).to_have_count(1)
    expect(loss_row.get_by_role("cell").first).to_have_attribute("data-best", "true")
    scalars = page.get_by_test_id("compare-scalars")
    expect(
        scalars.locator(":scope > .scalar-grid").get_by_test_id("scalar-chart")
    ).to_have_attribute("data-metric", "loss / train")
    expect(scalars.locator(":scope > :last-child")).to_have_attribute(
        "data-testid", "compare-monitor"
    )
    monitor = scalars.get_by_test_id("compare-monitor")
    expect(monitor).not_to_have_attribute("open", "")
    expect(monitor.get_by_test_id("scalar-chart")).to_have_count(1)

    # each data set was asked for once while the page loaded
    assert requests == {
        "/api/v1/tasks": 1,
        "/api/v1/scalars": 1,
        "/api/v1/plots": 1,
        "/api/v1/debug-samples": 1,
    }, requests

    # another iteration of one row: every run's figure at that iteration
    confusion.get_by_label("Iteration of confusion / val").select_option("1")
    expect(cells.and_(page.locator("[data-iteration='1']"))).to_have_count(8)
    expect(image_plots.get_by_test_id("compare-cell").first).not_to_have_attribute(
        "data-iteration", "1"
    )
