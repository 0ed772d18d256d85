"""Offline runs: recorded into a folder with no hub, then uploaded by ``corral task import``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from corral import Task
from corral.testing.hub import free_port
from tests import factories as f
from tests.sdk.conftest import run_script

OFFLINE = """
import argparse
from corral import Task

Task.set_offline(True)
task = Task.init(project_name=PROJECT, task_name="offline", auto_resource_monitoring=False)
assert Task.is_offline()
parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.01)
args = parser.parse_args()
task.connect({"batch": 32, "opt": {"name": "sgd"}})
log = task.get_logger()
for i in range(250):
    log.report_scalar("loss", "train", value=1 / (i + 1), iteration=i)
    log.report_scalar("loss", "val", value=2 / (i + 1), iteration=i)
print("line one on the console")
print("line two on the console")
task.upload_artifact("summary", {"best": 0.25, "epochs": [1, 2, 3]})
print("TASK " + task.id)
"""

POINTS = 500


def _line(stdout: str, prefix: str) -> str:
    return next(line[len(prefix) :] for line in stdout.splitlines() if line.startswith(prefix))


def _import(folder: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "corral", "task", "import", folder],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _points(api: httpx.Client, task_id: str) -> int:
    return sum(m["count"] for m in f.ok(api.get(f"/tasks/{task_id}/metrics")))


def _console(api: httpx.Client, task_id: str) -> list[str]:
    page = f.ok(api.get(f"/tasks/{task_id}/logs", params={"limit": 5000}))
    return [x["text"] for x in page["items"]]


@pytest.fixture
def offline_run(sdk_env: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    """The script run offline, with the hub's URL pointing at a closed port."""
    env = {**sdk_env, "CORRAL_HUB_URL": f"http://127.0.0.1:{free_port()}"}
    out = run_script(
        f"PROJECT = {f.unique('sdk-off')!r}\n" + OFFLINE, env, tmp_path, args=["--lr", "0.5"]
    )
    found = re.search(r"offline run recorded in (\S+)", out.stderr)
    assert found, out.stderr
    return {"task_id": _line(out.stdout, "TASK "), "folder": found[1], "stderr": out.stderr}


def test_an_offline_run_records_into_its_folder_and_sends_nothing(
    offline_run: dict[str, Any], sdk_api: httpx.Client
) -> None:
    folder = Path(offline_run["folder"])
    assert (folder / "ops.jsonl").is_file() and (folder / "meta.json").is_file()
    assert f"corral task import {folder}" in offline_run["stderr"]
    assert sdk_api.get(f"/tasks/{offline_run['task_id']}").status_code == 404


def test_import_uploads_the_run_once_and_a_second_import_stores_nothing_twice(
    offline_run: dict[str, Any], sdk_env: dict[str, str], sdk_api: httpx.Client, sdk_client: None
) -> None:
    task_id, folder = offline_run["task_id"], offline_run["folder"]
    first = _import(folder, sdk_env)
    assert first.returncode == 0, first.stderr
    assert f"imported task {task_id}" in first.stdout

    task = f.ok(sdk_api.get(f"/tasks/{task_id}"))
    assert task["status"] == "completed"
    hp = task["hyperparams"]
    assert hp["Args"]["lr"]["value"] == 0.5
    assert hp["General"]["batch"]["value"] == 32
    assert hp["General"]["opt/name"]["value"] == "sgd"
    assert _points(sdk_api, task_id) == POINTS
    scalars = Task.get_task(task_id=task_id).get_reported_scalars()
    assert scalars["loss"]["val"]["y"] == [2 / (i + 1) for i in range(250)]
    console = _console(sdk_api, task_id)
    assert console.count("line one on the console") == 1
    assert console.count("line two on the console") == 1
    artifact = Task.get_task(task_id=task_id).artifacts["summary"]
    assert artifact.get() == {"best": 0.25, "epochs": [1, 2, 3]}

    again = _import(folder, sdk_env)
    assert again.returncode == 0, again.stderr
    assert "nothing to send" in again.stdout
    assert _points(sdk_api, task_id) == POINTS
    assert len(_console(sdk_api, task_id)) == len(console)
    assert len(f.ok(sdk_api.get(f"/tasks/{task_id}/artifacts"))) == 1


def test_replaying_every_operation_again_stores_nothing_twice(
    offline_run: dict[str, Any], sdk_env: dict[str, str], sdk_api: httpx.Client
) -> None:
    task_id, folder = offline_run["task_id"], Path(offline_run["folder"])
    assert _import(str(folder), sdk_env).returncode == 0
    console = _console(sdk_api, task_id)

    (folder / "done").unlink()  # as if the first import had died before saving its progress
    replay = _import(str(folder), sdk_env)
    assert replay.returncode == 0, replay.stderr
    assert _points(sdk_api, task_id) == POINTS
    assert _console(sdk_api, task_id) == console
    assert [a["name"] for a in f.ok(sdk_api.get(f"/tasks/{task_id}/artifacts"))] == ["summary"]
    assert f.ok(sdk_api.get(f"/tasks/{task_id}"))["status"] == "completed"


def test_import_of_a_folder_that_is_not_a_run_is_a_one_line_error(
    sdk_env: dict[str, str], tmp_path: Path
) -> None:
    for folder in (tmp_path / "missing", tmp_path):
        result = _import(str(folder), sdk_env)
        assert result.returncode == 1
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
        assert str(folder) in lines[0]
