"""XGBoost: ``save_model`` through the import hook, and training curves on a real hub.

The first test uses a stand-in ``xgboost/__init__.py`` first on PYTHONPATH of a
subprocess: like the real one, its ``XGBModel.save_model`` calls the booster's
``save_model``, and the re-entrancy guard must make that one registration. The others
train real (small) models in scripts that report to the session's hub.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from tests import factories as f
from tests.sdk.frameworks.conftest import Curves, run_and_read_curves, run_python, write_package


def test_booster_and_sklearn_wrapper_save_model_register_once(tmp_path: Path) -> None:
    standins = write_package(
        tmp_path / "standins",
        {
            "xgboost/__init__.py": """
                class Booster:
                    def save_model(self, fname):
                        with open(fname, "w") as out:
                            out.write("{}")

                class XGBModel:
                    def get_booster(self):
                        return Booster()

                    def save_model(self, fname):
                        self.get_booster().save_model(fname)

                class XGBClassifier(XGBModel):
                    pass
            """
        },
    )
    result = run_python(
        f"""
        import io
        install(sink)
        import xgboost
        xgboost.Booster().save_model({str(tmp_path / "booster.json")!r})
        xgboost.XGBClassifier().save_model({str(tmp_path / "clf.ubj")!r})
        """,
        tmp_path,
        first_on_path=standins,
    )
    assert result["calls"] == [
        ["register_output_model", str(tmp_path / "booster.json"), "xgboost", "booster"],
        ["register_output_model", str(tmp_path / "clf.ubj"), "xgboost", "clf"],
    ]


# --- real xgboost, real hub ----------------------------------------------------------

XGB_SCRIPT = """
import numpy as np
import xgboost as xgb
from corral import Task

task = Task.init(project_name={project!r}, task_name="xgboost", auto_connect_frameworks={frameworks!r})

class Mine(xgb.callback.TrainingCallback):
    def __init__(self):
        self.rounds = []
    def after_iteration(self, model, epoch, evals_log):
        self.rounds.append(epoch)
        return epoch == 3  # asks to stop: the stopping round is reported all the same

rng = np.random.default_rng(0)
X, y = rng.random((80, 4)), rng.random(80)
dtrain = xgb.DMatrix(X[:60], label=y[:60])
dval = xgb.DMatrix(X[60:], label=y[60:])
mine = Mine()
callbacks = [mine]
params = {{"objective": "reg:squarederror", "eval_metric": ["rmse", "mae"], "max_depth": 2}}
booster = xgb.train(params, dtrain, num_boost_round=4, evals=[(dtrain, "train"), (dval, "eval")],
                    callbacks=callbacks, verbose_eval=False)
assert callbacks == [mine] and mine.rounds == [0, 1, 2, 3], (callbacks, mine.rounds)
booster.save_model("booster.json")

model = xgb.XGBRegressor(n_estimators=3, max_depth=2)
model.fit(X[:60], y[:60], eval_set=[(X[60:], y[60:])], verbose=False)
print("TASK " + task.id)
"""


def _xgb_run(
    env: dict[str, str], api: httpx.Client, cwd: Path, frameworks: object = True
) -> tuple[str, Curves]:
    code = XGB_SCRIPT.format(project=f.unique("sdk-xgboost"), frameworks=frameworks)
    return run_and_read_curves(code, env, api, cwd)


def test_training_curves_of_every_eval_set_arrive_with_clearml_names(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    task_id, curves = _xgb_run(sdk_env, sdk_api, tmp_path)

    assert sorted(curves) == [
        ("eval", "mae"),
        ("eval", "rmse"),
        ("train", "mae"),
        ("train", "rmse"),
        ("validation_0 - 1", "rmse"),  # the second training of the process (sklearn's fit)
    ]
    for (title, _), (iterations, values) in curves.items():
        assert iterations == ([0, 1, 2] if title.endswith(" - 1") else [0, 1, 2, 3])
        assert all(v >= 0 for v in values)
    train_rmse = curves["train", "rmse"][1]
    assert train_rmse == sorted(train_rmse, reverse=True)  # boosting fits the training set
    models = f.ok(sdk_api.get("/models", params={"task_id": task_id}))["items"]
    assert [(m["name"], m["framework"]) for m in models] == [("booster", "xgboost")]


def test_switched_off_xgboost_reports_no_curves(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    _, curves = _xgb_run(sdk_env, sdk_api, tmp_path, frameworks={"xgboost": False})
    assert curves == {}
