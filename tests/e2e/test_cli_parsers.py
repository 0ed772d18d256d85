"""click groups, Python Fire and Hydra re-run by a real agent with values edited on the hub.

Each script runs once "on a laptop" (a subprocess against the hub); its task is cloned
through REST with an edited parameter and enqueued; one agent (plain mode: its own
environment, which has click, fire and hydra) runs every clone, with no command line.
The console on the hub must show the edited value, and the task must complete.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from corral.testing.hub import Hub
from tests import factories as f
from tests.agents import Agents, agent_env, console, make_queue, wait_status
from tests.sdk.capture.test_hydra import APP as HYDRA_APP
from tests.sdk.capture.test_hydra import write_app

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_hub]

CLICK_GROUP = """
import click
from corral import Task

@click.group()
@click.option("--verbose/--quiet", default=False)
def cli(verbose):
    task = Task.init(project_name="cli-parsers-e2e", task_name="click group")
    print(f"task={task.id}", flush=True)

@cli.command()
@click.option("--count", default=1)
@click.option("--name", prompt="Your name")
def hello(count, name):
    for _ in range(count):
        print(f"Hello {name}!", flush=True)

@cli.command()
def bye():
    print("bye", flush=True)

cli()
"""

FIRE_FUNCTION = """
import fire
from corral import Task

def train(epochs, lr=0.1, name="run"):
    print(f"train epochs={epochs!r} lr={lr!r} name={name!r}", flush=True)

if __name__ == "__main__":
    task = Task.init(project_name="cli-parsers-e2e", task_name="fire function")
    print(f"task={task.id}", flush=True)
    fire.Fire(train)
"""

FIRE_CLASS = """
import fire
from corral import Task

class Calculator:
    def __init__(self, offset=0):
        self.offset = offset

    def add(self, x, y):
        print(f"add={x + y + self.offset}", flush=True)

    def multiply(self, x, y):
        print(f"multiply={x * y + self.offset}", flush=True)

if __name__ == "__main__":
    task = Task.init(project_name="cli-parsers-e2e", task_name="fire class")
    print(f"task={task.id}", flush=True)
    fire.Fire(Calculator)
"""


@pytest.fixture(scope="module")
def parsers_queue(hub: Hub) -> str:
    with hub.client() as api:
        return make_queue(api)


@pytest.fixture(scope="module")
def agent(hub: Hub, parsers_queue: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One agent for the module (plain mode), started on first use."""
    agents = Agents(tmp_path_factory.mktemp("parsers-agent"))
    started = agents.start(hub, "--queue", parsers_queue)
    yield started.name
    agents.stop_all()


def run_locally(hub: Hub, folder: Path, args: list[str], code: str | None = None) -> str:
    """Run ``folder/app.py`` (written from ``code`` if given) on "a laptop"; its task id.

    The script prints ``task=<id>`` (or ``TASK <id>``).
    """
    if code is not None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "app.py").write_text(textwrap.dedent(code))
    env = agent_env(hub, folder.parent / "laptop", GIT_CEILING_DIRECTORIES=str(folder.parent))
    local = subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert local.returncode == 0, local.stderr
    marker = "task=" if "task=" in local.stdout else "TASK "  # the Hydra app prints TASK <id>
    return local.stdout.split(marker)[1].split()[0]


def clone_and_enqueue(
    api: httpx.Client, task_id: str, queue: str, hyperparams: dict[str, Any]
) -> str:
    wait_status(api, task_id, "completed")
    clone = f.ok(api.post(f"/tasks/{task_id}:clone", json={}), 201)["id"]
    f.ok(api.patch(f"/tasks/{clone}/hyperparams", json={"hyperparams": hyperparams}))
    f.ok(api.post(f"/tasks/{clone}:enqueue", json={"queue": queue}))
    return str(clone)


def finished(api: httpx.Client, task_id: str, agent: str) -> list[str]:
    """The console of a task the agent ran; fails unless it completed."""
    task = wait_status(api, task_id, "completed", "failed", "stopped", timeout=180)
    lines = console(api, task_id)
    assert task["status"] == "completed", (task["status_reason"], lines[-30:])
    assert task["worker"] == agent
    return lines


def test_click_group_and_fire_commands_rerun_by_an_agent_with_edited_values(
    hub: Hub, api: httpx.Client, parsers_queue: str, agent: str, tmp_path: Path
) -> None:
    click_task = run_locally(
        hub, tmp_path / "click", ["hello", "--count", "1", "--name", "Ada"], CLICK_GROUP
    )
    fire_fn = run_locally(hub, tmp_path / "fire-fn", ["3", "--lr", "0.5"], FIRE_FUNCTION)
    fire_cls = run_locally(hub, tmp_path / "fire-cls", ["add", "1", "2"], FIRE_CLASS)

    click_clone = clone_and_enqueue(
        api,
        click_task,
        parsers_queue,
        {"Args": {"hello/count": {"value": 2, "type": "int"}, "hello/name": {"value": "Bob"}}},
    )
    fire_fn_clone = clone_and_enqueue(
        api,
        fire_fn,
        parsers_queue,
        {"Args": {"lr": {"value": "0.25", "type": "float"}, "name": {"value": "7"}}},
    )
    fire_cls_clone = clone_and_enqueue(
        api,
        fire_cls,
        parsers_queue,
        {
            "Args": {
                "add": {"value": False, "type": "fire.Command"},
                "multiply": {"value": True, "type": "fire.Command"},
                "multiply/x": {"value": 6},
                "multiply/y": {"value": 7},
                "offset": {"value": 100, "type": "int"},
            }
        },
    )

    lines = finished(api, click_clone, agent)
    assert lines.count("Hello Bob!") == 2, lines[-30:]
    lines = finished(api, fire_fn_clone, agent)
    assert "train epochs=3 lr=0.25 name='7'" in lines, lines[-30:]
    lines = finished(api, fire_cls_clone, agent)
    assert "multiply=142" in lines and not any(line.startswith("add=") for line in lines)


def _git(folder: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ada",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    subprocess.run(["git", *args], cwd=folder, env=env, check=True, capture_output=True)


def test_a_hydra_app_reruns_by_an_agent_with_an_edited_override(
    hub: Hub, api: httpx.Client, parsers_queue: str, agent: str, tmp_path: Path
) -> None:
    # the app and its config files in a repository the agent can clone
    repo = tmp_path / "repo"
    repo.mkdir()
    write_app(repo)
    (repo / "app.py").write_text("PROJECT = 'cli-parsers-e2e'\n" + textwrap.dedent(HYDRA_APP))
    (repo / ".gitignore").write_text("outputs/\n")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "app")
    _git(tmp_path, "clone", "-q", "--bare", str(repo), str(tmp_path / "origin.git"))
    _git(repo, "remote", "add", "origin", str(tmp_path / "origin.git"))
    _git(repo, "fetch", "-q", "origin")

    task_id = run_locally(hub, repo, ["train.lr=0.5", "db=mysql"])
    stored = f.ok(api.get(f"/tasks/{task_id}"))
    assert stored["hyperparams"]["Hydra"]["train.lr"]["value"] == "0.5"
    assert "lr: 0.5" in stored["configuration"]["OmegaConf"]["value"]
    assert stored["script"]["repository"].endswith("origin.git")

    clone = clone_and_enqueue(
        api, task_id, parsers_queue, {"Hydra": {"train.lr": {"value": "0.125", "type": "str"}}}
    )
    lines = finished(api, clone, agent)
    cfg = next(line for line in lines if line.startswith("CFG "))
    assert '"lr": 0.125' in cfg and '"driver": "mysql"' in cfg, cfg
    after = f.ok(api.get(f"/tasks/{clone}"))["configuration"]["OmegaConf"]["value"]
    assert "lr: 0.125" in after
