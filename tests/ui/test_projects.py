"""The projects page in a real browser: the tree with counts, search, create, rename,
a project's overview, archive and delete."""

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

    # a project's count opens its experiments (its name, its overview)
    _row(page, detect).get_by_role("link", name=f"Experiments of {detect}").click()
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


def test_overview_counts_best_runs_and_description(page: Page, hub: Hub, seeded: Seeded) -> None:
    pid = seeded.project["id"]
    with hub.client() as api:
        want = ok(api.get(f"/projects/{pid}/overview"))
    page.goto("/projects")
    page.get_by_label("Search projects").fill(seeded.name)
    _row(page, seeded.name).get_by_role("link", name=seeded.name, exact=True).click()
    expect(page).to_have_url(re.compile(f"/projects/{pid}$"))
    overview = page.get_by_test_id("project-overview")
    total = sum(want["counts"].values())
    expect(overview.get_by_test_id("count-total")).to_contain_text(str(total))
    assert want["counts"] == {"completed": 2, "created": 1, "failed": 1}
    expect(overview.get_by_test_id("count-completed")).to_contain_text("2")
    expect(overview.get_by_test_id("count-created")).to_contain_text("1")
    expect(overview.get_by_test_id("count-failed")).to_contain_text("1")
    expect(overview.get_by_test_id("count-models")).to_contain_text("1")
    expect(overview.get_by_role("region", name="Running now")).to_contain_text("Nothing runs")
    recent = overview.get_by_role("region", name="Recent runs")
    for name in ("baseline", "wide", "draft", "broken"):
        expect(recent.get_by_role("link", name=name, exact=True)).to_be_visible()

    # best by the last accuracy, remembered for this project
    best = overview.get_by_role("region", name="Best runs")
    best.get_by_label("Metric", exact=True).select_option("accuracy:val")
    best.get_by_label("Value", exact=True).select_option("max")
    expect(best.get_by_role("table").get_by_role("link")).to_have_text(["baseline"])
    expect(best.get_by_test_id("best-value")).to_have_text("0.99")
    page.reload()
    expect(best.get_by_label("Metric", exact=True)).to_have_value("accuracy:val")
    expect(best.get_by_label("Value", exact=True)).to_have_value("max")
    best.get_by_label("Metric", exact=True).select_option("loss:train")
    best.get_by_label("Value", exact=True).select_option("last")
    best.get_by_label("Order", exact=True).select_option("min")
    expect(best.get_by_role("table").get_by_role("link")).to_have_text(["baseline", "wide"])

    described = unique("described")
    description = overview.get_by_role("region", name="Description")
    description.get_by_role("button", name="Edit").click()
    description.get_by_label("Project description").fill(described)
    description.get_by_role("button", name="Save").click()
    expect(description).to_contain_text(described)
    with hub.client() as api:
        assert ok(api.get(f"/projects/{pid}"))["description"] == described

    overview.get_by_role("link", name=re.compile("^Experiments")).click()
    expect(page.get_by_test_id("experiments-table")).to_have_attribute("data-total", "4")


def test_archive_restore_and_delete_with_confirmation(page: Page, hub: Hub) -> None:
    root = unique("ui-shelf")
    with hub.client() as api:
        task(api, root)
        task(api, f"{root}/sub")
        project = ok(api.get("/projects", params={"name": root}))[0]
    page.goto("/projects")
    search = page.get_by_label("Search projects")
    search.fill(root)
    page.get_by_role("button", name=f"Archive {root}", exact=True).click()
    dialog = page.get_by_role("dialog", name=f"Archive project {root}?")
    dialog.get_by_role("button", name="Archive").click()
    expect(_row(page, root)).to_have_count(0)
    expect(_row(page, f"{root}/sub")).to_have_count(0)

    page.get_by_label("Archived").check()
    search.fill(root)
    expect(_row(page, root)).to_have_count(1)
    page.get_by_role("button", name=f"Restore {root}", exact=True).click()
    page.get_by_role("dialog", name=f"Restore project {root}?").get_by_role(
        "button", name="Restore"
    ).click()
    expect(_row(page, root)).to_have_count(0)
    page.get_by_label("Archived").uncheck()
    expect(_row(page, root)).to_have_count(1)
    expect(_row(page, f"{root}/sub")).to_have_count(1)

    page.get_by_role("button", name=f"Delete {root}", exact=True).click()
    dialog = page.get_by_role("dialog", name=f"Delete project {root}?")
    expect(dialog.get_by_test_id("delete-scope")).to_contain_text(
        "2 experiments, 0 models and 1 subproject"
    )
    delete = dialog.get_by_role("button", name="Delete project")
    confirm = dialog.get_by_label("Type the name to confirm")
    confirm.fill(root + "x")
    expect(delete).to_be_disabled()
    confirm.press("Enter")  # a wrong name: Enter deletes nothing
    expect(dialog).to_be_visible()
    confirm.fill(root)
    expect(delete).to_be_enabled()
    confirm.press("Enter")
    expect(dialog).to_have_count(0)
    expect(_row(page, root)).to_have_count(0)
    with hub.client() as api:
        assert api.get(f"/projects/{project['id']}").status_code == 404
