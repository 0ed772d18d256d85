"""The dequeue under load and the lease: real hub processes, SQLite and PostgreSQL.

* many workers dequeueing at once through two hub processes on one database each get
  different tasks, and every task is handed out exactly once;
* a worker that goes silent loses its leases (back to the front of the queue) and its
  running tasks end failed with the reason "worker lost".
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from corral.testing.hub import Hub, make_hub
from tests.conftest import BACKENDS
from tests.factories import ok, task, unique


@pytest.fixture(params=BACKENDS)
def two_hubs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Hub, Hub]]:
    """Two hub processes on one database (as behind a load balancer)."""
    first = make_hub(tmp_path / "a", request.param)
    first.extra_env["CORRAL_WORKER_TIMEOUT"] = "600"
    first.start()
    second = Hub(root=tmp_path / "b", backend=request.param, database_url=first.database_url)
    second.extra_env["CORRAL_WORKER_TIMEOUT"] = "600"
    second.root.mkdir(parents=True)
    shutil.copy(first.config_file, second.config_file)
    if first.database_url is None:  # SQLite: the second process opens the first one's file
        second.extra_env["CORRAL_DATABASE_URL"] = f"sqlite:///{first.data_dir / 'corral.db'}"
        second.database_url = f"sqlite:///{first.data_dir / 'corral.db'}"
    second.start()
    yield first, second
    second.stop()
    first.dispose()


def test_many_workers_through_two_hub_processes_get_each_task_exactly_once(
    two_hubs: tuple[Hub, Hub],
) -> None:
    first, second = two_hubs
    queue = unique("q")
    with first.client() as api:
        ok(api.post("/queues", json={"name": queue}), 201)
        ids = []
        for i in range(200):
            t = task(api, name=f"t{i}")
            ok(api.post(f"/tasks/{t['id']}:enqueue", json={"queue": queue}))
            ids.append(t["id"])
    got: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker(hub: Hub, n: int) -> None:
        try:
            with hub.client() as c:
                wid = ok(
                    c.post("/workers", json={"id": f"w{n}-{unique()}", "queues": [queue]}), 201
                )["id"]
                start.wait()
                while True:
                    r = ok(c.post("/queues:dequeue", json={"worker": wid, "queues": [queue]}))
                    if r["task"] is None:
                        return
                    ok(c.post(f"/tasks/{r['task']['id']}:start", json={"worker": wid}))
                    with lock:
                        got.append(r["task"]["id"])
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [
        threading.Thread(target=worker, args=(h, n)) for n, h in enumerate([first, second] * 4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors
    counts = Counter(got)
    assert set(counts) == set(ids) and max(counts.values()) == 1
    with second.client() as api:
        assert ok(api.get(f"/queues/{queue}"))["entries"] == []
        running = ok(api.get("/tasks", params={"status": "in_progress", "limit": 500}))["items"]
        assert {t["id"] for t in running} >= set(ids)


@pytest.fixture
def quick_hub(tmp_path: Path) -> Iterator[Hub]:
    """A hub that gives up on a silent worker after one second."""
    hub = make_hub(tmp_path / "hub", "sqlite")
    hub.extra_env["CORRAL_WORKER_TIMEOUT"] = "1"
    hub.start()
    yield hub
    hub.dispose()


def _wait_for(check: Any, what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_silent_worker_loses_its_lease_and_its_running_task_fails(quick_hub: Hub) -> None:
    with quick_hub.client() as api:
        queue = ok(api.post("/queues", json={"name": "gpu"}), 201)["name"]
        a, b, c = (task(api)["id"] for _ in range(3))
        for t in (a, b, c):
            ok(api.post(f"/tasks/{t}:enqueue", json={"queue": queue}))
        silent = ok(api.post("/workers", json={"id": "silent", "queues": [queue]}), 201)["id"]
        running = ok(api.post("/queues:dequeue", json={"worker": silent, "queues": [queue]}))
        ok(api.post(f"/tasks/{running['task']['id']}:start", json={"worker": silent}))
        leased = ok(api.post("/queues:dequeue", json={"worker": silent, "queues": [queue]}))
        assert (running["task"]["id"], leased["task"]["id"]) == (a, b)
        # ...and then the worker says nothing more

        def failed() -> dict[str, Any] | None:
            t = ok(api.get(f"/tasks/{a}"))
            return t if t["status"] == "failed" else None

        lost = _wait_for(failed, "the running task to fail")
        assert lost["status_reason"] == "worker lost"
        entries = [e["task_id"] for e in ok(api.get(f"/queues/{queue}"))["entries"]]
        assert entries == [b, c]  # the leased task is back at the front
        back = ok(api.get(f"/tasks/{b}"))
        assert back["status"] == "queued" and back["worker"] is None
        gone = {w["id"]: w for w in ok(api.get("/workers", params={"include_gone": "true"}))}
        assert gone["silent"]["gone_at"] is not None
        assert "silent" not in {w["id"] for w in ok(api.get("/workers"))}
        # another worker gets the released task first
        other = ok(api.post("/workers", json={"id": "other", "queues": [queue]}), 201)["id"]
        assert (
            ok(api.post("/queues:dequeue", json={"worker": other, "queues": [queue]}))["task"]["id"]
            == b
        )


def test_a_heartbeating_worker_keeps_its_lease(quick_hub: Hub) -> None:
    with quick_hub.client() as api:
        t = task(api)["id"]
        queue = ok(api.post("/queues", json={"name": "q"}), 201)["name"]
        ok(api.post(f"/tasks/{t}:enqueue", json={"queue": queue}))
        w = ok(api.post("/workers", json={"id": "alive", "queues": [queue]}), 201)["id"]
        ok(api.post("/queues:dequeue", json={"worker": w, "queues": [queue]}))
        # heartbeat through several timeouts: the lease holds
        for _ in range(30):
            ok(api.post(f"/workers/{w}:heartbeat", json={}))
            time.sleep(0.1)
        assert ok(api.get(f"/tasks/{t}"))["worker"] == w
        assert ok(api.post(f"/tasks/{t}:start", json={"worker": w}))["status"] == "in_progress"
