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


@pytest.fixture(scope="module")
def first_run(hub: Hub, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of fan.py in a project of its own, which the tests here run it again in
    (each test's assertions hold whichever ran before it)."""
    project = f.unique("pipes")
    home = tmp_path_factory.mktemp("fan-home")
    return {"project": project, "home": home, **run_script(hub, home, "fan.py", project)}


def test_a_function_pipeline_fans_out_and_in_and_records_its_dag(
    api: httpx.Client, first_run: dict[str, Any]
) -> None:
    report = first_run
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
    hub: Hub, api: httpx.Client, first_run: dict[str, Any]
) -> None:
    project, home = first_run["project"], first_run["home"]
    second = run_script(hub, home, "fan.py", project)
    assert second["successful"] is True
    controller = f.ok(api.get(f"/tasks/{second['controller']}"))
    for name, node in second["nodes"].items():
        assert node["status"] == "cached", name
        source = f.ok(api.get(f"/tasks/{node['cached_from']}"))
        assert (source["name"], source["status"], source["project_id"]) == (
            name, "completed", controller["project_id"],
        )  # fmt: skip
    assert children(api, second["controller"]) == []  # no step task ran
    assert f.ok(api.get(f"/tasks/{second['controller']}"))["status"] == "completed"

    forced = run_script(hub, home, "fan.py", project, FAN_FORCE="1")
    assert forced["successful"] is True
    assert {v["status"] for v in forced["nodes"].values()} == {"completed"}
    assert len(children(api, forced["controller"])) == 5


def test_a_result_older_than_the_cache_ttl_is_not_reused(
    hub: Hub, first_run: dict[str, Any]
) -> None:
    late = run_script(hub, first_run["home"], "fan.py", first_run["project"], FAN_TTL="0.001")
    assert {v["status"] for v in late["nodes"].values()} == {"completed"}


def test_a_changed_input_reruns_exactly_the_steps_it_reaches(
    hub: Hub, api: httpx.Client, first_run: dict[str, Any]
) -> None:
    changed = run_script(hub, first_run["home"], "fan.py", first_run["project"], FAN_K2="5")
    status = {n: v["status"] for n, v in changed["nodes"].items()}
    assert status == {
        "load": "cached", "sq1": "cached", "sq3": "cached",
        "sq2": "completed", "total": "completed",
    }  # fmt: skip
    assert artifact_value(api, changed["nodes"]["total"]["executed"], "sum") == 10 * (1 + 5 + 3)
    assert first_run["nodes"]["total"]["executed"] != changed["nodes"]["total"]["executed"]


def test_an_uncached_step_with_the_same_output_keeps_its_children_cached(
    hub: Hub, first_run: dict[str, Any]
) -> None:
    again = run_script(hub, first_run["home"], "fan.py", first_run["project"], FAN_LOAD_CACHE="0")
    status = {n: v["status"] for n, v in again["nodes"].items()}
    # load runs again (caching off) and returns the same bytes: the cache keys of the
    # steps that consume it hold content hashes, not artifact ids
    assert status == {
        "load": "completed", "sq1": "cached", "sq2": "cached", "sq3": "cached",
        "total": "cached",
    }  # fmt: skip
    assert again["successful"] is True
