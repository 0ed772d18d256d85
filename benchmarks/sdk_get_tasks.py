"""``Task.get_tasks`` for the top 100 of 5,000 tasks by a metric, against one REST page.

Issue 12 measured a top-100 query sorted by a metric at 0.9-1.35 s through the SDK
(which paged through the whole project, ignoring the page size) against 20-27 ms for
one REST page. The SDK now asks the hub for that one page.

The hub (a real ``corral server``) gets ``--tasks`` tasks in one project through REST,
from a few threads: each task is created and sent one event batch with its ``acc/val``
scalar, so the hub keeps its metric summary as for any run. Then, each
``--repeat`` times after a warm-up (medians reported), in this process:

* ``sdk``: ``Task.get_tasks(project_name=..., task_filter={"order_by":
  ["-metric:acc:val:max"], "page_size": 100})``, the project looked up by name as the
  SDK does;
* ``rest`` (the baseline): one ``GET /api/v1/tasks?project_id=...&sort=-metric:acc:val:max
  &limit=100`` with a plain ``httpx.Client``, the project id known;
* ``all_pages``: every task of the project sorted by the metric through ``HubClient``
  (what the SDK did before: 500-row pages to the end), for scale.

It checks that the SDK's page is the REST page, in the same order.

    .venv/bin/python benchmarks/sdk_get_tasks.py [--tasks 5000] [--repeat 15] [--threads 4]
"""

from __future__ import annotations

import argparse
import random
import statistics
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from _common import Hub, Timer, backends, emit, running_hub, say

from corral import Task
from corral.client.config import HubCredentials
from corral.client.http import HubClient
from corral.sdk import session

PAGE = 100
SORT = "-metric:acc:val:max"


def populate(hub: Hub, project: str, n: int, threads: int, seed: int) -> str:
    """``n`` tasks in ``project``, each with one ``acc/val`` point; the project's id."""
    rng = random.Random(seed)
    values = [rng.random() for _ in range(n)]
    with hub.client() as api:
        r = api.post("/projects", json={"name": project})
        r.raise_for_status()
        project_id = str(r.json()["id"])

    def one(chunk: list[float]) -> None:
        with hub.client() as api:
            for value in chunk:
                body = {"name": f"run-{uuid.uuid4().hex[:8]}", "project_id": project_id}
                r = api.post("/tasks", json=body)
                r.raise_for_status()
                event = {"type": "scalar", "metric": "acc", "variant": "val", "iteration": 1}
                batch = {"batch_id": uuid.uuid4().hex, "events": [{**event, "value": value}]}
                api.post(f"/tasks/{r.json()['id']}/events", json=batch).raise_for_status()

    chunks = [values[i::threads] for i in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, chunks))
    return project_id


def median_ms(fn: Any, repeat: int) -> tuple[float, Any]:
    result = fn()  # warm-up (connections, caches)
    times = []
    for _ in range(repeat):
        with Timer() as t:
            result = fn()
        times.append(t.seconds)
    return statistics.median(times) * 1000, result


def bench(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    with running_hub(backend) as hub:
        project = "bench-get-tasks"
        with Timer() as load:
            project_id = populate(hub, project, args.tasks, args.threads, args.seed)
        say(f"[{backend}] {args.tasks} tasks with a metric through REST in {load.seconds:.1f} s")

        client = HubClient(
            HubCredentials(hub.url, hub.access_key, hub.secret_key), timeout=session.TIMEOUT
        )
        session.set_hub_client(client)
        task_filter = {"order_by": [SORT], "page_size": PAGE}
        params = {"project_id": project_id, "sort": SORT, "limit": PAGE}
        with hub.client() as api:
            rest_ms, page = median_ms(
                lambda: api.get("/tasks", params=params).json()["items"], args.repeat
            )
        sdk_ms, tasks = median_ms(
            lambda: Task.get_tasks(project_name=project, task_filter=task_filter), args.repeat
        )
        all_ms, rows = median_ms(
            lambda: list(client.tasks.iter(project_id=project_id, sort=SORT)),
            max(3, args.repeat // 5),
        )
        session.set_hub_client(None)
        client.close()

        same = [t.id for t in tasks] == [row["id"] for row in page]
        if not same or len(page) != PAGE or len(rows) != args.tasks:
            raise SystemExit(f"[{backend}] the SDK's page is not the REST page")
        say(
            f"[{backend}] top {PAGE} by {SORT}: Task.get_tasks {sdk_ms:.1f} ms, "
            f"one REST GET {rest_ms:.1f} ms (x{sdk_ms / rest_ms:.2f}); "
            f"every page of the project {all_ms:.0f} ms"
        )
        return {
            "tasks": args.tasks,
            "page_size": PAGE,
            "sdk_get_tasks_ms": round(sdk_ms, 2),
            "rest_page_ms": round(rest_ms, 2),
            "ratio": round(sdk_ms / rest_ms, 2),
            "all_pages_ms": round(all_ms, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], action="append")
    args = parser.parse_args()
    results = {b: bench(b, args) for b in (args.backend or backends())}
    emit(
        {
            "benchmark": "sdk_get_tasks",
            "run": uuid.uuid4().hex[:8],
            "tasks": args.tasks,
            "page_size": PAGE,
            "repeat": args.repeat,
            "results": results,
        }
    )


if __name__ == "__main__":
    main()
