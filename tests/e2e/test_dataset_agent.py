"""Datasets on an agent: tasks share the agent machine's cache, and an edited alias on a
clone switches the version the task uses.

A real hub, a real ``corral agent`` (plain mode) and a script that does
``Dataset.get(..., alias="train").get_local_copy()`` and prints a checksum of the
folder. Versions are published straight through ``client.datasets``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import httpx
import pytest

from corral.testing.hub import Hub
from tests import factories as f
from tests.agents import StartAgent, console, script_task, wait_status
from tests.datasets.versions import hub_client, publish

# the agent's share of the dataset cache does not depend on the database (the routes
# run on both in tests/server/api/test_dataset*.py)

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_hub]

SCRIPT = """
import hashlib, os
from pathlib import Path
from corral import Dataset, Task

task = Task.init(project_name={project!r}, task_name="uses images")
ds = Dataset.get(dataset_name={name!r}, dataset_project={project!r}, dataset_version="1.0.0",
                 alias="train")
folder = Path(ds.get_local_copy())
digest = hashlib.sha256()
for path in sorted(p for p in folder.rglob("*") if p.is_file()):
    digest.update(path.relative_to(folder).as_posix().encode() + b"\\0" + path.read_bytes())
print(f"used={{ds.id}} checksum={{digest.hexdigest()}} folder={{folder}}", flush=True)
"""


def checksum(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + files[path])
    return digest.hexdigest()


def run(api: httpx.Client, task_id: str) -> list[str]:
    task = wait_status(api, task_id, "completed", "failed", "stopped", timeout=180)
    lines = console(api, task_id)
    assert task["status"] == "completed", (task["status_reason"], lines[-30:])
    return lines


def line_with(lines: list[str], prefix: str) -> str:
    return next(line for line in lines if line.startswith(prefix))


def objects_state(cache: Path) -> dict[str, tuple[int, int]]:
    return {
        p.name: (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in (cache / "objects").rglob("*")
        if p.is_file()
    }


def test_a_repeated_task_fetches_nothing_and_an_edited_clone_uses_its_version(
    hub: Hub, api: httpx.Client, queue: str, start_agent: StartAgent, tmp_path: Path
) -> None:
    project = f.project(api)["name"]
    v1_files = {"train/a.txt": b"a\n" * 50, "train/b.bin": os.urandom(50_000)}
    v2_files = {"train/c.txt": b"c\n" * 70}
    with hub_client(hub) as client:
        v1 = publish(client, project, "images", v1_files, big={"train/b.bin"})
        v2 = publish(client, project, "images", v2_files, parents=[v1["id"]])
    cache = tmp_path / "agent-datasets"
    start_agent(hub, "--queue", queue, env={"CORRAL_AGENT_DATASET_CACHE": str(cache)})
    code = SCRIPT.format(name="images", project=project)

    task = script_task(api, code, queue, project=project)
    first = run(api, task["id"])
    used = line_with(first, "used=")
    assert used.startswith(f"used={v1['id']} checksum={checksum(v1_files)} folder={cache}")
    assert "fetched 2 " in line_with(first, "corral: dataset images")
    params = f.ok(api.get(f"/tasks/{task['id']}"))["hyperparams"]
    assert params["Datasets"]["train"]["value"] == v1["id"]
    before = objects_state(cache)
    assert len(before) == 2

    # the same task again: the version's folder is in the machine's cache
    f.ok(api.post(f"/tasks/{task['id']}:reset", json={}))
    f.ok(api.post(f"/tasks/{task['id']}:enqueue", json={"queue": queue}))
    second = run(api, task["id"])
    assert line_with(second, "used=") == used
    assert "fetched 0 " in line_with(second, "corral: dataset images")
    assert objects_state(cache) == before

    # a clone whose Datasets/train says version 2: it fetches and uses version 2
    clone = f.ok(api.post(f"/tasks/{task['id']}:clone", json={}))
    f.ok(
        api.patch(
            f"/tasks/{clone['id']}/hyperparams",
            json={"hyperparams": {"Datasets": {"train": {"value": v2["id"], "type": "str"}}}},
        )
    )
    f.ok(api.post(f"/tasks/{clone['id']}:enqueue", json={"queue": queue}))
    third = run(api, clone["id"])
    assert line_with(third, "used=").startswith(
        f"used={v2['id']} checksum={checksum(v1_files | v2_files)}"
    )
    assert "fetched 1 " in line_with(third, "corral: dataset images")
    usages = f.ok(api.get(f"/tasks/{clone['id']}/datasets"))
    assert [(u["alias"], u["dataset_id"]) for u in usages] == [("train", v2["id"])]


def test_docker_mode_mounts_the_machine_s_cache_so_a_repeated_task_fetches_nothing(
    hub: Hub,
    api: httpx.Client,
    queue: str,
    start_agent: StartAgent,
    fake_docker: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    project = f.project(api)["name"]
    files = {"a.txt": b"in docker\n" * 30}
    with hub_client(hub) as client:
        v1 = publish(client, project, "images", files)
    folder, record = fake_docker
    cache = tmp_path / "agent-datasets"
    env = {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}
    env["CORRAL_AGENT_DATASET_CACHE"] = str(cache)
    start_agent(hub, "--queue", queue, "--docker", "python:3.11-slim", plain=False, env=env)
    task = script_task(api, SCRIPT.format(name="images", project=project), queue, project=project)

    first = run(api, task["id"])
    f.ok(api.post(f"/tasks/{task['id']}:reset", json={}))
    f.ok(api.post(f"/tasks/{task['id']}:enqueue", json={"queue": queue}))
    second = run(api, task["id"])

    for lines in (first, second):
        assert line_with(lines, "used=").startswith(
            f"used={v1['id']} checksum={checksum(files)} folder={cache}"
        )
    assert "fetched 1 " in line_with(first, "corral: dataset images")
    assert "fetched 0 " in line_with(second, "corral: dataset images")
    runs = [argv for argv in map(json.loads, record.read_text().splitlines()) if argv[0] == "run"]
    assert len(runs) == 2
    for argv in runs:
        assert f"{cache}:{cache}" in [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "-v"]
