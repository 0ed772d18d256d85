"""``corral worker ...`` against a real hub, with workers registered through the API."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import httpx

from corral.testing.hub import Hub
from tests import factories as f
from tests.cli.test_cli import corral
from tests.cli.test_task_cli import one_line_error

GIB = 1024**3
STATS = {
    "cpu_percent": 37.0,
    "memory_used": 6 * GIB,
    "memory_total": 16 * GIB,
    "gpus": [
        {"index": 0, "name": "A100", "utilization": 91.0},
        {"index": 1, "name": "A100", "utilization": 12.0},
    ],
}


def worker_cli(hub: Hub, *args: str) -> subprocess.CompletedProcess[str]:
    return corral("worker", *args, config=hub.config_file)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def busy_worker(api: httpx.Client) -> tuple[str, dict[str, Any]]:
    """A worker serving a queue of its own, heartbeating with stats, running one task."""
    queue = f.ok(api.post("/queues", json={"name": f.unique("wq")}))["name"]
    worker = f.unique("box") + ":0"
    machine = {"hostname": "gpu-box-7", "os": "Linux", "python": "3.11.9", "cpu_count": 32}
    f.ok(api.post("/workers", json={"id": worker, "queues": [queue], "machine": machine}))
    f.ok(api.post(f"/workers/{worker}:heartbeat", json={"stats": STATS}))
    task = f.task(api, name="training-run")
    f.ok(api.post(f"/tasks/{task['id']}:enqueue", json={"queue": queue}))
    got = f.ok(api.post("/queues:dequeue", json={"worker": worker, "queues": [queue]}))
    assert got["task"]["id"] == task["id"]
    f.ok(api.post(f"/tasks/{task['id']}:start", json={"worker": worker}))
    return worker, task


def test_list_shows_queues_task_and_load(hub: Hub, api: httpx.Client) -> None:
    worker, task = busy_worker(api)
    table = ok(worker_cli(hub, "list"))
    row = next(line for line in table.splitlines() if worker in line)
    for text in (task["id"][:8], "training-run", "37%", "6.0 GiB / 16.0 GiB", "2: 91% 12%", "ago"):
        assert text in row, (text, row)
    listed = {w["id"]: w for w in json.loads(ok(worker_cli(hub, "list", "--json")))}
    assert listed[worker]["tasks"][0]["id"] == task["id"]
    assert listed[worker]["last_stats"]["cpu_percent"] == 37.0


def test_show_describes_the_machine_and_its_tasks(hub: Hub, api: httpx.Client) -> None:
    worker, task = busy_worker(api)
    shown = ok(worker_cli(hub, "show", worker))
    for text in ("alive", "gpu-box-7", "Linux", "3.11.9", "37%", task["id"], "in_progress"):
        assert text in shown, text
    data = json.loads(ok(worker_cli(hub, "show", worker, "--json")))
    assert data["id"] == worker and data["machine"]["cpu_count"] == 32


def test_gone_workers_are_listed_with_all(hub: Hub, api: httpx.Client) -> None:
    worker = f.unique("gone")
    f.ok(api.post("/workers", json={"id": worker, "queues": ["default"]}))
    f.ok(api.delete(f"/workers/{worker}"))
    assert worker not in {w["id"] for w in json.loads(ok(worker_cli(hub, "list", "--json")))}
    every = ok(worker_cli(hub, "list", "--all"))
    assert f"{worker} (gone)" in every
    assert "gone since" in ok(worker_cli(hub, "show", worker))


def test_unknown_worker_is_a_one_line_error(hub: Hub) -> None:
    one_line_error(worker_cli(hub, "show", f.unique("nobody")))
