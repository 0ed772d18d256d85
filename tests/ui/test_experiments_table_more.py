"""The experiments table for a working day: many columns, the side panel, the keyboard,
the context menu, value filters evaluated by the hub, and the CSV export.

The value-filter and CSV tests need the hub's ``filter`` parameter and
``GET /tasks/export`` (the query helper's side of issue 14); each stands alone so it is
easy to run by itself.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Locator, Page, expect

from corral.testing.hub import Hub
from tests.factories import ok, run_to, task, unique
from tests.ui.seed import Seeded

TABLE = "[data-testid=experiments-table]"
AREA = "[data-testid=experiments-scroll]"


def _open(page: Page, project_id: str, query: str = "") -> Locator:
    page.goto(f"/projects/{project_id}/experiments{query}")
    table = page.locator(TABLE)
    expect(table).to_be_visible()
    return table


def _row(page: Page, name: str) -> Locator:
    return page.locator(f"{TABLE} [role=row][data-task-id]").filter(
        has=page.get_by_role("link", name=name, exact=True)
    )


def _names(page: Page) -> Locator:
    return page.locator(f"{TABLE} [role=row][data-task-id] [data-column=name] a")


def _preset_columns(page: Page, project_id: str, ids: list[str]) -> None:
    """Columns chosen for the project as the picker would keep them (localStorage), from the
    first load on; what the test changes later stays (the preset is written only once)."""
    key = json.dumps(f"corral.experiments.columns.{project_id}")
    page.add_init_script(
        f"if (!localStorage.getItem({key})) localStorage.setItem({key}, {json.dumps(json.dumps(ids))});"
    )


def _header_ids(page: Page) -> list[str]:
    return page.locator(f"{TABLE} [role=columnheader][data-column]").evaluate_all(
        "cells => cells.map(c => c.dataset.column)"
    )


def _box(locator: Locator) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None
    return box


def test_a_wide_table_scrolls_in_its_own_area_and_keeps_its_layout(page: Page, hub: Hub) -> None:
    project = unique("ui-wide")
    params = {f"p{i:02d}": {"value": i * 1.5, "type": "float"} for i in range(20)}
    with hub.client() as api:
        made = [
            task(api, project, name=f"wide-{i:02d}", hyperparams={"Args": params})
            for i in range(24)
        ]
        run_to(api, made[-1]["id"], "in_progress")
    project_id = made[0]["project_id"]
    extra = [f"param:Args:p{i:02d}" for i in range(20)]
    _preset_columns(page, project_id, ["status", "name", "type", "started", *extra])
    _open(page, project_id)
    expect(page.locator(f"{TABLE} [role=columnheader][data-column]")).to_have_count(24)
    newest = _row(page, "wide-23")
    expect(newest.locator("[data-column='param:Args:p19']")).to_have_text("28.5")

    # the page never scrolls sideways: the table's own area does
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    area = page.locator(AREA)
    assert area.evaluate("a => a.scrollWidth > a.clientWidth + 1000")
    # a compact start time, the full date on hover
    started = newest.locator("[data-column=started] time")
    expect(started).to_have_text(re.compile(r"^(just now|\d+ min ago)$"))
    expect(started).to_have_attribute("title", re.compile(r"\d{4}"))

    area_box = _box(area)
    status_x = _box(newest.locator("[data-column=status]"))["x"]
    name_x = _box(newest.locator("[data-column=name]"))["x"]
    area.evaluate("a => { a.scrollLeft = a.scrollWidth; a.scrollTop = a.scrollHeight; }")
    expect(page.locator(f"{TABLE} [role=row][data-task-id]").last).to_contain_text("wide-00")
    oldest = _row(page, "wide-00")
    expect(oldest.locator("[data-column='param:Args:p19']")).to_be_in_viewport()
    # pinned: status and name stay where they were, the header stays at the top
    assert abs(_box(oldest.locator("[data-column=status]"))["x"] - status_x) < 1.5
    assert abs(_box(oldest.locator("[data-column=name]"))["x"] - name_x) < 1.5
    expect(oldest.get_by_role("link", name="wide-00")).to_be_in_viewport()
    header = page.get_by_role("columnheader", name="Name")
    assert abs(_box(header)["y"] - area_box["y"]) < 1.5
    assert abs(_box(header)["x"] - name_x) < 1.5
    assert page.evaluate("window.scrollX") == 0
    expect(page.locator("header.topbar")).to_be_in_viewport()
    area.evaluate("a => { a.scrollLeft = 0; a.scrollTop = 0; }")

    # resize by the header's edge (never below the minimum)
    p00 = page.locator(f"{TABLE} [role=columnheader][data-column='param:Args:p00']")
    before = int(p00.get_attribute("data-width") or 0)
    handle = _box(page.get_by_role("separator", name="Resize Args/p00"))
    x, y = handle["x"] + 3, handle["y"] + 10
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 80, y + 4, steps=5)
    page.mouse.up()
    expect(p00).to_have_attribute("data-width", str(before + 80))
    name_handle = _box(page.get_by_role("separator", name="Resize Name"))
    page.mouse.move(name_handle["x"] + 3, name_handle["y"] + 10)
    page.mouse.down()
    page.mouse.move(name_handle["x"] - 600, name_handle["y"] + 10, steps=5)
    page.mouse.up()
    expect(page.locator(f"{TABLE} [role=columnheader][data-column=name]")).to_have_attribute(
        "data-width", "120"
    )
    # move by dragging a header onto another; the pinned ones do not move
    page.locator(f"{TABLE} [role=columnheader][data-column='param:Args:p02']").drag_to(
        page.locator(f"{TABLE} [role=columnheader][data-column=type]")
    )
    expect(page.locator(f"{TABLE} [role=columnheader][data-column]").nth(2)).to_have_attribute(
        "data-column", "param:Args:p02"
    )
    # hide one of the default columns, and move one in the picker
    page.get_by_role("button", name="Columns…").click()
    picker = page.get_by_role("dialog", name="Columns")
    picker.get_by_role("checkbox", name="Type", exact=True).uncheck()
    expect(picker.get_by_role("checkbox", name="Name", exact=True)).to_be_disabled()
    picker.get_by_role("button", name="Move Started left").click()
    picker.get_by_role("button", name="Done").click()
    expected = [
        "status",
        "name",
        "started",
        "param:Args:p02",
        *[c for c in extra if c != "param:Args:p02"],
    ]
    assert _header_ids(page) == expected

    # all of it is kept for the project
    page.reload()
    expect(page.locator(f"{TABLE} [role=columnheader][data-column]")).to_have_count(23)
    assert _header_ids(page) == expected
    expect(p00).to_have_attribute("data-width", str(before + 80))
    expect(page.locator(f"{TABLE} [role=columnheader][data-column=name]")).to_have_attribute(
        "data-width", "120"
    )
    # the name is cut with an ellipsis, the whole of it on hover
    expect(newest.get_by_role("link", name="wide-23")).to_have_attribute("title", "wide-23")
    page.get_by_role("button", name="Columns…").click()
    picker.get_by_role("button", name="Reset columns").click()
    picker.get_by_role("button", name="Done").click()
    assert _header_ids(page) == [
        "status", "name", "type", "tags", "user", "started", "duration", "queue", "worker"
    ]  # fmt: skip
    expect(page.locator(f"{TABLE} [role=columnheader][data-column=name]")).to_have_attribute(
        "data-width", "260"
    )


def test_info_panel_keyboard_and_context_menu(page: Page, hub: Hub, seeded: Seeded) -> None:
    _open(page, seeded.project["id"])
    expect(_names(page)).to_have_text(["broken", "draft", "wide", "baseline"])
    panel = page.get_by_role("complementary", name="Experiment details")
    wide = seeded.tasks["wide"]

    # a row click opens the panel and does not navigate
    _row(page, "wide").locator("[data-column=type]").click()
    expect(panel.get_by_role("heading", level=2)).to_have_text("wide")
    assert page.url.endswith(f"/projects/{seeded.project['id']}/experiments")
    expect(panel.get_by_role("table", name="Hyperparameters")).to_contain_text("Args/lr0.1")
    expect(panel.get_by_role("table", name="Last metrics")).to_contain_text("loss/train")
    tabs = panel.get_by_role("navigation", name="Experiment tabs").get_by_role("link")
    expect(tabs).to_have_text(
        ["Info", "Configuration", "Execution", "Console", "Scalars", "Plots", "Debug samples", "Artifacts", "Models"]
    )  # fmt: skip
    expect(tabs.nth(4)).to_have_attribute("href", f"/experiments/{wide['id']}/scalars")

    # j / k and the arrows move the highlighted row, the panel follows
    page.keyboard.press("j")
    expect(panel.get_by_role("heading", level=2)).to_have_text("baseline")
    expect(_row(page, "baseline")).to_have_attribute("aria-current", "true")
    page.keyboard.press("k")
    page.keyboard.press("k")
    expect(panel.get_by_role("heading", level=2)).to_have_text("draft")
    page.keyboard.press("ArrowDown")
    expect(panel.get_by_role("heading", level=2)).to_have_text("wide")
    # x selects the highlighted row
    page.keyboard.press("x")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("x")
    expect(page.get_by_test_id("selected-count")).to_have_text("2 selected")
    expect(_row(page, "draft").get_by_label("Select draft")).to_be_checked()
    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    expect(_row(page, "draft")).to_have_attribute("aria-current", "true")

    # the context menu of a failed run: only what its status allows
    broken = _row(page, "broken")
    broken.locator("[data-column=type]").click(button="right")
    menu = page.get_by_role("menu", name="Actions on broken")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("menuitem", name="Open", exact=True)).to_be_focused()
    expect(menu.get_by_role("menuitem", name="Abort…")).to_have_count(0)
    expect(menu.get_by_role("menuitem", name="Restore")).to_have_count(0)
    expect(menu.get_by_role("menuitem", name="Open in new tab")).to_have_attribute(
        "href", f"/experiments/{seeded.tasks['broken']['id']}"
    )
    page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitem", name="Open in new tab")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_have_count(0)
    # a click elsewhere closes it too
    broken.locator("[data-column=type]").click(button="right")
    expect(menu).to_be_visible()
    page.get_by_role("heading", level=1).click()
    expect(menu).to_have_count(0)
    # archive through it
    broken.locator("[data-column=type]").click(button="right")
    menu.get_by_role("menuitem", name="Archive").click()
    expect(page.get_by_role("status").filter(has_text="1 task archived")).to_be_visible()
    expect(_names(page)).to_have_text(["draft", "wide", "baseline"])
    with hub.client() as api:
        assert ok(api.get(f"/tasks/{seeded.tasks['broken']['id']}"))["archived"] is True

    # "/" goes to the search box; c compares the selection; Enter opens the highlighted row
    page.keyboard.press("/")
    expect(page.get_by_label("Search experiments")).to_be_focused()
    page.get_by_role("heading", level=1).click()
    page.keyboard.press("c")
    expect(page).to_have_url(re.compile(r"/compare\?ids="))
    ids = parse_qs(urlparse(page.url).query)["ids"][0].split(",")
    assert ids == [seeded.tasks["draft"]["id"], wide["id"]]
    page.go_back()
    expect(_names(page)).to_have_count(3)
    page.keyboard.press("j")
    expect(_row(page, "draft")).to_have_attribute("aria-current", "true")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/experiments/{seeded.tasks['draft']['id']}$"))
    # a double click opens a row's page too
    page.go_back()
    _row(page, "wide").locator("[data-column=type]").dblclick()
    expect(page).to_have_url(re.compile(rf"/experiments/{wide['id']}$"))


def test_value_filters_are_evaluated_by_the_hub(page: Page, hub: Hub, seeded: Seeded) -> None:
    project_id = seeded.project["id"]
    _preset_columns(page, project_id, ["status", "name", "param:Args:lr", "metric:loss:train:last"])
    # a link with a filter shows what the hub selects (wide has lr 0.1, broken none)
    _open(page, project_id, "?filter=param:Args:lr>0.05")
    expect(_names(page)).to_have_text(["wide"])
    chips = page.get_by_role("list", name="Value filters")
    expect(chips.get_by_role("listitem")).to_have_text([re.compile(r"^Args/lr > 0\.05")])
    chips.get_by_role("button", name="Remove the filter Args/lr > 0.05").click()
    expect(_names(page)).to_have_count(4)

    # from a column header: a range on the learning rate
    page.get_by_role("button", name="Filter on Args/lr").click()
    dialog = page.get_by_role("dialog", name="Filter on a value")
    expect(dialog.get_by_label("Filter on")).to_have_value("param:Args:lr")
    dialog.get_by_label("Condition").select_option("range")
    dialog.get_by_label("From").fill("0.005")
    dialog.get_by_label("To").fill("0.05")
    dialog.get_by_role("button", name="Apply").click()
    expect(_names(page)).to_have_text(["draft", "baseline"])
    # from the bar: a metric's last value, combined with the range and the text search
    page.get_by_role("button", name="Value filter…").click()
    dialog.get_by_label("Filter on").select_option("metric:loss:train:last")
    dialog.get_by_label("Operator").select_option("<")
    dialog.get_by_label("Value").fill("x")
    dialog.get_by_role("button", name="Apply").click()
    expect(dialog.get_by_role("alert")).to_have_text("Enter a number.")
    dialog.get_by_label("Value").fill("0.03")
    dialog.get_by_role("button", name="Apply").click()
    expect(_names(page)).to_have_text(["baseline"])
    filters = parse_qs(urlparse(page.url).query)["filter"]
    assert filters == ["param:Args:lr=0.005..0.05", "metric:loss:train:last<0.03"]
    with hub.client() as api:
        listed = ok(api.get("/tasks", params={"project_id": project_id, "filter": filters}))
    assert [t["name"] for t in listed["items"]] == ["baseline"]
    page.get_by_label("Search experiments").fill("nothing-like-it")
    expect(page.get_by_test_id("empty")).to_be_visible()
    page.get_by_label("Search experiments").fill("")
    expect(_names(page)).to_have_text(["baseline"])
    # the link reproduces the view
    page.reload()
    expect(_names(page)).to_have_text(["baseline"])
    expect(chips.get_by_role("listitem")).to_have_count(2)
    # a set of texts
    page.goto(f"/projects/{project_id}/experiments?filter=" + 'param:General:optimizer=["sgd"]')
    expect(_names(page)).to_have_text(["wide"])

    # a filter the hub refuses (a metric key without last/min/max): its reason by the chip
    page.goto(f"/projects/{project_id}/experiments?filter=metric:loss:train>1")
    bad = chips.get_by_role("listitem")
    expect(bad.get_by_role("alert")).to_be_visible()
    expect(bad).to_have_class(re.compile("xp-bad"))
    with hub.client() as api:
        refused = api.get(
            "/tasks", params={"project_id": project_id, "filter": "metric:loss:train>1"}
        )
    assert refused.status_code == 422
    expect(bad.get_by_role("alert")).to_have_text(refused.json()["detail"])


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


def test_csv_export_matches_the_api(page: Page, hub: Hub, seeded: Seeded) -> None:
    project_id = seeded.project["id"]
    columns = ["status", "name", "param:Args:lr", "metric:loss:train:last", "started"]
    _preset_columns(page, project_id, columns)
    page.goto(f"/projects/{project_id}/experiments?sort=name&status=completed&status=created")
    expect(_names(page)).to_have_text(["baseline", "draft", "wide"])
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    download = info.value
    path = download.path()
    assert path is not None
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    with hub.client() as api:
        listed: list[dict[str, Any]] = ok(
            api.get(
                "/tasks",
                params={
                    "project_id": project_id,
                    "sort": "name",
                    "status": ["completed", "created"],
                    "include_hyperparams": True,
                },
            )
        )["items"]
    assert rows and list(rows[0]) == [
        "status",
        "name",
        "Args/lr",
        "loss/train (last)",
        "started_at",
    ]
    assert [r["name"] for r in rows] == [t["name"] for t in listed] == ["baseline", "draft", "wide"]
    for row, t in zip(rows, listed, strict=True):
        assert row["status"] == t["status"]
        lr = (t.get("hyperparams") or {}).get("Args", {}).get("lr", {}).get("value")
        assert _number(row["Args/lr"]) == lr
        loss = t["last_metrics"].get("loss", {}).get("train", {}).get("last")
        assert _number(row["loss/train (last)"]) == loss, json.dumps(row)
        assert bool(row["started_at"]) == bool(t["started_at"])
