"""A script that forks (os.fork, multiprocessing's fork pools) after ``Task.init``.

The children inherit the parent's Python state, the SDK's included. They must not
keep the SDK's SIGTERM handler (``Pool.terminate`` relies on SIGTERM's default action
to end blocked workers), and a child's exit must not end the parent's run.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from tests import factories as f
from tests.sdk.conftest import run_script

FORK_SCRIPT = """
import multiprocessing as mp, os, signal, sys, time
from corral import Task

task = Task.init(project_name=PROJECT, task_name="fork")
print("TASK " + task.id)
assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL  # the SDK's, in the parent

def worker_handler(_):
    return signal.getsignal(signal.SIGTERM) is signal.SIG_DFL

def blocked(_):
    time.sleep(3600)

if __name__ == "__main__":
    pid = os.fork()
    if pid == 0:
        print("CHILD default SIGTERM", signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
        sys.stdout.flush()
        sys.exit(3)  # a child's exit (with its atexit hooks) ends nothing of the parent's
    os.waitpid(pid, 0)

    ctx = mp.get_context("fork")
    with ctx.Pool(2) as pool:
        print("WORKERS default SIGTERM", all(pool.map(worker_handler, range(4))))
    pool = ctx.Pool(2)
    pool.map_async(blocked, range(2))
    # the workers are asleep in the task (or about to be): terminate must end them
    pool.terminate()
    pool.join()
    print("TERMINATED")
    task.get_logger().report_scalar("after", "fork", value=1.0, iteration=0)
    print("STATUS " + task.get_status())
"""


def test_forked_children_get_sigterm_default_and_leave_the_run_alone(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    project = f.unique("sdk-fork")
    proc = run_script(f"PROJECT = {project!r}\n" + FORK_SCRIPT, sdk_env, tmp_path, timeout=300)
    out = proc.stdout
    assert "CHILD default SIGTERM True" in out
    assert "WORKERS default SIGTERM True" in out
    assert "TERMINATED" in out
    assert "STATUS in_progress" in out  # the child's sys.exit(3) did not close the run
    task_id = next(line[5:] for line in out.splitlines() if line.startswith("TASK "))
    task = f.ok(sdk_api.get(f"/tasks/{task_id}"))
    assert task["status"] == "completed"
    metrics = f.ok(sdk_api.get(f"/tasks/{task_id}/metrics"))
    assert [(m["metric"], m["variant"]) for m in metrics if m["metric"] == "after"] == [
        ("after", "fork")
    ]
