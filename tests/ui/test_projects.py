"""The projects page in a real browser: the tree with counts, search, create, rename."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Locator, Page, expect

from corral.testing.hub import Hub
from tests.factories import ok, task, unique
from tests.ui.conftest import login_context
from tests.ui.seed import Seeded


def _row(page: Page, name: str) -> Locator:
    """The tree row of the project named ``name`` (its full name: the link's title)."""
    return page.locator("tr", has=page.locator(f'a[title="{name}"]'))


def test_tree_shows_nested_projects_with_counts(page: Page, hub: Hub, seeded: Seeded) -> None:
    with hub.client() as api:
        for _ in range(2):
            task(api, f"{seeded.name}/cv/detect")
        task(api, f"{seeded.name}/cv")
    page.goto("/projects")
    page.get_by_label("Search projects").fill(seeded.name)
    root, cv, detect = seeded.name, f"{seeded.name}/cv", f"{seeded.name}/cv/detect"
    # the seeded project's 4 runs, plus 3 below it
    expect(_row(page, root).get_by_test_id("task-count")).to_have_text("7")
    expect(_row(page, cv).get_by_test_id("task-count")).to_have_text("3")
    expect(_row(page, detect).get_by_test_id("task-count")).to_have_text("2")
    expect(_row(page, detect)).to_contain_text("just now")
    expect(_row(page, root)).to_contain_text("seeded for the UI tests")

    # collapse and expand without the search (a hub of many projects starts collapsed)
    page.get_by_label("Search projects").fill("")
    page.get_by_role("button", name="Expand all").click()
    page.get_by_role("button", name=f"Collapse {cv}").click()
    expect(_row(page, detect)).to_have_count(0)
    page.get_by_role("button", name=f"Expand {cv}").click()
    expect(_row(page, detect)).to_have_count(1)

    # a project opens its experiments
    _row(page, detect).get_by_role("link", name="detect").click()
    expect(page).to_have_url(re.compile(r"/projects/[0-9a-f]{32}/experiments$"))
    expect(page.get_by_test_id("experiments-table")).to_have_attribute("data-total", "2")
    expect(page.get_by_role("navigation", name="Breadcrumbs")).to_contain_text("cv")
    page.get_by_role("navigation", name="Breadcrumbs").get_by_role("link", name="cv").click()
    expect(page.get_by_test_id("experiments-table")).to_have_attribute("data-total", "3")


def test_create_then_rename_and_describe_a_project(page: Page, hub: Hub) -> None:
    base = unique("ui-new")
    page.goto("/projects")
    page.get_by_role("button", name="New project").first.click()
    dialog = page.get_by_role("dialog", name="New project")
    dialog.get_by_label("Project name").fill(f"{base}/vision/detector")
    dialog.get_by_label("Description").fill("finds things")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog).to_have_count(0)
    expect(
        page.get_by_role("status").filter(has_text=f"Project {base}/vision/detector created")
    ).to_be_visible()
    page.get_by_label("Search projects").fill(base)
    # the parents were created too, and the new one shows under them
    expect(_row(page, f"{base}/vision/detector")).to_contain_text("finds things")
    expect(_row(page, f"{base}/vision")).to_have_count(1)

    page.get_by_role("button", name=f"Edit {base}/vision/detector").click()
    dialog = page.get_by_role("dialog", name=f"Edit project {base}/vision/detector")
    dialog.get_by_label("Project name").fill(f"{base}/vision/segmenter")
    dialog.get_by_label("Description").fill("draws outlines")
    dialog.get_by_role("button", name="Save").click()
    expect(_row(page, f"{base}/vision/segmenter")).to_contain_text("draws outlines")
    expect(_row(page, f"{base}/vision/detector")).to_have_count(0)

    with hub.client() as api:
        found = ok(api.get("/projects", params={"search": base}))
    by_name = {p["name"]: p for p in found}
    assert set(by_name) == {base, f"{base}/vision", f"{base}/vision/segmenter"}
    assert by_name[f"{base}/vision/segmenter"]["description"] == "draws outlines"


def test_create_refused_by_the_hub_shows_why(page: Page, hub: Hub, seeded: Seeded) -> None:
    page.goto("/projects")
    page.get_by_role("button", name="New project").first.click()
    dialog = page.get_by_role("dialog", name="New project")
    dialog.get_by_label("Project name").fill(seeded.name)
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_role("alert")).to_contain_text("already exists")
    expect(dialog).to_be_visible()


def test_a_hub_without_projects_says_how_to_start(browser: Browser, fresh_hub: Hub) -> None:
    context = login_context(browser, fresh_hub)
    try:
        page = context.new_page()
        page.goto("/projects")
        expect(page.get_by_test_id("empty")).to_contain_text("No projects yet")
        expect(page.get_by_test_id("empty")).to_contain_text("Task.init(")
        page.get_by_role("link", name="All experiments").click()
        expect(page.get_by_test_id("empty")).to_contain_text("No experiments yet")
    finally:
        context.close()
