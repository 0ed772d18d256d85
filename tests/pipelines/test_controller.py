"""The controller on a real hub: bad definitions refused before anything runs, task
steps with references on a real agent, retries and failures, abort, and a controller
killed and started again that resumes without running its finished steps again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from corral.testing.hub import Hub, client_env
from tests import factories as f
from tests.agents import StartAgent, console, make_queue, script_task, wait_for
from tests.agents import start_agent as start_agent  # the fixture
from tests.pipelines.test_function_pipelines import SCRIPTS, artifact_value, children, run_script

pytestmark = pytest.mark.sqlite_hub


def test_bad_definitions_are_refused_before_anything_is_enqueued(
    hub: Hub, api: httpx.Client, tmp_path: Path
) -> None:
    project = f.unique("pipes")
    queue = make_queue(api)
    out = run_script(hub, tmp_path, "bad.py", project, queue)
    errors = out["errors"]
    expected = {
        "duplicate": "there is already a step named 'a'",
        "lambda_step": "a lambda cannot be a pipeline function",
        "closure": "closure over factor",
        "global_name": "uses 'json', defined outside it",
        "unknown_parent": "step 'a' has an unknown parent 'nope'",
        "cycle": "cycle: a -> b -> a",
        "unknown_step_reference": "there is no step 'ghost'",
        "unknown_return": "step 'a' returns ['r']",
        "unknown_parameter": "the pipeline has no parameter 'lr'",
        "unknown_queue": "no queue 'no-such-queue'",
        "unknown_base_task": "no task named 'no-such-task'",
        "bad_name": "bad step name 'a b'",
    }
    for case, text in expected.items():
        assert errors[case] is not None and text in errors[case], (case, errors[case])
    assert children(api, out["controller"]) == []
    assert f.ok(api.get(f"/queues/{queue}"))["entries"] == []


def test_a_failed_step_is_retried_with_backoff_until_it_succeeds(
    hub: Hub, api: httpx.Client, tmp_path: Path
) -> None:
    out = run_script(hub, tmp_path, "flaky.py", f.unique("pipes"), str(tmp_path), "retry")
    node = out["nodes"]["flaky"]
    assert out["successful"] is True
    assert node["status"] == "completed" and node["attempts"] == 2
    task = f.ok(api.get(f"/tasks/{node['executed']}"))
    assert task["status"] == "completed"
    assert artifact_value(api, task["id"], "r") == "ok"
    assert len(children(api, out["controller"])) == 1  # the same task ran twice


def test_a_failed_step_fails_the_run_and_skips_its_children_only(
    hub: Hub, api: httpx.Client, tmp_path: Path
) -> None:
    out = run_script(hub, tmp_path, "flaky.py", f.unique("pipes"), str(tmp_path), "fail")
    status = {n: v["status"] for n, v in out["nodes"].items()}
    assert status == {"broken": "failed", "other": "completed", "after": "skipped"}
    assert out["successful"] is False
    assert out["nodes"]["broken"]["attempts"] == 1
    assert out["nodes"]["broken"]["reason"]  # the task's status reason, or its exit
    other = f.ok(api.get(f"/tasks/{out['nodes']['other']['executed']}"))
    assert (other["name"], other["type"]) == ("other (qc)", "qc")
    controller = f.ok(api.get(f"/tasks/{out['controller']}"))
    assert controller["status"] == "failed"
    assert "broken" in controller["status_reason"]


def test_a_task_pipeline_resolves_references_on_an_agent(
    hub: Hub, api: httpx.Client, tmp_path: Path, start_agent: StartAgent
) -> None:
    project = f.unique("pipes")
    queue = make_queue(api)
    prep = script_task(
        api,
        """
        from corral import Task
        task = Task.init()
        params = task.connect({"n": 2})
        task.upload_artifact("data", list(range(params["n"])), wait_on_upload=True)
        """,
        project=project,
        name="prep-base",
    )
    script_task(
        api,
        """
        from corral import Task
        task = Task.init()
        params = task.connect({"data_url": "", "prep_id": "", "label": ""})
        task.upload_artifact("seen", dict(params), wait_on_upload=True)
        """,
        project=project,
        name="train-base",
    )
    start_agent(hub, "--queue", queue)
    out = run_script(hub, tmp_path, "tasks.py", project, prep["id"], queue)
    assert out["successful"] is True, out
    nodes = out["nodes"]
    assert nodes["train"]["parents"] == ["prep"]  # from its references
    prep_run = f.ok(api.get(f"/tasks/{nodes['prep']['executed']}"))
    train_run = f.ok(api.get(f"/tasks/{nodes['train']['executed']}"))
    assert prep_run["parent_id"] == out["controller"] == train_run["parent_id"]
    assert artifact_value(api, prep_run["id"], "data") == [0, 1, 2, 3]  # n from the pipeline
    data = {a["name"]: a for a in f.ok(api.get(f"/tasks/{prep_run['id']}/artifacts"))}["data"]
    assert artifact_value(api, train_run["id"], "seen") == {
        "data_url": data["uri"],
        "prep_id": prep_run["id"],
        "label": "n=4",
    }
    assert json.loads(train_run["configuration"]["settings"]["value"]) == {"epochs": 2}
    assert f"pipe: {out['controller']}" in train_run["tags"]
    assert prep["id"] != prep_run["id"] and f.ok(api.get(f"/tasks/{prep['id']}"))["status"] == (
        "created"
    )  # the base task itself is left as it was


def _start(hub: Hub, home: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(SCRIPTS / "slow.py"), *args],
        env=client_env(hub, home, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _child(api: httpx.Client, controller: str, name: str) -> dict[str, Any] | None:
    for task in children(api, controller):
        if task["name"] == name:
            return task
    return None


def test_aborting_the_controller_aborts_its_running_steps(
    hub: Hub, api: httpx.Client, tmp_path: Path
) -> None:
    project = f.unique("pipes")
    release = tmp_path / "never"
    proc = _start(hub, tmp_path, project, str(release))
    try:
        controller = wait_for(lambda: _find_controller(api, project), "the controller task")
        two = wait_for(
            lambda: (t := _child(api, controller, "two")) and t["status"] == "in_progress" and t,
            "step two to run",
        )
        f.ok(api.post(f"/tasks/{controller}:abort", json={"reason": "enough"}))
        proc.wait(120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert f.ok(api.get(f"/tasks/{two['id']}"))["status"] == "stopped"
    assert f.ok(api.get(f"/tasks/{controller}"))["status"] == "stopped"


def _find_controller(api: httpx.Client, project: str) -> str | None:
    projects = f.ok(api.get("/projects", params={"name": project}))
    if not projects:
        return None
    pid = projects[0]["id"]
    found = f.ok(api.get("/tasks", params={"project_id": pid, "type": "controller"}))["items"]
    return str(found[0]["id"]) if found else None


def test_a_killed_controller_started_again_resumes_without_rerunning_finished_steps(
    hub: Hub, api: httpx.Client, tmp_path: Path, start_agent: StartAgent
) -> None:
    project = f.unique("pipes")
    queue = make_queue(api)
    start_agent(hub, "--queue", queue)
    release = tmp_path / "release"
    proc = _start(hub, tmp_path, project, str(release), queue)
    try:
        controller = wait_for(lambda: _find_controller(api, project), "the controller task")
        one = wait_for(
            lambda: (t := _child(api, controller, "one")) and t["status"] == "completed" and t,
            "step one to complete",
        )
        wait_for(lambda: _child(api, controller, "two"), "step two to be launched")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    # started again as the same task (as an agent does with a controller it runs again)
    again = _start(hub, tmp_path, project, str(release), queue, CORRAL_TASK_ID=controller)
    try:
        wait_for(
            lambda: "one" in json.dumps(f.ok(api.get(f"/tasks/{controller}"))["runtime"]),
            "the restarted controller to record its state",
        )
        release.touch()
        output, _ = again.communicate(timeout=300)
    finally:
        if again.poll() is None:
            again.kill()
    assert again.returncode == 0, output
    report = json.loads(output.strip().splitlines()[-1])
    assert report["successful"] is True
    assert report["nodes"]["one"]["executed"] == one["id"]
    names = [t["name"] for t in children(api, controller)]
    assert sorted(names) == ["one", "two"]  # nothing ran twice
    two = _child(api, controller, "two")
    assert two is not None and artifact_value(api, two["id"], "y") == 2
    assert os.path.exists(release)


def _copy_script(tmp_path: Path, name: str, **values: str) -> Path:
    """The script outside the repository, so that its code is stored on the task (a
    checkout of this repository's working tree is not what an agent can restore), with
    ``values`` written in for their placeholders."""
    target = tmp_path / "code" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    text = (SCRIPTS / name).read_text()
    for placeholder, value in values.items():
        text = text.replace(f'"{placeholder}"', repr(value))
    target.write_text(text)
    return target


@pytest.mark.parametrize("mode", ["plain", "venv"])
def test_start_sends_the_controller_to_an_agent_which_runs_the_steps_on_theirs(
    hub: Hub, api: httpx.Client, tmp_path: Path, start_agent: StartAgent, mode: str
) -> None:
    """The steps' agent runs each in the agent's environment (plain) or in a virtual
    environment it builds for the step (venv: Python and corral, the step's packages)."""
    project = f.unique("pipes")
    controller_queue, step_queue = make_queue(api), make_queue(api)
    services = start_agent(hub, "--queue", controller_queue, "--services-mode", "2").name
    worker = start_agent(hub, "--queue", step_queue, plain=mode == "plain").name
    script = _copy_script(
        tmp_path, "remote.py", PROJECT=project, CONTROLLER_QUEUE=controller_queue,
        STEP_QUEUE=step_queue,
    )  # fmt: skip
    out = subprocess.run(
        [sys.executable, str(script)],
        env=client_env(hub, tmp_path / "home"), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "still here" not in out.stdout  # start() ended the local process
    controller = wait_for(lambda: _find_controller(api, project), "the controller task")
    done = wait_for(
        lambda: (
            (t := f.ok(api.get(f"/tasks/{controller}")))["status"]
            in ("completed", "failed", "stopped")
            and t
        ),
        "the controller to end on its agent",
        timeout=300,
    )
    assert done["status"] == "completed", console(api, done["id"])
    steps = {t["name"]: t for t in children(api, controller)}
    assert set(steps) == {"one", "two"}
    assert artifact_value(api, steps["two"]["id"], "y") == 12
    assert {f.ok(api.get(f"/tasks/{t['id']}"))["worker"] for t in steps.values()} == {worker}
    assert done["worker"] == services


def test_a_controller_cloned_with_edited_parameters_runs_again_on_an_agent(
    hub: Hub, api: httpx.Client, tmp_path: Path, start_agent: StartAgent
) -> None:
    project = f.unique("pipes")
    script = _copy_script(tmp_path, "fan.py")
    out = subprocess.run(
        [sys.executable, str(script), project],
        env=client_env(hub, tmp_path / "home"), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    first = json.loads(out.stdout.strip().splitlines()[-1])
    queue = make_queue(api)
    start_agent(hub, "--queue", queue)
    clone = f.ok(api.post(f"/tasks/{first['controller']}:clone", json={}))
    f.ok(api.patch(f"/tasks/{clone['id']}/hyperparams",
                   json={"hyperparams": {"Args": {"rows": {"value": 7, "type": "int"}}}}))  # fmt: skip
    f.ok(api.post(f"/tasks/{clone['id']}:enqueue", json={"queue": queue}))
    done = wait_for(
        lambda: (
            (t := f.ok(api.get(f"/tasks/{clone['id']}")))["status"]
            in ("completed", "failed", "stopped")
            and t
        ),
        "the cloned controller to end",
    )
    assert done["status"] == "completed", console(api, done["id"])
    nodes = {n["name"]: n for n in done["runtime"]["pipeline"]["nodes"]}
    assert {n["status"] for n in nodes.values()} == {"completed"}  # rows changed: all re-run
    # 0 + ... + 6 = 21, times 1, 2 and 3
    assert artifact_value(api, nodes["total"]["task_id"], "sum") == 126


def test_abort_on_failure_aborts_the_running_steps_at_once(
    hub: Hub, api: httpx.Client, tmp_path: Path
) -> None:
    out = run_script(hub, tmp_path, "flaky.py", f.unique("pipes"), str(tmp_path), "abort")
    status = {n: v["status"] for n, v in out["nodes"].items()}
    assert status == {"slowpoke": "aborted", "broken": "failed"}
    assert out["successful"] is False
    slow = f.ok(api.get(f"/tasks/{out['nodes']['slowpoke']['executed']}"))
    assert slow["status"] == "stopped"
    assert "broken" in out["nodes"]["slowpoke"]["reason"]
