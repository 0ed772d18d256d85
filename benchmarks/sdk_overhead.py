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
  100,000 points, vs the same loop with the call removed;
* ``Task.init``/``close()`` in a loop in one process (a script in a git work tree with a
  few files and an uncommitted change), in runs per second, vs the same number of tasks
  created, started and completed with bare ``HubClient`` requests (budget: >= 50 runs/s).

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


LOOP = """
import json, sys, time
from corral import Task
from corral.client.http import HubClient
N = int(sys.argv[1])
t0 = time.perf_counter()
for i in range(N):
    task = Task.init(project_name="bench", task_name="loop", reuse_last_task_id=False)
    task.close()
loop = time.perf_counter() - t0
client = HubClient.from_config()
t0 = time.perf_counter()
for i in range(N):
    created = client.post("tasks", json={"project": "bench", "name": "bare"})
    client.post(f"tasks/{created['id']}:start", json={})
    client.post(f"tasks/{created['id']}:complete", json={})
bare = time.perf_counter() - t0
print(json.dumps({"loop_runs_s": N / loop, "bare_runs_s": N / bare, "task": task.id}))
"""


def _git_project(root: Path, env: dict[str, str]) -> Path:
    """A small git work tree: a few modules, a commit, an uncommitted change."""
    root.mkdir()
    for i in range(20):
        (root / f"module{i}.py").write_text(f"VALUE = {i}\n")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=root, env=env, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, env=env, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=root, env=env, check=True)
    (root / "module0.py").write_text("VALUE = -1\n")
    (root / "notes.py").write_text("# not committed yet\n")
    return root


def _run(
    code: str, env: dict[str, str], cwd: Path, args: tuple[str, ...] = ()
) -> tuple[dict[str, float], float]:
    import time

    path = cwd / "bench_script.py"
    path.write_text(code)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(path), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
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
    parser.add_argument("--runs", type=int, default=100, help="runs of the init/close loop")
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
        project = _git_project(cwd / "project", env)
        loops = [_run(LOOP, env, project, (str(opts.runs),))[0] for _ in range(max(3, r // 2))]
        loop_rate = med(x["loop_runs_s"] for x in loops)
        bare_rate = med(x["bare_runs_s"] for x in loops)
        with hub.client() as api:
            loop_task = api.get(f"/tasks/{loops[-1]['task']}").json()
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
    say(
        f"Task.init/close() loop:         {loop_rate:7.1f} runs/s  (bare create/start/complete "
        f"{bare_rate:.1f} runs/s; last run's code captured: "
        f"{bool(loop_task['script'].get('commit'))})"
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
            "init_close_loop_runs_s": round(loop_rate, 1),
            "baseline_bare_rest_runs_s": round(bare_rate, 1),
        }
    )


if __name__ == "__main__":
    main()
