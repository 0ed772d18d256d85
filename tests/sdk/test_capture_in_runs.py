"""Automatic capture in real runs: git with an uncommitted change, a notebook in a real
kernel, matplotlib and TensorBoard reports, machine resource use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import nbformat
from nbclient import NotebookClient

from tests import factories as f
from tests.sdk.conftest import run_script

GIT = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Ada",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def _task_id(stdout: str) -> str:
    return next(line.split()[1] for line in stdout.splitlines() if line.startswith("TASK "))


def test_git_run_stores_commit_and_a_diff_that_applies(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    env = {**sdk_env, **GIT, "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    _git(tmp_path, env, "init", "-q", "-b", "main", str(repo))
    _git(repo, env, "remote", "add", "origin", "https://user:token@example.com/acme/parking.git")
    script = f"""
    from corral import Task
    import helpers
    task = Task.init(project_name={f.unique("sdk-git")!r}, task_name="git")
    print("TASK " + task.id)
    """
    (repo / "src" / "train.py").write_text(script.replace("\n    ", "\n"))
    (repo / "src" / "helpers.py").write_text("import numpy\nVALUE = 1\n")
    _git(repo, env, "add", ".")
    _git(repo, env, "commit", "-q", "-m", "first")
    commit = _git(repo, env, "rev-parse", "HEAD").strip()
    # uncommitted: a change to a tracked file and a new file
    (repo / "src" / "helpers.py").write_text("import numpy\nVALUE = 2  # tuned\n")
    (repo / "src" / "new_module.py").write_text("EXTRA = True\n")

    out = subprocess.run(
        [sys.executable, "train.py"],
        cwd=repo / "src",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    task = f.ok(sdk_api.get(f"/tasks/{_task_id(out.stdout)}"))
    s = task["script"]
    assert s["repository"] == "https://example.com/acme/parking.git"  # no credentials
    assert s["branch"] == "main" and s["commit"] == commit
    assert s["entry_point"] == "src/train.py" and s["working_dir"] == "src"
    assert "VALUE = 2" in s["diff"] and "new_module.py" in s["diff"]
    assert "numpy==" in s["requirements"]["pip"]  # imported by a local module

    # the stored diff rebuilds the run's code on a clean checkout of the commit
    clone = tmp_path / "clone"
    _git(tmp_path, env, "clone", "-q", str(repo), str(clone))
    _git(clone, env, "checkout", "-q", commit)
    (tmp_path / "run.diff").write_text(s["diff"])
    _git(clone, env, "apply", str(tmp_path / "run.diff"))
    assert (clone / "src" / "helpers.py").read_text() == "import numpy\nVALUE = 2  # tuned\n"
    assert (clone / "src" / "new_module.py").read_text() == "EXTRA = True\n"


def test_notebook_in_a_real_kernel_is_stored_as_code_with_the_notebook(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    project = f.unique("sdk-nb")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Parking model"),
        nbformat.v4.new_code_cell(
            "from corral import Task\n"
            f"task = Task.init(project_name={project!r}, task_name='explore',"
            " auto_resource_monitoring=False)"
        ),
        nbformat.v4.new_code_cell("%matplotlib inline\nimport math\nvalue = math.sqrt(16)"),
        nbformat.v4.new_code_cell("task.get_logger().report_scalar('v', 'x', value, 0)"),
        nbformat.v4.new_code_cell("task.close()\nprint('TASK ' + task.id)"),
    ]
    path = tmp_path / "explore.ipynb"
    nbformat.write(nb, str(path))
    client = NotebookClient(
        nb, kernel_name="python3", timeout=180, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute(env={**sdk_env, "JPY_SESSION_NAME": str(path)})
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    task = f.ok(sdk_api.get(f"/tasks/{_task_id(printed)}"))
    code = task["script"]["code"]
    assert task["script"]["entry_point"] == "explore.py"
    assert "value = math.sqrt(16)" in code and "# %matplotlib inline" in code
    assert "report_scalar('v', 'x', value, 0)" in code
    assert task["runtime"]["ide"] == "jupyter"
    arts = {a["name"]: a for a in f.ok(sdk_api.get(f"/tasks/{task['id']}/artifacts"))}
    assert arts["notebook"]["uri"].endswith("explore.ipynb")
    metrics = f.ok(sdk_api.get(f"/tasks/{task['id']}/metrics"))
    assert [(m["metric"], m["last"]) for m in metrics] == [("v", 4.0)]


def test_matplotlib_and_tensorboard_reports_arrive(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"""
    import matplotlib
    matplotlib.use("Agg")
    from corral import Task
    task = Task.init(project_name={f.unique("sdk-fw")!r}, task_name="frameworks")
    import matplotlib.pyplot as plt
    from tensorboardX import SummaryWriter
    import numpy as np
    plt.plot([0, 1, 2], [3, 1, 2], label="loss")
    plt.title("training curve")
    plt.savefig("curve.png")
    writer = SummaryWriter("runs")
    for step in range(5):
        writer.add_scalar("accuracy/val", 0.5 + step / 10, step)
    writer.add_image("inputs/first", np.zeros((3, 4, 6), dtype=np.uint8), 0)
    writer.close()
    print("TASK " + task.id)
    """
    out = run_script(code, sdk_env, tmp_path)
    task_id = _task_id(out.stdout)
    plots = f.ok(sdk_api.get(f"/tasks/{task_id}/plots"))["items"]
    assert [(p["metric"], p["variant"]) for p in plots] == [("training curve", "plot")]
    trace = plots[0]["figure"]["data"][0]
    assert trace["y"] == [3, 1, 2] and trace["name"] == "loss"
    series = f.ok(sdk_api.get(f"/tasks/{task_id}/scalars", params={"metric": "accuracy"}))
    (acc,) = series["series"]
    assert acc["variant"] == "val" and acc["iterations"] == [0, 1, 2, 3, 4]
    assert acc["values"] == [0.5, 0.6, 0.7, 0.8, 0.9]
    samples = f.ok(sdk_api.get(f"/tasks/{task_id}/debug-samples"))["items"]
    assert [(s["metric"], s["variant"]) for s in samples] == [("inputs", "first")]
    assert list((tmp_path / "runs").iterdir())  # TensorBoard's own files are still written


def test_frameworks_switched_off_report_nothing(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"""
    import matplotlib
    matplotlib.use("Agg")
    from corral import Task
    task = Task.init(project_name={f.unique("sdk-fw-off")!r}, task_name="off",
                     auto_connect_frameworks={{"matplotlib": False}})
    import matplotlib.pyplot as plt
    plt.plot([1, 2])
    plt.savefig("x.png")
    print("TASK " + task.id)
    """
    task_id = _task_id(run_script(code, sdk_env, tmp_path).stdout)
    assert f.ok(sdk_api.get(f"/tasks/{task_id}/plots"))["items"] == []


def test_resource_use_is_reported_under_the_monitor_title(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"""
    import time
    from corral import Task
    task = Task.init(project_name={f.unique("sdk-res")!r}, task_name="res")
    print("TASK " + task.id)
    deadline = time.time() + 60
    while time.time() < deadline:
        names = {{(m, v) for m, series in task.get_last_scalar_metrics().items() for v in series}}
        if (":monitor:machine", "cpu_usage") in names:
            break
        time.sleep(0.2)
    """
    env = {**sdk_env, "CORRAL_MONITOR_INTERVAL": "0.2"}
    task_id = _task_id(run_script(code, env, tmp_path, timeout=120).stdout)
    metrics = f.ok(sdk_api.get(f"/tasks/{task_id}/metrics"))
    machine = {m["variant"]: m for m in metrics if m["metric"] == ":monitor:machine"}
    assert {"cpu_usage", "memory_used_gb", "disk_free", "net_rx_mbs"} <= set(machine)
    assert 0 <= machine["cpu_usage"]["last"] <= 100 and machine["memory_used_gb"]["last"] > 0


def test_runs_in_one_process_each_record_code_packages_and_machine_facts(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    env = {**sdk_env, **GIT, "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    repo = tmp_path / "repo"
    _git(tmp_path, env, "init", "-q", "-b", "main", str(repo))
    script = f"""
    import json
    import numpy
    from corral import Task
    from corral.sdk.capture import reuse

    ids = []

    def run(n):
        task = Task.init(project_name={f.unique("sdk-loop")!r}, task_name=f"run{{n}}",
                         reuse_last_task_id=False)
        ids.append(task.id)
        task.close()

    run(1)
    run(2)
    with open(__file__, "a") as out:
        out.write("# changed between runs\\n")
    run(3)
    print("TASKS " + " ".join(ids) + " " + json.dumps(reuse.stats))
    """
    (repo / "train.py").write_text(script.replace("\n    ", "\n"))
    _git(repo, env, "add", ".")
    _git(repo, env, "commit", "-q", "-m", "first")
    out = subprocess.run(
        [sys.executable, "train.py"], cwd=repo, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("TASKS "))
    *ids, stats = line.split(" ", 4)[1:]
    assert len(ids) == 3 and json.loads(stats)["reused"] >= 1  # the second run reused the first's
    first, second, third = (f.ok(sdk_api.get(f"/tasks/{i}")) for i in ids)

    for task in (first, second, third):
        assert task["status"] == "completed"
        script_ = task["script"]
        assert script_["commit"] and script_["entry_point"] == "train.py"
        assert "numpy==" in script_["requirements"]["pip"] and "numpy==" in script_["freeze"]
        runtime = task["runtime"]
        assert runtime["hostname"] and runtime["cpu_cores"] > 0 and runtime["python"]
    assert second["script"] == first["script"] and second["runtime"] == first["runtime"]
    assert "# changed between runs" not in second["script"]["diff"]
    assert "# changed between runs" in third["script"]["diff"]
