"""Hydra apps in real scripts: the composed configuration (``OmegaConf``) and the command
line's overrides (``Hydra/...``) on the hub - not Hydra's own flags - and re-runs "under
an agent" (``CORRAL_TASK_ID``, no command line) with edited overrides, and with an edited
configuration once ``Hydra/_allow_omegaconf_edit_`` is True.

The app calls ``Task.init`` inside the job, after Hydra changed the working folder and
configured logging.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests import factories as f
from tests.agents import console
from tests.sdk.conftest import run_script

# corral is imported first: Hydra's runner is wrapped from the import hook
# (each line in one write: Hydra's log handler writes to the same stdout from other threads)
APP = """
import json, logging, sys
from corral import Task
import hydra
from omegaconf import OmegaConf

log = logging.getLogger(__name__)

def say(text):
    sys.stdout.write(text + "\\n")
    sys.stdout.flush()

@hydra.main(config_path="conf", config_name="config", version_base=None)
def app(cfg):
    task = Task.init(project_name=PROJECT, task_name="hydra app", reuse_last_task_id=False)
    say("TASK " + task.id)
    say("CFG " + json.dumps(OmegaConf.to_container(cfg, resolve=True)))
    log.info("the app logs through Hydra's logging")

if __name__ == "__main__":
    app()
"""

CONFIG = """\
defaults:
  - db: sqlite
  - _self_
dataset:
  path: raw.csv
  user: root
train:
  lr: 0.1
  epochs: 3
  name: run-${train.epochs}
"""


def write_app(folder: Path) -> None:
    """The app's configuration files (the script is written by ``run_script``)."""
    (folder / "conf" / "db").mkdir(parents=True, exist_ok=True)
    (folder / "conf" / "config.yaml").write_text(CONFIG)
    (folder / "conf" / "db" / "sqlite.yaml").write_text("driver: sqlite\nport: 0\n")
    (folder / "conf" / "db" / "mysql.yaml").write_text("driver: mysql\nport: 3306\n")


def _line(stdout: str, prefix: str) -> str:
    return next(line[len(prefix) :] for line in stdout.splitlines() if line.startswith(prefix))


def _clone(api: httpx.Client, task_id: str, hyperparams: dict[str, Any]) -> str:
    clone = f.ok(api.post(f"/tasks/{task_id}:clone", json={}), 201)["id"]
    f.ok(api.patch(f"/tasks/{clone}/hyperparams", json={"hyperparams": hyperparams}))
    return str(clone)


def test_a_hydra_app_records_its_configuration_and_reruns_with_edits(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"PROJECT = {f.unique('sdk-hydra')!r}\n" + APP
    folder = tmp_path / "app"
    write_app(folder)
    overrides = ["train.lr=0.5", "db=mysql", "+extra=7", "~dataset.user", "hydra.job.chdir=True"]
    first = run_script(code, sdk_env, folder, args=overrides)
    task_id = _line(first.stdout, "TASK ")
    cfg = json.loads(_line(first.stdout, "CFG "))
    assert cfg["train"]["lr"] == 0.5 and cfg["db"]["driver"] == "mysql" and cfg["extra"] == 7

    task = f.ok(sdk_api.get(f"/tasks/{task_id}"))
    section = task["hyperparams"]["Hydra"]
    assert {name: p["value"] for name, p in section.items()} == {
        "train.lr": "0.5",
        "db": "mysql",
        "extra": "7",
        "~dataset.user": None,
        "_allow_omegaconf_edit_": False,
    }
    assert section["_allow_omegaconf_edit_"]["type"] == "bool"
    # Hydra's own flags and overrides are not the app's arguments
    assert "Args" not in task["hyperparams"]
    omegaconf = task["configuration"]["OmegaConf"]
    assert omegaconf["type"] == "yaml"
    assert "lr: 0.5" in omegaconf["value"] and "driver: mysql" in omegaconf["value"]
    assert "name: run-${train.epochs}" in omegaconf["value"]  # interpolations kept
    assert "hydra:" not in omegaconf["value"]
    assert any(line.startswith("CFG ") for line in console(sdk_api, task_id))

    # edited overrides, one added as HPO would (typed): applied as Hydra overrides
    edited = _clone(
        sdk_api,
        task_id,
        {
            "Hydra": {
                "train.lr": {"value": "0.01", "type": "str"},
                "train.epochs": {"value": 5, "type": "int"},
            }
        },
    )
    second = run_script(code, {**sdk_env, "CORRAL_TASK_ID": edited}, folder)
    cfg = json.loads(_line(second.stdout, "CFG "))
    assert cfg["train"] == {"lr": 0.01, "epochs": 5, "name": "run-5"}, second.stdout
    assert cfg["db"]["driver"] == "mysql" and cfg["extra"] == 7
    assert "user" not in cfg["dataset"]
    after = f.ok(sdk_api.get(f"/tasks/{edited}"))["configuration"]["OmegaConf"]["value"]
    assert "lr: 0.01" in after

    # the whole configuration edited, and allowed to be used as it is
    yaml = omegaconf["value"].replace("lr: 0.5", "lr: 0.9")
    whole = _clone(
        sdk_api, task_id, {"Hydra": {"_allow_omegaconf_edit_": {"value": "true", "type": "bool"}}}
    )
    f.ok(
        sdk_api.patch(
            f"/tasks/{whole}/configuration",
            json={"configuration": {"OmegaConf": {"type": "yaml", "value": yaml}}},
        )
    )
    third = run_script(code, {**sdk_env, "CORRAL_TASK_ID": whole}, folder)
    cfg = json.loads(_line(third.stdout, "CFG "))
    assert cfg["train"]["lr"] == 0.9 and cfg["train"]["name"] == "run-3", third.stdout


def test_allowing_the_edit_without_a_configuration_fails_with_a_clear_message(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"PROJECT = {f.unique('sdk-hydra-bad')!r}\n" + APP
    folder = tmp_path / "app"
    write_app(folder)
    task = f.task(sdk_api, project_name=f.unique("sdk-hydra-bad"))
    f.ok(
        sdk_api.patch(
            f"/tasks/{task['id']}/hyperparams",
            json={"hyperparams": {"Hydra": {"_allow_omegaconf_edit_": {"value": True}}}},
        )
    )
    run = run_script(code, {**sdk_env, "CORRAL_TASK_ID": task["id"]}, folder, check=False)
    assert run.returncode != 0
    assert "Hydra/_allow_omegaconf_edit_ is True but the task has no OmegaConf" in run.stderr
