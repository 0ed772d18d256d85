"""The compare page in a real browser: hyperparameters, scalars and final metrics side by side."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.ui.seed import Seeded, new_id


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

    open_compare(page, *[new_id() for _ in range(9)], baseline["id"], wide["id"])
    expect(page.get_by_role("alert")).to_contain_text("At most 10 experiments")
    page.get_by_role("button", name="Compare the first 10").click()
    expect(page.get_by_test_id("compare-missing")).to_contain_text("Unknown experiments")
