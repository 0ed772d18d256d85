"""The Datasets section in a real browser against a real hub: the list, a version's
graph, stats, metadata, file browser, diff and lineage, and the dark theme."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from corral.testing.hub import ADMIN_PASSWORD, Hub
from tests.ui.conftest import WAIT_MS, login_context
from tests.ui.seed_datasets import (
    DATA_FILES,
    LABELS,
    METADATA_PREVIEW,
    WEIGHTS,
    SeededDataset,
    seed_datasets,
    sha256,
)

pytestmark = pytest.mark.sqlite_hub

#: the first version's files: data/ plus labels/train.csv, models/weights.bin, readme.txt
FIRST_TOTAL = DATA_FILES + 3


@pytest.fixture
def dataset(api: httpx.Client) -> SeededDataset:
    return seed_datasets(api)


def row_range(first: int, last: int) -> str:
    """The pager's words for rows ``first`` to ``last`` of the first version."""
    return f"rows {first}\u2013{last} of {FIRST_TOTAL}"


def vid(ds: SeededDataset, version: str) -> str:
    return str(ds.versions[version]["id"])


def test_datasets_list_shows_the_dataset_and_opens_its_latest_version(
    page: Page, dataset: SeededDataset
) -> None:
    page.goto("/projects")
    expect(page.get_by_label("Search projects")).to_be_visible()
    page.keyboard.press("g")
    page.keyboard.press("d")
    expect(page.get_by_role("heading", name="Datasets", level=1)).to_be_visible()
    page.get_by_label("Search datasets").fill(dataset.name)
    page.get_by_label("Project").select_option(label=dataset.project)
    rows = page.get_by_test_id("dataset-row")
    expect(rows).to_have_count(1)
    # the latest version is the highest, whatever its state; 3 versions
    expect(rows).to_have_text(re.compile(rf"{dataset.name}\s*{dataset.project}\s*1\.0\.2\s*3"))
    expect(page).to_have_url(re.compile(r"[?&]q=images"))

    page.get_by_label("Search datasets").fill("no-such-dataset")
    expect(page.get_by_text("No dataset matches the filters")).to_be_visible()
    page.get_by_label("Search datasets").fill("")
    rows.get_by_role("link", name=dataset.name).click()
    expect(page).to_have_url(re.compile(f"/datasets/{vid(dataset, '1.0.2')}$"))
    expect(page.get_by_role("heading", name=dataset.name, level=1)).to_be_visible()
    expect(page.get_by_test_id("dataset-version")).to_have_text("1.0.2")
    expect(page.locator(".dataset-header").get_by_test_id("dataset-state")).to_have_text("draft")


def test_version_page_draws_the_graph_and_a_node_opens_its_version(
    page: Page, dataset: SeededDataset
) -> None:
    v1, v2, v3 = (vid(dataset, v) for v in ("1.0.0", "1.0.1", "1.0.2"))
    page.goto(f"/datasets/{v2}")
    graph = page.get_by_test_id("version-graph")
    expect(graph.get_by_test_id("graph-node")).to_have_count(3)
    expect(graph.get_by_test_id("graph-edge")).to_have_count(2)
    expect(
        graph.locator(f'[data-testid="graph-edge"][data-from="{v1}"][data-to="{v2}"]')
    ).to_have_count(1)
    expect(
        graph.locator(f'[data-testid="graph-edge"][data-from="{v2}"][data-to="{v3}"]')
    ).to_have_count(1)
    current = graph.locator('[aria-current="page"]')
    expect(current).to_have_attribute("data-id", v2)
    # versions go left to right: the parent's box is left of the child's
    boxes = {
        v: graph.locator(f'[data-id="{vid(dataset, v)}"]').bounding_box() for v in dataset.versions
    }
    assert all(boxes.values())
    assert boxes["1.0.0"]["x"] < boxes["1.0.1"]["x"] < boxes["1.0.2"]["x"]  # type: ignore[index]

    # header, stats and metadata
    expect(page.get_by_test_id("dataset-state").first).to_have_text("final")
    stats = page.get_by_role("region", name="Stats")
    expect(stats.get_by_test_id("stat-files")).to_have_text(str(FIRST_TOTAL))
    expect(stats.get_by_test_id("stat-added")).to_contain_text("1")
    expect(stats.get_by_test_id("stat-modified")).to_contain_text("1")
    expect(stats.get_by_test_id("stat-removed")).to_contain_text("1")
    expect(page.get_by_test_id("metadata-preview")).to_have_text(METADATA_PREVIEW)
    expect(page.get_by_role("link", name="Task page (console, log)")).to_have_attribute(
        "href", f"/experiments/{v2}"
    )

    graph.get_by_role("link", name="1.0.0").click()
    expect(page).to_have_url(re.compile(f"/datasets/{v1}$"))
    expect(page.get_by_test_id("dataset-version")).to_have_text("1.0.0")
    expect(graph.locator('[aria-current="page"]')).to_have_attribute("data-id", v1)
    expect(page.get_by_test_id("dataset-tags")).to_contain_text("raw")
    expect(page.get_by_test_id("dataset-description")).to_have_text("the raw images")
    # the draft shows what is not uploaded
    page.get_by_test_id("version-link").filter(has_text="1.0.2").click()
    expect(page.get_by_test_id("stat-pending")).to_contain_text("1")
    # the tabs' shortcuts: 3 is the diff
    page.keyboard.press("3")
    expect(page).to_have_url(re.compile(f"/datasets/{v3}/diff$"))
    expect(page.get_by_test_id("diff-row")).to_have_text([re.compile(r"data/pending\.bin\s*added")])


def test_file_browser_pages_searches_and_lists_a_folder(page: Page, dataset: SeededDataset) -> None:
    page.goto(f"/datasets/{vid(dataset, '1.0.0')}/files")
    rows = page.get_by_test_id("file-row")
    pages = page.get_by_role("navigation", name="Files pages")
    expect(rows).to_have_count(100)
    expect(pages.get_by_test_id("page-range")).to_have_text(row_range(1, 100))
    expect(rows.first).to_contain_text("img_000.bin")
    first_page = rows.all_inner_texts()

    pages.get_by_role("button", name="Next").click()
    expect(pages.get_by_test_id("page-range")).to_have_text(row_range(101, FIRST_TOTAL))
    expect(rows).to_have_count(FIRST_TOTAL - 100)
    assert not set(rows.all_inner_texts()) & set(first_page)
    expect(rows.last).to_contain_text("readme.txt")
    expect(pages.get_by_role("button", name="Next")).to_be_disabled()
    pages.get_by_role("button", name="Previous").click()
    expect(rows.first).to_contain_text("img_000.bin")

    # the search narrows (a substring, any case)
    page.get_by_label("Search files").fill("IMG_01")
    expect(rows).to_have_count(10)
    expect(rows.first).to_contain_text("img_010.bin")
    page.get_by_label("Search files").fill("")
    expect(rows).to_have_count(100)

    # a folder part of a path lists that folder; the breadcrumb goes back
    rows.first.get_by_role("button", name="data").click()
    expect(pages.get_by_test_id("page-range")).to_have_text(f"rows 1\u2013100 of {DATA_FILES}")
    expect(page.get_by_role("navigation", name="Folder")).to_contain_text("data")
    page.get_by_label("Search files").fill("train")
    expect(rows).to_have_count(0)
    expect(page.get_by_test_id("no-files")).to_have_text("No file matches.")
    page.get_by_role("navigation", name="Folder").get_by_role("button", name="/").click()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("labels/train.csv")
    expect(rows).to_contain_text(sha256(LABELS)[:12])
    rows.get_by_role("button", name="labels").click()
    page.get_by_label("Search files").fill("")
    expect(rows).to_have_count(1)
    expect(pages.get_by_test_id("page-range")).to_have_text("rows 1\u20131 of 1")
    # no link for a file inside a chunk; a file stored whole downloads under its name
    expect(rows.get_by_role("link", name="Download")).to_have_count(0)
    page.get_by_role("navigation", name="Folder").get_by_role("button", name="/").click()
    page.get_by_label("Search files").fill("weights")
    download = rows.get_by_role("link", name="Download")
    expect(download).to_have_attribute("download", "weights.bin")
    response = page.request.get(download.get_attribute("href") or "")
    assert response.ok and response.body() == WEIGHTS


def test_diff_against_the_parents_and_another_version(page: Page, dataset: SeededDataset) -> None:
    page.goto(f"/datasets/{vid(dataset, '1.0.1')}/diff")
    picker = page.get_by_label("Compare with")
    expect(picker.locator("option").first).to_have_text("its parents (1.0.0)")
    summary = page.get_by_test_id("diff-summary")
    expect(summary.get_by_test_id("diff-added")).to_contain_text("1 added file")
    expect(summary.get_by_test_id("diff-removed")).to_contain_text("1 removed file")
    expect(summary.get_by_test_id("diff-modified")).to_contain_text("1 modified file")
    rows = page.get_by_test_id("diff-row")
    expect(rows).to_have_count(3)
    expect(rows).to_have_text(
        [
            re.compile(r"data/new\.bin\s*added"),
            re.compile(r"labels/train\.csv\s*removed"),
            re.compile(r"readme\.txt\s*modified"),
        ]
    )
    diff_range = page.get_by_role("navigation", name="Diff pages").get_by_test_id("page-range")
    expect(diff_range).to_have_text("rows 1\u20133 of 3")
    page.get_by_label("Change kind").select_option("removed")
    expect(rows).to_have_count(1)
    expect(diff_range).to_have_text("rows 1\u20131 of 1")
    expect(rows).to_contain_text("labels/train.csv")

    # against the draft child: the child adds data/pending.bin, so seen from 1.0.1 it is removed
    page.get_by_label("Change kind").select_option("")
    page.get_by_label("Compare with").select_option(label="1.0.2 (draft)")
    expect(rows).to_have_count(1)
    expect(rows).to_have_text(re.compile(r"data/pending\.bin\s*removed"))
    expect(summary.get_by_test_id("diff-added")).to_contain_text("0 added files")


def test_lineage_lists_parents_children_and_the_task_that_used_it(
    page: Page, dataset: SeededDataset
) -> None:
    page.goto(f"/datasets/{vid(dataset, '1.0.1')}/lineage")
    expect(page.get_by_test_id("lineage-parents").get_by_role("link")).to_have_text(
        f"{dataset.name} 1.0.0"
    )
    expect(page.get_by_test_id("lineage-children").get_by_role("link")).to_have_text(
        f"{dataset.name} 1.0.2"
    )
    usage = page.get_by_test_id("usage-row")
    expect(usage).to_have_count(1)
    expect(usage).to_contain_text("train")
    link = usage.get_by_role("link", name=dataset.user_task["name"])
    expect(link).to_have_attribute("href", f"/experiments/{dataset.user_task['id']}")
    link.click()
    expect(page).to_have_url(re.compile(f"/experiments/{dataset.user_task['id']}"))


def test_a_hub_without_datasets_shows_how_to_make_one(browser: Browser, fresh_hub: Hub) -> None:
    context = login_context(browser, fresh_hub)
    page = context.new_page()
    page.goto("/datasets")
    empty = page.get_by_test_id("empty")
    expect(empty).to_contain_text("No datasets yet")
    expect(empty).to_contain_text('Dataset.create(dataset_name="parking"')
    expect(empty).to_contain_text("corral dataset close")
    context.close()


def test_unknown_dataset_version_says_so(page: Page) -> None:
    page.goto("/datasets/no-such-version")
    expect(page.get_by_text("No such dataset version")).to_be_visible()
    page.get_by_role("link", name="Go to the datasets").click()
    expect(page.get_by_role("heading", name="Datasets", level=1)).to_be_visible()


LUMINANCE = """(el) => {
  const css = getComputedStyle(el).%s;
  const [r, g, b] = css.match(/[\\d.]+/g).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}"""


@pytest.fixture
def dark_page(browser: Browser, hub: Hub) -> Iterator[Page]:
    ctx = browser.new_context(
        base_url=hub.url, viewport={"width": 1400, "height": 900}, color_scheme="dark"
    )
    ctx.set_default_timeout(WAIT_MS)
    r = ctx.request.post(
        "/api/v1/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert r.ok, r.text()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    ctx.close()
    assert not errors, errors


def test_version_page_renders_in_the_dark_theme(dark_page: Page, dataset: SeededDataset) -> None:
    page = dark_page
    page.goto(f"/datasets/{vid(dataset, '1.0.1')}")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    node = page.get_by_test_id("graph-node").first
    expect(node).to_be_visible()
    header = page.locator(".dataset-header")
    assert header.evaluate(LUMINANCE % "backgroundColor") < 0.2
    assert page.locator("h1").evaluate(LUMINANCE % "color") > 0.7
    assert node.locator("rect").evaluate(LUMINANCE % "fill") < 0.3
    assert node.locator("text").first.evaluate(LUMINANCE % "fill") > 0.7
    page.get_by_role("navigation", name="Version details").get_by_role("link", name="Files").click()
    expect(page.get_by_test_id("file-row").first).to_be_visible()
    table = page.get_by_role("table", name="Dataset files")
    assert table.evaluate(LUMINANCE % "backgroundColor") < 0.2
