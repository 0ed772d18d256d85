"""A report the hub refuses for good (bad input, a 422) is told once, set aside in
``~/.corral/rejected/``, and never holds back what the run reports after it: on both
databases, whether it is sent at once or replayed from a spool by a later run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from corral.testing.hub import Hub, make_hub
from tests import factories as f
from tests.conftest import BACKENDS
from tests.sdk.conftest import env_for, run_script

SCRIPT = """
from corral import Task
task = Task.init(project_name={project!r}, task_name="refused", auto_resource_monitoring=False)
print("TASK " + task.id, flush=True)
params = task.connect({{"lr": 0.1, "note": "bad\\x00text"}})
log = task.get_logger()
for i in range(100):
    log.report_scalar("loss", "train", value=1.0 / (i + 1), iteration=i)
print("finished")
"""

# a later run on the machine; it waits for its replay of earlier runs' spools to end
NEXT_RUN = """
import threading
from corral import Task
task = Task.init(project_name={project!r}, task_name="next", auto_resource_monitoring=False)
for thread in threading.enumerate():
    if thread.name == "corral-replay":
        thread.join(60)
task.close()
"""


def _task_id(stdout: str) -> str:
    return next(line.split()[1] for line in stdout.splitlines() if line.startswith("TASK "))


def _refusal_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "refused" in line]


def _rejected(home: Path, task_id: str) -> list[dict]:
    path = home / ".corral" / "rejected" / f"{task_id}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def _check_task(api: httpx.Client, task_id: str) -> None:
    task = f.ok(api.get(f"/tasks/{task_id}"))
    assert task["status"] == "completed"
    series = f.ok(api.get(f"/tasks/{task_id}/scalars", params={"full": "true"}))["series"]
    assert [s["iterations"] for s in series] == [list(range(100))]
    logs = [line["text"] for line in f.ok(api.get(f"/tasks/{task_id}/logs"))["items"]]
    assert "finished" in logs


def _check_refusal(stderr: str, home: Path, task_id: str) -> None:
    (line,) = _refusal_lines(stderr)
    assert "hyperparams" in line and "NUL" in line and "422" in line, line
    assert "set aside" in line and "cannot reach" not in stderr, stderr
    (kept,) = _rejected(home, task_id)
    assert "NUL" in kept["reason"] and kept["op"]["path"].endswith("/hyperparams")


def test_a_refused_report_is_set_aside_and_the_run_goes_on(hub: Hub, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = env_for(hub, home)
    project = f.unique("refused")
    out = run_script(SCRIPT.format(project=project), env, tmp_path / "run1")
    task_id = _task_id(out.stdout)
    _check_refusal(out.stderr, home, task_id)
    with hub.client() as api:
        _check_task(api, task_id)
    # the next run on this machine has nothing to replay and nothing to say about it
    again = run_script(NEXT_RUN.format(project=project), env, tmp_path / "run2")
    assert _refusal_lines(again.stderr) == [], again.stderr
    assert len(_rejected(home, task_id)) == 1
    assert not any((home / ".corral" / "spool").glob("*/ops.jsonl"))


@pytest.fixture(params=BACKENDS)
def own_hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    h = make_hub(tmp_path / "hub", request.param)
    h.start()
    yield h
    h.dispose()


def test_a_refused_report_in_a_spool_is_set_aside_once(own_hub: Hub, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = env_for(own_hub, home)
    project = f.unique("refused-spool")
    own_hub.stop()  # the first run keeps everything in its spool
    out = run_script(SCRIPT.format(project=project), env, tmp_path / "run1", timeout=90)
    task_id = _task_id(out.stdout)
    assert "cannot reach the hub" in out.stderr
    own_hub.start()
    # the next run replays the spool: the refused line is set aside, the rest arrives
    second = run_script(NEXT_RUN.format(project=project), env, tmp_path / "run2")
    with own_hub.client() as api:
        _check_task(api, task_id)
    assert not any((home / ".corral" / "spool").glob("*/ops.jsonl"))
    _check_refusal(second.stderr, home, task_id)
    # and a third run finds nothing left to replay
    third = run_script(NEXT_RUN.format(project=project), env, tmp_path / "run3")
    assert _refusal_lines(third.stderr) == [], third.stderr
    assert len(_rejected(home, task_id)) == 1
