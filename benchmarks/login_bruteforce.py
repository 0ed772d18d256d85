"""Other users' writes while a password is brute-forced: event batch latency, idle and
under attack.

Budget (issue 13): the median latency of another user's event batches while 4 clients
send wrong passwords for a real user as fast as they can is at most 2x the idle median.

One user posts event batches (100 scalars each, one after another) with an API key:
first alone (the baseline, in the same run), then while ``--attackers`` processes post
``POST /auth/login`` with wrong passwords for another user in a loop. The hub runs with
its default throttle (a growing delay after 5 failures, a lockout after 20).

    .venv/bin/python benchmarks/login_bruteforce.py [--samples 200] [--attackers 4] [--seconds 20]

``run(hub, ...)`` measures against a running hub (``benchmarks/authz.py`` uses it).
"""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from _common import Hub, backends, emit, running_hub, say

BUDGET = 2.0

ATTACKER = textwrap.dedent(
    """
    import json, signal, sys, httpx
    url, name, out = sys.argv[1:4]
    counts = {}
    stop = False
    def _stop(*_):
        global stop
        stop = True
    signal.signal(signal.SIGTERM, _stop)
    with httpx.Client(timeout=120) as c:
        n = 0
        while not stop:
            n += 1
            body = {"username": name, "password": f"guess-{n}"}
            r = c.post(url + "/api/v1/auth/login", json=body)
            counts[r.status_code] = counts.get(r.status_code, 0) + 1
            if n == 1:
                open(out + ".started", "w").close()
    with open(out, "w") as f:
        f.write(json.dumps(counts))
    """
)


def _batches(c: httpx.Client, task_id: str, n: int, start: int) -> list[float]:
    times = []
    for i in range(start, start + n):
        events = [
            {
                "type": "scalar",
                "metric": "loss",
                "variant": "train",
                "iteration": i * 100 + j,
                "value": 1.0 / (1 + j),
            }
            for j in range(100)
        ]
        body = {"batch_id": uuid.uuid4().hex, "events": events}
        t0 = time.perf_counter()
        r = c.post(f"/tasks/{task_id}/events", json=body)
        times.append(time.perf_counter() - t0)
        r.raise_for_status()
    return times


def _user(admin: httpx.Client, prefix: str) -> dict[str, Any]:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    body = {"name": name, "password": "bench-" + secrets.token_urlsafe(18)}
    r = admin.post("/users", json=body)
    r.raise_for_status()
    return dict(r.json())


def run(
    hub: Hub | None = None, *, samples: int = 200, attackers: int = 4, seconds: float = 20.0
) -> dict[str, Any]:
    """Median latency of one user's event batches, idle and while ``attackers``
    processes brute-force another user's password: ``idle_ms``, ``under_attack_ms``,
    ``ratio`` and the attackers' answers by status.

    Without ``hub``, on a hub of its own per backend (SQLite, and PostgreSQL when
    ``CORRAL_TEST_DATABASE_URL`` is set): the figures of each under its name, and
    the first backend's at the top level.
    """
    if hub is None:
        return _on_each_backend(samples, attackers, seconds)
    with hub.client() as admin:
        victim = _user(admin, "victim")
        writer = _user(admin, "writer")
        r = admin.post("/keys", json={"user_id": writer["id"], "label": "benchmark"})
        r.raise_for_status()
        key = r.json()
    auth = {"Authorization": f"Bearer {key['access_key']}:{key['secret_key']}"}
    with httpx.Client(base_url=hub.url + "/api/v1", headers=auth, timeout=120) as c:
        r = c.post("/tasks", json={"name": "writes", "project": f"bench-{uuid.uuid4().hex[:6]}"})
        r.raise_for_status()
        task_id = r.json()["id"]
        c.post(f"/tasks/{task_id}:start", json={}).raise_for_status()
        _batches(c, task_id, 20, 0)  # warm up
        idle = _batches(c, task_id, samples, 20)
        with tempfile.TemporaryDirectory() as tmp:
            outs = [Path(tmp) / f"attacker{i}" for i in range(attackers)]
            procs = [
                subprocess.Popen([sys.executable, "-c", ATTACKER, hub.url, victim["name"], str(o)])
                for o in outs
            ]
            try:
                while not all(Path(f"{o}.started").exists() for o in outs):
                    time.sleep(0.05)
                started = time.perf_counter()
                attacked: list[float] = []
                # at least `samples` batches, and long enough to see the delays grow
                while len(attacked) < samples or time.perf_counter() - started < seconds:
                    attacked += _batches(c, task_id, 20, 20 + samples + len(attacked))
                elapsed = time.perf_counter() - started
            finally:
                for p in procs:
                    p.send_signal(signal.SIGTERM)
                for p in procs:
                    p.wait(120)
            counts: dict[str, int] = {}
            for o in outs:
                for status, n in json.loads(o.read_text()).items():
                    counts[status] = counts.get(status, 0) + n
    idle_ms = statistics.median(idle) * 1000
    attack_ms = statistics.median(attacked) * 1000
    return {
        "idle_ms": round(idle_ms, 2),
        "under_attack_ms": round(attack_ms, 2),
        "ratio": round(attack_ms / idle_ms, 3),
        "idle_p95_ms": round(sorted(idle)[int(0.95 * len(idle))] * 1000, 2),
        "under_attack_p95_ms": round(sorted(attacked)[int(0.95 * len(attacked))] * 1000, 2),
        "attempts": counts,
        "attack_seconds": round(elapsed, 1),
        "samples": len(attacked),
        "attackers": attackers,
    }


def _on_each_backend(samples: int, attackers: int, seconds: float) -> dict[str, Any]:
    result: dict[str, Any] = {"budget_ratio": BUDGET}
    for backend in backends():
        with running_hub(backend) as hub:
            figures = run(hub, samples=samples, attackers=attackers, seconds=seconds)
        say(
            f"{backend}: event batch median {figures['idle_ms']:.1f} ms idle, "
            f"{figures['under_attack_ms']:.1f} ms under attack (x{figures['ratio']:.2f}, "
            f"budget x{BUDGET}); p95 {figures['idle_p95_ms']:.1f} / "
            f"{figures['under_attack_p95_ms']:.1f} ms; {attackers} attackers made "
            f"{sum(figures['attempts'].values())} attempts in {figures['attack_seconds']} s: "
            f"{figures['attempts']}"
        )
        result[backend] = figures
    first = result[backends()[0]]
    result.update(
        idle_ms=first["idle_ms"], under_attack_ms=first["under_attack_ms"], ratio=first["ratio"]
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0, help="shortest attack measured")
    args = parser.parse_args()
    emit(run(samples=args.samples, attackers=args.attackers, seconds=args.seconds))


if __name__ == "__main__":
    main()
