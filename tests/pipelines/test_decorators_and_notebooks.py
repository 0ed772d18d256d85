"""Decorator pipelines (fan-out of 5, fan-in, a plain `if` on a result) run locally and
on two agents, and a tagged notebook turned into a pipeline by the CLI and run end to
end with a parameter edited before the run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from corral.testing.hub import Hub, client_env
from tests import factories as f
from tests.agents import StartAgent, make_queue
from tests.agents import start_agent as start_agent  # the fixture
from tests.pipelines.test_function_pipelines import SCRIPTS, children
from tests.pipelines.test_notebook import PARKING, run_notebook

pytestmark = pytest.mark.sqlite_hub

SINGLE = "Summary"


def run_decorated(hub: Hub, home: Path, project: str, **env: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(SCRIPTS / "decorated.py"), project],
        env=client_env(hub, home, **env),
        cwd=SCRIPTS,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def single_values(api: httpx.Client, task_id: str) -> dict[str, float]:
    task = f.ok(api.get(f"/tasks/{task_id}"))
    return {k: v["last"] for k, v in (task["last_metrics"].get(SINGLE) or {}).items()}


def dag(api: httpx.Client, controller: str) -> dict[str, dict[str, Any]]:
    nodes = f.ok(api.get(f"/tasks/{controller}"))["runtime"]["pipeline"]["nodes"]
    return {n["name"]: n for n in nodes}


def test_a_decorator_pipeline_runs_locally_and_again_from_its_cache(
    hub: Hub, api: httpx.Client, tmp_path: Path
) -> None:
    project = f.unique("pipes")
    first = run_decorated(hub, tmp_path, project, CORRAL_PIPELINE_LOCAL="1")
    # [0, 1, 2, 3] scaled by 1..5 and summed: 6 * 15
    assert first["result"] == {"total": 90, "count": 5, "verdict": "big"}
    nodes = dag(api, first["controller"])
    assert nodes["combine"]["parents"] == ["scale", "scale_1", "scale_2", "scale_3", "scale_4"]
    assert {nodes[f"scale{s}"]["parents"][0] for s in ("", "_1", "_2", "_3", "_4")} == {"make"}
    assert {n["status"] for n in nodes.values()} == {"completed"}
    controller = f.ok(api.get(f"/tasks/{first['controller']}"))
    assert controller["status"] == "completed" and controller["type"] == "controller"
    assert controller["hyperparams"]["Args"]["fan"]["value"] == 5
    assert single_values(api, first["controller"]) == {"total": 90.0}

    again = run_decorated(hub, tmp_path, project, CORRAL_PIPELINE_LOCAL="1")
    assert again["result"] == first["result"]
    assert {n["status"] for n in dag(api, again["controller"]).values()} == {"cached"}
    assert children(api, again["controller"]) == []


def test_a_decorator_pipeline_runs_its_steps_on_two_agents(
    hub: Hub, api: httpx.Client, tmp_path: Path, start_agent: StartAgent
) -> None:
    queue = make_queue(api)
    agents = {start_agent(hub, "--queue", queue).name for _ in range(2)}
    out = run_decorated(hub, tmp_path, f.unique("pipes"), CORRAL_PIPELINE_QUEUE=queue)
    assert out["result"] == {"total": 90, "count": 5, "verdict": "big"}
    steps = children(api, out["controller"])
    assert len(steps) == 7 and {t["status"] for t in steps} == {"completed"}
    workers = {f.ok(api.get(f"/tasks/{t['id']}"))["worker"] for t in steps}
    assert workers <= agents, (workers, agents)


def test_a_tagged_notebook_runs_end_to_end_with_an_edited_parameter(
    hub: Hub, api: httpx.Client, tmp_path: Path
) -> None:
    notebook = tmp_path / "parking.ipynb"
    shutil.copy(PARKING, notebook)
    project = f.unique("notebooks")
    cmd = [sys.executable, "-m", "corral", "pipeline", "from-notebook", str(notebook),
           "--project", project, "--run", "--locally", "--param", "days=21"]  # fmt: skip
    out = subprocess.run(
        cmd, env=client_env(hub, tmp_path / "home"), capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "wrote" in out.stdout and "report <- simulate, weekdays, weekends" in out.stdout
    script = (tmp_path / "parking.py").read_text()
    assert "pipeline(days=21)" in script
    projects = f.ok(api.get("/projects", params={"name": project}))
    controllers = f.ok(
        api.get("/tasks", params={"project_id": projects[0]["id"], "type": "controller"})
    )["items"]
    assert len(controllers) == 1
    controller = f.ok(api.get(f"/tasks/{controllers[0]['id']}"))
    assert controller["status"] == "completed", controller.get("status_reason")
    assert controller["hyperparams"]["Args"]["days"]["value"] == 21
    assert controller["script"]["code"] == script  # the generated script is its code
    expected = run_notebook(json.loads(PARKING.read_text()), days=21)["peak_rate"]
    assert single_values(api, controller["id"])["peak_rate"] == pytest.approx(expected)
    nodes = dag(api, controller["id"])
    assert {n["status"] for n in nodes.values()} == {"completed"}
    assert nodes["report"]["parents"] == ["simulate", "weekdays", "weekends"]  # prev: too
    assert nodes["weekdays"]["parents"] == ["simulate"]


def test_a_bad_notebook_is_one_line_and_runs_nothing(hub: Hub, tmp_path: Path) -> None:
    nb = json.loads(PARKING.read_text())
    for cell in nb["cells"]:
        if "step:weekends" in cell["metadata"].get("tags", []):
            cell["metadata"]["tags"] = ["step:weekdays"]
    bad = tmp_path / "bad.ipynb"
    bad.write_text(json.dumps(nb))
    out = subprocess.run(
        [sys.executable, "-m", "corral", "pipeline", "from-notebook", str(bad), "--run",
         "--locally"],
        env=client_env(hub, tmp_path / "home"), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 1
    assert out.stderr.startswith("error:") and "step:weekdays" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert not (tmp_path / "bad.py").exists()


def test_reading_the_value_of_a_failed_component_fails_the_run(
    hub: Hub, api: httpx.Client, tmp_path: Path
) -> None:
    project = f.unique("pipes")
    out = subprocess.run(
        [sys.executable, str(SCRIPTS / "decorated_fail.py"), project],
        env=client_env(hub, tmp_path), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode != 0
    assert "step 'broken' did not succeed (failed" in out.stderr
    assert "never" not in out.stdout
    projects = f.ok(api.get("/projects", params={"name": project}))
    runs = f.ok(api.get("/tasks", params={"project_id": projects[0]["id"], "type": "controller"}))
    controller = f.ok(api.get(f"/tasks/{runs['items'][0]['id']}"))
    assert controller["status"] == "failed"
    step = children(api, controller["id"])[0]
    assert step["name"] == "broken" and step["status"] == "failed"
