"""The models table and a model's page, in a real browser against a real hub."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.factories import ok, run_to, task, unique
from tests.ui.seed import Seeded

pytestmark = pytest.mark.sqlite_hub


def model_rows(page: Page) -> Locator:
    return page.get_by_test_id("model-row")


def test_models_table_lists_filters_and_links(
    page: Page, seeded: Seeded, api: httpx.Client
) -> None:
    other = unique("other")
    ok(api.post("/models", json={"name": other, "project": seeded.name, "framework": "keras"}))
    baseline = seeded.tasks["baseline"]
    page.goto("/models")
    page.get_by_label("Project").select_option(label=seeded.name)
    expect(model_rows(page)).to_have_count(2)
    detector = model_rows(page).filter(has_text="detector")
    expect(detector).to_contain_text("pytorch")
    expect(detector).to_contain_text("seed")
    expect(detector.get_by_test_id("draft")).to_be_visible()
    expect(detector.get_by_role("link", name="baseline")).to_have_attribute(
        "href", f"/experiments/{baseline['id']}"
    )
    expect(detector.get_by_role("link", name=seeded.name)).to_be_visible()
    expect(page.get_by_test_id("models-total")).to_have_text("2 models")

    # filter by text: the search goes to the hub and into the URL
    page.get_by_label("Search models").fill("detect")
    expect(model_rows(page)).to_have_count(1)
    expect(model_rows(page)).to_contain_text("detector")
    expect(page).to_have_url(re.compile(r"[?&]text=detect"))
    page.reload()
    expect(model_rows(page)).to_have_count(1)

    # by framework, and nothing matching says so
    page.get_by_label("Search models").fill("")
    page.get_by_label("Framework").fill("keras")
    expect(model_rows(page)).to_have_count(1)
    expect(model_rows(page)).to_contain_text(other)
    page.get_by_label("Framework").fill("no-such-framework")
    expect(page.get_by_text("No model matches the filters")).to_be_visible()

    page.get_by_role("button", name="Clear filters").click()
    page.get_by_label("Project").select_option(label=seeded.name)
    model_rows(page).get_by_role("link", name="detector").click()
    expect(page.get_by_role("heading", name="detector", level=1)).to_be_visible()


def test_sort_by_name_and_load_more(page: Page, api: httpx.Client) -> None:
    project = unique("models-paging")
    names = [f"m{i:02d}" for i in range(55)]
    for name in names:
        ok(api.post("/models", json={"name": name, "project": project}))
    page.goto("/models")
    page.get_by_label("Project").select_option(label=project)
    expect(page.get_by_test_id("models-total")).to_have_text("55 models")
    page.get_by_role("button", name="Name").click()
    expect(model_rows(page).first).to_contain_text("m00")
    # a page is 50 rows; the next comes with the button (or on scroll)
    expect(model_rows(page)).to_have_count(50)
    # a click event without scrolling: scrolling the button into view would also bring
    # the end of the table into view, whose loader may take the page first (a race)
    page.get_by_role("button", name="Load more").dispatch_event("click")
    expect(model_rows(page)).to_have_count(55)
    expect(page.get_by_role("button", name="Load more")).to_have_count(0)
    expect(model_rows(page).last).to_contain_text("m54")
    page.get_by_role("button", name="Name ▲").click()
    expect(model_rows(page).first).to_contain_text("m54")


def test_model_page_shows_lineage_labels_and_publishes(
    page: Page, seeded: Seeded, api: httpx.Client
) -> None:
    assert seeded.model is not None
    model = seeded.model
    baseline = seeded.tasks["baseline"]
    page.goto(f"/models/{model['id']}")
    expect(page.get_by_role("heading", name="detector", level=1)).to_be_visible()

    lineage = page.get_by_role("region", name="Lineage")
    expect(lineage.get_by_role("link", name="baseline")).to_have_attribute(
        "href", f"/experiments/{baseline['id']}"
    )
    expect(lineage).to_contain_text("completed")
    expect(lineage.get_by_role("link", name=seeded.name)).to_be_visible()
    labels = page.get_by_role("table", name="Class labels")
    expect(labels.get_by_role("row")).to_have_text(
        ["Class Id", "cat 0", "dog 1"], use_inner_text=True
    )
    expect(page.get_by_test_id("model-framework")).to_have_text("pytorch")
    path = model["uri"].removeprefix("hub://")
    download = page.get_by_role("link", name="Download")
    expect(download).to_have_attribute("href", f"/api/v1/files/{path}?download=true")
    assert page.request.get(download.get_attribute("href") or "").ok

    # tags and description
    page.get_by_label("New tags").fill("prod, v1")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_test_id("model-tags")).to_contain_text("prod")
    page.get_by_role("button", name="Remove tag seed").click()
    expect(page.get_by_test_id("model-tags")).not_to_contain_text("seed")
    page.get_by_role("textbox", name="Description").fill("the best so far")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Description saved")).to_be_visible()
    saved = ok(api.get(f"/models/{model['id']}"))
    assert saved["tags"] == ["prod", "v1"] and saved["comment"] == "the best so far"

    page.get_by_role("button", name="Publish").click()
    page.get_by_role("dialog", name="Publish model").get_by_role("button", name="Publish").click()
    expect(page.get_by_test_id("published")).to_be_visible()
    expect(page.get_by_role("button", name="Publish")).to_have_count(0)
    assert ok(api.get(f"/models/{model['id']}"))["published"] is True


def test_model_page_links_the_parent_and_archives(
    page: Page, seeded: Seeded, api: httpx.Client
) -> None:
    assert seeded.model is not None
    child = ok(
        api.post(
            "/models",
            json={
                "name": unique("finetuned"),
                "project": seeded.name,
                "parent_id": seeded.model["id"],
                "metadata": {"epochs": 20, "dataset": "coco"},
                "design": "layers: 4\nwidth: 128\n",
                "uri": "s3://bucket/finetuned.pt",
            },
        )
    )
    page.goto(f"/models/{child['id']}")
    lineage = page.get_by_role("region", name="Lineage")
    expect(lineage).to_contain_text("registered outside a task")
    lineage.get_by_role("link", name="detector").click()
    expect(page).to_have_url(re.compile(f"/models/{seeded.model['id']}$"))
    page.go_back()

    metadata = page.get_by_role("table", name="Metadata values")
    expect(metadata.get_by_role("row")).to_have_text(
        ["Key Value", "dataset coco", "epochs 20"], use_inner_text=True
    )
    expect(page.get_by_role("region", name="Design")).to_contain_text("width: 128")
    # another scheme than hub:// is shown, not linked
    expect(page.get_by_text("s3://bucket/finetuned.pt")).to_be_visible()
    expect(page.get_by_role("link", name="Download")).to_have_count(0)

    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_role("button", name="Unarchive")).to_be_visible()
    assert ok(api.get(f"/models/{child['id']}"))["archived"] is True

    # archived models leave the table, and show with "Archived only"
    page.goto("/models")
    page.get_by_label("Project").select_option(label=seeded.name)
    expect(model_rows(page)).to_have_count(1)
    page.get_by_label("Archived only").check()
    expect(model_rows(page)).to_have_count(1)
    expect(model_rows(page)).to_contain_text(child["name"])
    expect(model_rows(page)).to_contain_text("archived")


def test_publishing_a_model_of_a_running_task_shows_why_not(page: Page, api: httpx.Client) -> None:
    running = task(api)
    run_to(api, running["id"], "in_progress")
    model = ok(api.post("/models", json={"name": unique("early"), "task_id": running["id"]}))
    page.goto(f"/models/{model['id']}")
    page.get_by_role("button", name="Publish").click()
    dialog = page.get_by_role("dialog", name="Publish model")
    dialog.get_by_role("button", name="Publish").click()
    expect(dialog.get_by_role("alert")).to_contain_text("only once its task has completed")
    assert ok(api.get(f"/models/{model['id']}"))["published"] is False


def test_unknown_model_says_so(page: Page) -> None:
    page.goto("/models/no-such-model")
    expect(page.get_by_text("No such model")).to_be_visible()
    page.get_by_role("link", name="Go to the models").click()
    expect(page.get_by_role("heading", name="Models")).to_be_visible()


def test_model_page_draws_the_model_reports_with_an_iteration_picker(
    page: Page, api: httpx.Client
) -> None:
    model = ok(api.post("/models", json={"name": unique("reported"), "project": unique("rep")}))

    def figure(title: str) -> dict[str, object]:
        return {"data": [{"type": "bar", "y": [1, 2]}], "layout": {"title": {"text": title}}}

    events = [
        {"type": "scalars", "metric": "val", "variant": "acc", "iterations": [0, 1, 2],
         "values": [0.5, 0.6, 0.75]},
        {"type": "plot", "metric": "roc", "variant": "val", "iteration": 1,
         "figure": figure("early figure")},
        {"type": "plot", "metric": "roc", "variant": "val", "iteration": 5,
         "figure": figure("late figure")},
    ]  # fmt: skip
    ok(api.post(f"/models/{model['id']}/events", json={"batch_id": "ui", "events": events}))
    page.goto(f"/models/{model['id']}")
    scalars = page.get_by_role("region", name="Model scalars")
    expect(scalars.locator("[data-testid=chart][data-title='val']")).to_be_visible()
    card = page.get_by_role("region", name="Model plots").get_by_role("region", name="roc / val")
    expect(card.locator(".js-plotly-plot .gtitle")).to_have_text("late figure")
    card.get_by_label("Iteration of roc / val").select_option("1")
    expect(card.locator(".js-plotly-plot .gtitle")).to_have_text("early figure")


def test_a_model_without_reports_says_so(page: Page, api: httpx.Client) -> None:
    model = ok(api.post("/models", json={"name": unique("bare"), "project": unique("rep")}))
    page.goto(f"/models/{model['id']}")
    expect(page.get_by_role("region", name="Model scalars")).to_contain_text(
        "No scalars were reported for this model"
    )
    expect(page.get_by_role("region", name="Model plots")).to_contain_text(
        "No plots were reported for this model"
    )
