"""``corral.task_parameters``: parameter classes connected to a task, validated, edited on the hub."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from corral.task_parameters import TaskParameters, param, percent_param, range_validator
from tests import factories as f
from tests.sdk.conftest import run_script


class Train(TaskParameters):
    iterations = param(type=int, range=(1, 10_000), default=100, desc="steps to run")
    target = percent_param(default=0.9)
    name = param(type=str, default="base")
    anything = param(default=None)


def test_a_class_has_an_init_to_dict_and_update_from_dict() -> None:
    p = Train(iterations=5)
    assert p.to_dict() == {"iterations": 5, "target": 0.9, "name": "base", "anything": None}
    p.update_from_dict({"target": 0.25, "anything": [1, 2]})
    assert (p.target, p.anything) == (0.25, [1, 2])
    assert Train(iterations=5) == Train(iterations=5) != Train(iterations=6)


def test_bad_values_are_clear_errors_at_init_and_on_set() -> None:
    with pytest.raises(ValueError, match=r"Train\.iterations is 0, outside its range \[1, 10000\]"):
        Train(iterations=0)
    p = Train()
    with pytest.raises(ValueError, match=r"Train\.target is 1\.5, outside its range \[0, 1\]"):
        p.target = 1.5
    with pytest.raises(TypeError, match=r"Train\.iterations must be of type int .* not str '7'"):
        p.update_from_dict({"iterations": "7"})
    with pytest.raises(ValueError, match="Train has no parameter 'epochs'; its parameters are"):
        p.update_from_dict({"epochs": 3})
    assert p.to_dict() == Train().to_dict()  # nothing was set by the refused values
    with pytest.raises(TypeError, match=r"range=\.\.\.\) takes \(min, max\)"):
        param(range=(1, 2, 3))


def test_validators_compose_and_open_ranges() -> None:
    def even(instance: object, attribute: object, value: int) -> None:
        if value % 2:
            raise ValueError("must be even")

    class Search(TaskParameters):
        trials = param(validator=even, range=(2, None), type=int, default=4)
        floor = param(validator=[range_validator(None, 0)], default=-1)

    assert Search(trials=10_000).trials == 10_000
    with pytest.raises(ValueError, match="must be even"):
        Search(trials=3)
    with pytest.raises(ValueError, match=r"outside its range \[2, inf\]"):
        Search(trials=0)
    with pytest.raises(ValueError, match=r"outside its range \[-inf, 0\]"):
        Search(floor=1)


SCRIPT = """
import json, sys
from corral import Task
from corral.task_parameters import TaskParameters, param, percent_param

class Train(TaskParameters):
    iterations = param(type=int, range=(1, 10000), default=100, desc="steps to run")
    target = percent_param(default=0.9, desc="accuracy to reach")
    optimizer = param(type=str, default="adam")

class Data(TaskParameters):
    batch = param(type=int, default=32)

task = Task.init(project_name=PROJECT, task_name="task-params")
print("TASK", task.id, flush=True)
train = Train(iterations=1000)
assert task.connect(train) is train
data = Data()
assert data.connect(task) is data  # ClearML's other spelling
print("SEEN " + json.dumps(train.to_dict()), flush=True)
try:
    train.iterations = 0
except ValueError as e:
    print("REFUSED", e, flush=True)
train.optimizer = "sgd"  # a change after connect(), recorded at exit
"""


def _script(project: str) -> str:
    return f"PROJECT = {project!r}\n{SCRIPT}"


def _line(out: str, key: str) -> str:
    return out.split(key + " ", 1)[1].splitlines()[0]


def test_connected_parameters_reach_the_hub_and_edits_come_back_under_an_agent(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = _script(f.unique("task-params"))
    first = run_script(code, sdk_env, tmp_path / "local")
    assert "REFUSED Train.iterations is 0, outside its range [1, 10000]" in first.stdout
    task_id = _line(first.stdout, "TASK")
    hp = f.ok(sdk_api.get(f"/tasks/{task_id}/hyperparams"))
    assert hp["General"] == {
        "iterations": {"value": 1000, "type": "int", "description": "steps to run"},
        "target": {"value": 0.9, "type": "float", "description": "accuracy to reach"},
        "optimizer": {"value": "sgd", "type": "str", "description": ""},
        "batch": {"value": 32, "type": "int", "description": ""},
    }

    # an agent's run of a clone edited on the hub (values typed in the UI come as text)
    clone = f.ok(sdk_api.post(f"/tasks/{task_id}:clone", json={}), 201)
    edit = {"iterations": {"value": "2000", "type": "int"}, "optimizer": {"value": "adamw"}}
    f.ok(
        sdk_api.patch(f"/tasks/{clone['id']}/hyperparams", json={"hyperparams": {"General": edit}})
    )
    second = run_script(code, {**sdk_env, "CORRAL_TASK_ID": clone["id"]}, tmp_path / "agent")
    seen = json.loads(_line(second.stdout, "SEEN"))
    assert seen == {"iterations": 2000, "target": 0.9, "optimizer": "adamw"}
    general = f.ok(sdk_api.get(f"/tasks/{clone['id']}/hyperparams"))["General"]
    assert general["iterations"]["value"] == 2000 and general["optimizer"]["value"] == "sgd"


def test_an_edit_out_of_range_fails_the_agents_run_with_the_reason(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = _script(f.unique("task-params-bad"))
    first = run_script(code, sdk_env, tmp_path / "local")
    clone = f.ok(sdk_api.post(f"/tasks/{_line(first.stdout, 'TASK')}:clone", json={}), 201)
    edit = {"target": {"value": "1.5", "type": "float"}}
    f.ok(
        sdk_api.patch(f"/tasks/{clone['id']}/hyperparams", json={"hyperparams": {"General": edit}})
    )
    second = run_script(
        code, {**sdk_env, "CORRAL_TASK_ID": clone["id"]}, tmp_path / "agent", check=False
    )
    assert second.returncode != 0
    assert "Train.target is 1.5, outside its range [0, 1]" in second.stderr
    task = f.ok(sdk_api.get(f"/tasks/{clone['id']}"))
    assert task["status"] == "failed"
    assert "outside its range" in task["status_reason"]
