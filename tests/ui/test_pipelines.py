"""The Pipelines section in a real browser against a real hub, with runs made by real
pipeline scripts (tests/pipelines/scripts, steps as local subprocesses): the list, a
run's DAG (fan-out and fan-in, statuses, click-through, cached steps), the DAG following
a running pipeline without a reload, and "Run again" with an edited parameter."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from corral.testing.hub import Hub, client_env
from tests import factories as f
from tests.pipelines.test_function_pipelines import SCRIPTS, run_script
from tests.ui.conftest import WAIT_MS

pytestmark = pytest.mark.sqlite_hub

FAN_STEPS = ["load", "sq1", "sq2", "sq3", "total"]
FAN_EDGES = [("load", "sq1"), ("load", "sq2"), ("load", "sq3"),
             ("sq1", "total"), ("sq2", "total"), ("sq3", "total")]  # fmt: skip


@dataclass
class FanRuns:
    project: str
    project_id: str
    #: the reports of fan.py (controller id, nodes), first run and the fully cached second
    first: dict[str, Any]
    second: dict[str, Any]


@pytest.fixture(scope="module")
def fan(hub: Hub, tmp_path_factory: pytest.TempPathFactory) -> FanRuns:
    """Two runs of fan.py in a fresh project: the second one all cached."""
    home = tmp_path_factory.mktemp("fan-home")
    project = f.unique("ui-pipes")
    first = run_script(hub, home, "fan.py", project)
    second = run_script(hub, home, "fan.py", project)
    assert first["successful"] and second["successful"]
    with hub.client() as api:
        project_id = f.ok(api.get(f"/tasks/{first['controller']}"))["project_id"]
    return FanRuns(project, project_id, first, second)


def node(page: Page, name: str) -> Any:
    return page.locator(f'[data-testid="dag-node"][data-name="{name}"]')


def test_the_list_shows_the_pipeline_with_its_runs(page: Page, fan: FanRuns) -> None:
    page.goto("/projects")
    expect(page.get_by_label("Search projects")).to_be_visible()
    page.keyboard.press("g")
    page.keyboard.press("l")
    expect(page.get_by_role("heading", name="Pipelines", level=1)).to_be_visible()
    page.get_by_label("Project").select_option(label=fan.project)
    expect(page).to_have_url(re.compile(f"[?&]project={fan.project_id}"))
    card = page.get_by_test_id("pipeline")
    expect(card).to_have_count(1)
    expect(card.get_by_role("heading", name="fan")).to_be_visible()
    runs = card.get_by_test_id("pipeline-run")
    expect(runs).to_have_count(2)
    # newest first; each with its status, version and parameters
    expect(runs.nth(0)).to_have_attribute("data-id", fan.second["controller"])
    for i in range(2):
        expect(runs.nth(i).locator("[data-status]")).to_have_attribute("data-status", "completed")
        expect(runs.nth(i).get_by_test_id("run-version")).to_have_text("1.0.0")
        expect(runs.nth(i).get_by_test_id("run-params")).to_have_text("rows=5")
    runs.nth(1).get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(f"/pipelines/{fan.first['controller']}$"))
    expect(page.get_by_role("heading", name="fan", level=1)).to_be_visible()


def test_a_run_draws_its_dag_and_a_step_opens_its_task(page: Page, fan: FanRuns) -> None:
    page.goto(f"/pipelines/{fan.first['controller']}")
    expect(page.get_by_test_id("run-version")).to_have_text("1.0.0")
    expect(page.get_by_test_id("run-status").locator("[data-status]")).to_have_attribute(
        "data-status", "completed"
    )
    expect(page.locator('[data-testid="run-param"][data-name="rows"]')).to_contain_text("5")
    dag = page.get_by_test_id("dag")
    expect(dag.get_by_test_id("dag-node")).to_have_count(5)
    expect(dag.get_by_test_id("dag-edge")).to_have_count(len(FAN_EDGES))
    for a, b in FAN_EDGES:
        expect(
            dag.locator(f'[data-testid="dag-edge"][data-from="{a}"][data-to="{b}"]')
        ).to_have_count(1)
    for name in FAN_STEPS:
        expect(node(page, name)).to_have_attribute("data-status", "completed")
    # the fan-in sits right of the fan-out, which sits right of the source
    x = {n: node(page, n).bounding_box()["x"] for n in ("load", "sq2", "total")}  # type: ignore[index]
    assert x["load"] < x["sq2"] < x["total"]

    # pointing at a step shows it in the side panel; a click opens its task
    node(page, "total").hover()
    panel = page.get_by_test_id("node-panel")
    expect(panel).to_have_attribute("data-name", "total")
    expect(panel.get_by_test_id("node-task-link")).to_have_attribute(
        "href", f"/experiments/{fan.first['nodes']['total']['executed']}"
    )
    node(page, "total").click()
    expect(page).to_have_url(re.compile(f"/experiments/{fan.first['nodes']['total']['executed']}"))


def test_a_cached_run_marks_its_steps_and_links_the_producing_tasks(
    page: Page, fan: FanRuns
) -> None:
    page.goto(f"/pipelines/{fan.second['controller']}")
    expect(node(page, "total")).to_have_attribute("data-status", "cached")
    for name in FAN_STEPS:
        expect(node(page, name)).to_have_attribute("data-status", "cached")
    producer = fan.first["nodes"]["total"]["executed"]
    assert fan.second["nodes"]["total"]["cached_from"] == producer
    badge = page.locator('[data-testid="cached-link"][data-name="total"]')
    expect(badge).to_have_attribute("href", f"/experiments/{producer}")

    # the colours are the theme's: a cached step differs from a completed one, and
    # the dark theme redefines them
    fill = "e => getComputedStyle(e.querySelector('.dag-box')).fill"
    light = node(page, "total").evaluate(fill)
    page.keyboard.press("t")
    expect(page.locator("html")).to_have_attribute("data-theme", re.compile("dark|light"))
    page.wait_for_function(
        "([sel, before]) => getComputedStyle(document.querySelector(sel)).fill !== before",
        arg=['[data-name="total"] .dag-box', light],
        timeout=WAIT_MS,
    )
    badge.click()
    expect(page).to_have_url(re.compile(f"/experiments/{producer}"))
    page.go_back()
    expect(node(page, "load")).to_have_attribute("data-status", "cached")
    page.goto(f"/pipelines/{fan.first['controller']}")
    expect(node(page, "total")).to_have_attribute("data-status", "completed")
    assert node(page, "total").evaluate(fill) != light


def test_run_again_queues_a_copy_with_the_edited_parameter(
    page: Page, fan: FanRuns, api: httpx.Client
) -> None:
    source = fan.first["controller"]
    page.goto(f"/pipelines/{source}")
    page.get_by_role("button", name="Run again…").click()
    dialog = page.get_by_role("dialog")
    field = dialog.get_by_label("Parameter rows")
    expect(field).to_have_value("5")
    expect(dialog.get_by_label("Queue")).to_have_value("services")
    # a value that is not an int is refused before anything is sent
    field.fill("seven")
    dialog.get_by_role("button", name="Run").click()
    expect(dialog.get_by_text('"seven" is not an integer')).to_be_visible()
    field.fill("7")
    field.press("Enter")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page).not_to_have_url(re.compile(f"/pipelines/{source}$"))
    expect(page).to_have_url(re.compile(r"/pipelines/[0-9a-f-]+$"))
    new_id = page.url.rsplit("/", 1)[1]

    run = f.ok(api.get(f"/tasks/{new_id}"))
    assert run["type"] == "controller" and run["name"] == "fan"
    assert run["project_id"] == fan.project_id
    assert run["status"] == "queued"
    assert run["hyperparams"]["Args"]["rows"]["value"] == 7  # a number, not "7"
    assert run["hyperparams"]["Args"]["rows"]["type"] == "int"
    queued = f.ok(api.get("/queues/services"))
    assert new_id in {e["task_id"] for e in queued["entries"]}
    # the copy's page: its definition drawn before it runs, all steps pending
    expect(page.get_by_test_id("run-status").locator("[data-status]")).to_have_attribute(
        "data-status", "queued"
    )
    expect(page.get_by_test_id("dag-node")).to_have_count(5)
    expect(node(page, "total")).to_have_attribute("data-status", "pending")
    expect(page.locator('[data-testid="run-param"][data-name="rows"]')).to_contain_text("7")
    # leave the queue as it was for the other tests of the hub
    f.ok(api.post(f"/tasks/{new_id}:dequeue"))


def test_the_dag_follows_a_running_pipeline_without_a_reload(
    page: Page, hub: Hub, api: httpx.Client, tmp_path: Path
) -> None:
    project = f.unique("ui-live")
    release = tmp_path / "release"
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPTS / "slow.py"), project, str(release)],
        env=client_env(hub, tmp_path / "home"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # the run appears in the list as it starts
        page.goto("/pipelines")
        card = page.locator('[data-testid="pipeline"][data-name="slow"]').filter(has_text=project)
        card.get_by_test_id("pipeline-run").get_by_role("link").first.click()
        expect(page).to_have_url(re.compile(r"/pipelines/[0-9a-f-]+$"))
        page.evaluate("window.__notReloaded = true")
        expect(node(page, "one")).to_have_attribute("data-status", "completed")
        expect(node(page, "two")).to_have_attribute("data-status", "running")
        expect(page.get_by_test_id("node-panel")).to_have_attribute("data-name", "two")
        release.touch()
        expect(node(page, "two")).to_have_attribute("data-status", "completed")
        expect(page.get_by_test_id("run-status").locator("[data-status]")).to_have_attribute(
            "data-status", "completed"
        )
        assert page.evaluate("window.__notReloaded") is True
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, out + err
    finally:
        release.touch()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
