"""Artifacts uploaded by a real script, read back in another process equal to what it stored.

The script builds its objects with a fixed seed in ``originals.py``, which the test
imports too: what the script uploaded and what the test expects are the same objects.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import numpy as np
import pytest
from PIL import Image

from corral import Task
from corral.testing.hub import Hub
from tests import factories as f
from tests.sdk.conftest import env_for, run_script

# a module of the user's: the custom class must be importable where the artifact is read
ORIGINALS = """
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image


@dataclass
class Checkpoint:
    name: str
    steps: list[int] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)


def frame() -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "count": np.arange(6, dtype="int64") * 7,
            "score": [0.5, 1.25, -3.0, 2.0e-9, 1.0e12, 0.1],
            "label": ["cat", "dog", "ünïcode", "", "a b", "x,y"],
            "ok": [True, False, True, True, False, False],
            "seen": pd.date_range("2024-02-28 23:00", periods=6, freq="37min"),
        },
        index=pd.Index([10, 11, 12, 20, 21, 22], name="sample_id"),
    )
    return df


def array() -> np.ndarray:
    return np.random.default_rng(7).normal(size=(3, 4, 5)).astype("float32")


def image() -> Image.Image:
    pixels = np.random.default_rng(3).integers(0, 256, size=(24, 32, 3), dtype="uint8")
    return Image.fromarray(pixels, "RGB")


def config() -> dict:
    return {"lr": 0.001, "layers": [64, 32], "name": "résumé", "nested": {"on": True, "off": None}}


def steps() -> list:
    return [1, "two", 3.5, None, False, [4, {"five": 5}]]


def checkpoint() -> Checkpoint:
    return Checkpoint("best", [10, 20, 30], {"acc": 0.93, "loss": 0.21})


FOLDER_FILES = {
    "readme.txt": b"top level\\n",
    "sub/data.bin": bytes(range(256)) * 40,
    "sub/deeper/empty.txt": b"",
}


def make_folder(root: Path) -> Path:
    for rel, data in FOLDER_FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "sub" / "empty_dir").mkdir()
    return root
"""

SCRIPT = """
import threading
from pathlib import Path

import originals as o
from corral import Task

task = Task.init(project_name=PROJECT, task_name="artifacts")
Path("report.csv").write_text("a,b\\n1,2\\n")
Path("live.txt").write_text("written before the upload\\n")
folder = o.make_folder(Path("run-output"))

waited = [
    task.upload_artifact("table", o.frame(), wait_on_upload=True),
    task.upload_artifact("folder", folder, wait_on_upload=True),
    task.upload_artifact("steps", o.steps(), wait_on_upload=True),
    task.upload_artifact("report", "report.csv", wait_on_upload=True),
]
print("WAITED " + " ".join(map(str, waited)))  # True: the hub has them
task.upload_artifact("array", o.array())
task.upload_artifact("config", o.config())
task.upload_artifact("picture", o.image())
task.upload_artifact("checkpoint", o.checkpoint(), metadata={"epoch": 3})

# not waited for: the upload must take the file as it was at the call
task.upload_artifact("live", "live.txt")
Path("live.txt").write_text("overwritten right after\\n")

for label, call in [
    ("only-pickle", lambda: task.upload_artifact("refused", o.checkpoint(), auto_pickle=False)),
    ("unpicklable", lambda: task.upload_artifact("lock", threading.Lock())),
]:
    try:
        call()
    except TypeError as e:
        print(f"TYPEERROR {label}: {e}")
print("TASK " + task.id)
"""

EXPECTED_TYPES = {
    "table": "dataframe",
    "array": "numpy",
    "folder": "folder",
    "config": "json",
    "steps": "json",
    "picture": "image",
    "checkpoint": "pickle",
    "report": "file",
    "live": "file",
}


def _line(stdout: str, prefix: str) -> str:
    return next(line[len(prefix) :] for line in stdout.splitlines() if line.startswith(prefix))


def _stored_bytes(api: httpx.Client, uri: str) -> bytes:
    assert uri.startswith("hub://"), uri
    response = api.get("/files/" + uri[len("hub://") :])
    assert response.status_code == 200, response.text
    return response.content


class Uploaded(NamedTuple):
    task_id: str
    originals: Any  # the script's ``originals`` module
    stdout: str


@pytest.fixture(scope="module")
def uploaded(sdk_hub: Hub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Uploaded]:
    """Run the script once for the module; the test process imports its ``originals``."""
    base = tmp_path_factory.mktemp("artifacts")
    workdir = base / "run"
    workdir.mkdir()
    (workdir / "originals.py").write_text(textwrap.dedent(ORIGINALS))
    code = f"PROJECT = {f.unique('sdk-art')!r}\n" + SCRIPT
    out = run_script(code, env_for(sdk_hub, base / "home"), workdir)
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(workdir))
        sys.modules.pop("originals", None)
        yield Uploaded(_line(out.stdout, "TASK "), importlib.import_module("originals"), out.stdout)
        sys.modules.pop("originals", None)


def test_every_kind_of_artifact_comes_back_equal(uploaded: Uploaded, sdk_client: None) -> None:
    task_id, o = uploaded.task_id, uploaded.originals
    assert _line(uploaded.stdout, "WAITED ") == "True True True True"
    artifacts = Task.get_task(task_id=task_id).artifacts
    assert sorted(artifacts) == sorted(EXPECTED_TYPES)

    df = artifacts["table"].get()
    assert df.equals(o.frame())
    assert list(df.dtypes) == list(o.frame().dtypes)
    assert df.index.name == "sample_id"

    array = artifacts["array"].get()
    assert array.dtype == np.float32 and np.array_equal(array, o.array())

    folder = Path(artifacts["folder"].get())
    files = {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }
    assert files == o.FOLDER_FILES
    assert (folder / "sub" / "empty_dir").is_dir()
    assert not any((folder / "sub" / "empty_dir").iterdir())

    assert artifacts["config"].get() == o.config()
    assert artifacts["steps"].get() == o.steps()

    picture = artifacts["picture"].get()
    assert isinstance(picture, Image.Image)
    assert (picture.mode, picture.size) == ("RGB", (32, 24))
    assert np.array_equal(np.asarray(picture), np.asarray(o.image()))

    checkpoint = artifacts["checkpoint"].get()
    assert type(checkpoint) is o.Checkpoint and checkpoint == o.checkpoint()
    assert artifacts["checkpoint"].metadata["epoch"] == 3

    report = Path(artifacts["report"].get())
    assert report.read_bytes() == b"a,b\n1,2\n"


def test_records_give_type_size_and_hash_of_the_stored_file(
    uploaded: Uploaded, sdk_api: httpx.Client
) -> None:
    task_id = uploaded.task_id
    records = {r["name"]: r for r in f.ok(sdk_api.get(f"/tasks/{task_id}/artifacts"))}
    assert {name: r["type"] for name, r in records.items()} == EXPECTED_TYPES
    for name, record in records.items():
        stored = _stored_bytes(sdk_api, record["uri"])
        assert record["uri"].startswith(f"hub://tasks/{task_id}/artifacts/"), name
        assert record["size"] == len(stored), name
        assert record["hash"] == hashlib.sha256(stored).hexdigest(), name
        assert record["mode"] == "output"

    preview = records["table"]["preview"]
    for column in ("sample_id", "count", "score", "label", "ok", "seen", "ünïcode"):
        assert column in preview
    assert records["table"]["metadata"]["rows"] == 6
    assert "sub/data.bin" in records["folder"]["preview"]


def test_a_file_overwritten_after_the_call_is_stored_as_it_was_at_the_call(
    uploaded: Uploaded, sdk_api: httpx.Client
) -> None:
    task_id = uploaded.task_id
    record = f.ok(sdk_api.get(f"/tasks/{task_id}/artifacts/live"))
    assert _stored_bytes(sdk_api, record["uri"]) == b"written before the upload\n"


def test_objects_that_need_pickle_are_refused_without_auto_pickle_or_when_unpicklable(
    uploaded: Uploaded, sdk_api: httpx.Client
) -> None:
    task_id, stdout = uploaded.task_id, uploaded.stdout
    assert "auto_pickle=True" in _line(stdout, "TYPEERROR only-pickle: ")
    assert "not picklable" in _line(stdout, "TYPEERROR unpicklable: ")
    names = {r["name"] for r in f.ok(sdk_api.get(f"/tasks/{task_id}/artifacts"))}
    assert "refused" not in names and "lock" not in names
