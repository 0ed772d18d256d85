"""``Task.init(output_uri="s3://...")``: artifacts and models go to the bucket, not the hub.

S3 is a real moto server (the storage tests' fixture), configured for the scripts only
through ``[storage.s3]`` of their client config file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import s3fs

from tests import factories as f
from tests.sdk.conftest import run_script
from tests.sdk.storage import conftest as storage_fixtures

moto_s3 = storage_fixtures.moto_s3

WEIGHTS = bytes(range(251)) * 300

WRITE = """
from pathlib import Path
import numpy as np
from corral import OutputModel, Task

task = Task.init(project_name=PROJECT, task_name="to-s3", output_uri=OUTPUT)
task.upload_artifact("embeddings", np.arange(24, dtype="int16").reshape(4, 6), wait_on_upload=True)
# not waited for: these two are uploaded while the process exits
task.upload_artifact("params", {"lr": 0.5, "tags": ["a", "b"]})
Path("net.bin").write_bytes(bytes(range(251)) * 300)
model = OutputModel(task, framework="custom", name="net")
model.update_weights("net.bin")
print("TASK " + task.id)
print("MODEL " + model.id)
"""

READ = """
import hashlib, json
from corral import Model, Task

task = Task.get_task(task_id=TASK_ID)
array = task.artifacts["embeddings"].get()
print("ARRAY " + json.dumps({"dtype": str(array.dtype), "values": array.tolist()}))
print("PARAMS " + json.dumps(task.artifacts["params"].get()))
with open(Model(MODEL_ID).get_local_copy(), "rb") as fh:
    print("WEIGHTS " + hashlib.sha256(fh.read()).hexdigest())
"""


def _line(stdout: str, prefix: str) -> str:
    return next(line[len(prefix) :] for line in stdout.splitlines() if line.startswith(prefix))


def _env_with_s3(env: dict[str, str], home: Path, endpoint: str) -> dict[str, str]:
    """``env`` with a HOME of its own and a config file holding only ``[storage.s3]``."""
    config = home / ".corral" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f'[storage.s3]\nendpoint_url = "{endpoint}"\nkey = "testing"\nsecret = "testing"\n'
    )
    return {**env, "HOME": str(home), "CORRAL_CONFIG": str(config)}


def test_artifacts_and_model_files_go_to_the_bucket_and_read_back_from_another_process(
    moto_s3: str, sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    bucket = storage_fixtures.make_bucket(moto_s3)
    prefix = f"s3://{bucket}/prefix/"
    writer_env = _env_with_s3(sdk_env, tmp_path / "writer-home", moto_s3)
    code = f"PROJECT = {f.unique('sdk-s3')!r}\nOUTPUT = {prefix.rstrip('/')!r}\n" + WRITE
    out = run_script(code, writer_env, tmp_path / "write")
    task_id, model_id = _line(out.stdout, "TASK "), _line(out.stdout, "MODEL ")

    artifacts = {a["name"]: a for a in f.ok(sdk_api.get(f"/tasks/{task_id}/artifacts"))}
    model = f.ok(sdk_api.get(f"/models/{model_id}"))
    uris = [artifacts["embeddings"]["uri"], artifacts["params"]["uri"], model["uri"]]
    assert all(uri.startswith(prefix) for uri in uris), uris

    s3 = s3fs.S3FileSystem(endpoint_url=moto_s3, key="testing", secret="testing")
    stored = set(s3.find(f"{bucket}/prefix"))
    assert {uri[len("s3://") :] for uri in uris} <= stored
    assert s3.cat_file(model["uri"]) == WEIGHTS
    for record in artifacts.values():
        content = s3.cat_file(record["uri"])
        assert record["size"] == len(content)
        assert record["hash"] == hashlib.sha256(content).hexdigest()
    assert f.ok(sdk_api.get("/files", params={"prefix": f"tasks/{task_id}"}))["items"] == []

    reader_env = _env_with_s3(sdk_env, tmp_path / "reader-home", moto_s3)
    code = f"TASK_ID = {task_id!r}\nMODEL_ID = {model_id!r}\n" + READ
    read = run_script(code, reader_env, tmp_path / "read")
    assert json.loads(_line(read.stdout, "ARRAY ")) == {
        "dtype": "int16",
        "values": [list(range(r * 6, r * 6 + 6)) for r in range(4)],
    }
    assert json.loads(_line(read.stdout, "PARAMS ")) == {"lr": 0.5, "tags": ["a", "b"]}
    assert _line(read.stdout, "WEIGHTS ") == hashlib.sha256(WEIGHTS).hexdigest()
