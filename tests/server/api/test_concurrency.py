"""Concurrent writers and readers: nothing fails, nothing is lost, transitions stay atomic."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from corral.testing.hub import Hub
from tests import factories as f


def test_concurrent_writers_and_readers(hub: Hub) -> None:
    project = f.unique("busy")
    statuses: list[int] = []

    def writer(n: int) -> list[str]:
        ids = []
        with hub.client() as c:
            for i in range(15):
                r = c.post(
                    "/tasks", json={"name": f"w{n}-{i}", "project": project, "tags": [f"w{n}"]}
                )
                statuses.append(r.status_code)
                ids.append(r.json()["id"])
                statuses.append(
                    c.patch(f"/tasks/{ids[-1]}", json={"comment": "edited"}).status_code
                )
                statuses.append(c.post(f"/tasks/{ids[-1]}:start", json={}).status_code)
        return ids

    def reader(_: int) -> int:
        seen = 0
        with hub.client() as c:
            for _ in range(30):
                r = c.get("/tasks", params={"text": "w", "limit": 100})
                statuses.append(r.status_code)
                seen = max(seen, len(r.json()["items"]))
        return seen

    with ThreadPoolExecutor(max_workers=10) as pool:
        writers = [pool.submit(writer, n) for n in range(6)]
        readers = [pool.submit(reader, n) for n in range(4)]
        created = [tid for w in writers for tid in w.result()]
        for r in readers:
            r.result()
    assert set(statuses) <= {200, 201}, sorted(set(statuses))
    assert len(created) == len(set(created)) == 90
    with hub.client() as c:
        pid = f.ok(c.get("/projects", params={"search": project}))[0]["id"]
        page = f.ok(c.get("/tasks", params={"project_id": pid, "limit": 500, "with_total": True}))
        assert page["total"] == 90
        assert {t["status"] for t in page["items"]} == {"in_progress"}
        assert {t["comment"] for t in page["items"]} == {"edited"}


def test_only_one_of_many_concurrent_starts_wins(hub: Hub, api: httpx.Client) -> None:
    for _ in range(3):
        t = f.task(api)
        f.ok(api.post(f"/tasks/{t['id']}:enqueue", json={}))

        def start(worker: int, task_id: str = t["id"]) -> int:
            with hub.client() as c:
                return c.post(f"/tasks/{task_id}:start", json={"worker": f"w{worker}"}).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(start, range(8)))
        assert sorted(codes) == [200] + [409] * 7
        final = f.ok(api.get(f"/tasks/{t['id']}"))
        assert final["status"] == "in_progress" and final["worker"].startswith("w")


def test_a_change_log_follower_misses_nothing_under_concurrent_writes(hub: Hub) -> None:
    """A reader that moves its cursor while others write sees every change exactly once."""
    project = f.unique("follow")
    with hub.client() as c:
        pid = f.ok(c.post("/projects", json={"name": project}))["id"]
        cursor = int(f.ok(c.get("/changes/latest"))["cursor"])
    done = threading.Event()
    followed: list[int] = []

    def writer(n: int) -> None:
        with hub.client() as c:
            for i in range(20):
                tid = f.ok(c.post("/tasks", json={"name": f"f{n}-{i}", "project": project}))["id"]
                f.ok(c.patch(f"/tasks/{tid}", json={"comment": "x"}))

    def follower() -> None:
        nonlocal cursor
        with hub.client() as c:
            while True:
                last_round = done.is_set()
                page = f.ok(
                    c.get("/changes", params={"cursor": cursor, "project_id": pid, "limit": 7})
                )
                followed.extend(ch["id"] for ch in page["items"])
                cursor = page["next_cursor"]
                if last_round and not page["items"]:
                    return

    with ThreadPoolExecutor(max_workers=7) as pool:
        follow = pool.submit(follower)
        for w in [pool.submit(writer, n) for n in range(6)]:
            w.result()
        done.set()
        follow.result()
    with hub.client() as c:
        everything = f.ok(c.get("/changes", params={"project_id": pid, "limit": 1000}))["items"]
    ids = [ch["id"] for ch in everything if ch["entity_type"] == "task"]
    assert len(ids) == 6 * 20 * 2
    assert sorted(set(followed) & set(ids)) == sorted(ids)
    assert len(followed) == len(set(followed))


def test_concurrent_first_tasks_of_a_new_project_all_succeed(hub: Hub) -> None:
    """Requests that create the same new project tree at once all succeed, on one tree."""
    threads, rounds = 8, 12
    start = threading.Barrier(threads)
    roots = [f.unique("race") for _ in range(rounds)]

    def create(n: int) -> list[int]:
        statuses = []
        with hub.client() as c:
            for root in roots:
                start.wait()
                r = c.post("/tasks", json={"name": f"t{n}", "project": f"{root}/a/b"})
                statuses.append(r.status_code)
        return statuses

    with ThreadPoolExecutor(max_workers=threads) as pool:
        statuses = [s for result in pool.map(create, range(threads)) for s in result]
    assert statuses == [201] * threads * rounds
    with hub.client() as c:
        for root in roots:
            found = f.ok(c.get("/projects", params={"search": root}))
            assert sorted(p["name"] for p in found) == [root, f"{root}/a", f"{root}/a/b"]
