"""The queues page (order by drag and drop, move, remove, clear, create, rename, delete)
and the workers page, in a real browser against a real hub."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.factories import ok, task, unique

pytestmark = pytest.mark.sqlite_hub


def new_queue(api: httpx.Client) -> str:
    return str(ok(api.post("/queues", json={"name": unique("uiq")}), 201)["name"])


def enqueue_named(api: httpx.Client, queue: str, *names: str) -> dict[str, str]:
    """Drafts named ``names`` enqueued in that order; name -> task id."""
    ids = {}
    for name in names:
        t = task(api, name=name)
        ok(api.post(f"/tasks/{t['id']}:enqueue", json={"queue": queue}))
        ids[name] = t["id"]
    return ids


def order(api: httpx.Client, queue: str) -> list[str]:
    return [e["task_name"] for e in ok(api.get(f"/queues/{queue}"))["entries"]]


def entry_names(page: Page) -> Locator:
    return page.get_by_test_id("queue-entry").get_by_role("link")


def entry(page: Page, name: str) -> Locator:
    return page.get_by_test_id("queue-entry").filter(has_text=name)


def test_drag_a_task_to_the_front_and_the_hub_keeps_the_order(
    page: Page, api: httpx.Client
) -> None:
    q = new_queue(api)
    a, b, c = unique("A"), unique("B"), unique("C")
    enqueue_named(api, q, a, b, c)
    page.goto(f"/queues?queue={q}")
    expect(entry_names(page)).to_have_text([a, b, c])

    rows = page.get_by_test_id("queue-entry")
    with page.expect_response(lambda r: r.url.endswith(f"/queues/{q}:reorder")) as answer:
        rows.nth(2).drag_to(rows.nth(0))
    assert answer.value.ok
    expect(entry_names(page)).to_have_text([c, a, b])
    assert order(api, q) == [c, a, b]

    page.reload()
    expect(entry_names(page)).to_have_text([c, a, b])
    # the queue's length over time is charted as steps with whole-number ticks
    length = page.locator("[data-testid=chart][data-title='Waiting tasks']")
    expect(length).to_have_attribute("data-ready", "true")
    expect(length).to_have_attribute("data-paths", "stepped")
    expect(length).to_have_attribute("data-yticks", re.compile(r"^\d+(\|\d+)+$"))
    ticks = [int(t) for t in (length.get_attribute("data-yticks") or "").split("|")]
    assert ticks == sorted(set(ticks)) and ticks[0] == 0 and ticks[-1] >= 3


def test_move_to_top_remove_and_clear(page: Page, api: httpx.Client) -> None:
    q = new_queue(api)
    a, b, c = unique("A"), unique("B"), unique("C")
    ids = enqueue_named(api, q, a, b, c)
    page.goto(f"/queues?queue={q}")
    expect(entry_names(page)).to_have_text([a, b, c])

    with page.expect_response(lambda r: r.url.endswith(f"/queues/{q}:reorder")):
        entry(page, b).get_by_role("button", name="Move to top").click()
    expect(entry_names(page)).to_have_text([b, a, c])
    assert order(api, q) == [b, a, c]

    with page.expect_response(lambda r: f"/queues/{q}/entries/" in r.url):
        entry(page, c).get_by_role("button", name="Remove").click()
    expect(entry_names(page)).to_have_text([b, a])
    assert ok(api.get(f"/tasks/{ids[c]}"))["status"] == "created"

    page.get_by_role("button", name="Clear", exact=True).click()
    dialog = page.get_by_role("dialog", name=f"Clear queue {q}")
    expect(dialog).to_contain_text("back to draft")
    dialog.get_by_role("button", name="Clear queue").click()
    expect(page.get_by_text("No task is waiting")).to_be_visible()
    assert order(api, q) == []
    assert {ok(api.get(f"/tasks/{ids[n]}"))["status"] for n in (a, b)} == {"created"}
    expect(
        page.get_by_test_id("queue-row").filter(has_text=q).get_by_test_id("queue-pending")
    ).to_have_text("0")


def test_create_rename_and_delete_a_queue(page: Page, api: httpx.Client) -> None:
    name, renamed = unique("made-in-ui"), unique("renamed")
    page.goto("/queues")
    page.get_by_role("button", name="New queue").click()
    dialog = page.get_by_role("dialog", name="New queue")
    dialog.get_by_label("Queue name").fill(name)
    dialog.get_by_label("Queue tags").fill("gpu, a100")
    dialog.get_by_role("button", name="Create").click()
    expect(page.get_by_test_id("queue-detail")).to_have_attribute("data-queue", name)
    assert ok(api.get(f"/queues/{name}"))["tags"] == ["gpu", "a100"]

    page.get_by_role("button", name="Rename").click()
    dialog = page.get_by_role("dialog", name=f"Rename queue {name}")
    dialog.get_by_label("Queue name").fill(renamed)
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("queue-detail")).to_have_attribute("data-queue", renamed)
    expect(page).to_have_url(f"{page.url.split('/queues')[0]}/queues?queue={renamed}")
    assert api.get(f"/queues/{name}").status_code == 404

    page.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog", name=f"Delete queue {renamed}")
    dialog.get_by_role("button", name="Delete queue").click()
    expect(page.get_by_test_id("queue-row").filter(has_text=renamed)).to_have_count(0)
    assert api.get(f"/queues/{renamed}").status_code == 404


def test_a_bad_queue_name_shows_the_hubs_error(page: Page) -> None:
    page.goto("/queues")
    page.get_by_role("button", name="New queue").click()
    dialog = page.get_by_role("dialog", name="New queue")
    dialog.get_by_label("Queue name").fill("no spaces allowed")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Could not create the queue")


def test_deleting_a_queue_with_waiting_tasks_needs_force(page: Page, api: httpx.Client) -> None:
    q = new_queue(api)
    waiting = unique("W")
    ids = enqueue_named(api, q, waiting)
    page.goto(f"/queues?queue={q}")
    expect(entry_names(page)).to_have_text([waiting])

    page.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog", name=f"Delete queue {q}")
    delete = dialog.get_by_role("button", name="Delete queue")
    expect(delete).to_be_disabled()
    force = dialog.get_by_label("Also take out its waiting tasks (1): they go back to draft")
    force.check()
    delete.click()
    expect(page.get_by_test_id("queue-row").filter(has_text=q)).to_have_count(0)
    assert api.get(f"/queues/{q}").status_code == 404
    assert ok(api.get(f"/tasks/{ids[waiting]}"))["status"] == "created"


def test_an_unknown_queue_says_so(page: Page) -> None:
    page.goto("/queues?queue=no-such-queue")
    expect(page.get_by_text("No queue named no-such-queue")).to_be_visible()
    # the list is still there to pick another
    expect(page.get_by_test_id("queue-row").filter(has_text="default")).to_be_visible()


# --- workers ---------------------------------------------------------------------------------


@pytest.fixture
def running_worker(api: httpx.Client) -> Iterator[dict[str, Any]]:
    """A worker serving a new queue, running a task it took from it, with machine stats."""
    q = new_queue(api)
    name = unique("job")
    task_id = enqueue_named(api, q, name)[name]
    worker = unique("ui-worker")
    machine = {"hostname": "gpu-box-7", "cpu_cores": 16, "os": "Linux"}
    ok(api.post("/workers", json={"id": worker, "queues": [q], "machine": machine}), 201)
    stats = {
        "cpu_percent": 37.5,
        "memory_used": 2 << 30,
        "memory_total": 8 << 30,
        "gpus": [{"index": 0, "name": "T4", "utilization": 80.0, "memory_used": 1 << 30}],
        "net_rx": 1000.0,
        "net_tx": 500.0,
    }
    for _ in range(3):
        ok(api.post(f"/workers/{worker}:heartbeat", json={"stats": stats}))
    got = ok(api.post("/queues:dequeue", json={"worker": worker, "queues": [q]}))
    assert got["task"]["id"] == task_id
    ok(api.post(f"/tasks/{task_id}:start", json={"worker": worker}))
    yield {"id": worker, "queue": q, "task_id": task_id, "task_name": name}
    api.delete(f"/workers/{worker}")


def test_workers_page_shows_a_worker_its_queue_task_and_charts(
    page: Page, running_worker: dict[str, Any]
) -> None:
    w = running_worker
    page.goto("/workers")
    row = page.get_by_test_id("worker-row").filter(has_text=w["id"])
    expect(row.get_by_test_id("worker-state")).to_have_text("live")
    expect(row.get_by_role("link", name=w["queue"])).to_have_attribute(
        "href", f"/queues?queue={w['queue']}"
    )
    expect(row.get_by_role("link", name=w["task_name"])).to_have_attribute(
        "href", f"/experiments/{w['task_id']}"
    )
    expect(row).to_contain_text("38%")

    row.get_by_role("link", name=w["id"]).click()
    detail = page.get_by_test_id("worker-detail")
    expect(detail).to_have_attribute("data-worker", w["id"])
    expect(detail).to_contain_text("gpu-box-7")
    expect(detail.get_by_role("table", name="Current tasks")).to_contain_text(w["task_name"])
    expect(detail.get_by_role("table", name="Current tasks")).to_contain_text("running")
    for title in ("CPU", "Memory (GB)", "GPU utilisation", "GPU memory (GB)", "Network (B/s)"):
        expect(detail.locator(f"[data-testid=chart][data-title='{title}']")).to_be_visible()

    # a longer window asks the hub again
    detail.get_by_role("button", name="7 d").click()
    expect(detail.get_by_role("button", name="7 d")).to_have_attribute("aria-pressed", "true")
    expect(detail.locator("[data-testid=chart][data-title='CPU']")).to_be_visible()

    # and the queue page says who serves the queue
    detail.get_by_role("link", name=w["queue"]).click()
    expect(page.get_by_test_id("queue-workers")).to_contain_text(w["id"])


def test_gone_workers_show_on_demand(page: Page, api: httpx.Client) -> None:
    worker = unique("ui-gone")
    ok(api.post("/workers", json={"id": worker, "queues": ["default"]}), 201)
    ok(api.delete(f"/workers/{worker}"))
    page.goto("/workers")
    expect(page.get_by_role("heading", name="Workers")).to_be_visible()
    rows = page.get_by_test_id("worker-row").filter(has_text=worker)
    expect(rows).to_have_count(0)
    page.get_by_label("Show gone workers").check()
    expect(rows.get_by_test_id("worker-state")).to_have_text("gone")
    rows.get_by_role("link", name=worker).click()
    detail = page.get_by_test_id("worker-detail")
    expect(detail).to_contain_text("Gone since")
    expect(detail.get_by_text("No statistics in this window")).to_be_visible()
