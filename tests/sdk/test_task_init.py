"""Task.init in real scripts: what the hub records, and values edited on the hub coming back typed."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests import factories as f
from tests.sdk.conftest import run_script

ARGPARSE_SCRIPT = """
import argparse, json
from corral import Task

p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.1, help="learning rate")
p.add_argument("--epochs", type=int, default=3)
p.add_argument("--augment", action="store_true")
p.add_argument("--no-shuffle", dest="shuffle", action="store_false")
p.add_argument("--layers", type=int, nargs="+", default=[64, 32])
p.add_argument("--seed", type=int, default=None)
p.add_argument("--name", default="resnet")
task = Task.init(project_name=PROJECT, task_name="args")
args = p.parse_args()
print("ARGS " + json.dumps(vars(args)))
print("TYPES " + json.dumps({k: type(v).__name__ for k, v in vars(args).items()}))
print("TASK " + task.id)
"""


def _lines(stdout: str, prefix: str) -> str:
    return next(line[len(prefix) :] for line in stdout.splitlines() if line.startswith(prefix))


def test_argparse_values_keep_their_types_through_an_edit_on_the_hub(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    project = f.unique("sdk-args")
    code = f"PROJECT = {project!r}\n" + ARGPARSE_SCRIPT
    first = run_script(code, sdk_env, tmp_path / "run1", args=["--augment", "--layers", "8", "4"])
    task_id = _lines(first.stdout, "TASK ")
    stored = f.ok(sdk_api.get(f"/tasks/{task_id}/hyperparams"))["Args"]
    assert stored["lr"] == {"value": 0.1, "type": "float", "description": "learning rate"}
    assert stored["epochs"]["value"] == 3 and stored["epochs"]["type"] == "int"
    assert stored["augment"]["value"] is True and stored["augment"]["type"] == "bool"
    assert stored["shuffle"]["value"] is True and stored["shuffle"]["type"] == "bool"
    assert stored["layers"]["value"] == [8, 4] and stored["layers"]["type"] == "list"
    assert stored["seed"]["value"] is None and stored["seed"]["type"] == "int"

    # clone, edit on the hub (as the UI does: some values arrive as strings), run the clone
    clone = f.ok(sdk_api.post(f"/tasks/{task_id}:clone", json={"name": "edited"}), 201)
    edits = {
        "lr": {"value": "0.5", "type": "float"},
        "epochs": {"value": 7, "type": "int"},
        "augment": {"value": False, "type": "bool"},
        "shuffle": {"value": "false", "type": "bool"},
        "layers": {"value": [1, 2, 3], "type": "list"},
        "seed": {"value": 42, "type": "int"},
    }
    f.ok(sdk_api.patch(f"/tasks/{clone['id']}/hyperparams", json={"hyperparams": {"Args": edits}}))
    env = {**sdk_env, "CORRAL_TASK_ID": clone["id"]}
    second = run_script(code, env, tmp_path / "run2", args=["--augment"])
    args = json.loads(_lines(second.stdout, "ARGS "))
    types = json.loads(_lines(second.stdout, "TYPES "))
    assert _lines(second.stdout, "TASK ") == clone["id"]
    assert args == {
        "lr": 0.5,
        "epochs": 7,
        "augment": False,
        "shuffle": False,
        "layers": [1, 2, 3],
        "seed": 42,
        "name": "resnet",
    }
    assert types["augment"] == "bool" and types["lr"] == "float" and types["epochs"] == "int"
    done = f.ok(sdk_api.get(f"/tasks/{clone['id']}"))
    assert done["status"] == "completed"
    assert done["hyperparams"]["Args"]["augment"]["value"] is False


def test_none_edited_to_a_value_and_back(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    project = f.unique("sdk-none")
    code = f"PROJECT = {project!r}\n" + ARGPARSE_SCRIPT
    task_id = _lines(
        run_script(code, sdk_env, tmp_path / "a", args=["--seed", "5"]).stdout, "TASK "
    )
    clone = f.ok(sdk_api.post(f"/tasks/{task_id}:clone", json={}), 201)
    f.ok(
        sdk_api.patch(
            f"/tasks/{clone['id']}/hyperparams",
            json={"hyperparams": {"Args": {"seed": {"value": None, "type": "int"}}}},
        )
    )
    out = run_script(code, {**sdk_env, "CORRAL_TASK_ID": clone["id"]}, tmp_path / "b")
    assert json.loads(_lines(out.stdout, "ARGS "))["seed"] is None


def test_connect_dict_and_object_override_in_place_when_attached(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"""
    import json
    from corral import Task
    task = Task.init(project_name={f.unique("sdk-connect")!r}, task_name="connect")
    class Cfg:
        depth = 3
        dropout = 0.5
        use_bn = True
    cfg = Cfg()
    params = {{"opt": {{"name": "adam", "betas": [0.9, 0.99]}}, "batch": 32, "flag": False}}
    task.connect(params)
    task.connect(cfg, name="Model")
    conf = task.connect_configuration({{"layers": [1, 2]}}, name="net")
    print("P " + json.dumps(params))
    print("C " + json.dumps({{"depth": cfg.depth, "dropout": cfg.dropout, "use_bn": cfg.use_bn}}))
    print("CONF " + json.dumps(conf))
    print("TASK " + task.id)
    """
    first = run_script(code, sdk_env, tmp_path / "a")
    task_id = _lines(first.stdout, "TASK ")
    hp = f.ok(sdk_api.get(f"/tasks/{task_id}/hyperparams"))
    assert hp["General"]["opt/betas"]["value"] == [0.9, 0.99]
    assert hp["General"]["flag"] == {"value": False, "type": "bool", "description": ""}
    assert hp["Model"]["depth"]["value"] == 3 and hp["Model"]["use_bn"]["type"] == "bool"
    conf = f.ok(sdk_api.get(f"/tasks/{task_id}/configuration"))["net"]
    assert json.loads(conf["value"]) == {"layers": [1, 2]}

    clone = f.ok(sdk_api.post(f"/tasks/{task_id}:clone", json={}), 201)
    f.ok(
        sdk_api.patch(
            f"/tasks/{clone['id']}/hyperparams",
            json={
                "hyperparams": {
                    "General": {
                        "opt/name": {"value": "sgd", "type": "str"},
                        "batch": {"value": "64", "type": "int"},
                        "flag": {"value": True, "type": "bool"},
                    },
                    "Model": {"use_bn": {"value": "False", "type": "bool"}},
                }
            },
        )
    )
    f.ok(
        sdk_api.patch(
            f"/tasks/{clone['id']}/configuration",
            json={"configuration": {"net": {"type": "json", "value": '{"layers": [7]}'}}},
        )
    )
    second = run_script(code, {**sdk_env, "CORRAL_TASK_ID": clone["id"]}, tmp_path / "b")
    params = json.loads(_lines(second.stdout, "P "))
    assert params == {"opt": {"name": "sgd", "betas": [0.9, 0.99]}, "batch": 64, "flag": True}
    assert json.loads(_lines(second.stdout, "C ")) == {"depth": 3, "dropout": 0.5, "use_bn": False}
    assert json.loads(_lines(second.stdout, "CONF ")) == {"layers": [7]}


def test_init_records_code_packages_machine_and_completes(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"""
    import numpy
    from corral import Task
    Task.add_requirements("pandas")
    task = Task.init(project_name={f.unique("sdk-env")!r}, task_name="env", tags=["smoke"])
    again = Task.init(project_name="other", task_name="other")
    assert again is task and Task.current_task() is task
    task.set_base_docker("python:3.11-slim", docker_arguments=["-e", "A=1"])
    print("TASK " + task.id)
    """
    out = run_script(code, sdk_env, tmp_path / "proj", name="train.py")
    task = f.ok(sdk_api.get(f"/tasks/{_lines(out.stdout, 'TASK ')}"))
    assert task["status"] == "completed" and task["tags"] == ["smoke"]
    script = task["script"]
    assert script["entry_point"] == "train.py"
    assert "Task.init" in script["code"]  # no git here: the whole script is stored
    pip = script["requirements"]["pip"]
    assert "numpy==" in pip and "pandas" in pip
    assert "numpy==" in script["freeze"] and "httpx==" in script["freeze"]
    runtime = task["runtime"]
    assert runtime["cpu_cores"] >= 1 and runtime["memory_gb"] > 0 and runtime["hostname"]
    assert runtime["python"].count(".") == 2
    assert task["container"] == {
        "image": "python:3.11-slim",
        "arguments": "-e A=1",
        "setup_script": "",
    }


def test_uncaught_exception_fails_the_task_with_the_reason(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"""
    from corral import Task
    task = Task.init(project_name={f.unique("sdk-fail")!r}, task_name="boom")
    print("TASK " + task.id, flush=True)
    raise ValueError("bad batch 7")
    """
    out = run_script(code, sdk_env, tmp_path, check=False)
    assert out.returncode == 1
    task = f.ok(sdk_api.get(f"/tasks/{_lines(out.stdout, 'TASK ')}"))
    assert task["status"] == "failed"
    assert "ValueError: bad batch 7" in task["status_reason"]
    assert "Traceback" in task["status_message"]


CLICK_SCRIPT = """
import json
import click
from corral import Task

@click.command()
@click.option("--lr", type=float, default=0.1)
@click.option("--epochs", type=int, default=3)
@click.option("--fast/--slow", default=False)
def main(lr, epochs, fast):
    task = Task.init(project_name=PROJECT, task_name="click")
    print("ARGS " + json.dumps({"lr": lr, "epochs": epochs, "fast": fast}))
    print("TASK " + task.id)

main()
"""


def test_click_options_are_captured_and_overridden_under_a_hub_task(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"PROJECT = {f.unique('sdk-click')!r}\n" + CLICK_SCRIPT
    first = run_script(code, sdk_env, tmp_path / "a", args=["--epochs", "5", "--fast"])
    task_id = _lines(first.stdout, "TASK ")
    args = f.ok(sdk_api.get(f"/tasks/{task_id}/hyperparams"))["Args"]
    assert args["epochs"] == {"value": 5, "type": "int", "description": ""}
    assert args["fast"]["value"] is True and args["lr"]["value"] == 0.1
    clone = f.ok(sdk_api.post(f"/tasks/{task_id}:clone", json={}), 201)
    edit = {
        "Args": {"epochs": {"value": "9", "type": "int"}, "fast": {"value": False, "type": "bool"}}
    }
    f.ok(sdk_api.patch(f"/tasks/{clone['id']}/hyperparams", json={"hyperparams": edit}))
    second = run_script(code, {**sdk_env, "CORRAL_TASK_ID": clone["id"]}, tmp_path / "b")
    assert json.loads(_lines(second.stdout, "ARGS ")) == {"lr": 0.1, "epochs": 9, "fast": False}


def test_exit_codes_and_sigterm_set_the_final_status(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    import signal
    import subprocess
    import sys
    import time

    project = f.unique("sdk-exit")
    code = f"""
    import sys
    from corral import Task
    task = Task.init(project_name={project!r}, task_name="exit", reuse_last_task_id=False,
                     auto_resource_monitoring=False)
    print("TASK " + task.id, flush=True)
    sys.exit(int(sys.argv[1]))
    """
    ok = run_script(code, sdk_env, tmp_path / "a", args=["0"])
    assert f.ok(sdk_api.get(f"/tasks/{_lines(ok.stdout, 'TASK ')}"))["status"] == "completed"
    bad = run_script(code, sdk_env, tmp_path / "b", args=["3"], check=False)
    assert bad.returncode == 3
    failed = f.ok(sdk_api.get(f"/tasks/{_lines(bad.stdout, 'TASK ')}"))
    assert failed["status"] == "failed" and failed["exit_code"] == 3

    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "wait.py").write_text(
        "import time\nfrom corral import Task\n"
        f"task = Task.init(project_name={project!r}, task_name='term',"
        " auto_resource_monitoring=False)\n"
        "print('TASK ' + task.id, flush=True)\ntime.sleep(3600)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "wait.py"],
        cwd=tmp_path / "c",
        env=sdk_env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    task_id = proc.stdout.readline().split()[1]
    # Signal once the code capture has ended. CPython before 3.13 keeps one "check for
    # signals" flag per interpreter (python/cpython#112175): a busy background thread
    # can clear it in the instant after a signal, and a main thread that then blocks in
    # sleep() never runs the handler. The SDK's own threads block SIGTERM (see
    # test_background_threads_leave_sigint_and_sigterm_to_the_main_thread) so that the
    # signal always lands on the main thread; this remaining race is CPython's.
    deadline = time.monotonic() + 60
    while not f.ok(sdk_api.get(f"/tasks/{task_id}")).get("runtime"):
        if time.monotonic() > deadline:
            pytest.fail("the script's environment capture did not reach the hub in 60 s")
        time.sleep(0.05)
    time.sleep(0.5)  # from the capture's last request to the end of its thread
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 143
    stopped = f.ok(sdk_api.get(f"/tasks/{task_id}"))
    assert stopped["status"] == "stopped" and "SIGTERM" in stopped["status_reason"]


def test_background_threads_leave_sigint_and_sigterm_to_the_main_thread(
    sdk_env: dict[str, str], tmp_path: Path
) -> None:
    """A signal that lands on one of our threads would not wake a sleeping main thread."""
    code = f"""
    import json, signal, threading
    from corral import Task
    from corral.sdk.storage.transfers import BackgroundUploads

    task = Task.init(project_name={f.unique("sdk-signals")!r}, task_name="mask",
                     auto_resource_monitoring=True)
    uploads = BackgroundUploads()
    uploads.submit(lambda: "done").result()
    task.handle.run.capture_done.wait(60)  # the resource monitor starts from the capture

    def blocked(thread):
        status = open(f"/proc/self/task/{{thread.native_id}}/status").read()
        mask = int(status.split("SigBlk:")[1].split()[0], 16)
        return sorted(s.name for s in (signal.SIGINT, signal.SIGTERM) if mask >> (s - 1) & 1)

    print(json.dumps({{t.name: blocked(t) for t in threading.enumerate()}}))
    task.close()
    """
    env = {**sdk_env, "CORRAL_MONITOR_INTERVAL": "0.2"}
    out = run_script(code, env, tmp_path)
    masks = json.loads(out.stdout.strip().splitlines()[-1])
    assert masks["MainThread"] == []
    for name in ("corral-outbox", "corral-abort-watch", "corral-resources"):
        assert masks[name] == ["SIGINT", "SIGTERM"], masks
    uploads = [m for n, m in masks.items() if n.startswith("corral-upload")]
    assert uploads == [["SIGINT", "SIGTERM"]], masks


def test_many_runs_in_one_process_leave_no_threads_or_hooks_behind(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"""
    import json, sys, threading, time
    from corral import Task

    ids, exits = [], set()
    for n in range(20):
        task = Task.init(project_name={f.unique("sdk-many")!r}, task_name=f"run{{n}}",
                         reuse_last_task_id=False)
        ids.append(task.id)
        exits.add(id(sys.exit))
        task.close()
        assert Task.current_task() is None

    def left():
        return sorted(t.name for t in threading.enumerate()
                      if t.name.startswith("corral") and t.name != "corral-replay")

    deadline = time.monotonic() + 30  # threads of the last run end on their own
    while left() and time.monotonic() < deadline:
        time.sleep(0.05)
    names = left()
    print(json.dumps({{"ids": ids, "exits": len(exits), "threads": names}}))
    """
    out = run_script(code, sdk_env, tmp_path)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["exits"] == 1  # sys.exit is wrapped once, not once per run
    assert result["threads"] == []  # no run keeps a thread after it closed
    for task_id in result["ids"]:
        assert f.ok(sdk_api.get(f"/tasks/{task_id}"))["status"] == "completed"
