"""ClearML's artifact calls, run by real scripts and checked on the hub.

File patterns and lists of paths become one zip of exactly the matching files; a URL
is stored as a link; ``extension_name`` and ``serialization_function`` pick the
format; ``register_artifact`` keeps a live DataFrame up to date on the hub - in the
background, at ``flush()`` and at exit.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import numpy as np
import pandas as pd
import pytest

from corral import Task
from corral.testing.hub import Hub
from tests import factories as f
from tests.agents import wait_for
from tests.sdk.conftest import env_for, run_script

JPEGS = {"a.jpg": b"\xff\xd8 first", "b.jpg": b"\xff\xd8 second", "sub/c.jpg": b"\xff\xd8 third"}
OTHERS = {"notes.txt": b"not an image", "sub/d.png": b"\x89PNG"}

UPLOADS = """
import json
from pathlib import Path

import numpy as np
import pandas as pd
from corral import Task

task = Task.init(project_name=PROJECT, task_name="artifact parity")
for rel, data in {**JPEGS, **OTHERS}.items():
    path = Path("images") / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)

frame = pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"]})
waited = [
    task.upload_artifact("jpgs", "images/*.jpg", wait_on_upload=True),
    task.upload_artifact("all-jpgs", Path("images/**/*.jpg"), wait_on_upload=True, retries=2),
    task.upload_artifact("listed", [Path("images/a.jpg"), Path("images/sub/d.png")]),
    task.upload_artifact("link", "https://example.com/data/table.csv", metadata={"rows": 10}),
    task.upload_artifact("frame-csv", frame, extension_name=".csv.gz"),
    task.upload_artifact("array-npz", np.arange(6).reshape(2, 3), extension_name=".npz"),
    task.upload_artifact("config-yaml", {"b": 1, "a": [1, 2]}, extension_name=".yaml"),
    task.upload_artifact(
        "custom", {"k": "v"}, serialization_function=lambda o: json.dumps(o).encode(),
        extension_name=".bin",
    ),
]
print("WAITED", waited)
for label, call in [
    ("nomatch", lambda: task.upload_artifact("none", "images/*.gif")),
    ("badext", lambda: task.upload_artifact("bad", frame, extension_name=".json")),
    ("retries", lambda: task.upload_artifact("bad", frame, retries=-1)),
]:
    try:
        call()
    except ValueError as e:
        print(f"VALUEERROR {label}: {e}")
print("TASK " + task.id)
"""


def _line(stdout: str, prefix: str) -> str:
    return next(line[len(prefix) :] for line in stdout.splitlines() if line.startswith(prefix))


def _get_file(api: httpx.Client, uri: str) -> bytes:
    response = api.get("/files/" + uri[len("hub://") :])
    assert response.status_code == 200, response.text
    return response.content


def _zip_members(api: httpx.Client, record: dict[str, Any]) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(_get_file(api, record["uri"]))) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


class Uploaded(NamedTuple):
    task_id: str
    stdout: str
    records: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def uploaded(sdk_hub: Hub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Uploaded]:
    base = tmp_path_factory.mktemp("artifact-parity")
    code = f"PROJECT = {f.unique('sdk-parity')!r}\nJPEGS = {JPEGS!r}\nOTHERS = {OTHERS!r}\n"
    out = run_script(code + UPLOADS, env_for(sdk_hub, base / "home"), base / "run")
    task_id = _line(out.stdout, "TASK ")
    with sdk_hub.client() as api:
        rows = f.ok(api.get(f"/tasks/{task_id}/artifacts"))
    yield Uploaded(task_id, out.stdout, {r["name"]: r for r in rows})


def test_a_glob_pattern_is_a_zip_of_exactly_the_matching_files(
    uploaded: Uploaded, sdk_api: httpx.Client
) -> None:
    jpgs = uploaded.records["jpgs"]
    assert jpgs["type"] == "folder" and jpgs["content_type"] == "application/zip"
    assert _zip_members(sdk_api, jpgs) == {"a.jpg": JPEGS["a.jpg"], "b.jpg": JPEGS["b.jpg"]}
    assert jpgs["metadata"]["files"] == 2 and jpgs["metadata"]["pattern"] == "images/*.jpg"

    # ** reaches into subfolders; names stay relative to the pattern's folder
    assert _zip_members(sdk_api, uploaded.records["all-jpgs"]) == JPEGS
    # a list of paths: named relative to the files' common folder
    listed = _zip_members(sdk_api, uploaded.records["listed"])
    assert listed == {"a.jpg": JPEGS["a.jpg"], "sub/d.png": OTHERS["sub/d.png"]}
    assert _line(uploaded.stdout, "WAITED ").startswith("[True, True,")


def test_a_pattern_matching_nothing_or_a_wrong_format_is_a_value_error(
    uploaded: Uploaded,
) -> None:
    assert "no file matches 'images/*.gif'" in _line(uploaded.stdout, "VALUEERROR nomatch: ")
    assert ".csv.gz" in _line(uploaded.stdout, "VALUEERROR badext: ")
    assert "0 or more" in _line(uploaded.stdout, "VALUEERROR retries: ")
    assert "none" not in uploaded.records and "bad" not in uploaded.records


def test_a_url_is_stored_as_a_link_without_an_upload(
    uploaded: Uploaded, sdk_api: httpx.Client
) -> None:
    link = uploaded.records["link"]
    assert link["uri"] == "https://example.com/data/table.csv"
    assert link["type"] == "custom" and link["content_type"] == "text/csv"
    assert link["metadata"] == {"link": True, "rows": 10}
    listing = f.ok(
        sdk_api.get("/files", params={"prefix": f"tasks/{uploaded.task_id}/", "recursive": True})
    )
    assert not any("link" in item["path"] for item in listing["items"])


def test_artifacts_come_back_in_the_format_they_were_stored_in(
    uploaded: Uploaded, sdk_client: None
) -> None:
    artifacts = Task.get_task(task_id=uploaded.task_id).artifacts
    folder = Path(artifacts["jpgs"].get_local_copy())
    assert folder.is_dir()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == {
        "a.jpg": JPEGS["a.jpg"],
        "b.jpg": JPEGS["b.jpg"],
    }
    assert zipfile.is_zipfile(artifacts["jpgs"].get_local_copy(extract_archive=False))

    assert uploaded.records["frame-csv"]["uri"].endswith(".csv.gz")
    frame = artifacts["frame-csv"].get()
    assert frame.equals(pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"]}))
    assert np.array_equal(artifacts["array-npz"].get(), np.arange(6).reshape(2, 3))
    assert uploaded.records["config-yaml"]["uri"].endswith(".yaml")
    assert artifacts["config-yaml"].get() == {"a": [1, 2], "b": 1}
    custom = artifacts["custom"]
    assert custom.type == "custom" and custom.uri.endswith("custom.bin")
    assert custom.get(deserialization_function=json.loads) == {"k": "v"}
    assert custom.timestamp is not None and custom.timestamp.year >= 2024


# --- register_artifact ---------------------------------------------------------------

REGISTERED = """
import pandas as pd
from corral import Task

task = Task.init(project_name=PROJECT, task_name="registered")
df = pd.DataFrame({"id": [1, 2, 3], "label": ["cat", "dog", "cow"]})
task.register_artifact("live", df, metadata={"source": "unit"}, uniqueness_columns=["id"])
print("TASK " + task.id, flush=True)
df.loc[3] = [3, "hen"]  # a change after the registration: a repeated id
print("FLUSHED", task.flush(wait_for_uploads=True), flush=True)
input()  # the test looks at the hub

print("SAME", task.get_registered_artifacts()["live"] is df)
for label, call in [
    ("upload", lambda: task.upload_artifact("live", {"a": 1})),
    ("columns", lambda: task.register_artifact("other", df, uniqueness_columns=["nope"])),
    ("notlist", lambda: task.register_artifact("other", df, uniqueness_columns=False)),
    ("unknown", lambda: task.unregister_artifact("never")),
]:
    try:
        call()
    except ValueError as e:
        print(f"VALUEERROR {label}: {e}")
try:
    task.register_artifact("list", [1, 2])
except TypeError as e:
    print(f"TYPEERROR list: {e}")

gone = pd.DataFrame({"v": [1.0]})
task.register_artifact("gone", gone)
gone.loc[1] = [2.0]
task.unregister_artifact("gone")  # its last content is uploaded
gone.loc[2] = [3.0]  # no longer watched
print("REGISTERED", sorted(task.get_registered_artifacts()))
df.loc[4] = [5, "pig"]  # no flush: the end of the run uploads it
"""

BACKGROUND = """
import pandas as pd
from corral import Task

task = Task.init(project_name=PROJECT, task_name="registered in the background")
df = pd.DataFrame({"n": [0]})
task.register_artifact("live", df)
print("TASK " + task.id, flush=True)
df.loc[1] = [1]
print("CHANGED", flush=True)
input()  # the test waits until the hub has the change, which no call here sent
"""


class Script:
    """A script run in the background that the test talks to through stdin/stdout."""

    def __init__(self, code: str, env: dict[str, str], cwd: Path) -> None:
        cwd.mkdir(parents=True, exist_ok=True)
        (cwd / "script.py").write_text(textwrap.dedent(code))
        self.proc = subprocess.Popen(
            [sys.executable, "script.py"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []

    def until(self, prefix: str) -> str:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith(prefix):
                return line[len(prefix) :].strip()
        raise AssertionError(f"no {prefix!r} line; stderr:\n{self._stderr()}")

    def finish(self) -> list[str]:
        out, err = self.proc.communicate("go\n", timeout=120)
        self.lines += out.splitlines()
        assert self.proc.returncode == 0, f"exit {self.proc.returncode}\n{err}"
        return self.lines

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()

    def _stderr(self) -> str:
        self.kill()
        return self.proc.stderr.read() if self.proc.stderr else ""


@pytest.fixture
def script(sdk_hub: Hub, tmp_path: Path) -> Iterator[Callable[..., Script]]:
    started: list[Script] = []

    def start(code: str, **env: str) -> Script:
        project = f"PROJECT = {f.unique('sdk-registered')!r}\n"
        s = Script(project + code, env_for(sdk_hub, tmp_path / "home", **env), tmp_path / "run")
        started.append(s)
        return s

    yield start
    for s in started:
        s.kill()


def _frame_on_hub(api: httpx.Client, task_id: str, name: str) -> tuple[pd.DataFrame, Any]:
    record = f.ok(api.get(f"/tasks/{task_id}/artifacts/{name}"))
    data = _get_file(api, record["uri"])
    assert record["metadata"]["format"] == "parquet"
    return pd.read_parquet(io.BytesIO(data)), record


def test_a_registered_dataframe_follows_its_changes_at_flush_and_at_exit(
    script: Callable[..., Script], sdk_api: httpx.Client
) -> None:
    run = script(REGISTERED, CORRAL_ARTIFACT_SYNC_INTERVAL="3600")  # no background look
    task_id = run.until("TASK ")
    assert run.until("FLUSHED ") == "True"

    frame, record = _frame_on_hub(sdk_api, task_id, "live")
    expected = pd.DataFrame({"id": [1, 2, 3, 3], "label": ["cat", "dog", "cow", "hen"]})
    assert frame.equals(expected)
    meta = record["metadata"]
    assert meta["source"] == "unit" and meta["registered"] is True
    assert (meta["rows"], meta["unique_rows"], meta["uniqueness_columns"]) == (4, 3, ["id"])
    assert "4 rows, 3 unique (75.0% uniqueness)" in record["preview"]

    out = "\n".join(run.finish())
    assert _line(out, "SAME ") == "True"
    assert "is registered" in _line(out, "VALUEERROR upload: ")
    assert "'nope'" in _line(out, "VALUEERROR columns: ")
    assert "non-empty list of column names" in _line(out, "VALUEERROR notlist: ")
    assert "'never'" in _line(out, "VALUEERROR unknown: ")
    assert "pandas DataFrame" in _line(out, "TYPEERROR list: ")
    assert _line(out, "REGISTERED ") == "['live']"

    task = f.ok(sdk_api.get(f"/tasks/{task_id}"))
    assert task["status"] == "completed"
    frame, record = _frame_on_hub(sdk_api, task_id, "live")
    assert frame.equals(
        pd.DataFrame({"id": [1, 2, 3, 3, 5], "label": ["cat", "dog", "cow", "hen", "pig"]})
    )
    assert record["metadata"]["rows"] == 5
    gone, _ = _frame_on_hub(sdk_api, task_id, "gone")
    assert gone["v"].tolist() == [1.0, 2.0]  # as at unregister_artifact, not after


def test_a_registered_dataframe_is_uploaded_again_in_the_background(
    script: Callable[..., Script], sdk_api: httpx.Client
) -> None:
    run = script(BACKGROUND, CORRAL_ARTIFACT_SYNC_INTERVAL="0.2")
    task_id = run.until("TASK ")
    run.until("CHANGED")

    def changed() -> bool:
        response = sdk_api.get(f"/tasks/{task_id}/artifacts/live")
        return response.status_code == 200 and response.json()["metadata"]["rows"] == 2

    wait_for(changed, "the change to reach the hub")
    frame, _ = _frame_on_hub(sdk_api, task_id, "live")
    assert frame["n"].tolist() == [0, 1]
    run.finish()
