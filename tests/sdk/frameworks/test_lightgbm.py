"""LightGBM (real): saved models are registered, training curves arrive on a real hub."""

from __future__ import annotations

from pathlib import Path

import httpx
import lightgbm
import numpy as np

from tests import factories as f
from tests.sdk.frameworks.conftest import Capture, CollectingSink, Curves, run_and_read_curves


def test_booster_save_model_registers_a_lightgbm_model(
    capture: Capture, sink: CollectingSink, tmp_path: Path
) -> None:
    rng = np.random.default_rng(0)
    data = lightgbm.Dataset(rng.random((50, 3)), label=rng.random(50))
    booster = lightgbm.train(
        {"objective": "regression", "verbose": -1, "min_data_in_leaf": 5}, data, num_boost_round=3
    )
    capture()

    returned = booster.save_model(tmp_path / "gbm.txt")

    assert returned is booster
    assert lightgbm.Booster(model_file=tmp_path / "gbm.txt").num_trees() == 3
    assert sink.of("register_output_model") == [(str(tmp_path / "gbm.txt"), "lightgbm", "gbm")]


# --- real LightGBM, real hub ---------------------------------------------------------

LGB_SCRIPT = """
import lightgbm as lgb
import numpy as np
from corral import Task

task = Task.init(project_name={project!r}, task_name="lightgbm", auto_connect_frameworks={frameworks!r})

rounds = []
def mine(env):
    rounds.append(env.iteration)
    if env.iteration == 3:  # stops: the stopping round is reported all the same
        raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list)

rng = np.random.default_rng(0)
X, y = rng.random((120, 4)), rng.random(120)
train = lgb.Dataset(X[:90], label=y[:90])
valid = lgb.Dataset(X[90:], label=y[90:], reference=train)
params = {{"objective": "regression", "metric": ["l2", "l1"], "verbose": -1, "min_data_in_leaf": 5}}
callbacks = [mine]
booster = lgb.train(params, train, num_boost_round=4, valid_sets=[train, valid],
                    valid_names=["training", "valid_0"], callbacks=callbacks)
assert callbacks == [mine] and rounds == [0, 1, 2, 3], (callbacks, rounds)
booster.save_model("gbm.txt")

model = lgb.LGBMRegressor(n_estimators=3, min_child_samples=5, verbose=-1)
model.fit(X[:90], y[:90], eval_set=[(X[90:], y[90:])], eval_names=["holdout"], eval_metric="l1")
print("TASK " + task.id)
"""


def _lgb_run(
    env: dict[str, str], api: httpx.Client, cwd: Path, frameworks: object = True
) -> tuple[str, Curves]:
    code = LGB_SCRIPT.format(project=f.unique("sdk-lightgbm"), frameworks=frameworks)
    return run_and_read_curves(code, env, api, cwd)


def test_training_curves_of_every_valid_set_arrive_with_clearml_names(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    task_id, curves = _lgb_run(sdk_env, sdk_api, tmp_path)

    assert sorted(curves) == [
        ("holdout", "l1"),  # LGBMRegressor.fit: its eval set, its metric (and the objective's)
        ("holdout", "l2"),
        ("training", "l1"),
        ("training", "l2"),
        ("valid_0", "l1"),
        ("valid_0", "l2"),
    ]
    for (title, _), (iterations, values) in curves.items():
        assert iterations == ([0, 1, 2] if title == "holdout" else [0, 1, 2, 3])
        assert all(v >= 0 for v in values)
    training_l2 = curves["training", "l2"][1]
    assert training_l2 == sorted(training_l2, reverse=True)  # boosting fits the training set
    models = f.ok(sdk_api.get("/models", params={"task_id": task_id}))["items"]
    assert [(m["name"], m["framework"]) for m in models] == [("gbm", "lightgbm")]
    # the training's params are recorded in General, as ClearML does
    general = f.ok(sdk_api.get(f"/tasks/{task_id}/hyperparams"))["General"]
    assert general["objective"]["value"] == "regression"
    assert general["metric"]["value"] == ["l2", "l1"]
    assert general["min_data_in_leaf"] == {"value": 5, "type": "int", "description": ""}


def test_switched_off_lightgbm_reports_no_curves(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    _, curves = _lgb_run(sdk_env, sdk_api, tmp_path, frameworks={"lightgbm": False})
    assert curves == {}
