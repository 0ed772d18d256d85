"""Editing and acting on an experiment from its page, checked through the API."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from corral.testing.hub import Hub
from tests.factories import ok, run_to, send_events, unique
from tests.ui.seed import Seeded

pytestmark = pytest.mark.sqlite_hub


def wait_live(page: Page) -> None:
    """The page follows the hub's change stream."""
    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "live")


def test_edit_parameters_of_a_draft_keeps_types_then_enqueue(
    page: Page, hub: Hub, seeded: Seeded
) -> None:
    draft = seeded.tasks["draft"]
    queue = unique("ui-q")
    with hub.client() as api:
        ok(api.post("/queues", json={"name": queue}))

    page.goto(f"/experiments/{draft['id']}/configuration")
    page.get_by_role("button", name="Edit parameters").click()
    page.get_by_label("Value of Args/batch_size").fill("64")
    page.get_by_label("Value of Args/augment").select_option("true")
    page.get_by_role("button", name="Save parameters").click()
    expect(page.get_by_test_id("param-Args/batch_size").locator("td").nth(1)).to_have_text("64")
    expect(page.get_by_test_id("param-Args/augment").locator("td").nth(1)).to_have_text("true")

    page.get_by_role("button", name="Enqueue", exact=True).click()
    dialog = page.get_by_role("dialog", name="Enqueue 1 task")
    dialog.get_by_label("Queue", exact=True).select_option(queue)
    dialog.get_by_role("button", name="Enqueue").click()
    expect(page.get_by_test_id("task-status")).to_have_text("queued")
    # a queued task is no longer editable
    expect(page.get_by_role("button", name="Edit parameters")).to_have_count(0)

    with hub.client() as api:
        task = ok(api.get(f"/tasks/{draft['id']}"))
        queues = {q["id"]: q["name"] for q in ok(api.get("/queues"))}
    args = task["hyperparams"]["Args"]
    assert args["batch_size"]["value"] == 64 and type(args["batch_size"]["value"]) is int
    assert args["augment"]["value"] is True
    assert args["lr"]["value"] == 0.01 and args["lr"]["type"] == "float"
    assert task["hyperparams"]["General"]["optimizer"]["value"] == "adam"
    assert task["status"] == "queued"
    assert queues[task["queue_id"]] == queue


def test_a_value_of_the_wrong_type_is_refused(page: Page, hub: Hub, seeded: Seeded) -> None:
    draft = seeded.tasks["draft"]
    page.goto(f"/experiments/{draft['id']}/configuration")
    page.get_by_role("button", name="Edit parameters").click()
    page.get_by_label("Value of Args/batch_size").fill("abc")
    expect(page.get_by_text('"abc" is not an integer')).to_be_visible()
    page.get_by_label("Value of Args/lr").fill("0.5")
    page.get_by_role("button", name="Save parameters").click()
    expect(page.get_by_role("alert").filter(has_text="Not saved")).to_contain_text(
        'Args/batch_size: "abc" is not an integer'
    )
    # still editing, and nothing reached the hub (not even the valid change)
    expect(page.get_by_label("Value of Args/batch_size")).to_have_value("abc")
    with hub.client() as api:
        args = ok(api.get(f"/tasks/{draft['id']}"))["hyperparams"]["Args"]
    assert args["batch_size"]["value"] == 32
    assert args["lr"]["value"] == 0.01


def test_add_and_remove_parameters(page: Page, hub: Hub, seeded: Seeded) -> None:
    draft = seeded.tasks["draft"]
    page.goto(f"/experiments/{draft['id']}/configuration")
    page.get_by_role("button", name="Edit parameters").click()
    page.get_by_role("button", name="Remove General/optimizer").click()
    page.get_by_label("New parameter section").fill("Args")
    page.get_by_label("New parameter name").fill("layers")
    page.get_by_label("New parameter type").select_option("list")
    page.get_by_role("button", name="Add parameter").click()
    page.get_by_label("Value of Args/layers").fill("[64, 32]")
    page.get_by_role("button", name="Save parameters").click()
    expect(page.get_by_test_id("param-Args/layers")).to_contain_text("[64,32]")
    expect(page.get_by_test_id("param-General/optimizer")).to_have_count(0)
    with hub.client() as api:
        hp = ok(api.get(f"/tasks/{draft['id']}"))["hyperparams"]
    assert hp["Args"]["layers"] == {"value": [64, 32], "type": "list", "description": ""}
    assert "General" not in hp


def test_edit_execution_and_configuration_of_a_draft(page: Page, hub: Hub, seeded: Seeded) -> None:
    draft = seeded.tasks["draft"]
    page.goto(f"/experiments/{draft['id']}")
    page.get_by_role("button", name="Edit execution").click()
    page.get_by_label("Entry point").fill("train2.py")
    page.get_by_label("Image").fill("python:3.12")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("exec-entry-point")).to_have_text("train2.py")

    page.get_by_role("link", name="Configuration").click()
    page.get_by_role("button", name="Edit configuration").click()
    page.get_by_label("Configuration model.yaml").fill("layers: 8\n")
    page.get_by_role("button", name="Save configuration").click()
    expect(page.get_by_test_id("config-model.yaml")).to_contain_text("layers: 8")

    with hub.client() as api:
        task = ok(api.get(f"/tasks/{draft['id']}"))
    # the script and the container merged the fields changed, kept the others
    assert task["script"]["entry_point"] == "train2.py"
    assert task["script"]["repository"] == "https://github.com/example/parking.git"
    assert task["container"] == {**task["container"], "image": "python:3.12"}
    assert task["container"]["arguments"] == "--shm-size=1g"
    assert task["configuration"]["model.yaml"]["value"] == "layers: 8\n"
    assert task["configuration"]["model.yaml"]["type"] == "yaml"


def test_a_completed_task_shows_no_edit_controls(page: Page, seeded: Seeded) -> None:
    page.goto(f"/experiments/{seeded.tasks['baseline']['id']}/execution")
    expect(page.get_by_test_id("exec-entry-point")).to_have_text("train.py")
    expect(page.get_by_role("button", name="Edit execution")).to_have_count(0)
    page.get_by_role("link", name="Configuration").click()
    expect(page.get_by_test_id("param-Args/lr")).to_be_visible()
    expect(page.get_by_role("button", name="Edit parameters")).to_have_count(0)
    expect(page.get_by_role("button", name="Edit configuration")).to_have_count(0)
    toolbar = page.get_by_role("toolbar", name="Experiment actions")
    expect(toolbar.get_by_role("button", name="Publish")).to_be_visible()
    expect(toolbar.get_by_role("button", name="Enqueue")).to_have_count(0)
    expect(toolbar.get_by_role("button", name="Abort")).to_have_count(0)


def test_clone_into_another_project_lands_on_the_clone(
    page: Page, hub: Hub, seeded: Seeded
) -> None:
    baseline = seeded.tasks["baseline"]
    target = unique("ui-clone-target")
    name = unique("cloned")
    page.goto(f"/experiments/{baseline['id']}")
    page.get_by_role("button", name="Clone").click()
    dialog = page.get_by_role("dialog", name="Clone experiment")
    dialog.get_by_label("New name").fill(name)
    dialog.get_by_label("Target project").fill(target)
    dialog.get_by_role("button", name="Clone").click()
    expect(page.get_by_test_id("task-name")).to_have_text(name)
    expect(page).not_to_have_url(re.compile(baseline["id"]))
    clone_id = page.url.rstrip("/").split("/")[-1]
    expect(page.get_by_test_id("task-status")).to_have_text("draft")
    expect(page.get_by_test_id("project-link")).to_have_text(target)

    with hub.client() as api:
        clone = ok(api.get(f"/tasks/{clone_id}"))
        project = ok(api.get(f"/projects/{clone['project_id']}"))
    assert clone["name"] == name and clone["parent_id"] == baseline["id"]
    assert project["name"] == target


def test_abort_a_running_task(page: Page, hub: Hub, seeded: Seeded) -> None:
    with hub.client() as api:
        task = ok(api.post("/tasks", json={"name": "to-abort", "project": seeded.name}))
        run_to(api, task["id"], "in_progress")
    page.goto(f"/experiments/{task['id']}")
    expect(page.get_by_test_id("task-status")).to_have_text("running")
    toolbar = page.get_by_role("toolbar", name="Experiment actions")
    toolbar.get_by_role("button", name="Abort").click()
    dialog = page.get_by_role("dialog", name="Abort experiment")
    expect(dialog).to_contain_text("stops when it next reports")
    dialog.get_by_role("button", name="Abort").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_test_id("task-status")).to_have_text("aborted")
    expect(page.get_by_test_id("status-reason")).to_have_text("aborted by admin")
    with hub.client() as api:
        assert ok(api.get(f"/tasks/{task['id']}"))["status"] == "stopped"


def test_reset_asks_first_then_returns_to_draft(page: Page, hub: Hub, seeded: Seeded) -> None:
    wide = seeded.tasks["wide"]
    page.goto(f"/experiments/{wide['id']}")
    page.get_by_role("button", name="Reset").click()
    dialog = page.get_by_role("dialog", name="Reset experiment")
    expect(dialog).to_contain_text("Its results are deleted")
    dialog.get_by_role("button", name="Reset").click()
    expect(page.get_by_test_id("task-status")).to_have_text("draft")
    expect(page.get_by_role("button", name="Edit execution")).to_be_visible()
    with hub.client() as api:
        assert ok(api.get(f"/tasks/{wide['id']}"))["status"] == "created"


def test_edit_details_and_archive(page: Page, hub: Hub, seeded: Seeded) -> None:
    broken = seeded.tasks["broken"]
    page.goto(f"/experiments/{broken['id']}")
    page.get_by_role("button", name="Edit details").click()
    dialog = page.get_by_role("dialog", name="Edit experiment")
    dialog.get_by_label("Name").fill("broken-renamed")
    dialog.get_by_label("Comment").fill("failed on purpose")
    dialog.get_by_label("Tags").fill("seed, triage")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("task-name")).to_have_text("broken-renamed")
    expect(page.get_by_test_id("task-tags")).to_contain_text("triage")

    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_role("button", name="Restore")).to_be_visible()
    with hub.client() as api:
        task = ok(api.get(f"/tasks/{broken['id']}"))
    assert task["name"] == "broken-renamed" and task["comment"] == "failed on purpose"
    assert task["tags"] == ["seed", "triage"] and task["archived"] is True


def test_a_refused_action_shows_the_hubs_reason(page: Page, hub: Hub, seeded: Seeded) -> None:
    draft = seeded.tasks["draft"]
    page.goto(f"/experiments/{draft['id']}")
    page.get_by_role("button", name="Enqueue", exact=True).click()
    dialog = page.get_by_role("dialog", name="Enqueue 1 task")
    expect(dialog).to_be_visible()
    # someone else starts the task while the dialog is open: the hub refuses the enqueue
    with hub.client() as api:
        run_to(api, draft["id"], "in_progress")
    dialog.get_by_role("button", name="Enqueue").click()
    expect(page.get_by_role("alert").filter(has_text="Could not enqueue")).to_contain_text(
        "cannot enqueue a task that is in_progress"
    )
    expect(page.get_by_test_id("task-status")).to_have_text("running")


def test_console_follows_a_running_task(page: Page, hub: Hub, seeded: Seeded) -> None:
    with hub.client() as api:
        task = ok(api.post("/tasks", json={"name": "live-console", "project": seeded.name}))
        run_to(api, task["id"], "in_progress")
        ok(send_events(api, task["id"], [{"type": "log", "text": "starting up"}]))
    page.goto(f"/experiments/{task['id']}/console")
    wait_live(page)
    lines = page.get_by_test_id("console-line")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text("starting up")

    marker = uuid.uuid4().hex[:8]
    with hub.client() as api:
        ok(
            send_events(
                api,
                task["id"],
                [
                    {"type": "log", "text": f"step 1 {marker}"},
                    {"type": "log", "text": f"oops {marker}", "stream": "stderr"},
                ],
            )
        )
    expect(lines).to_have_count(3)
    expect(lines.nth(1)).to_contain_text(f"step 1 {marker}")
    expect(lines.nth(2)).to_have_attribute("data-stream", "stderr")
    expect(page.get_by_test_id("console-count")).to_contain_text("3 lines")
