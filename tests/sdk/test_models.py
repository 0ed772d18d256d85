"""Models made and used by real scripts: auto-captured saves, OutputModel, InputModel, queries."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import joblib
import pytest

from corral import Model
from corral.testing.hub import Hub
from tests import factories as f
from tests.sdk.conftest import env_for, run_script

TRAIN = """
import json, os
from pathlib import Path

import joblib
from corral import OutputModel, Task

task = Task.init(project_name=PROJECT, task_name="train")
joblib.dump({"weights": [1, 2, 3]}, "model.joblib")
joblib.dump({"weights": [4, 5, 6], "epoch": 2}, "model.joblib")  # saved again: same model

Path("det.pt").write_bytes(bytes(range(256)) * 64)
out = OutputModel(
    task, framework="pytorch", name="det", tags=["best", "v1"], labels={"car": 0, "bike": 1}
)
out.update_weights("det.pt")
out.update_design(config_dict={"backbone": "resnet18", "layers": [64, 32]})
out.set_metadata("epochs", 12)
out.set_metadata("map", 0.71)
out.publish()
print("TASK " + task.id)
print("DET " + out.id)
"""

USE = """
import hashlib
from corral import InputModel, Task

task = Task.init(project_name=PROJECT, task_name="use")
by_id = InputModel(model_id=MODEL_ID)
published = InputModel(project_name=PROJECT, name="det", only_published=True)
path = published.get_local_copy()
try:
    InputModel(project_name=PROJECT, name="model", only_published=True)
except Exception as e:
    print("UNPUBLISHED " + type(e).__name__)
with open(path, "rb") as fh:
    print("SHA " + hashlib.sha256(fh.read()).hexdigest())
print("FOUND " + published.id)
print("TASK " + task.id)
"""

DET_BYTES = bytes(range(256)) * 64


def _line(stdout: str, prefix: str) -> str:
    return next(line[len(prefix) :] for line in stdout.splitlines() if line.startswith(prefix))


def _models_of(api: httpx.Client, task_id: str) -> dict[str, dict[str, Any]]:
    page = f.ok(api.get("/models", params={"task_id": task_id, "limit": 100}))
    return {m["name"]: f.ok(api.get(f"/models/{m['id']}")) for m in page["items"]}


def _download(api: httpx.Client, uri: str) -> bytes:
    assert uri.startswith("hub://"), uri
    response = api.get("/files/" + uri[len("hub://") :])
    assert response.status_code == 200, response.text
    return response.content


@pytest.fixture(scope="module")
def trained(sdk_hub: Hub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The training script run once: its project, task id, the det model's id and the env."""
    base = tmp_path_factory.mktemp("models")
    env = env_for(sdk_hub, base / "home")
    project = f.unique("sdk-models")
    out = run_script(f"PROJECT = {project!r}\n" + TRAIN, env, base / "train")
    yield {
        "project": project,
        "task_id": _line(out.stdout, "TASK "),
        "det": _line(out.stdout, "DET "),
        "env": env,
        "base": base,
    }


def test_joblib_dump_registers_one_model_of_the_task_with_the_last_file(
    trained: dict[str, Any], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    models = _models_of(sdk_api, trained["task_id"])
    assert sorted(models) == ["det", "model"]  # two saves to one path: one model
    model = models["model"]
    assert model["framework"] == "joblib"
    assert model["task_id"] == trained["task_id"]
    assert model["uri"].endswith("/model.joblib")
    local = tmp_path / "model.joblib"
    local.write_bytes(_download(sdk_api, model["uri"]))
    assert joblib.load(local) == {"weights": [4, 5, 6], "epoch": 2}

    task = f.ok(sdk_api.get(f"/tasks/{trained['task_id']}"))
    assert task["status"] == "completed"
    outputs = {ref["model_id"] for ref in task["models"]["output"]}
    assert outputs == {models["model"]["id"], models["det"]["id"]}


def test_output_model_fields_weights_and_publish_after_completion_land_on_the_hub(
    trained: dict[str, Any], sdk_api: httpx.Client
) -> None:
    det = f.ok(sdk_api.get(f"/models/{trained['det']}"))
    assert det["name"] == "det" and det["framework"] == "pytorch"
    assert det["task_id"] == trained["task_id"]
    assert det["tags"] == ["best", "v1"]
    assert det["labels"] == {"car": 0, "bike": 1}
    assert json.loads(det["design"]) == {"backbone": "resnet18", "layers": [64, 32]}
    assert det["metadata"] == {"epochs": 12, "map": 0.71}
    assert _download(sdk_api, det["uri"]) == DET_BYTES
    assert det["published"] is True


def test_input_models_are_recorded_on_the_using_task_and_give_the_same_file(
    trained: dict[str, Any], sdk_api: httpx.Client
) -> None:
    joblib_model = _models_of(sdk_api, trained["task_id"])["model"]["id"]
    code = f"PROJECT = {trained['project']!r}\nMODEL_ID = {joblib_model!r}\n" + USE
    out = run_script(code, trained["env"], trained["base"] / "use")
    assert _line(out.stdout, "FOUND ") == trained["det"]
    assert _line(out.stdout, "SHA ") == hashlib.sha256(DET_BYTES).hexdigest()
    assert _line(out.stdout, "UNPUBLISHED ") == "NotFoundError"  # "model" is not published
    task = f.ok(sdk_api.get(f"/tasks/{_line(out.stdout, 'TASK ')}"))
    assert {ref["model_id"]: ref["name"] for ref in task["models"]["input"]} == {
        joblib_model: "model",
        trained["det"]: "det",
    }
    assert task["models"]["output"] == []


def test_query_models_finds_by_project_and_tags(trained: dict[str, Any], sdk_client: None) -> None:
    found = Model.query_models(project_name=trained["project"], tags=["best"])
    assert [m.id for m in found] == [trained["det"]]
    assert found[0].published and found[0].labels == {"car": 0, "bike": 1}
    everything = Model.query_models(project_name=trained["project"])
    assert {m.name for m in everything} == {"det", "model"}
    assert Model.query_models(project_name=trained["project"], tags=["missing-tag"]) == []


def test_joblib_capture_switched_off_registers_nothing(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"""
    import joblib
    from corral import Task
    task = Task.init(
        project_name={f.unique("sdk-nojl")!r}, task_name="off",
        auto_connect_frameworks={{"joblib": False}},
    )
    joblib.dump({{"w": 1}}, "model.joblib")
    print("TASK " + task.id)
    """
    out = run_script(code, sdk_env, tmp_path)
    task_id = _line(out.stdout, "TASK ")
    assert (tmp_path / "model.joblib").exists()
    assert _models_of(sdk_api, task_id) == {}
    assert f.ok(sdk_api.get(f"/tasks/{task_id}"))["models"]["output"] == []
