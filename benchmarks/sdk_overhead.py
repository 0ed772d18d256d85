"""What the SDK costs a training script.

Budgets (DESIGN.md section 9): ``import corral`` < 100 ms; ``Task.init`` returns in
< 250 ms (hub local) and a whole run's process (start, init, end) < 450 ms;
``report_scalar`` < 5 us per call on the caller's thread; 100k points reported
idiomatically are durable on the hub < 1 s after the loop starts (``close()`` returns
when the hub has them).

Each figure is measured in fresh processes (median of ``--repeat``) against a real
hub (SQLite), beside a baseline from the same run:

* ``import corral`` vs ``python -c pass``;
* ``Task.init`` vs the interpreter that only imports what Task.init needs (httpx);
* a whole run's process vs ``python -c pass``;
* ``report_scalar`` per call vs the same loop with the call removed;
* 100 metrics x 1,000 steps reported then ``close()``: time until the hub has all
  100,000 points, vs the same loop with the call removed.

Imports are measured with bytecode caches written (as after ``pip install``): the
benchmark unsets ``PYTHONDONTWRITEBYTECODE`` and warms up first.

    .venv/bin/python benchmarks/sdk_overhead.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import emit, running_hub, say

INIT = """
import json, sys, time
t0 = time.perf_counter()
from corral import Task
t1 = time.perf_counter()
task = Task.init(project_name="bench", task_name="init", reuse_last_task_id=False)
t2 = time.perf_counter()
print(json.dumps({"import_task": t1 - t0, "init": t2 - t1}))
"""

HTTPX_ONLY = """
import json, time
t0 = time.perf_counter()
import httpx
print(json.dumps({"import_httpx": time.perf_counter() - t0}))
"""

REPORT = """
import json, time
from corral import Task
N = 1_000_000
task = Task.init(project_name="bench", task_name="report", reuse_last_task_id=False,
                 auto_resource_monitoring=False)
log = task.get_logger()
t0 = time.perf_counter()
for i in range(N):
    pass
empty = time.perf_counter() - t0
t0 = time.perf_counter()
for i in range(N):
    log.report_scalar("loss", "train", 0.5, i)
full = time.perf_counter() - t0
t0 = time.perf_counter()
task.close()
close = time.perf_counter() - t0
print(json.dumps({"empty": empty / N, "call": full / N, "close": close}))
"""

DURABLE = """
import json, time
from corral import Task
task = Task.init(project_name="bench", task_name="durable", reuse_last_task_id=False,
                 auto_resource_monitoring=False)
log = task.get_logger()
t0 = time.perf_counter()
for step in range(1000):
    for m in range(100):
        pass
baseline = time.perf_counter() - t0
t0 = time.perf_counter()
for step in range(1000):
    for m in range(100):
        log.report_scalar(f"metric{m}", "train", step * 0.001, step)
loop = time.perf_counter() - t0
task.close()
total = time.perf_counter() - t0
print(json.dumps({"baseline": baseline, "loop": loop, "durable": total, "task": task.id}))
"""


def _run(code: str, env: dict[str, str], cwd: Path) -> tuple[dict[str, float], float]:
    import time

    path = cwd / "bench_script.py"
    path.write_text(code)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(path)], env=env, cwd=cwd, capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - t0
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1]
    return json.loads(line), wall


def _wall(args: list[str], env: dict[str, str]) -> float:
    import time

    t0 = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    opts = parser.parse_args()
    med = statistics.median
    with running_hub("sqlite") as hub, tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        env = dict(os.environ)
        # like an ordinary install (pip compiles bytecode): the warm-up runs write .pyc files
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(
            HOME=str(cwd),
            CORRAL_HUB_URL=hub.url,
            CORRAL_ACCESS_KEY=hub.access_key,
            CORRAL_SECRET_KEY=hub.secret_key,
            CORRAL_CONFIG=str(cwd / "config.toml"),
        )
        py = [sys.executable]
        _wall([*py, "-c", "import corral"], env)  # warm the file cache and .pyc files
        _run(INIT, env, cwd)
        r = opts.repeat
        bare = med(_wall([*py, "-c", "pass"], env) for _ in range(r))
        imp = med(_wall([*py, "-c", "import corral"], env) for _ in range(r))
        inits = [_run(INIT, env, cwd) for _ in range(r)]
        httpx_only = med(_run(HTTPX_ONLY, env, cwd)[0]["import_httpx"] for _ in range(r))
        init = med(x[0]["init"] for x in inits)
        import_task = med(x[0]["import_task"] for x in inits)
        whole = med(x[1] for x in inits)
        reports = [_run(REPORT, env, cwd)[0] for _ in range(max(3, r // 2))]
        call = med(x["call"] for x in reports)
        empty = med(x["empty"] for x in reports)
        durables = [_run(DURABLE, env, cwd)[0] for _ in range(max(3, r // 2))]
        durable = med(x["durable"] for x in durables)
        loop_base = med(x["baseline"] for x in durables)
        with hub.client() as api:
            series = api.get(f"/tasks/{durables[-1]['task']}/metrics").json()
            stored = sum(s["count"] for s in series)
    ms = 1000
    say(f"python -c pass:                 {bare * ms:7.1f} ms")
    say(f"import corral (process):        {imp * ms:7.1f} ms  (+{(imp - bare) * ms:.1f} ms)")
    say(
        f"from corral import Task:        {import_task * ms:7.1f} ms  (import httpx alone "
        f"{httpx_only * ms:.1f} ms)"
    )
    say(f"Task.init returns:              {init * ms:7.1f} ms")
    say(f"whole run process (init + end): {whole * ms:7.1f} ms")
    say(
        f"report_scalar per call:         {(call - empty) * 1e6:7.2f} us  (loop alone "
        f"{empty * 1e6:.3f} us)"
    )
    say(
        f"100x1000 points durable:        {durable * ms:7.1f} ms  (loop alone "
        f"{loop_base * ms:.1f} ms; hub stored {stored} points)"
    )
    emit(
        {
            "import_corral_ms": round((imp - bare) * ms, 1),
            "baseline_python_ms": round(bare * ms, 1),
            "import_task_ms": round(import_task * ms, 1),
            "baseline_import_httpx_ms": round(httpx_only * ms, 1),
            "task_init_ms": round(init * ms, 1),
            "whole_run_process_ms": round(whole * ms, 1),
            "report_scalar_us": round((call - empty) * 1e6, 2),
            "baseline_empty_loop_us": round(empty * 1e6, 3),
            "durable_100k_ms": round(durable * ms, 1),
            "baseline_loop_100k_ms": round(loop_base * ms, 1),
            "stored_points": stored,
        }
    )


if __name__ == "__main__":
    main()
