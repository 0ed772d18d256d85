"""Python Fire in real scripts: the command and its arguments on the hub (not Fire's own
flags), and a re-run "under an agent" (``CORRAL_TASK_ID``, no command line) running the
stored command with the stored, edited values - their types kept.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests import factories as f
from tests.sdk.conftest import run_script

SINGLE = """
import json
import fire
from corral import Task

def hello(count, name="corral", prefix="<", suffix=">", **kwargs):
    for _ in range(count):
        print(f"Hello {prefix}{name}{suffix}!")
    print("TYPES " + json.dumps({"count": type(count).__name__, "name": type(name).__name__}))
    print("EXTRA " + json.dumps(kwargs))

if __name__ == "__main__":
    task = Task.init(project_name=PROJECT, task_name="fire single", reuse_last_task_id=False)
    print("TASK " + task.id)
    fire.Fire(hello)
"""

CLASS = """
import fire
from corral import Task

class BrokenCalculator:
    def __init__(self, offset=1):
        self._offset = offset

    def add(self, x, y):
        return x + y + self._offset

    def multiply(self, x, y: int):
        return x * y + self._offset

if __name__ == "__main__":
    task = Task.init(project_name=PROJECT, task_name="fire class", reuse_last_task_id=False)
    print("TASK " + task.id)
    fire.Fire(BrokenCalculator)
"""

MODULE = """
import fire
from corral import Task

def serve(addr, port=8000, should_serve=False):
    print(f"SERVE {addr}:{port} {should_serve}")

def hello(*names, greeting="Hello"):
    print("HELLO " + " ".join(f"{greeting} {name}" for name in names))

class Digestion:
    def run(self, volume=1):
        return " ".join(["Burp!"] * volume)

class Pipeline:
    def __init__(self):
        self.digestion = Digestion()

if __name__ == "__main__":
    task = Task.init(project_name=PROJECT, task_name="fire module", reuse_last_task_id=False)
    print("TASK " + task.id)
    fire.Fire()
"""


def _line(stdout: str, prefix: str) -> str:
    return next(line[len(prefix) :] for line in stdout.splitlines() if line.startswith(prefix))


def _args(api: httpx.Client, task_id: str) -> dict[str, Any]:
    return dict(f.ok(api.get(f"/tasks/{task_id}/hyperparams")).get("Args") or {})


def _rerun(
    api: httpx.Client,
    env: dict[str, str],
    code: str,
    cwd: Path,
    task_id: str,
    edits: dict[str, Any],
    check: bool = True,
) -> tuple[str, Any]:
    clone = f.ok(api.post(f"/tasks/{task_id}:clone", json={}), 201)["id"]
    f.ok(api.patch(f"/tasks/{clone}/hyperparams", json={"hyperparams": {"Args": edits}}))
    return clone, run_script(code, {**env, "CORRAL_TASK_ID": clone}, cwd, check=check)


def test_a_single_function_reruns_with_the_edited_values_and_their_types(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"PROJECT = {f.unique('sdk-fire-single')!r}\n" + SINGLE
    first = run_script(code, sdk_env, tmp_path / "a", args=["2", "--name=Ada", "--mood=happy"])
    assert first.stdout.count("Hello <Ada>!") == 2
    task_id = _line(first.stdout, "TASK ")
    stored = _args(sdk_api, task_id)
    assert stored["count"] == {"value": 2, "type": "int", "description": ""}
    assert stored["name"]["value"] == "Ada" and stored["name"]["type"] == "str"
    assert stored["prefix"]["value"] == "<" and stored["mood"]["value"] == "happy"
    # Fire's own flags (parsed with argparse) are not the script's arguments
    assert not {"verbose", "interactive", "separator", "trace", "help"} & set(stored)

    # a text that reads as a number stays text; an int edited as text comes back an int
    _, second = _rerun(
        sdk_api,
        sdk_env,
        code,
        tmp_path / "b",
        task_id,
        {"count": {"value": "3", "type": "int"}, "name": {"value": "42", "type": "str"}},
    )
    assert second.stdout.count("Hello <42>!") == 3, second.stdout
    assert json.loads(_line(second.stdout, "TYPES ")) == {"count": "int", "name": "str"}
    assert json.loads(_line(second.stdout, "EXTRA ")) == {"mood": "happy"}


def test_a_class_records_its_command_and_an_edit_switches_it(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"PROJECT = {f.unique('sdk-fire-class')!r}\n" + CLASS
    first = run_script(code, sdk_env, tmp_path / "a", args=["add", "1", "2", "--offset", "10"])
    assert first.stdout.splitlines()[-1] == "13"
    task_id = _line(first.stdout, "TASK ")
    stored = _args(sdk_api, task_id)
    assert stored["add"]["value"] is True and stored["add"]["type"] == "fire.Command"
    assert stored["add/x"]["value"] == 1 and stored["add/y"]["value"] == 2
    assert stored["offset"]["value"] == 10 and stored["offset"]["type"] == "int"
    assert stored["multiply"]["value"] is False and stored["multiply"]["type"] == "fire.Command"
    assert stored["multiply/x"] == {"value": None, "type": "", "description": ""}
    assert stored["multiply/y"]["type"] == "int"  # from the annotation

    clone, second = _rerun(
        sdk_api,
        sdk_env,
        code,
        tmp_path / "b",
        task_id,
        {
            "add": {"value": False, "type": "fire.Command"},
            "multiply": {"value": True, "type": "fire.Command"},
            "multiply/x": {"value": 3},
            "multiply/y": {"value": "4", "type": "int"},
        },
    )
    assert second.stdout.splitlines()[-1] == "22", second.stdout
    after = _args(sdk_api, clone)
    assert after["multiply"]["value"] is True and after["add"]["value"] is False
    assert after["multiply/y"]["value"] == 4

    _, both = _rerun(
        sdk_api,
        sdk_env,
        code,
        tmp_path / "c",
        task_id,
        {"multiply": {"value": True, "type": "fire.Command"}},
        check=False,
    )
    assert both.returncode != 0
    assert "select several Fire commands (Args/add, Args/multiply)" in both.stderr


def test_fire_without_a_component_lists_the_scripts_functions_and_nested_commands(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"PROJECT = {f.unique('sdk-fire-module')!r}\n" + MODULE
    first = run_script(code, sdk_env, tmp_path / "a", args=["hello", "Ada", "Bob", "--greeting=Hi"])
    assert _line(first.stdout, "HELLO ") == "Hi Ada Hi Bob"
    task_id = _line(first.stdout, "TASK ")
    stored = _args(sdk_api, task_id)
    assert stored["hello"]["value"] is True and stored["serve"]["value"] is False
    assert stored["hello/*names"] == {"value": ["Ada", "Bob"], "type": "list", "description": ""}
    assert stored["serve/port"]["value"] == 8000
    assert "Task" not in stored and "fire" not in stored  # imports are not commands

    _, second = _rerun(
        sdk_api,
        sdk_env,
        code,
        tmp_path / "b",
        task_id,
        {"hello/*names": {"value": ["Cy"], "type": "list"}},
    )
    assert _line(second.stdout, "HELLO ") == "Hi Cy", second.stdout

    # a member path: the class is instantiated, its attribute's method runs
    nested = run_script(code, sdk_env, tmp_path / "c", args=["Pipeline", "digestion", "run", "2"])
    assert nested.stdout.splitlines()[-1] == "Burp! Burp!"
    nested_id = _line(nested.stdout, "TASK ")
    stored = _args(sdk_api, nested_id)
    assert stored["Pipeline.digestion.run"]["value"] is True
    assert stored["Pipeline.digestion.run/volume"]["value"] == 2
    _, third = _rerun(
        sdk_api,
        sdk_env,
        code,
        tmp_path / "d",
        nested_id,
        {"Pipeline.digestion.run/volume": {"value": 3, "type": "int"}},
    )
    assert third.stdout.splitlines()[-1] == "Burp! Burp! Burp!", third.stdout
