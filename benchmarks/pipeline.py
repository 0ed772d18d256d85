"""Pipelines: a 20-step function pipeline on agents, the same fully cached, and a
50-cell notebook converted.

Figures (issue 16), each with a baseline measured in the same run:

1. A 20-step function pipeline of trivial steps - ``load``, 10 ``work_K`` (fan-out),
   ``merge`` (fan-in), then 8 ``post_K`` after it - its steps on ``--agents`` (4) plain
   agents, the controller on this machine (``start_locally``). Wall time against the
   baseline: the sum of the steps' own times (each step task's ``started_at`` ->
   ``completed_at`` on the hub: the process, ``Task.init``, the function, the artifacts),
   as if run one after another. The orchestration overhead per step, averaged: the
   controller's (from the moment a step could run - its last parent completed, the
   run's start for ``load`` - to its task created and enqueued) and the dispatch wait
   (from there to an agent starting it, waiting for a free agent included).
2. The same pipeline again, every step cached: the wall time of ``start_locally()``
   (budget: < 2 s for the 20 steps) and of the whole script process.
3. ``corral pipeline from-notebook`` on a generated 50-cell notebook: the conversion
   time (median of 20), against reading and parsing its JSON alone.

    .venv/bin/python benchmarks/pipeline.py [--agents 4]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _common import emit, running_hub, say
from dispatch import agents

from corral.testing.hub import Hub, client_env

SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from corral import PipelineController

    def load(n):
        return list(range(n))

    def work(data, k):
        return sum(x * k for x in data)

    def merge(**parts):
        return sum(parts.values())

    def post(total, k):
        return total + k

    pipe = PipelineController(name="bench", project="bench-pipelines")
    pipe.set_default_execution_queue(sys.argv[1])
    pipe.add_function_step("load", load, function_kwargs={"n": 10}, function_return=["data"],
                           cache_executed_step=True)
    for k in range(10):
        pipe.add_function_step(f"work_{k}", work, function_kwargs={"data": "${load.data}", "k": k},
                               function_return=["out"], cache_executed_step=True)
    pipe.add_function_step("merge", merge,
                           function_kwargs={f"p{k}": f"${{work_{k}.out}}" for k in range(10)},
                           function_return=["total"], cache_executed_step=True)
    for k in range(8):
        pipe.add_function_step(f"post_{k}", post, function_kwargs={"total": "${merge.total}", "k": k},
                               function_return=["out"], cache_executed_step=True)
    t0 = time.perf_counter()
    pipe.start_locally()
    took = time.perf_counter() - t0
    dag = pipe.get_pipeline_dag()
    print(json.dumps({"controller": pipe.id, "ok": pipe.is_successful(), "start_s": took,
                      "t0": time.time() - took,
                      "nodes": {n: [v.status, v.executed, v.parents] for n, v in dag.items()}}))
    """
)


def _stamp(text: str | None) -> float:
    assert text, "a step task without its times"
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def run_pipeline(hub: Hub, root: Path, queue: str) -> tuple[dict[str, Any], float]:
    script = root / "bench_pipeline.py"
    script.write_text(SCRIPT)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(script), queue],
        env=client_env(hub, root / "home"),
        capture_output=True,
        text=True,
        timeout=900,
    )
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"the pipeline failed:\n{out.stdout}\n{out.stderr}")
    report: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if not report["ok"]:
        raise SystemExit(f"the pipeline was not successful: {report['nodes']}")
    return report, wall


def step_times(hub: Hub, report: dict[str, Any]) -> tuple[float, float, float, int]:
    """(sum of the steps' own times, mean controller delay, mean dispatch delay, steps).

    The controller's delay runs from the moment a step could run (its last parent
    completed; the run's start for the first) to its task being created and enqueued;
    the dispatch delay from there to an agent starting it (it includes waiting for a
    free agent: 10 steps at once on 4 agents queue up).
    """
    with hub.client() as api:
        tasks = {n: api.get(f"/tasks/{v[1]}").json() for n, v in report["nodes"].items()}
    own = {n: _stamp(t["completed_at"]) - _stamp(t["started_at"]) for n, t in tasks.items()}
    controller, dispatch = [], []
    for name, (_, _, parents) in report["nodes"].items():
        ready = max((_stamp(tasks[p]["completed_at"]) for p in parents), default=report["t0"])
        created = _stamp(tasks[name]["created_at"])
        controller.append(max(0.0, created - ready))
        dispatch.append(_stamp(tasks[name]["started_at"]) - created)
    return sum(own.values()), statistics.mean(controller), statistics.mean(dispatch), len(own)


def notebook(cells: int) -> dict[str, Any]:
    """A 50-cell notebook: imports, functions, parameters, steps of 3 code cells and a
    markdown cell each, metrics."""

    def cell(source: str, *tags: str, kind: str = "code") -> dict[str, Any]:
        c: dict[str, Any] = {"cell_type": kind, "metadata": {"tags": list(tags)},
                             "source": source.splitlines(keepends=True)}  # fmt: skip
        if kind == "code":
            c.update(execution_count=None, outputs=[])
        return c

    out = [
        cell("import math", "imports"),
        cell("def twice(x):\n    return 2 * x\n", "functions"),
        cell("n = 10\nscale: float = 1.5", "pipeline-parameters"),
    ]
    step = 0
    previous = "n"
    while len(out) < cells - 1:
        name = f"v{step}"
        out.append(cell(f"{name} = twice({previous}) * scale", f"step:s{step}"))
        out.append(cell(f"{name} = math.floor({name} + 1)"))
        out.append(cell(f"print({name})"))
        out.append(cell(f"Step {step}: doubles the value.", kind="markdown"))
        previous, step = name, step + 1
    out = out[: cells - 1]
    out.append(cell(previous if previous != "n" else "n", "pipeline-metrics"))
    return {"cells": out, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def conversion(root: Path) -> tuple[float, float, int]:
    from corral.pipelines.notebook import convert_notebook

    path = root / "fifty.ipynb"
    path.write_text(json.dumps(notebook(50)))
    convert_notebook(path)  # warm: imports
    runs, reads = [], []
    for _ in range(20):
        t0 = time.perf_counter()
        plan = convert_notebook(path)
        runs.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        json.loads(path.read_text())
        reads.append(time.perf_counter() - t0)
    return statistics.median(runs), statistics.median(reads), len(plan.steps)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--agents", type=int, default=4)
    args = ap.parse_args()
    result: dict[str, Any] = {"benchmark": "pipeline", "agents": args.agents}
    with tempfile.TemporaryDirectory(prefix="corral-bench-pipeline-") as tmp:
        root = Path(tmp)
        with running_hub("sqlite") as hub:
            queue = "bench-steps"
            with hub.client() as api:
                api.post("/queues", json={"name": queue}).raise_for_status()
            with agents(hub, root / "agents", queue, args.agents, "--plain"):
                say(f"20-step pipeline on {args.agents} plain agents ...")
                first, wall = run_pipeline(hub, root, queue)
                own, controller, dispatch, steps = step_times(hub, first)
                say(
                    f"  run: {first['start_s']:.1f} s (script {wall:.1f} s); the steps' own "
                    f"times one after another: {own:.1f} s ({own / first['start_s']:.2f}x the "
                    f"run); a step waits {controller * 1000:.0f} ms for the controller "
                    f"(ready -> enqueued) and {dispatch * 1000:.0f} ms for an agent "
                    "(enqueued -> started), on average"
                )
                say("the same pipeline again, fully cached ...")
                again, again_wall = run_pipeline(hub, root, queue)
                cached = sum(1 for v in again["nodes"].values() if v[0] == "cached")
                say(
                    f"  cached run: {again['start_s']:.2f} s for {cached} cached steps "
                    f"(script {again_wall:.1f} s, budget < 2 s)"
                )
        convert_s, read_s, nb_steps = conversion(root)
        say(
            f"from-notebook, 50 cells ({nb_steps} steps): {convert_s * 1000:.1f} ms "
            f"(reading its JSON alone: {read_s * 1000:.2f} ms)"
        )
    result.update(
        steps=steps,
        run_s=round(first["start_s"], 2),
        run_script_s=round(wall, 2),
        baseline_steps_sequential_s=round(own, 2),
        speedup_vs_sequential=round(own / first["start_s"], 2),
        controller_overhead_per_step_ms=round(controller * 1000),
        dispatch_wait_per_step_ms=round(dispatch * 1000),
        cached_run_s=round(again["start_s"], 3),
        cached_script_s=round(again_wall, 2),
        cached_steps=cached,
        notebook_cells=50,
        notebook_steps=nb_steps,
        notebook_convert_ms=round(convert_s * 1000, 1),
        notebook_read_json_ms=round(read_s * 1000, 2),
    )
    emit(result)


if __name__ == "__main__":
    main()
