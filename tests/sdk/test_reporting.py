"""Reports reach the hub in order and exactly once: console order, a hub killed mid-run,
a hub that is down for the whole run (spooled, sent later), an abort from the hub.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from corral.testing.hub import Hub
from tests import factories as f
from tests.sdk.conftest import env_for, run_script


def _task_id(stdout: str) -> str:
    return next(line.split()[1] for line in stdout.splitlines() if line.startswith("TASK "))


def _all_logs(api: httpx.Client, task_id: str) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    after = None
    while True:
        params: dict[str, Any] = {"limit": 1000}
        if after is not None:
            params["after"] = after
        page = f.ok(api.get(f"/tasks/{task_id}/logs", params=params))
        lines += page["items"]
        if not page["has_more"]:
            return lines
        after = page["last_seq"]


def _points(api: httpx.Client, task_id: str) -> dict[tuple[str, str], list[int]]:
    series = f.ok(api.get(f"/tasks/{task_id}/scalars", params={"full": "true"}))["series"]
    return {(s["metric"], s["variant"]): s["iterations"] for s in series}


def _spawn(code: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    cwd.mkdir(parents=True, exist_ok=True)
    (cwd / "run.py").write_text(textwrap.dedent(code))
    return subprocess.Popen(
        [sys.executable, "run.py"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _read_until(proc: subprocess.Popen[str], prefix: str) -> str:
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(prefix):
            return line.strip()
    raise AssertionError(f"the script ended before printing {prefix!r}: {proc.stderr.read()}")  # type: ignore[union-attr]


def test_console_arrives_in_order_with_its_streams(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"""
    import sys
    from corral import Task
    task = Task.init(project_name={f.unique("sdk-console")!r}, task_name="console",
                     auto_resource_monitoring=False)
    print("TASK " + task.id)
    for i in range(300):
        stream = sys.stderr if i % 3 == 0 else sys.stdout
        print(f"line {{i}}", file=stream)
    sys.stdout.write("no newline at the end")
    """
    out = run_script(code, sdk_env, tmp_path)
    assert "line 299" in out.stdout and "line 0" in out.stderr  # the terminal still shows it
    logs = _all_logs(sdk_api, _task_id(out.stdout))
    texts = [(line["text"], line["stream"]) for line in logs if line["text"].startswith("line ")]
    assert texts == [(f"line {i}", "stderr" if i % 3 == 0 else "stdout") for i in range(300)]
    assert logs[-1]["text"] == "no newline at the end"


def test_hub_killed_mid_run_every_point_stored_exactly_once(fresh_hub: Hub, tmp_path: Path) -> None:
    env = env_for(fresh_hub, tmp_path / "home", CORRAL_EXIT_TIMEOUT="120")
    code = f"""
    import time
    from corral import Task
    task = Task.init(project_name={f.unique("sdk-kill")!r}, task_name="kill",
                     auto_resource_monitoring=False)
    print("TASK " + task.id, flush=True)
    log = task.get_logger()
    for step in range(100):
        for i in range(step * 1000, (step + 1) * 1000):
            log.report_scalar("loss", "train", i * 0.5, i)
        print(f"STEP {{step}}", flush=True)
        time.sleep(0.03)
    """
    proc = _spawn(code, env, tmp_path / "run")
    task_id = _read_until(proc, "TASK ").split()[1]
    _read_until(proc, "STEP 20")
    assert fresh_hub.process is not None
    fresh_hub.process.send_signal(signal.SIGKILL)
    fresh_hub.process.wait(30)
    fresh_hub.process = None
    _read_until(proc, "STEP 60")  # reporting goes on while the hub is away
    fresh_hub.start()
    assert proc.wait(timeout=240) == 0, proc.stderr.read()  # type: ignore[union-attr]
    with fresh_hub.client() as api:
        iterations = _points(api, task_id)[("loss", "train")]
        assert iterations == list(range(100_000))
        task = f.ok(api.get(f"/tasks/{task_id}"))
        assert task["status"] == "completed"
        assert task["last_metrics"]["loss"]["train"]["last"] == 99_999 * 0.5


def test_hub_down_the_run_completes_and_the_spool_is_sent_later(
    fresh_hub: Hub, tmp_path: Path
) -> None:
    fresh_hub.stop()  # the port is closed for the whole run
    env = env_for(fresh_hub, tmp_path / "home")
    project = f.unique("sdk-down")
    code = f"""
    import argparse
    import corral
    from corral import Task
    p = argparse.ArgumentParser()
    p.add_argument("--lr", type=float, default=0.3)
    task = Task.init(project_name={project!r}, task_name="offline-by-accident",
                     auto_resource_monitoring=False)
    args = p.parse_args()
    print("TASK " + task.id, flush=True)
    log = task.get_logger()
    for i in range(5000):
        log.report_scalar("acc", "val", i / 5000, i)
    task.upload_artifact("numbers", {{"a": [1, 2, 3]}})
    print("finished")
    """
    out = run_script(code, env, tmp_path / "run1", timeout=90)
    task_id = _task_id(out.stdout)
    assert "cannot reach the hub" in out.stderr
    spool_dirs = list((tmp_path / "home" / ".corral" / "spool").iterdir())
    assert [d.name.split("-")[0] for d in spool_dirs] == [task_id]

    fresh_hub.start()
    # the next run on this machine sends what the first one kept
    waiter = f"""
    import time
    from corral import Task
    from corral.errors import NotFoundError
    task = Task.init(project_name={project!r}, task_name="next", auto_resource_monitoring=False)
    for _ in range(600):
        try:
            old = Task.get_task(task_id={task_id!r})
            if old.status == "completed":
                break
        except NotFoundError:
            pass
        time.sleep(0.1)
    print("SEEN " + old.status)
    """
    seen = run_script(waiter, env, tmp_path / "run2", timeout=120)
    assert "SEEN completed" in seen.stdout
    with fresh_hub.client() as api:
        assert _points(api, task_id)[("acc", "val")] == list(range(5000))
        task = f.ok(api.get(f"/tasks/{task_id}"))
        assert task["hyperparams"]["Args"]["lr"]["value"] == 0.3
        assert "finished" in [line["text"] for line in _all_logs(api, task_id)]
        arts = f.ok(api.get(f"/tasks/{task_id}/artifacts"))
        assert [a["name"] for a in arts] == ["numbers"]
    assert not any((tmp_path / "home" / ".corral" / "spool").iterdir())


def test_spool_import_command_sends_once(fresh_hub: Hub, tmp_path: Path) -> None:
    fresh_hub.stop()
    env = env_for(fresh_hub, tmp_path / "home")
    code = f"""
    from corral import Task
    task = Task.init(project_name={f.unique("sdk-import")!r}, task_name="imp",
                     auto_resource_monitoring=False)
    print("TASK " + task.id, flush=True)
    for i in range(1000):
        task.get_logger().report_scalar("m", "v", float(i), i)
    """
    task_id = _task_id(run_script(code, env, tmp_path / "run", timeout=90).stdout)
    (folder,) = (tmp_path / "home" / ".corral" / "spool").iterdir()
    fresh_hub.start()
    cli = [sys.executable, "-m", "corral", "task", "import", str(folder)]
    first = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert f"imported task {task_id}" in first.stdout
    again = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "nothing to send" in again.stdout
    with fresh_hub.client() as api:
        assert _points(api, task_id)[("m", "v")] == list(range(1000))
        assert f.ok(api.get(f"/tasks/{task_id}"))["status"] == "completed"


@pytest.mark.parametrize("when", ["at once", "after the watch began"])
def test_abort_on_the_hub_stops_the_script_gracefully(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path, when: str
) -> None:
    marker = tmp_path / "finally-ran"
    code = f"""
    import time
    from corral import Task
    task = Task.init(project_name={f.unique("sdk-abort")!r}, task_name="forever",
                     auto_resource_monitoring=False)
    print("TASK " + task.id, flush=True)
    try:
        i = 0
        while True:
            task.get_logger().report_scalar("x", "y", i, i)
            i += 1
            time.sleep(0.01)
    finally:
        open({str(marker)!r}, "w").write("cleaned up")
    """
    proc = _spawn(code, sdk_env, tmp_path / "run")
    task_id = _read_until(proc, "TASK ").split()[1]
    _wait_status(sdk_api, task_id, "in_progress")
    if when == "after the watch began":  # a run watches for an abort after its first second
        _wait_points(sdk_api, task_id, 200)  # 0.01 s a point: two seconds at least
    f.ok(sdk_api.post(f"/tasks/{task_id}:abort", json={"reason": "wrong data"}))
    code_ = proc.wait(timeout=120)
    assert code_ != 0
    assert marker.read_text() == "cleaned up"  # graceful: the script's finally ran
    task = f.ok(sdk_api.get(f"/tasks/{task_id}"))
    assert task["status"] == "stopped" and task["status_reason"] == "wrong data"


def test_abort_ends_a_script_that_ignores_the_interrupt(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"""
    import time
    from corral import Task
    task = Task.init(project_name={f.unique("sdk-abort")!r}, task_name="stubborn",
                     auto_resource_monitoring=False)
    print("TASK " + task.id, flush=True)
    while True:
        try:
            time.sleep(3600)
        except KeyboardInterrupt:
            print("ignoring the interrupt", flush=True)
    """
    env = {**sdk_env, "CORRAL_ABORT_GRACE": "1"}
    proc = _spawn(code, env, tmp_path / "run")
    task_id = _read_until(proc, "TASK ").split()[1]
    _wait_status(sdk_api, task_id, "in_progress")
    f.ok(sdk_api.post(f"/tasks/{task_id}:abort"))
    assert proc.wait(timeout=120) == 137
    assert "ignoring the interrupt" in proc.stdout.read()  # type: ignore[union-attr]
    assert f.ok(sdk_api.get(f"/tasks/{task_id}"))["status"] == "stopped"


def _wait_points(api: httpx.Client, task_id: str, count: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(_points(api, task_id).get(("x", "y"), [])) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} never reported {count} points")


def _wait_status(api: httpx.Client, task_id: str, status: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if f.ok(api.get(f"/tasks/{task_id}"))["status"] == status:
            return
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} never became {status}")


def test_a_hub_that_never_answers_does_not_hang_the_script(tmp_path: Path) -> None:
    """A hub that accepts connections but never answers: init, reports and exit still end."""
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)  # connections complete in the kernel; nothing ever answers
        port = silent.getsockname()[1]
        env = dict(os.environ)
        env.update(
            HOME=str(tmp_path / "home"),
            CORRAL_HUB_URL=f"http://127.0.0.1:{port}",
            CORRAL_ACCESS_KEY="CK",
            CORRAL_SECRET_KEY="secret",
            CORRAL_CONFIG=str(tmp_path / "none.toml"),
            CORRAL_EXIT_TIMEOUT="3",
        )
        code = """
        from corral import Task
        task = Task.init(project_name="p", task_name="t", auto_resource_monitoring=False)
        for i in range(100):
            task.get_logger().report_scalar("a", "b", i, i)
        print("done " + task.id)
        """
        out = run_script(code, env, tmp_path / "run", timeout=90)
    task_id = out.stdout.split()[1]
    (folder,) = (tmp_path / "home" / ".corral" / "spool").iterdir()
    assert folder.name.startswith(task_id)
    ops = (folder / "ops.jsonl").read_text().splitlines()
    assert '"path":"tasks"' in ops[0]  # the create waits in the spool, first


def test_sigterm_ends_the_script_quietly_and_a_second_one_is_ignored(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    marker = tmp_path / "finally-ran"
    code = f"""
    import os, signal
    from corral import Task
    task = Task.init(project_name={f.unique("sdk-term")!r}, task_name="term",
                     auto_resource_monitoring=False)
    print("TASK " + task.id, flush=True)
    try:
        while True:
            signal.pause()  # until the test's SIGTERM
    finally:
        # the agent's SIGTERM arriving after the SDK's own: ignored, the clean-up goes on.
        # A signal a process sends itself is pending when kill returns; its Python
        # handler runs at the next bytecode, before the marker is written.
        os.kill(os.getpid(), signal.SIGTERM)
        open({str(marker)!r}, "w").write("cleaned up")
    """
    proc = _spawn(code, sdk_env, tmp_path / "run")
    task_id = _read_until(proc, "TASK ").split()[1]
    _wait_status(sdk_api, task_id, "in_progress")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 143
    assert marker.read_text() == "cleaned up"
    stderr = proc.stderr.read()  # type: ignore[union-attr]
    assert "Traceback" not in stderr and "SystemExit" not in stderr, stderr
    task = f.ok(sdk_api.get(f"/tasks/{task_id}"))
    assert task["status"] == "stopped" and task["status_reason"] == "terminated (SIGTERM)"
