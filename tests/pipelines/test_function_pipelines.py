"""Function pipelines on a real hub, the controller and its steps real processes:
fan-out and fan-in, the step cache (content-keyed, force_rerun, a changed input), and
the controller's record of its DAG."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from corral.testing.hub import Hub, client_env
from tests import factories as f

SCRIPTS = Path(__file__).parent / "scripts"

pytestmark = pytest.mark.sqlite_hub


def run_script(hub: Hub, home: Path, name: str, *args: str, **env: str) -> dict[str, Any]:
    """Run ``scripts/NAME`` as a user would; its last stdout line is a JSON report."""
    out = subprocess.run(
        [sys.executable, str(SCRIPTS / name), *args],
        env=client_env(hub, home, **env),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def artifact_value(api: httpx.Client, task_id: str, name: str) -> Any:
    arts = {a["name"]: a for a in f.ok(api.get(f"/tasks/{task_id}/artifacts"))}
    uri = arts[name]["uri"]
    assert uri.startswith("hub://"), uri
    response = api.get(f"/files/{uri[len('hub://') :]}")
    assert response.status_code == 200, response.text
    return json.loads(response.text)


def children(api: httpx.Client, controller: str) -> list[dict[str, Any]]:
    return f.ok(api.get("/tasks", params={"parent_id": controller, "limit": 100}))["items"]  # type: ignore[no-any-return]


def test_a_function_pipeline_fans_out_and_in_and_records_its_dag(
    hub: Hub, api: httpx.Client, tmp_path: Path
) -> None:
    project = f.unique("pipes")
    report = run_script(hub, tmp_path, "fan.py", project)
    assert report["successful"] is True
    nodes = report["nodes"]
    assert {n: v["status"] for n, v in nodes.items()} == dict.fromkeys(
        ["load", "sq1", "sq2", "sq3", "total"], "completed"
    )
    # 0+1+2+3+4 = 10, times 1, 2 and 3
    assert artifact_value(api, nodes["total"]["executed"], "sum") == 60
    controller = f.ok(api.get(f"/tasks/{report['controller']}"))
    assert controller["type"] == "controller" and controller["status"] == "completed"
    assert controller["hyperparams"]["Args"]["rows"]["value"] == 5
    steps = {t["name"]: t for t in children(api, controller["id"])}
    assert set(steps) == set(nodes)
    assert all(t["status"] == "completed" for t in steps.values())
    # the DAG and its state, for the UI
    state = controller["runtime"]["pipeline"]
    by_name = {n["name"]: n for n in state["nodes"]}
    assert by_name["total"]["parents"] == ["sq1", "sq2", "sq3"]
    assert by_name["sq2"]["parents"] == ["load"]
    assert by_name["total"]["task_id"] == nodes["total"]["executed"]
    assert "Pipeline" in controller["configuration"]


def test_a_second_run_is_fully_cached_and_force_rerun_runs_every_step(
    hub: Hub, api: httpx.Client, tmp_path: Path
) -> None:
    project = f.unique("pipes")
    first = run_script(hub, tmp_path, "fan.py", project)
    second = run_script(hub, tmp_path, "fan.py", project)
    assert second["successful"] is True
    for name, node in second["nodes"].items():
        assert node["status"] == "cached", name
        assert node["cached_from"] == first["nodes"][name]["executed"]
    assert children(api, second["controller"]) == []  # no step task ran
    assert f.ok(api.get(f"/tasks/{second['controller']}"))["status"] == "completed"

    forced = run_script(hub, tmp_path, "fan.py", project, FAN_FORCE="1")
    assert forced["successful"] is True
    assert {v["status"] for v in forced["nodes"].values()} == {"completed"}
    assert len(children(api, forced["controller"])) == 5


def test_a_changed_input_reruns_exactly_the_steps_it_reaches(
    hub: Hub, api: httpx.Client, tmp_path: Path
) -> None:
    project = f.unique("pipes")
    first = run_script(hub, tmp_path, "fan.py", project)
    changed = run_script(hub, tmp_path, "fan.py", project, FAN_K2="5")
    status = {n: v["status"] for n, v in changed["nodes"].items()}
    assert status == {
        "load": "cached", "sq1": "cached", "sq3": "cached",
        "sq2": "completed", "total": "completed",
    }  # fmt: skip
    assert artifact_value(api, changed["nodes"]["total"]["executed"], "sum") == 10 * (1 + 5 + 3)
    assert first["nodes"]["total"]["executed"] != changed["nodes"]["total"]["executed"]


def test_an_uncached_step_with_the_same_output_keeps_its_children_cached(
    hub: Hub, tmp_path: Path
) -> None:
    project = f.unique("pipes")
    run_script(hub, tmp_path, "fan.py", project, FAN_LOAD_CACHE="0")
    again = run_script(hub, tmp_path, "fan.py", project, FAN_LOAD_CACHE="0")
    status = {n: v["status"] for n, v in again["nodes"].items()}
    # load runs again (caching off) and returns the same bytes: the cache keys of the
    # steps that consume it hold content hashes, not artifact ids
    assert status == {
        "load": "completed", "sq1": "cached", "sq2": "cached", "sq3": "cached",
        "total": "cached",
    }  # fmt: skip
    assert again["successful"] is True
