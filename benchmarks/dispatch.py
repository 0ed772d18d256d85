"""How fast queued tasks reach agents and run.

Budgets (DESIGN.md section 9): enqueue -> an idle agent picks the task up < 200 ms;
a repeated task with a cached environment: enqueue -> script running < 2 s;
1,000 tasks through 8 agents: none run twice, none lost.

Figures, against a real hub (SQLite, and PostgreSQL when ``CORRAL_TEST_DATABASE_URL``
is set) and real ``corral agent`` processes:

* pick-up latency for an idle agent (plain mode), median and p99 over ``--pickups``
  tasks: from the hub's ``enqueued`` change to its ``leased`` change (both hub
  clock). Baseline: the round trip of the enqueue request itself.
* enqueue -> first line of the script's output, venv mode, with a cold environment
  (an empty agent cache; uv's download cache warm) and with the cached one. Baseline:
  the same script started directly with ``python``.
* dispatch throughput: ``--tasks`` trivial tasks through ``--agents`` (4) plain agents, tasks/s from
  the first enqueue to the last completion; every task must run exactly once.
  Baseline: the same scripts run one after another with ``python`` (tasks/s).

    .venv/bin/python benchmarks/dispatch.py [--pickups 30] [--tasks 200] [--agents 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from _common import Hub, backends, emit, running_hub, say

TRIVIAL = "print('ran', flush=True)\n"
FIRST_LINE = "print('first line', flush=True)\nimport six\n"


def _task(api: httpx.Client, name: str, code: str, requirements: str = "") -> str:
    body = {
        "name": name,
        "project": "benchmarks/dispatch",
        "script": {
            "code": code,
            "entry_point": "t.py",
            "working_dir": ".",
            "requirements": {"pip": requirements},
        },
    }
    r = api.post("/tasks", json=body)
    r.raise_for_status()
    return str(r.json()["id"])


@contextmanager
def agents(hub: Hub, root: Path, queue: str, n: int, *extra: str) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    env = {
        **hub.env(),
        "CORRAL_ACCESS_KEY": hub.access_key,
        "CORRAL_SECRET_KEY": hub.secret_key,
        "CORRAL_AGENT_ROOT": str(root),
        "CORRAL_AGENT_HEARTBEAT": "2",
    }
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "corral",
                "agent",
                "--queue",
                queue,
                "--name",
                f"bench-{queue}-{i}",
                *extra,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(root / f"agent-{i}.log").open("ab"),
            start_new_session=True,
        )
        for i in range(n)
    ]
    try:
        with hub.client() as api:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                live = [w for w in api.get("/workers").json() if queue in w["queues"]]
                if len(live) >= n:
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError("the agents did not register")
        yield
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


def _change_time(api: httpx.Client, task_id: str, action: str) -> datetime | None:
    page = api.get("/changes", params={"entity_type": "task", "entity_id": task_id, "limit": 1000})
    for c in page.json()["items"]:
        if c["action"] == action:
            return datetime.fromisoformat(c["time"])
    return None


def _wait_status(
    api: httpx.Client, task_id: str, statuses: set[str], timeout: float = 300
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        t = api.get(f"/tasks/{task_id}").json()
        if t["status"] in statuses:
            return dict(t)
        time.sleep(0.02)
    raise RuntimeError(f"task {task_id} did not reach {statuses}")


def pickups(hub: Hub, root: Path, n: int) -> dict[str, float]:
    queue = "pickup"
    with hub.client() as api:
        api.post("/queues", json={"name": queue}).raise_for_status()
        latencies, round_trips = [], []
        with agents(hub, root / "pickup", queue, 1, "--plain"):
            time.sleep(1.0)  # the agent is idle, waiting in its long-poll
            for i in range(n):
                tid = _task(api, f"pickup-{i}", TRIVIAL)
                t0 = time.perf_counter()
                api.post(f"/tasks/{tid}:enqueue", json={"queue": queue}).raise_for_status()
                round_trips.append(time.perf_counter() - t0)
                _wait_status(api, tid, {"completed", "failed"})
                enq, leased = _change_time(api, tid, "enqueued"), _change_time(api, tid, "leased")
                assert enq and leased
                latencies.append((leased - enq).total_seconds())
                time.sleep(0.3)  # idle again before the next one
    latencies.sort()
    return {
        "pickup_median_ms": statistics.median(latencies) * 1000,
        "pickup_p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "baseline_enqueue_round_trip_ms": statistics.median(round_trips) * 1000,
    }


def _first_line_after(api: httpx.Client, tid: str, t0: float, wall0: float) -> float:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        items = api.get(f"/tasks/{tid}/logs", params={"search": "first line"}).json()["items"]
        if items:
            return float(items[0]["time"]) - wall0
        time.sleep(0.02)
    raise RuntimeError("no first line")


def first_line(hub: Hub, root: Path) -> dict[str, float]:
    queue = "venv"
    result: dict[str, float] = {}
    with hub.client() as api:
        api.post("/queues", json={"name": queue}).raise_for_status()
        with agents(hub, root / "venv", queue, 1):
            for label in ("cold", "cached"):
                tid = _task(api, f"first-line-{label}", FIRST_LINE, "six==1.16.0\n")
                wall0 = time.time()
                api.post(f"/tasks/{tid}:enqueue", json={"queue": queue}).raise_for_status()
                result[f"first_line_{label}_s"] = _first_line_after(api, tid, 0, wall0)
                done = _wait_status(api, tid, {"completed", "failed"})
                if done["status"] != "completed":
                    raise RuntimeError(f"the {label} task failed: {done['status_reason']}")
    script = root / "direct.py"
    script.write_text("print('first line', flush=True)\n")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(script)], check=True, capture_output=True)
    result["baseline_direct_python_s"] = time.perf_counter() - t0
    return result


def throughput(hub: Hub, root: Path, n: int, n_agents: int) -> dict[str, float]:
    queue = "throughput"
    with hub.client() as api:
        api.post("/queues", json={"name": queue}).raise_for_status()
        ids = [_task(api, f"trivial-{i}", TRIVIAL) for i in range(n)]
        with agents(hub, root / "throughput", queue, n_agents, "--plain"):
            t0 = time.perf_counter()
            for tid in ids:
                api.post(f"/tasks/{tid}:enqueue", json={"queue": queue}).raise_for_status()
            finished = [_wait_status(api, tid, {"completed", "failed"}) for tid in ids]
            seconds = time.perf_counter() - t0
        ran = [
            len(api.get(f"/tasks/{tid}/logs", params={"search": "ran"}).json()["items"])
            for tid in ids
        ]
    completed = sum(t["status"] == "completed" for t in finished)
    script = root / "trivial.py"
    script.write_text(TRIVIAL)
    b0 = time.perf_counter()
    for _ in range(20):
        subprocess.run([sys.executable, str(script)], check=True, capture_output=True)
    baseline = 20 / (time.perf_counter() - b0)
    return {
        "throughput_tasks_per_s": n / seconds,
        "throughput_completed": completed,
        "throughput_ran_twice": sum(r > 1 for r in ran),
        "throughput_lost": sum(r == 0 for r in ran),
        "baseline_sequential_python_tasks_per_s": baseline,
    }


def run(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {}
    with running_hub(backend) as hub, tempfile.TemporaryDirectory(prefix="corral-dispatch-") as tmp:
        root = Path(tmp)
        say(f"[{backend}] pick-up latency (idle agent, plain mode) ...")
        result.update(pickups(hub, root, args.pickups))
        say(f"  median {result['pickup_median_ms']:.1f} ms, p99 {result['pickup_p99_ms']:.1f} ms")
        say(f"[{backend}] enqueue -> first line of output (venv mode) ...")
        result.update(first_line(hub, root))
        say(
            f"  cold {result['first_line_cold_s']:.2f} s, cached {result['first_line_cached_s']:.2f} s"
        )
        say(f"[{backend}] throughput ({args.tasks} tasks, {args.agents} plain agents) ...")
        result.update(throughput(hub, root, args.tasks, args.agents))
        result["throughput_agents"] = args.agents
        say(f"  {result['throughput_tasks_per_s']:.1f} tasks/s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pickups", type=int, default=30)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--agents", type=int, default=4, help="agents of the throughput run")
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    emit({"benchmark": "dispatch", **{b: run(b, args) for b in backends()}})


if __name__ == "__main__":
    main()
