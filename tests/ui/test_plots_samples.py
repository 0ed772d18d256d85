"""The Plots and Debug samples tabs in a real browser."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from corral.testing.hub import Hub
from tests.factories import ok, run_to, send_events, unique
from tests.ui.seed import PNG, Seeded

pytestmark = pytest.mark.sqlite_hub


def png(width: int, height: int) -> bytes:
    """A grey RGB PNG of that size (told apart from another by its width)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * 3 * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def open_tab(page: Page, task_id: str, tab: str) -> None:
    page.goto(f"/experiments/{task_id}/{tab}")
    expect(page.get_by_test_id("task-page")).to_be_visible()


def natural_width(page: Page, selector: str) -> int:
    page.wait_for_function(
        "s => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth > 0 }",
        arg=selector,
    )
    return int(page.eval_on_selector(selector, "i => i.naturalWidth"))


def test_plots_tab_draws_the_seeded_heatmap(page: Page, seeded: Seeded) -> None:
    open_tab(page, seeded.tasks["baseline"]["id"], "plots")
    card = page.get_by_role("region", name="confusion / val")
    expect(card.get_by_role("heading", name="confusion / val")).to_be_visible()
    expect(card.locator(".js-plotly-plot")).to_be_visible()
    expect(card.locator(".js-plotly-plot .heatmaplayer, .js-plotly-plot .hm")).not_to_have_count(0)
    expect(card.get_by_text("iteration 49")).to_be_visible()


def plot(title: str) -> dict[str, Any]:
    return {"data": [{"type": "bar", "y": [1, 2]}], "layout": {"title": {"text": title}}}


def test_plot_iteration_picker_shows_an_earlier_figure(page: Page, hub: Hub) -> None:
    with hub.client() as api:
        task = ok(api.post("/tasks", json={"name": "plots", "project": unique("ui-plots")}))
        run_to(api, task["id"], "in_progress")
        events = [
            {"type": "plot", "metric": "roc", "variant": "val", "iteration": it, "figure": plot(t)}
            for it, t in ((1, "early figure"), (7, "late figure"))
        ]
        ok(send_events(api, task["id"], events))
    open_tab(page, task["id"], "plots")
    card = page.get_by_role("region", name="roc / val")
    expect(card.locator(".js-plotly-plot .gtitle")).to_have_text("late figure")
    picker = card.get_by_label("Iteration of roc / val")
    picker.select_option("1")
    expect(card.locator(".js-plotly-plot .gtitle")).to_have_text("early figure")
    picker.select_option("7")
    expect(card.locator(".js-plotly-plot .gtitle")).to_have_text("late figure")


def test_a_task_without_plots_or_samples_says_so(page: Page, hub: Hub) -> None:
    with hub.client() as api:
        task = ok(api.post("/tasks", json={"name": "bare", "project": unique("ui-plots")}))
    open_tab(page, task["id"], "plots")
    expect(page.get_by_text("No plots reported yet")).to_be_visible()
    open_tab(page, task["id"], "debug-samples")
    expect(page.get_by_text("No debug samples reported yet")).to_be_visible()


def test_debug_sample_slider_switches_iterations(page: Page, seeded: Seeded) -> None:
    open_tab(page, seeded.tasks["baseline"]["id"], "debug-samples")
    card = page.get_by_role("region", name="inputs / image")
    image = card.get_by_role("img", name="inputs / image at iteration 49")
    expect(image).to_be_visible()
    expect(image).to_have_attribute(
        "src", f"/api/v1/files/tasks/{seeded.tasks['baseline']['id']}/debug/sample-49.png"
    )
    assert natural_width(page, "[data-iteration='49']") == 2

    slider = card.get_by_label("Iteration of inputs / image")
    slider.fill("0")
    expect(card.get_by_test_id("sample-iteration")).to_contain_text("iteration 10")
    expect(card.get_by_role("img", name="inputs / image at iteration 10")).to_be_visible()
    assert natural_width(page, "[data-iteration='10']") == 2
    slider.fill("1")
    expect(card.get_by_role("img", name="inputs / image at iteration 49")).to_be_visible()

    # click: the image full size, in a dialog
    card.get_by_role("button", name="Open inputs / image at iteration 49 full size").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("img")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)


def test_the_slider_shows_each_iteration_s_own_file(page: Page, hub: Hub) -> None:
    with hub.client() as api:
        task = ok(api.post("/tasks", json={"name": "samples", "project": unique("ui-samples")}))
        run_to(api, task["id"], "in_progress")
        events = []
        for it, data in ((10, PNG), (49, png(3, 1))):
            path = f"tasks/{task['id']}/debug/step-{it}.png"
            ok(api.put(f"/files/{path}", content=data))
            events.append(
                {
                    "type": "debug_sample",
                    "metric": "inputs",
                    "variant": "image",
                    "iteration": it,
                    "uri": f"hub://{path}",
                    "content_type": "image/png",
                }
            )
        events.append(
            {
                "type": "debug_sample",
                "metric": "audio",
                "variant": "clip",
                "iteration": 3,
                "uri": "s3://bucket/clip.wav",
            }
        )
        ok(send_events(api, task["id"], events))
    open_tab(page, task["id"], "debug-samples")
    card = page.get_by_role("region", name="inputs / image")
    image = card.locator("img.sample-image")
    expect(image).to_have_attribute("src", f"/api/v1/files/tasks/{task['id']}/debug/step-49.png")
    assert natural_width(page, "[data-iteration='49']") == 3
    card.get_by_label("Iteration of inputs / image").fill("0")
    expect(image).to_have_attribute("src", f"/api/v1/files/tasks/{task['id']}/debug/step-10.png")
    assert natural_width(page, "[data-iteration='10']") == 2
    # a file the browser cannot reach is named, not shown
    clip = page.get_by_role("region", name="audio / clip")
    expect(clip).to_contain_text("s3://bucket/clip.wav")


def _inside(inner: dict[str, float], outer: dict[str, float], slack: float = 1.0) -> bool:
    return (
        inner["x"] >= outer["x"] - slack
        and inner["y"] >= outer["y"] - slack
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack
    )


def _boxes(page: Page) -> list[dict[str, Any]]:
    """Each card's box, its figure's box and its svg's, and its axis titles' boxes."""
    return page.eval_on_selector_all(
        "[data-testid=plot-card]",
        """cards => cards.map(card => {
            const r = e => { const b = e.getBoundingClientRect();
                             return {x: b.x, y: b.y, width: b.width, height: b.height}; };
            const fig = card.querySelector("[data-testid=plot]");
            return {card: r(card), figure: r(fig), svg: r(fig.querySelector(".main-svg")),
                    titles: [...fig.querySelectorAll(".ytitle, .xtitle, .gtitle")].map(r)};
        })""",
    )


def test_figures_fit_their_cards_read_well_and_follow_the_theme(page: Page, hub: Hub) -> None:
    long_title = "validation accuracy per class after the learning rate warm-up, smoothed"
    matplotlib_like = {  # as the SDK converts a 640x480 matplotlib figure
        "data": [{"type": "scatter", "x": [0, 1, 2], "y": [0.1, 0.5, 0.9], "mode": "lines"}],
        "layout": {
            "width": 640,
            "height": 480,
            "title": {"text": long_title},
            "xaxis": {"title": {"text": "epoch"}},
            "yaxis": {"title": {"text": "accuracy of the validation set"}, "range": [0, 1000000]},
        },
    }
    # a heatmap as a script might report it: plotly's "Blues" (dark blue for few, light
    # grey for many) and every number in white
    heatmap = {
        "data": [
            {"type": "heatmap", "z": [[50, 1], [2, 40]], "x": ["cat", "dog"],
             "y": ["cat", "dog"], "colorscale": "Blues"}
        ],
        "layout": {
            "annotations": [
                {"x": x, "y": y, "text": str(v), "showarrow": False, "font": {"color": "white"}}
                for y, row in zip(["cat", "dog"], [[50, 1], [2, 40]], strict=True)
                for x, v in zip(["cat", "dog"], row, strict=True)
            ],
            "yaxis": {"title": {"text": "actual"}},
        },
    }  # fmt: skip
    with hub.client() as api:
        task = ok(api.post("/tasks", json={"name": "fit", "project": unique("ui-plots")}))
        run_to(api, task["id"], "in_progress")
        events = [
            {"type": "plot", "metric": "curves", "variant": "accuracy", "iteration": 0,
             "figure": matplotlib_like},
            {"type": "plot", "metric": "curves", "variant": "confusion", "iteration": 0,
             "figure": heatmap},
        ]  # fmt: skip
        ok(send_events(api, task["id"], events))

    scripts: list[dict[str, str]] = []
    page.on(
        "response",
        lambda r: (
            r.url.endswith(".js")
            and scripts.append({"url": r.url, "encoding": r.headers.get("content-encoding", "")})
        ),
    )
    open_tab(page, task["id"], "plots")
    expect(page.locator("[data-testid=plot][data-ready=true]")).to_have_count(2)

    # the main bundle has no plotly; plotly is its own chunk, sent compressed
    main = [s for s in scripts if "/assets/index-" in s["url"]]
    plotly = [s for s in scripts if "plotly" in s["url"]]
    assert len(main) == 1 and len(plotly) == 1, scripts
    assert plotly[0]["encoding"] == "br" and main[0]["encoding"] == "br"
    main_js = page.request.get(main[0]["url"]).text()
    plotly_js = page.request.get(plotly[0]["url"]).text()
    for marker in ("Plotly.register", "heatmaplayer"):  # two strings of plotly's code
        assert marker in plotly_js and marker not in main_js

    # fit: each figure (and its drawing) inside its card, labels inside the figure, at a
    # wide and at a narrow window
    widths = []
    for viewport in ({"width": 1400, "height": 900}, {"width": 900, "height": 900}):
        page.set_viewport_size(viewport)
        page.wait_for_function(
            """() => [...document.querySelectorAll("[data-testid=plot]")].every(f => {
                const svg = f.querySelector(".main-svg");
                return svg && Math.abs(svg.getBoundingClientRect().width - f.clientWidth) < 2;
            })"""
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        boxes = _boxes(page)
        for b in boxes:
            assert _inside(b["figure"], b["card"]), b
            assert _inside(b["svg"], b["card"]), b
            assert b["titles"], b
            for title in b["titles"]:
                assert _inside(title, b["figure"]), (title, b["figure"])
        widths.append(boxes[0]["figure"]["width"])
        # the 640x480 figure keeps its aspect ratio, not its pixels
        ratio = boxes[0]["figure"]["width"] / boxes[0]["figure"]["height"]
        assert abs(ratio - 640 / 480) < 0.05 or boxes[0]["figure"]["height"] in (240, 640)
    assert widths[1] != widths[0]  # redrawn to the new width (one column at 900 px)
    page.screenshot(path="/tmp/plots-fit.png", full_page=True)

    # contrast: dark text on the light cell (40, 50: light grey), light text on the dark one
    def fill(text: str) -> str:
        card = page.get_by_role("region", name="curves / confusion")
        note = card.locator(".annotation-text", has_text=text).first
        return str(note.evaluate("e => getComputedStyle(e).fill"))

    expect(page.locator("[data-testid=plot][data-ready=true]")).to_have_count(2)
    assert fill("50") == fill("40") == "rgb(17, 17, 17)"
    assert fill("1") == fill("2") == "rgb(255, 255, 255)"

    # the theme: the figure's background follows --panel, redrawn when data-theme changes
    page.evaluate(
        """() => { document.documentElement.style.setProperty("--panel", "#101418");
                  document.documentElement.dataset.theme = "dark"; }"""
    )
    page.wait_for_function(
        """() => [...document.querySelectorAll("[data-testid=plot]")].every(f =>
                 getComputedStyle(f.querySelector(".main-svg")).backgroundColor === "rgb(16, 20, 24)")"""
    )
