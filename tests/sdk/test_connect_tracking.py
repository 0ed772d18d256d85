"""A connected dict (or object) stays tracked: changes after ``connect()`` reach the hub.

Each test runs a real script against the session hub and reads the task's stored
hyperparameters back over REST: while the script runs (after ``task.flush()``, and by
the background look alone) and after it has ended.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx

from tests import factories as f
from tests.agents import wait_for
from tests.sdk.conftest import run_script


def _hp(api: httpx.Client, task_id: str) -> dict[str, Any]:
    return dict(f.ok(api.get(f"/tasks/{task_id}/hyperparams")))


def _values(section: dict[str, Any]) -> dict[str, Any]:
    return {key: row["value"] for key, row in section.items()}


class _Script:
    """A script run as a subprocess that prints ``KEY value`` lines and waits for ``go``."""

    def __init__(self, code: str, env: dict[str, str], cwd: Path) -> None:
        cwd.mkdir(parents=True, exist_ok=True)
        path = cwd / "script.py"
        path.write_text(textwrap.dedent(code))
        self.proc = subprocess.Popen(
            [sys.executable, str(path)],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def line(self, key: str) -> str:
        """The value of the next ``key ...`` line the script prints."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            word, _, rest = line.rstrip("\n").partition(" ")
            if word == key:
                return rest
        raise AssertionError(f"the script ended without {key!r}: {self.finish()}")

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()

    def finish(self) -> str:
        out, err = self.proc.communicate(timeout=120)
        assert self.proc.returncode == 0, f"exit {self.proc.returncode}\n{out}\n{err}"
        return out


TRACKED = """
import sys
from corral import Task

def wait():
    print("WAIT", flush=True)
    assert sys.stdin.readline().strip() == "go"

task = Task.init(project_name={project!r}, task_name="tracked")
print("TASK", task.id, flush=True)
params = {{"lr": 0.1, "epochs": 3, "opt": {{"name": "adam", "beta": 0.9}}, "gone": "x"}}
returned = task.connect(params)
assert returned is params
opt = params["opt"]

# 1. changes through the original reference, sent at task.flush()
params["batch"] = 32            # added
params["lr"] = 0.05             # changed
del params["gone"]              # deleted
opt["name"] = "sgd"             # nested, through a reference to the nested dict
opt["momentum"] = {{"value": 0.5}}  # a nested dict added
now = task.get_parameters()  # reads include the changes at once
assert now["General/batch"] == 32 and now["General/opt/name"] == "sgd", now
assert "General/gone" not in now and task.get_parameters_as_dict()["General"]["lr"] == 0.05
task.flush()
wait()

# 2. through the returned object, sent by the background look alone (no flush)
returned["epochs"] = 7
del opt["beta"]
wait()

# 3. changes just before the end, sent at exit; a value that is no JSON type
params["epochs"] = 9
params["when"] = complex(1, 2)
"""


def test_a_connected_dict_is_tracked_while_running_and_at_exit(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    env = {**sdk_env, "CORRAL_CONNECT_INTERVAL": "0.2"}
    script = _Script(TRACKED.format(project=f.unique("connect-track")), env, tmp_path)
    try:
        task_id = script.line("TASK")
        script.line("WAIT")  # after task.flush()

        def first() -> bool:
            general = _values(_hp(sdk_api, task_id).get("General", {}))
            return general.get("batch") == 32

        wait_for(first, "the changes flushed by task.flush()")
        general = _hp(sdk_api, task_id)["General"]
        assert _values(general) == {
            "lr": 0.05,
            "epochs": 3,
            "batch": 32,
            "opt/name": "sgd",
            "opt/beta": 0.9,
            "opt/momentum/value": 0.5,
        }
        assert general["batch"]["type"] == "int" and general["lr"]["type"] == "float"

        script.go()
        script.line("WAIT")

        def second() -> bool:
            general = _values(_hp(sdk_api, task_id)["General"])
            return general.get("epochs") == 7 and "opt/beta" not in general

        wait_for(second, "the changes found by the background look")

        script.go()
        script.finish()
        task = f.ok(sdk_api.get(f"/tasks/{task_id}"))
        assert task["status"] == "completed"
        general = task["hyperparams"]["General"]
        assert _values(general) == {
            "lr": 0.05,
            "epochs": 9,
            "batch": 32,
            "opt/name": "sgd",
            "opt/momentum/value": 0.5,
            "when": "(1+2j)",
        }
        assert general["when"]["type"] == "complex"

    finally:
        script.kill()


def test_objects_namespaces_and_shared_sections_are_tracked_at_exit(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"""
    import argparse
    from corral import Task

    task = Task.init(project_name={f.unique("connect-obj")!r}, task_name="objects")
    print("TASK", task.id, flush=True)

    class Model:
        depth = 3

        def __init__(self):
            self.width = 64

    model = Model()
    task.connect(model, name="Model")
    args = argparse.Namespace(seed=1)
    task.connect(args, name="Run")
    first = {{"a": 1, "shared": "first"}}
    second = {{"b": 2}}
    task.connect(first, name="Data")
    task.connect(first, name="Data")  # connected again: still followed once
    task.connect(second, name="Data")
    parser = argparse.ArgumentParser(prog="x")
    assert task.connect(parser) is parser  # its arguments are recorded when it parses

    model.width = 128
    model.heads = 8
    Model.depth = 4
    args.seed = 2
    del first["a"]
    second["b"] = 3
    second["shared"] = "second"
    """
    out = run_script(code, sdk_env, tmp_path)
    task_id = out.stdout.split("TASK ", 1)[1].split()[0]
    hp = _hp(sdk_api, task_id)
    assert set(hp) == {"Model", "Run", "Data"}
    assert _values(hp["Model"]) == {"depth": 4, "width": 128, "heads": 8}
    assert _values(hp["Run"]) == {"seed": 2}
    # two dicts in one section: the later one wins a shared key; a key one of them
    # deletes goes only if the other does not have it
    assert _values(hp["Data"]) == {"b": 3, "shared": "second"}


def test_under_an_agent_stored_values_win_and_later_changes_are_recorded(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"""
    import json
    from corral import Task

    task = Task.init(project_name={f.unique("connect-agent")!r}, task_name="agent")
    params = {{"lr": 0.1, "opt": {{"name": "adam"}}, "steps": 10}}
    opt = params["opt"]
    task.connect(params)
    print("SEEN " + json.dumps(params), flush=True)
    assert params["opt"] is opt  # the nested dict is updated in place
    params["steps"] = params["steps"] * 2
    params["seen_lr"] = params["lr"]
    print("TASK", task.id, flush=True)
    """
    first = run_script(code, sdk_env, tmp_path / "local")
    task_id = first.stdout.split("TASK ", 1)[1].split()[0]
    clone = f.ok(sdk_api.post(f"/tasks/{task_id}:clone", json={}), 201)
    f.ok(
        sdk_api.patch(
            f"/tasks/{clone['id']}/hyperparams",
            json={
                "hyperparams": {
                    "General": {
                        "lr": {"value": "0.5", "type": "float"},
                        "opt/name": {"value": "sgd", "type": "str"},
                    }
                }
            },
        )
    )
    second = run_script(code, {**sdk_env, "CORRAL_TASK_ID": clone["id"]}, tmp_path / "agent")
    seen = json.loads(second.stdout.split("SEEN ", 1)[1].splitlines()[0])
    # the clone carries what the first run recorded at its end (steps 20, seen_lr)
    assert seen == {"lr": 0.5, "opt": {"name": "sgd"}, "steps": 20}
    assert _values(_hp(sdk_api, clone["id"])["General"]) == {
        "lr": 0.5,
        "opt/name": "sgd",
        "steps": 40,
        "seen_lr": 0.5,
    }


def test_ignore_remote_overrides_keeps_the_codes_values_under_an_agent(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"""
    import json
    from corral import Task

    task = Task.init(project_name={f.unique("connect-ignore")!r}, task_name="ignore")
    kept = task.connect({{"lr": 0.1}}, name="Kept", ignore_remote_overrides=True)
    taken = task.connect({{"lr": 0.1}}, name="Taken")
    print("SEEN " + json.dumps([kept, taken]), flush=True)
    print("TASK", task.id, flush=True)
    """
    first = run_script(code, sdk_env, tmp_path / "local")
    task_id = first.stdout.split("TASK ", 1)[1].split()[0]
    clone = f.ok(sdk_api.post(f"/tasks/{task_id}:clone", json={}), 201)
    edit = {"lr": {"value": 0.9, "type": "float"}}
    f.ok(
        sdk_api.patch(
            f"/tasks/{clone['id']}/hyperparams",
            json={"hyperparams": {"Kept": edit, "Taken": edit}},
        )
    )
    second = run_script(code, {**sdk_env, "CORRAL_TASK_ID": clone["id"]}, tmp_path / "agent")
    seen = json.loads(second.stdout.split("SEEN ", 1)[1].splitlines()[0])
    assert seen == [{"lr": 0.1}, {"lr": 0.9}]
    hp = _hp(sdk_api, clone["id"])
    assert hp["Kept"]["lr"]["value"] == 0.1 and hp["Taken"]["lr"]["value"] == 0.9


def test_an_input_model_connected_is_an_input_of_the_task_not_a_parameter(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    project = f.unique("connect-model")
    make = f"""
    from pathlib import Path
    from corral import OutputModel, Task

    task = Task.init(project_name={project!r}, task_name="make")
    Path("w.bin").write_bytes(b"weights")
    out = OutputModel(task, name="warm")
    out.update_weights("w.bin")
    print("MODEL", out.id, flush=True)
    """
    model_id = run_script(make, sdk_env, tmp_path / "make").stdout.split("MODEL ", 1)[1].split()[0]
    use = f"""
    from corral import InputModel, Task

    model = InputModel(model_id={model_id!r})  # before Task.init: no task records it yet
    task = Task.init(project_name={project!r}, task_name="use")
    assert task.connect(model) is model
    print("TASK", task.id, flush=True)
    """
    out = run_script(use, sdk_env, tmp_path / "use")
    task = f.ok(sdk_api.get(f"/tasks/{out.stdout.split('TASK ', 1)[1].split()[0]}"))
    assert [m["model_id"] for m in task["models"]["input"]] == [model_id]
    assert task["hyperparams"] == {}
