"""The experiment page's tabs show what a run recorded, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from corral.testing.hub import Hub
from tests.ui.seed import PNG, Seeded

pytestmark = pytest.mark.sqlite_hub


def open_tab(page: Page, task_id: str, tab: str = "") -> None:
    page.goto(f"/experiments/{task_id}" + (f"/{tab}" if tab else ""))
    expect(page.get_by_test_id("task-page")).to_be_visible()


def test_execution_shows_the_code_and_the_diff(page: Page, seeded: Seeded) -> None:
    baseline = seeded.tasks["baseline"]
    open_tab(page, baseline["id"])
    expect(page.get_by_test_id("task-name")).to_have_text("baseline")
    expect(page.get_by_test_id("exec-repository")).to_have_text(
        "https://github.com/example/parking.git"
    )
    expect(page.get_by_test_id("exec-commit")).to_have_text(
        "0123456789abcdef0123456789abcdef01234567"
    )
    expect(page.get_by_test_id("exec-entry-point")).to_have_text("train.py")
    expect(page.get_by_test_id("exec-branch")).to_have_text("main")

    diff = page.get_by_test_id("diff")
    expect(diff.get_by_text("train.py", exact=True)).to_be_visible()
    removed = diff.locator("tr[data-kind=del]", has_text="LR = 0.1")
    added = diff.locator("tr[data-kind=add]", has_text="LR = 0.01")
    expect(removed).to_have_count(1)
    expect(added).to_have_count(1)
    expect(removed).to_have_class(re.compile(r"\bdiff-del\b"))
    expect(added).to_have_class(re.compile(r"\bdiff-add\b"))
    # removed red, added green (the --diff-del / --diff-add colours)
    expect(removed.locator("td.text")).to_have_css("background-color", "rgb(255, 235, 233)")
    expect(added.locator("td.text")).to_have_css("background-color", "rgb(230, 255, 236)")
    expect(diff.locator("tr[data-kind=hunk]")).to_have_text(re.compile(r"@@ -1,3 \+1,3 @@"))
    # line numbers: the removed line was line 2 of the old file, the added one is line 2 now
    expect(removed.locator("td.ln").first).to_have_text("2")
    expect(added.locator("td.ln").nth(1)).to_have_text("2")

    expect(page.get_by_label("Requirements")).to_contain_text("numpy==2.1.0")
    expect(page.get_by_test_id("exec-image")).to_have_text("python:3.11-slim")
    expect(page.get_by_test_id("exec-arguments")).to_have_text("--shm-size=1g")


def test_configuration_shows_typed_parameters_and_objects(page: Page, seeded: Seeded) -> None:
    open_tab(page, seeded.tasks["baseline"]["id"], "configuration")
    lr = page.get_by_test_id("param-Args/lr")
    expect(lr).to_contain_text("0.01")
    expect(lr).to_contain_text("float")
    expect(lr).to_contain_text("learning rate")
    batch = page.get_by_test_id("param-Args/batch_size")
    expect(batch.locator("td").nth(1)).to_have_text("32")
    expect(batch.locator("td").nth(2)).to_have_text("int")
    expect(page.get_by_test_id("param-Args/augment").locator("td").nth(1)).to_have_text("false")
    expect(page.get_by_test_id("param-General/optimizer")).to_contain_text("adam")

    config = page.get_by_test_id("config-model.yaml")
    expect(config).to_contain_text("yaml")
    expect(config).to_contain_text("layers: 4")
    expect(config).to_contain_text("width: 128")


def test_console_search_narrows_and_stderr_is_marked(page: Page, seeded: Seeded) -> None:
    open_tab(page, seeded.tasks["baseline"]["id"], "console")
    console = page.get_by_test_id("console")
    expect(page.get_by_test_id("console-count")).to_have_text("51 lines")
    expect(
        console.get_by_test_id("console-line").filter(has_text="epoch 49 loss=0.0200")
    ).to_be_visible()
    stderr = console.locator("[data-testid=console-line][data-stream=stderr]")
    expect(stderr).to_have_count(1)
    expect(stderr).to_contain_text("training done")
    expect(stderr).to_have_class(re.compile(r"\bstderr\b"))

    page.get_by_label("Search the console").fill("LOSS=0.0200")
    expect(page.get_by_test_id("console-count")).to_have_text("1 line matching")
    lines = console.get_by_test_id("console-line")
    expect(lines).to_have_count(1)
    expect(lines).to_contain_text("epoch 49")
    expect(lines.locator("mark")).to_have_text("loss=0.0200")

    page.get_by_label("Search the console").fill("")
    page.get_by_label("Stream").select_option("stderr")
    expect(lines).to_have_count(1)
    expect(lines).to_contain_text("training done")

    href = page.get_by_role("link", name="Download").get_attribute("href")
    assert href is not None
    text = page.request.get(href).text()
    assert "epoch 0 loss=1.0000" in text and "training done" in text


def test_artifacts_show_size_hash_and_download(page: Page, seeded: Seeded) -> None:
    open_tab(page, seeded.tasks["baseline"]["id"], "artifacts")
    row = page.get_by_test_id("artifact-predictions")
    expect(row).to_contain_text("json")
    expect(row).to_contain_text("output")
    expect(row).to_contain_text(f"{len(PNG)} B")
    expect(row).to_contain_text("sha256:" + "ab" * 32)
    expect(row).to_contain_text("hub://tasks/")

    page.get_by_role("button", name="Show details of predictions").click()
    expect(page.get_by_test_id("preview-predictions")).to_contain_text('"cat": 0.9')

    href = row.get_by_role("link", name="Download predictions").get_attribute("href")
    assert href is not None and href.startswith("/api/v1/files/tasks/")
    response = page.request.get(href)
    assert response.ok
    assert response.body() == PNG


def test_info_lists_run_and_machine_facts(page: Page, seeded: Seeded) -> None:
    open_tab(page, seeded.tasks["baseline"]["id"], "info")
    facts = page.get_by_test_id("runtime-facts")
    expect(facts).to_contain_text("seed-host")
    expect(page.get_by_test_id("info-os")).to_have_text("Linux")
    expect(page.get_by_test_id("info-cpu-cores-(logical)")).to_have_text("8")
    expect(page.get_by_test_id("info-python")).to_have_text("3.11.7")
    expect(page.get_by_test_id("info-status")).to_contain_text("completed")
    expect(page.get_by_test_id("info-user")).to_have_text("admin")
    expect(page.get_by_test_id("info-type")).to_have_text("training")
    expect(page.get_by_test_id("info-started")).not_to_have_text("—")
    expect(page.get_by_test_id("info-completed")).not_to_have_text("—")
    expect(page.get_by_test_id("info-duration")).to_have_text(re.compile(r"^\d+"))


def test_info_links_the_parent(page: Page, seeded: Seeded) -> None:
    baseline = seeded.tasks["baseline"]
    open_tab(page, seeded.tasks["draft"]["id"], "info")
    page.get_by_test_id("info-parent").get_by_role("link", name="baseline").click()
    expect(page).to_have_url(re.compile(f"/experiments/{baseline['id']}$"))
    expect(page.get_by_test_id("task-name")).to_have_text("baseline")


def test_models_link_to_the_model(page: Page, seeded: Seeded) -> None:
    assert seeded.model is not None
    open_tab(page, seeded.tasks["baseline"]["id"], "models")
    row = page.get_by_test_id("model-detector")
    expect(row).to_contain_text("output")
    expect(row).to_contain_text("pytorch")
    link = row.get_by_role("link", name="detector")
    expect(link).to_have_attribute("href", f"/models/{seeded.model['id']}")


def test_tabs_are_links_with_empty_states(page: Page, seeded: Seeded) -> None:
    wide = seeded.tasks["wide"]
    open_tab(page, wide["id"])
    tabs = page.get_by_role("navigation", name="Experiment tabs")
    tabs.get_by_role("link", name="Artifacts").click()
    expect(page).to_have_url(re.compile(f"/experiments/{wide['id']}/artifacts$"))
    expect(page.get_by_text("No artifacts yet")).to_be_visible()
    tabs.get_by_role("link", name="Models").click()
    expect(page.get_by_text("No models yet")).to_be_visible()
    tabs.get_by_role("link", name="Console").click()
    expect(page).to_have_url(re.compile("/console$"))
    expect(page.get_by_text("No console output.")).to_be_visible()
    expect(tabs.get_by_role("link", name="Console")).to_have_attribute("aria-current", "page")
    # the header links to the project's experiments
    expect(page.get_by_test_id("project-link")).to_have_attribute(
        "href", f"/projects/{seeded.project['id']}/experiments"
    )
    expect(page.get_by_test_id("project-link")).to_have_text(seeded.name)


def test_unknown_experiment_says_not_found(page: Page, hub: Hub) -> None:
    page.goto("/experiments/0123456789abcdef0123456789abcdef/info")
    expect(page.get_by_text("Experiment not found")).to_be_visible()
    expect(page.get_by_role("link", name="Go to the experiments")).to_be_visible()
