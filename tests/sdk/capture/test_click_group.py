"""click groups in real scripts: the invoked command and its parameters on the hub, and a
re-run "under an agent" (``CORRAL_TASK_ID``, no command line) running the stored command
with the stored, edited values.

The script calls ``Task.init`` in the group's callback, as ClearML's example does: after
the group parsed, before the subcommand parses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests import factories as f
from tests.sdk.conftest import run_script

# corral is imported first: click is wrapped from the import hook
SCRIPT = """
import json
from corral import Task
import click

@click.group()
@click.option("--print-something/--dont-print-something", default=True)
@click.option("--what-to-print", default="something")
def cli(print_something, what_to_print):
    task = Task.init(project_name=PROJECT, task_name="click group", reuse_last_task_id=False)
    print("TASK " + task.id)
    if print_something:
        print("SAY " + what_to_print)

@cli.command("hello", help="Greets NAME COUNT times.")
@click.option("--count", default=1, help="Number of greetings.")
@click.option("--name", prompt="Your name", help="The person to greet.")
def hello(count, name):
    for _ in range(count):
        print(f"Hello {name}!")

@cli.command("runserver")
@click.option("--port", default=8000)
@click.option("--name", help="service name")
def runserver(port, name):
    print(f"Serving on {port} as {name}")

@cli.group("db")
@click.option("--url", default="sqlite://")
def db(url):
    print("DB " + url)

@db.command("migrate")
@click.option("--steps", type=int, default=1)
@click.option("--tag", "tags", multiple=True)
@click.argument("target", required=False)
def migrate(steps, tags, target):
    print("MIGRATE " + json.dumps({"steps": steps, "tags": list(tags), "target": target}))

cli()
"""


def _line(stdout: str, prefix: str) -> str:
    return next(line[len(prefix) :] for line in stdout.splitlines() if line.startswith(prefix))


def _args(api: httpx.Client, task_id: str) -> dict[str, Any]:
    return dict(f.ok(api.get(f"/tasks/{task_id}/hyperparams"))["Args"])


def _clone_with(api: httpx.Client, task_id: str, edits: dict[str, Any]) -> str:
    clone = f.ok(api.post(f"/tasks/{task_id}:clone", json={}), 201)
    f.ok(api.patch(f"/tasks/{clone['id']}/hyperparams", json={"hyperparams": {"Args": edits}}))
    return str(clone["id"])


def test_a_group_records_the_invoked_command_and_reruns_it_with_edited_values(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"PROJECT = {f.unique('sdk-click-group')!r}\n" + SCRIPT
    args = ["--what-to-print", "hi", "hello", "--count", "2", "--name", "Ada"]
    first = run_script(code, sdk_env, tmp_path / "a", args=args)
    assert first.stdout.count("Hello Ada!") == 2
    task_id = _line(first.stdout, "TASK ")

    stored = _args(sdk_api, task_id)
    assert stored["cli/print_something"]["value"] is True
    assert stored["cli/print_something"]["type"] == "bool"
    assert stored["cli/what_to_print"]["value"] == "hi"
    assert stored["hello"]["value"] is True and stored["hello"]["type"] == "click.Command"
    assert stored["hello/count"] == {
        "value": 2,
        "type": "int",
        "description": "Number of greetings.",
    }
    assert stored["hello/name"]["value"] == "Ada" and stored["hello/name"]["type"] == "str"
    # the commands that did not run: listed with their defaults, so they can be chosen
    assert stored["runserver"]["value"] is False and stored["runserver"]["type"] == "click.Command"
    assert stored["runserver/port"]["value"] == 8000
    assert stored["runserver/name"]["value"] is None
    assert stored["db.migrate"]["value"] is False
    assert stored["db/url"]["value"] == "sqlite://"
    assert stored["db.migrate/steps"]["value"] == 1
    assert not any(name.startswith("help") or name.endswith("/help") for name in stored)

    # edited on the hub as the UI sends it (text for a number), run with no command line
    clone = _clone_with(
        sdk_api,
        task_id,
        {"hello/count": {"value": "3", "type": "int"}, "hello/name": {"value": "Bob"}},
    )
    second = run_script(code, {**sdk_env, "CORRAL_TASK_ID": clone}, tmp_path / "b")
    assert second.stdout.count("Hello Bob!") == 3, second.stdout
    assert "SAY hi" in second.stdout
    after = _args(sdk_api, clone)
    assert after["hello/count"]["value"] == 3 and after["hello"]["value"] is True


def test_an_edit_switches_the_command_and_nested_groups_rerun(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"PROJECT = {f.unique('sdk-click-nested')!r}\n" + SCRIPT
    args = ["--dont-print-something", "db", "--url", "pg://x", "migrate", "--steps", "4"]
    first = run_script(code, sdk_env, tmp_path / "a", args=[*args, "--tag", "a", "v2"])
    assert json.loads(_line(first.stdout, "MIGRATE ")) == {
        "steps": 4,
        "tags": ["a"],
        "target": "v2",
    }
    task_id = _line(first.stdout, "TASK ")
    stored = _args(sdk_api, task_id)
    assert stored["db.migrate"]["value"] is True and stored["hello"]["value"] is False
    assert stored["db/url"]["value"] == "pg://x"
    assert stored["db.migrate/tags"] == {"value": ["a"], "type": "list", "description": ""}
    assert stored["db.migrate/target"]["value"] == "v2"
    assert stored["cli/print_something"]["value"] is False

    # the same command with other values: a list, an argument that looks like an option
    clone = _clone_with(
        sdk_api,
        task_id,
        {
            "db.migrate/steps": {"value": 9, "type": "int"},
            "db.migrate/tags": {"value": ["x", "y"], "type": "list"},
            "db.migrate/target": {"value": "-1", "type": "str"},
        },
    )
    second = run_script(code, {**sdk_env, "CORRAL_TASK_ID": clone}, tmp_path / "b")
    assert "DB pg://x" in second.stdout and "SAY" not in second.stdout
    assert json.loads(_line(second.stdout, "MIGRATE ")) == {
        "steps": 9,
        "tags": ["x", "y"],
        "target": "-1",
    }

    # another command, chosen on the hub
    switched = _clone_with(
        sdk_api,
        task_id,
        {
            "db.migrate": {"value": False, "type": "click.Command"},
            "runserver": {"value": "true", "type": "click.Command"},
            "runserver/port": {"value": 9001, "type": "int"},
        },
    )
    third = run_script(code, {**sdk_env, "CORRAL_TASK_ID": switched}, tmp_path / "c")
    assert "Serving on 9001 as None" in third.stdout, third.stdout
    after = _args(sdk_api, switched)
    assert after["runserver"]["value"] is True and after["db.migrate"]["value"] is False


def test_two_selected_commands_fail_with_a_clear_message(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"PROJECT = {f.unique('sdk-click-two')!r}\n" + SCRIPT
    first = run_script(code, sdk_env, tmp_path / "a", args=["hello", "--name", "Ada"])
    clone = _clone_with(
        sdk_api,
        _line(first.stdout, "TASK "),
        {"runserver": {"value": True, "type": "click.Command"}},
    )
    second = run_script(code, {**sdk_env, "CORRAL_TASK_ID": clone}, tmp_path / "b", check=False)
    assert second.returncode != 0
    assert "select several click commands (Args/hello, Args/runserver)" in second.stderr
    assert "Hello" not in second.stdout and "Serving" not in second.stdout
