"""``corral queue ...`` (and ``task enqueue``/``task list --queue``) against a real hub."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import httpx

from corral.testing.hub import Hub
from tests import factories as f
from tests.cli.test_cli import corral
from tests.cli.test_task_cli import one_line_error


def queue_cli(hub: Hub, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return corral("queue", *args, config=hub.config_file, input=input)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def order(api: httpx.Client, queue: str) -> list[str]:
    return [e["task_id"] for e in f.ok(api.get(f"/queues/{queue}"))["entries"]]


def queued_tasks(api: httpx.Client, queue: str, n: int) -> list[dict[str, Any]]:
    tasks = [f.task(api, name=f"job-{i}") for i in range(n)]
    for t in tasks:
        f.ok(api.post(f"/tasks/{t['id']}:enqueue", json={"queue": queue}))
    return tasks


def test_create_list_show_rename_and_delete(hub: Hub, api: httpx.Client) -> None:
    name = f.unique("q")
    made = json.loads(ok(queue_cli(hub, "create", name, "--tag", "gpu", "--json")))
    assert made["name"] == name and made["tags"] == ["gpu"]
    listed = {q["name"]: q for q in json.loads(ok(queue_cli(hub, "list", "--json")))}
    assert listed[name]["pending"] == 0 and "default" in listed
    table = ok(queue_cli(hub, "list"))
    assert name in table and "avg wait" in table
    assert "empty" in ok(queue_cli(hub, "show", name))
    one_line_error(queue_cli(hub, "create", name), "already exists")

    tasks = queued_tasks(api, name, 2)
    shown = ok(queue_cli(hub, "show", name))
    assert shown.index(tasks[0]["id"]) < shown.index(tasks[1]["id"])
    assert "2 pending" in shown and "job-1" in shown
    detail = json.loads(ok(queue_cli(hub, "show", name, "--json")))
    assert [e["task_id"] for e in detail["entries"]] == [t["id"] for t in tasks]

    new = f.unique("renamed")
    ok(queue_cli(hub, "rename", name, new))
    assert order(api, new) == [t["id"] for t in tasks]
    one_line_error(queue_cli(hub, "show", name), "no queue named")

    one_line_error(queue_cli(hub, "delete", new), "--force", "corral queue clear")
    assert order(api, new) == [t["id"] for t in tasks]  # nothing changed
    ok(queue_cli(hub, "delete", new, "--force"))
    assert f.ok(api.get(f"/tasks/{tasks[0]['id']}"))["status"] == "created"
    assert api.get(f"/queues/{new}").status_code == 404


def test_enqueue_top_and_list_in_queue_order(hub: Hub, api: httpx.Client) -> None:
    name = f.ok(api.post("/queues", json={"name": f.unique("q")}))["name"]
    first, second, urgent = (f.task(api) for _ in range(3))
    for t in (first, second):
        ok(corral("task", "enqueue", t["id"], "--queue", name, config=hub.config_file))
    out = ok(
        corral("task", "enqueue", urgent["id"], "--queue", name, "--top", config=hub.config_file)
    )
    assert "front" in out
    assert order(api, name) == [urgent["id"], first["id"], second["id"]]
    listed = corral("task", "list", "--queue", name, "--json", config=hub.config_file)
    assert [t["id"] for t in json.loads(ok(listed))] == order(api, name)
    table = ok(corral("task", "list", "--queue", name, config=hub.config_file))
    assert f"queue {name}" in table


def test_move_and_remove(hub: Hub, api: httpx.Client) -> None:
    name = f.ok(api.post("/queues", json={"name": f.unique("q")}))["name"]
    a, b, c = (t["id"] for t in queued_tasks(api, name, 3))
    assert "position 0" in ok(queue_cli(hub, "move", name, c, "--top"))
    assert order(api, name) == [c, a, b]
    ok(queue_cli(hub, "move", name, c[:10], "--bottom"))  # a prefix names the task
    assert order(api, name) == [a, b, c]
    ok(queue_cli(hub, "move", name, a, "--index", "1"))
    assert order(api, name) == [b, a, c]
    one_line_error(queue_cli(hub, "move", name, a), "--top")
    one_line_error(queue_cli(hub, "move", name, a, "--top", "--index", "2"), "exactly one")
    other = f.task(api)["id"]
    one_line_error(queue_cli(hub, "move", name, other, "--top"), "not waiting")
    assert order(api, name) == [b, a, c]

    out = ok(queue_cli(hub, "remove", name, a))
    assert "draft" in out
    assert order(api, name) == [b, c]
    assert f.ok(api.get(f"/tasks/{a}"))["status"] == "created"


def test_clear_asks_first_unless_yes(hub: Hub, api: httpx.Client) -> None:
    name = f.ok(api.post("/queues", json={"name": f.unique("q")}))["name"]
    tasks = queued_tasks(api, name, 2)
    for answer in ("n\n", ""):  # no, or no answer at all (stdin closed)
        declined = queue_cli(hub, "clear", name, input=answer)
        one_line_error(declined, "nothing was changed", "--yes")
    assert len(order(api, name)) == 2
    accepted = queue_cli(hub, "clear", name, input="y\n")
    assert "removed 2" in ok(accepted)
    assert order(api, name) == []
    queued_tasks(api, name, 1)
    assert "removed 1" in ok(queue_cli(hub, "clear", name, "--yes"))
    assert all(f.ok(api.get(f"/tasks/{t['id']}"))["status"] == "created" for t in tasks)
    assert "already empty" in ok(queue_cli(hub, "clear", name, "--yes"))


def test_unknown_queues_and_builtin_queues_are_one_line_errors(hub: Hub, api: httpx.Client) -> None:
    missing = f.unique("missing")
    task = f.task(api)["id"]
    for args in (
        ("show", missing),
        ("rename", missing, "x"),
        ("delete", missing),
        ("clear", missing, "--yes"),
        ("move", missing, task, "--top"),
        ("remove", missing, task),
    ):
        one_line_error(queue_cli(hub, *args), "no queue named")
    one_line_error(queue_cli(hub, "rename", "default", f.unique("x")), "built in")
    one_line_error(queue_cli(hub, "delete", "services"), "built in")
    one_line_error(
        corral("task", "list", "--queue", missing, config=hub.config_file), "no queue named"
    )
