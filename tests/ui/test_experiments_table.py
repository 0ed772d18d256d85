"""The experiments table in a real browser: sort, filters, columns, selection, actions.

Each test reads the seeded project (or builds its own through the API) and checks what
the table shows against what the hub says.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Locator, Page, expect

from corral.testing.hub import Hub
from tests.factories import ok, run_to, task, unique
from tests.ui.seed import Seeded

TABLE = "[data-testid=experiments-table]"


def _open(page: Page, project_id: str, query: str = "") -> Locator:
    page.goto(f"/projects/{project_id}/experiments{query}")
    table = page.locator(TABLE)
    expect(table).to_be_visible()
    return table


def _cells(page: Page, column: str) -> Locator:
    """The cells of one column, in row order."""
    return page.locator(f"{TABLE} [role=row][data-task-id] [data-column='{column}']")


def _row(page: Page, name: str) -> Locator:
    return page.locator(f"{TABLE} [role=row][data-task-id]").filter(
        has=page.get_by_role("link", name=name, exact=True)
    )


def test_sort_by_clicking_a_header_both_ways(page: Page, seeded: Seeded) -> None:
    table = _open(page, seeded.project["id"])
    expect(table).to_have_attribute("data-total", "4")
    expect(page.get_by_test_id("experiments-total")).to_have_text("4 experiments")
    names = _cells(page, "name").locator("a")
    # newest first by default
    expect(names).to_have_text(["broken", "draft", "wide", "baseline"])
    page.get_by_role("button", name="Name", exact=True).click()
    expect(names).to_have_text(["baseline", "broken", "draft", "wide"])
    expect(page.get_by_role("columnheader", name="Name")).to_have_attribute(
        "aria-sort", "ascending"
    )
    assert "sort=name" in page.url
    page.get_by_role("button", name="Name", exact=True).click()
    expect(names).to_have_text(["wide", "draft", "broken", "baseline"])
    assert "sort=-name" in page.url
    # the sort is in the URL: a reload (or a shared link) shows the same order
    page.reload()
    expect(names).to_have_text(["wide", "draft", "broken", "baseline"])
    # a header of the hub's own kind: status (created < completed < failed as text)
    page.get_by_role("button", name="Status", exact=True).click()
    expect(_cells(page, "status")).to_have_text(["completed", "completed", "draft", "failed"])


def test_filter_by_status_and_by_text(page: Page, seeded: Seeded) -> None:
    _open(page, seeded.project["id"])
    names = _cells(page, "name").locator("a")
    filters = page.get_by_role("search", name="Filters")
    filters.get_by_role("button", name="Status").click()
    page.get_by_role("group", name="Status").get_by_label("failed").check()
    expect(names).to_have_text(["broken"])
    page.get_by_role("group", name="Status").get_by_label("completed").check()
    expect(names).to_have_text(["broken", "wide", "baseline"])
    assert parse_qs(urlparse(page.url).query)["status"] == ["failed", "completed"]
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Clear filters").click()
    expect(names).to_have_count(4)

    page.get_by_label("Search experiments").fill("WID")
    expect(names).to_have_text(["wide"])
    expect(page.get_by_test_id("experiments-total")).to_have_text("1 experiment")
    page.reload()
    expect(names).to_have_text(["wide"])
    expect(page.get_by_label("Search experiments")).to_have_value("WID")

    page.get_by_label("Search experiments").fill("no-such-experiment")
    expect(page.get_by_test_id("empty")).to_contain_text("No experiment matches these filters")
    page.get_by_test_id("empty").get_by_role("button", name="Clear filters").click()
    expect(names).to_have_count(4)


def test_hyperparameter_and_metric_columns_show_and_sort(page: Page, seeded: Seeded) -> None:
    _open(page, seeded.project["id"])
    page.get_by_role("button", name="Columns…").click()
    picker = page.get_by_role("dialog", name="Columns")
    picker.get_by_role("group", name="Hyperparameters").get_by_label("Args/lr").check()
    picker.get_by_label("loss/train last").check()
    picker.get_by_role("checkbox", name="Worker", exact=True).uncheck()
    picker.get_by_role("button", name="Done").click()

    lr = _cells(page, "param:Args:lr")
    expect(_row(page, "baseline").locator("[data-column='param:Args:lr']")).to_have_text("0.01")
    expect(_row(page, "wide").locator("[data-column='param:Args:lr']")).to_have_text("0.1")
    expect(page.get_by_role("columnheader", name="Worker")).to_have_count(0)

    header = page.get_by_role("button", name="Args/lr", exact=True)
    header.click()
    # draft is a clone of baseline (0.01); broken has no lr: last either way
    expect(lr).to_have_text(["0.01", "0.01", "0.1", "—"])
    header.click()
    expect(lr).to_have_text(["0.1", "0.01", "0.01", "—"])
    expect(_cells(page, "name").locator("a").first).to_have_text("wide")

    loss = _cells(page, "metric:loss:train:last")
    page.get_by_role("button", name="loss/train (last)", exact=True).click()
    expect(loss).to_have_text(["0.02", "0.04", "—", "—"])
    page.get_by_role("button", name="loss/train (last)", exact=True).click()
    expect(loss).to_have_text(["0.04", "0.02", "—", "—"])

    # the chosen columns are kept for this project
    page.reload()
    expect(page.get_by_role("columnheader", name="Args/lr")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Worker")).to_have_count(0)


def test_abort_a_running_task_from_the_table(page: Page, hub: Hub, seeded: Seeded) -> None:
    with hub.client() as api:
        running = task(api, seeded.name, name="running-one")
        run_to(api, running["id"], "in_progress")
    _open(page, seeded.project["id"])
    row = _row(page, "running-one")
    expect(row.locator("[data-column=status]")).to_have_text("running")
    row.get_by_label("Select running-one").check()
    expect(page.get_by_test_id("selected-count")).to_have_text("1 selected")
    # the table asks first: Cancel changes nothing
    page.get_by_role("toolbar").get_by_role("button", name="Abort").click()
    dialog = page.get_by_role("dialog", name="Abort 1 experiment")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    with hub.client() as api:
        assert ok(api.get(f"/tasks/{running['id']}"))["status"] == "in_progress"
    page.get_by_role("toolbar").get_by_role("button", name="Abort").click()
    dialog.get_by_role("button", name="Abort").click()
    expect(page.get_by_role("status").filter(has_text="1 task aborted")).to_be_visible()
    expect(row.locator("[data-column=status]")).to_have_text("aborted")
    with hub.client() as api:
        assert ok(api.get(f"/tasks/{running['id']}"))["status"] == "stopped"


def test_bulk_tag_and_archive_then_restore(page: Page, hub: Hub, seeded: Seeded) -> None:
    _open(page, seeded.project["id"])
    tag = unique("bulk")
    for name in ("baseline", "wide"):
        _row(page, name).get_by_label(f"Select {name}").check()
    page.get_by_role("toolbar").get_by_role("button", name="Tags…").click()
    dialog = page.get_by_role("dialog", name="Tags of 2 tasks")
    dialog.get_by_label("Add tags").fill(tag)
    dialog.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status").filter(has_text="2 tasks tagged")).to_be_visible()
    for name in ("baseline", "wide"):
        expect(_row(page, name).locator("[data-column=tags]")).to_contain_text(tag)
    with hub.client() as api:
        tagged = ok(api.get("/tasks", params={"tag": tag}))["items"]
        assert {t["name"] for t in tagged} == {"baseline", "wide"}
        # the other tags stay
        assert "best" in next(t for t in tagged if t["name"] == "baseline")["tags"]

    # archive the two, find them in the archive, restore them
    page.get_by_role("toolbar").get_by_role("button", name="Archive").click()
    expect(_cells(page, "name").locator("a")).to_have_text(["broken", "draft"])
    expect(page.get_by_test_id("selected-count")).to_have_text("Select experiments to act on them")
    page.get_by_label("Show archived").check()
    expect(_cells(page, "name").locator("a")).to_have_text(["wide", "baseline"])
    page.get_by_label("Select all loaded experiments").check()
    page.get_by_role("toolbar").get_by_role("button", name="Restore").click()
    expect(page.get_by_test_id("empty")).to_contain_text("No archived experiment matches")
    with hub.client() as api:
        assert ok(api.get("/tasks", params={"tag": tag}))["items"][0]["archived"] is False


def test_shift_click_selects_a_range_and_compare_opens_them(page: Page, seeded: Seeded) -> None:
    _open(page, seeded.project["id"], "?sort=name")
    names = _cells(page, "name").locator("a")
    expect(names).to_have_text(["baseline", "broken", "draft", "wide"])
    compare = page.get_by_role("toolbar").get_by_role("button", name="Compare")
    _row(page, "baseline").get_by_label("Select baseline").click()
    expect(compare).to_be_disabled()
    _row(page, "draft").get_by_label("Select draft").click(modifiers=["Shift"])
    expect(page.get_by_test_id("selected-count")).to_have_text("3 selected")
    expect(_row(page, "broken").get_by_label("Select broken")).to_be_checked()
    expect(_row(page, "wide").get_by_label("Select wide")).not_to_be_checked()
    compare.click()
    expect(page).to_have_url(re.compile(r"/compare\?ids="))
    ids = parse_qs(urlparse(page.url).query)["ids"][0].split(",")
    assert ids == [seeded.tasks[n]["id"] for n in ("baseline", "broken", "draft")]


def test_scrolling_loads_the_next_pages(page: Page, hub: Hub) -> None:
    project = unique("ui-many")
    with hub.client() as api:
        created = [task(api, project, name=f"run-{i:03d}") for i in range(120)]
    table = _open(page, created[0]["project_id"])
    expect(table).to_have_attribute("data-total", "120")
    expect(page.get_by_test_id("experiments-total")).to_have_text("120 experiments")
    # the first page only, and only the rows in view are in the page
    expect(table).to_have_attribute("data-loaded", "100")
    assert table.locator("[role=row][data-task-id]").count() < 100
    # the table scrolls in its own area: scroll it to the end of what is loaded until the
    # next page has come (each poll scrolls again: the area grows when the rows arrive)
    page.wait_for_function(
        """table => {
            const area = table.querySelector("[data-testid=experiments-scroll]");
            area.scrollTop = area.scrollHeight;
            return table.dataset.loaded === "120";
        }""",
        arg=table.element_handle(),
    )
    page.mouse.move(700, 500)
    page.mouse.wheel(0, 10_000)
    oldest = table.locator(f"[role=row][data-task-id='{created[0]['id']}']")
    expect(oldest).to_be_visible()
    expect(oldest).to_contain_text("run-000")


def test_a_list_the_hub_refuses_says_why_and_recovers(page: Page, seeded: Seeded) -> None:
    page.goto(f"/projects/{seeded.project['id']}/experiments?sort=param:Args")
    expect(page.get_by_role("alert")).to_contain_text("Could not load the experiments")
    expect(page.get_by_role("alert")).to_contain_text("cannot sort by 'param:Args'")
    page.get_by_role("button", name="Sort by creation").click()
    expect(page.locator(TABLE)).to_have_attribute("data-total", "4")
    expect(page.get_by_role("alert")).to_have_count(0)


def test_all_experiments_lists_every_project_with_a_project_column(
    page: Page, hub: Hub, seeded: Seeded
) -> None:
    with hub.client() as api:
        other = task(api, unique("ui-other"), name=unique("elsewhere"))
    page.goto(f"/experiments?q={other['name']}")
    expect(_cells(page, "name").locator("a")).to_have_text([other["name"]])
    with hub.client() as api:
        project_name = ok(api.get(f"/projects/{other['project_id']}"))["name"]
    expect(_cells(page, "project")).to_have_text([project_name])
    page.goto("/experiments?q=baseline")
    expect(page.get_by_role("heading", name="All experiments")).to_be_visible()
    expect(_row(page, "baseline").first).to_be_visible()
    # the project's link opens that project's table
    page.goto(f"/experiments?q={other['name']}")
    _cells(page, "project").get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/projects/{other['project_id']}/experiments"))


def test_the_table_follows_changes_made_elsewhere(page: Page, hub: Hub, seeded: Seeded) -> None:
    table = _open(page, seeded.project["id"])
    expect(table).to_have_attribute("data-total", "4")
    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "live")
    with hub.client() as api:
        new = task(api, seeded.name, name="from-a-script")
        run_to(api, new["id"], "in_progress")
    expect(table).to_have_attribute("data-total", "5")
    expect(_row(page, "from-a-script").locator("[data-column=status]")).to_have_text("running")
    with hub.client() as api:
        run_to_done = ok(api.post(f"/tasks/{new['id']}:complete", json={}))
    assert run_to_done["status"] == "completed"
    expect(_row(page, "from-a-script").locator("[data-column=status]")).to_have_text("completed")
