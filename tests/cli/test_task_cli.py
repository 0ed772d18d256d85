"""``corral task ...`` run as a real subprocess against a real hub."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx

from corral.testing.hub import Hub
from tests import factories as f
from tests.cli.test_cli import corral


def task_cli(hub: Hub, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return corral("task", *args, config=hub.config_file, input=input)


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def log_lines(api: httpx.Client, task_id: str, *texts: str) -> None:
    events = [{"type": "log", "text": t, "stream": "stdout", "time": time.time()} for t in texts]
    f.ok(f.send_events(api, task_id, events))


def follow_logs(hub: Hub, task_id: str) -> subprocess.Popen[str]:
    """``corral task logs TASK -f`` as a running process (the caller ends it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORRAL_")}
    env["CORRAL_CONFIG"] = str(hub.config_file)
    return subprocess.Popen(
        [sys.executable, "-m", "corral", "task", "logs", task_id, "-f", "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def params(api: httpx.Client, task_id: str) -> dict[str, Any]:
    return dict(f.ok(api.get(f"/tasks/{task_id}/hyperparams")))


# --- list and show ----------------------------------------------------------------------


def test_list_filters_by_project_status_and_tag(hub: Hub, api: httpx.Client) -> None:
    project = f.unique("cli-list")
    draft = f.task(api, project, name="draft-one")
    hp = {"Args": {"opt": {"value": "adam"}}}
    best = f.task(api, project, name="best-one", tags=["best"], hyperparams=hp)
    done = f.task(api, project, name="done-one")
    f.run_to(api, done["id"], "completed")
    f.task(api, f.unique("other"))  # another project: never listed

    def ids(*args: str) -> list[str]:
        out = task_cli(hub, "list", "--project", project, "--json", *args)
        assert out.returncode == 0, out.stderr
        return [row["id"] for row in json.loads(out.stdout)]

    assert ids() == [done["id"], best["id"], draft["id"]]  # newest first
    assert ids("--status", "completed") == [done["id"]]
    assert ids("--status", "created,completed", "--limit", "2") == [done["id"], best["id"]]
    assert ids("--tag", "best") == [best["id"]]
    assert ids("--filter", "param:Args:opt=adam") == [best["id"]]
    table = task_cli(hub, "list", "--project", project)
    assert table.returncode == 0, table.stderr
    for text in (done["id"], "done-one", "completed", project, "training"):
        assert text in table.stdout


def test_list_with_unknown_project_or_status_is_one_line(hub: Hub) -> None:
    one_line_error(task_cli(hub, "list", "--project", f.unique("nope")), "no project named")
    one_line_error(task_cli(hub, "list", "--status", "running"), "in_progress")
    # the hub's message names the filter and its forms (long: the console wraps it)
    bad = task_cli(hub, "list", "--filter", "param:Args:lr>x")
    assert bad.returncode == 1 and bad.stderr.startswith("error: invalid filter 'param:Args:lr>x'")


def test_show_summarizes_a_task(hub: Hub, api: httpx.Client) -> None:
    task = f.task(
        api,
        name="summary-task",
        script={
            "repository": "https://git.example.com/ml/mnist.git",
            "commit": "a1b2c3d4",
            "entry_point": "train.py",
        },
        hyperparams={
            "Args": {"lr": {"value": 0.01, "type": "float"}, "epochs": {"value": 5, "type": "int"}}
        },
        configuration={"model.yaml": {"type": "yaml", "value": "layers: 3"}},
    )
    f.run_to(api, task["id"], "in_progress")
    f.ok(f.send_events(api, task["id"], [f.scalar("loss", "train", 3, 0.25)]))
    f.ok(api.post(f"/tasks/{task['id']}:fail", json={"reason": "out of memory"}))

    shown = task_cli(hub, "show", task["id"])
    assert shown.returncode == 0, shown.stderr
    for text in (
        "summary-task",
        "failed",
        "out of memory",
        "mnist.git @ a1b2c3d4",
        "train.py",
        "Args",
        "epochs",
        "0.01",
        "model.yaml (yaml)",
        "loss",
        "0.25",
        "run time",
    ):
        assert text in shown.stdout, text
    as_json = task_cli(hub, "show", task["id"], "--json")
    data = json.loads(as_json.stdout)
    assert data["id"] == task["id"] and data["status"] == "failed"
    # a unique prefix is enough
    by_prefix = task_cli(hub, "show", task["id"][:10], "--json")
    assert json.loads(by_prefix.stdout)["id"] == task["id"]


def test_unknown_or_ambiguous_task_ids_are_one_line_errors(hub: Hub, api: httpx.Client) -> None:
    one_line_error(task_cli(hub, "show", uuid.uuid4().hex), "no task with id", "corral task list")
    one_line_error(task_cli(hub, "show", "abc"), "6+ characters")
    one_line_error(task_cli(hub, "show", "not-an-id!"), "not a task id")
    prefix = uuid.uuid4().hex[:8]
    for _ in range(2):
        f.task(api, id=prefix + uuid.uuid4().hex[8:])
    one_line_error(task_cli(hub, "abort", prefix), "2 tasks", "more characters")


# --- clone and set-param ----------------------------------------------------------------


def test_clone_prints_the_new_id(hub: Hub, api: httpx.Client) -> None:
    source = f.task(api, hyperparams={"Args": {"lr": {"value": 0.1, "type": "float"}}})
    f.run_to(api, source["id"], "completed")
    project = f.unique("clones")
    out = task_cli(hub, "clone", source["id"], "--name", "copy", "--project", project)
    assert out.returncode == 0, out.stderr
    new_id = out.stdout.strip()
    new = f.ok(api.get(f"/tasks/{new_id}"))
    assert new["name"] == "copy" and new["status"] == "created"
    assert new["parent_id"] == source["id"]
    assert new["hyperparams"]["Args"]["lr"]["value"] == 0.1
    listed = json.loads(task_cli(hub, "list", "--project", project, "--json").stdout)
    assert [t["id"] for t in listed] == [new_id]
    as_json = task_cli(hub, "clone", source["id"], "--json")
    assert json.loads(as_json.stdout)["name"].startswith("Clone of")


def test_set_param_keeps_the_declared_types(hub: Hub, api: httpx.Client) -> None:
    task = f.task(
        api,
        hyperparams={
            "Args": {
                "epochs": {"value": 3, "type": "int", "description": "passes over the data"},
                "cuda": {"value": True, "type": "bool"},
                "lr": {"value": 0.1, "type": "float"},
                "arch": {"value": "resnet", "type": "str"},
            }
        },
    )
    out = task_cli(
        hub,
        "set-param",
        task["id"],
        "Args/epochs=9",
        "Args/cuda=false",
        "Args/lr=1",
        "Args/arch=50",
        "General/layers=[1, 2]",
        "General/opt/name=adam",
        'General/quoted="x y"',
    )
    assert out.returncode == 0, out.stderr
    assert "Args/epochs = 9 (int)" in out.stdout
    hp = params(api, task["id"])
    args, general = hp["Args"], hp["General"]
    assert args["epochs"] == {"value": 9, "type": "int", "description": "passes over the data"}
    assert args["cuda"]["value"] is False and args["cuda"]["type"] == "bool"
    assert args["lr"]["value"] == 1.0 and args["lr"]["type"] == "float"
    assert args["arch"]["value"] == "50" and args["arch"]["type"] == "str"
    assert general["layers"] == {"value": [1, 2], "type": "list", "description": ""}
    assert general["opt/name"]["value"] == "adam" and general["opt/name"]["type"] == "str"
    assert general["quoted"]["value"] == "x y"


def test_set_param_with_bad_input_changes_nothing(hub: Hub, api: httpx.Client) -> None:
    task = f.task(api, hyperparams={"Args": {"epochs": {"value": 3, "type": "int"}}})
    before = params(api, task["id"])
    one_line_error(task_cli(hub, "set-param", task["id"], "Args/lr=0.1", "epochs=4"), "Args/lr=")
    one_line_error(task_cli(hub, "set-param", task["id"], "Args/lr"), "Section/name=value")
    one_line_error(task_cli(hub, "set-param", task["id"], "Args/lr=0.1", "Args/epochs=many"), "int")
    one_line_error(task_cli(hub, "set-param", uuid.uuid4().hex, "Args/lr=0.1"), "no task")
    assert params(api, task["id"]) == before


def test_set_param_on_a_completed_task_suggests_clone(hub: Hub, api: httpx.Client) -> None:
    task = f.task(api)
    f.run_to(api, task["id"], "completed")
    out = task_cli(hub, "set-param", task["id"], "Args/lr=0.1")
    one_line_error(out, "completed", f"corral task clone {task['id']}")
    assert params(api, task["id"]) == {}


# --- status actions ---------------------------------------------------------------------


def test_enqueue_abort_and_reset(hub: Hub, api: httpx.Client) -> None:
    task = f.task(api)
    out = task_cli(hub, "enqueue", task["id"])
    assert out.returncode == 0, out.stderr
    assert "default" in out.stdout
    assert f.ok(api.get(f"/tasks/{task['id']}"))["status"] == "queued"
    aborted = task_cli(hub, "abort", task["id"], "--reason", "not needed")
    assert aborted.returncode == 0, aborted.stderr
    got = f.ok(api.get(f"/tasks/{task['id']}"))
    assert got["status"] == "stopped" and got["status_reason"] == "not needed"
    one_line_error(task_cli(hub, "enqueue", task["id"]), "corral task clone", "corral task reset")
    one_line_error(task_cli(hub, "abort", task["id"]), "cannot abort")
    reset = task_cli(hub, "reset", task["id"])
    assert reset.returncode == 0, reset.stderr
    assert f.ok(api.get(f"/tasks/{task['id']}"))["status"] == "created"


def test_reset_of_a_running_task_needs_force(hub: Hub, api: httpx.Client) -> None:
    task = f.task(api)
    f.run_to(api, task["id"], "in_progress")
    one_line_error(task_cli(hub, "reset", task["id"]), "--force", "corral task abort")
    assert f.ok(api.get(f"/tasks/{task['id']}"))["status"] == "in_progress"
    forced = task_cli(hub, "reset", task["id"], "--force")
    assert forced.returncode == 0, forced.stderr
    assert f.ok(api.get(f"/tasks/{task['id']}"))["status"] == "created"


def test_enqueue_to_an_unknown_queue_changes_nothing(hub: Hub, api: httpx.Client) -> None:
    task = f.task(api)
    out = task_cli(hub, "enqueue", task["id"], "--queue", f.unique("no-such-queue"))
    one_line_error(out)
    assert f.ok(api.get(f"/tasks/{task['id']}"))["status"] == "created"


# --- logs -------------------------------------------------------------------------------


def test_logs_prints_the_console(hub: Hub, api: httpx.Client) -> None:
    task = f.task(api)
    f.run_to(api, task["id"], "in_progress")
    log_lines(api, task["id"], "epoch 1", "epoch 2\n", "[bold]not markup[/bold]")
    out = task_cli(hub, "logs", task["id"])
    assert out.returncode == 0, out.stderr
    assert out.stdout == "epoch 1\nepoch 2\n[bold]not markup[/bold]\n"
    tail = task_cli(hub, "logs", task["id"], "--tail", "2")
    assert tail.stdout == "epoch 2\n[bold]not markup[/bold]\n"
    empty = task_cli(hub, "logs", f.task(api)["id"])
    assert empty.returncode == 0 and empty.stdout == ""


def test_logs_follow_prints_every_line_and_exits_when_the_task_ends(
    hub: Hub, api: httpx.Client
) -> None:
    task = f.task(api)
    f.run_to(api, task["id"], "in_progress")
    log_lines(api, task["id"], "line 0")
    follower = follow_logs(hub, task["id"])
    try:
        for i in range(1, 4):
            time.sleep(0.3)
            log_lines(api, task["id"], f"line {i}")
        assert follower.poll() is None  # still following a running task
        log_lines(api, task["id"], "line 4", "line 5")
        f.ok(api.post(f"/tasks/{task['id']}:complete", json={}))
        stdout, stderr = follower.communicate(timeout=60)
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
    assert follower.returncode == 0, stderr
    assert stdout.splitlines() == [f"line {i}" for i in range(6)]


def test_ctrl_c_stops_following_quietly(hub: Hub, api: httpx.Client) -> None:
    task = f.task(api)
    f.run_to(api, task["id"], "in_progress")
    log_lines(api, task["id"], "first line")
    follower = follow_logs(hub, task["id"])
    try:
        assert follower.stdout is not None
        assert follower.stdout.readline() == "first line\n"  # following now
        follower.send_signal(signal.SIGINT)
        stdout, stderr = follower.communicate(timeout=30)
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
    assert follower.returncode == 130
    assert stderr == "" and stdout == ""


def test_logs_piped_into_head_ends_quietly(hub: Hub, api: httpx.Client) -> None:
    task = f.task(api)
    log_lines(api, task["id"], *(f"line {i} " + "x" * 200 for i in range(3000)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORRAL_")}
    env["CORRAL_CONFIG"] = str(hub.config_file)
    cmd = f"{sys.executable} -m corral task logs {task['id']} | head -n 2"
    out = subprocess.run(cmd, shell=True, env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.splitlines() == ["line 0 " + "x" * 200, "line 1 " + "x" * 200]
    assert "Traceback" not in out.stderr and "Broken pipe" not in out.stderr, out.stderr


def test_every_task_queue_and_worker_command_explains_itself_with_an_example() -> None:
    from typer.main import get_command
    from typer.testing import CliRunner

    from corral.cli.main import app

    root = get_command(app)
    runner = CliRunner()
    for noun in ("task", "queue", "worker"):
        group = root.commands[noun]  # type: ignore[attr-defined]
        for name in group.commands:
            result = runner.invoke(app, [noun, name, "--help"], env={"COLUMNS": "200"})
            assert result.exit_code == 0, result.output
            example = result.output.partition("Example:")[2]
            assert f"corral {noun} {name} " in example, f"corral {noun} {name}"
