"""ClearML's model calls in real scripts: weights registered at a URL, packages, metadata
types, model reports stored for the model on the hub, imports and queries."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import s3fs

from corral.testing.hub import Hub
from tests import factories as f
from tests.sdk.conftest import env_for, run_script
from tests.sdk.storage import conftest as storage_fixtures

moto_s3 = storage_fixtures.moto_s3

WEIGHTS = bytes(range(256)) * 40
S3_WEIGHTS = b"s3 weights " * 100

WRITE = """
from pathlib import Path
from corral import OutputModel, Task
from corral.utilities.plotly_reporter import SeriesInfo

task = Task.init(project_name=PROJECT, task_name="model-parity")
out = OutputModel(task, None, {"layers": 3}, {"cat": 0, "dog": 1}, "registered", ["t1"],
                  "from a URL", "pytorch")
print("URL " + out.update_weights(register_uri=HTTP_URL))
out.set_metadata("epochs", "12", v_type="int")
out.set_metadata("ratio", 0.5)
out.report_scalar("val", "acc", 0.5, iteration=1)
out.report_scalar("val", "acc", 0.75, iteration=2)
out.report_single_value("mAP", 0.71)
out.report_table("scores", "val", iteration=2, table_plot=[["name", "score"], ["a", 1]])
out.report_confusion_matrix("cm", "val", matrix=[[3, 1], [0, 4]], iteration=2,
                            yaxis_reversed=True, extra_layout={"height": 300})
out.report_line_plot("lines", [SeriesInfo("up", [[0, 0], [1, 1]]),
                               SeriesInfo("down", [[0, 1], [1, 0]])], xaxis="x", yaxis="y")
out.report_scatter2d("s2d", "pts", [[0, 1], [1, 3]], mode="line", comment="note")
out.report_scatter3d("s3d", "pts", [[0, 1, 2], [1, 2, 3]], zaxis="z")
out.report_surface("surf", "z", [[0, 1], [1, 2]], camera=(1, 1, 1))
out.report_histogram("hist", "h", [1, 2, 3])
out.report_vector("vec", "v", [3, 2, 1])

s3 = OutputModel(task, name="on-s3", framework="custom")
s3.update_weights(register_uri=S3_URL, update_comment=False)

Path("ckpt/sub").mkdir(parents=True)
Path("ckpt/a.txt").write_text("a")
Path("ckpt/sub/b.txt").write_text("b")
pkg = OutputModel(task, name="pkg")
pkg.update_weights_package(weights_path="ckpt")
print("CKPT_LEFT " + str(Path("ckpt").exists()))

Path("model.bin").write_bytes(b"local weights")
local = OutputModel(task, name="local")
uri = local.update_weights("model.bin", target_filename="renamed.bin", auto_delete_file=False,
                           iteration=7, async_enable=False)
print("LOCAL_URI " + uri)
print("KEPT " + str(Path("model.bin").exists()))

for bad in (lambda: local.update_weights(),
            lambda: local.update_weights("model.bin", register_uri=HTTP_URL),
            lambda: local.set_metadata("x", "y", v_type="int"),
            lambda: local.report_scalar("", "s", 1, 0)):
    try:
        bad()
        print("BAD accepted")
    except ValueError as e:
        print("BAD ValueError " + str(e).split(":")[0])

print("TASK " + task.id)
print("MODEL " + out.id)
print("S3 " + s3.id)
print("PKG " + pkg.id)
print("LOCAL " + local.id)
"""

READ = """
import hashlib, json
from pathlib import Path
from corral import InputModel, Model, Task

m = Model(MODEL_ID)
print("SHA " + hashlib.sha256(Path(m.get_local_copy()).read_bytes()).hexdigest())
print("WEIGHTS " + str(m.get_weights() == m.get_local_copy()))
print("FIELDS " + json.dumps({"url": m.url, "name": m.name, "labels": m.labels,
      "config": m.config_dict, "task": m.task, "framework": m.framework,
      "metadata": m.get_all_metadata_casted(), "epochs": m.get_metadata_casted("epochs"),
      "project": m.project_name}))
print("S3SHA " + hashlib.sha256(Path(Model(S3_ID).get_local_copy()).read_bytes()).hexdigest())
files = Model(PKG_ID).get_weights_package()
root = Model(PKG_ID).get_weights_package(return_path=True)
print("PKG " + json.dumps(sorted(Path(p).relative_to(root).as_posix() for p in files)))
found = Model.query_models(project_name=PROJECT, metadata={"epochs": 12})
print("QUERY " + json.dumps([[q.id, q.config_dict] for q in found]))

task = Task.init(project_name=PROJECT, task_name="import")
other = HTTP_URL.replace("weights.bin", "other.bin")
imported = InputModel.import_model(other, name="imported", project=PROJECT,
                                   label_enumeration={"a": 0}, create_as_published=True)
again = InputModel.import_model(other, name="imported", project=PROJECT)
known = InputModel.import_model(HTTP_URL, project=PROJECT)  # registered before: reused
print("IMPORTED " + imported.id + " " + again.id + " " + known.id)
print("TASK " + task.id)
"""


def _line(stdout: str, prefix: str) -> str:
    return next(line[len(prefix) :] for line in stdout.splitlines() if line.startswith(prefix))


def _lines(stdout: str, prefix: str) -> list[str]:
    return [line[len(prefix) :] for line in stdout.splitlines() if line.startswith(prefix)]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def web_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A real HTTP server (a thread) serving a folder: its base URL and the folder."""
    folder = tmp_path_factory.mktemp("web")
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def written(
    sdk_hub: Hub,
    moto_s3: str,
    web_folder: tuple[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    base_url, folder = web_folder
    (folder / "weights.bin").write_bytes(WEIGHTS)
    bucket = storage_fixtures.make_bucket(moto_s3)
    fs = s3fs.S3FileSystem(key="testing", secret="testing", client_kwargs={"endpoint_url": moto_s3})
    fs.pipe(f"{bucket}/zoo/net.bin", S3_WEIGHTS)
    base = tmp_path_factory.mktemp("model-parity")
    home = base / "home"
    env = env_for(sdk_hub, home)
    config = Path(env["CORRAL_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f'[storage.s3]\nendpoint_url = "{moto_s3}"\nkey = "testing"\nsecret = "testing"\n'
    )
    project = f.unique("model-parity")
    head = (
        f"PROJECT = {project!r}\nHTTP_URL = {base_url + '/weights.bin'!r}\n"
        f"S3_URL = {f's3://{bucket}/zoo/net.bin'!r}\n"
    )
    out = run_script(head + WRITE, env, base / "write")
    ids = {k: _line(out.stdout, k + " ") for k in ("TASK", "MODEL", "S3", "PKG", "LOCAL")}
    return {
        "project": project,
        "env": env,
        "base": base,
        "head": head,
        "stdout": out.stdout,
        "http_url": base_url + "/weights.bin",
        "s3_url": f"s3://{bucket}/zoo/net.bin",
        "folder": base / "write",
        **ids,
    }


def test_register_uri_points_the_model_at_the_url_and_nothing_is_uploaded(
    written: dict[str, Any], sdk_api: httpx.Client
) -> None:
    model = f.ok(sdk_api.get(f"/models/{written['MODEL']}"))
    assert model["uri"] == written["http_url"]
    assert _line(written["stdout"], "URL ") == written["http_url"]
    assert model["comment"].startswith(f"snapshot {written['http_url']} stored")
    assert model["labels"] == {"cat": 0, "dog": 1}
    assert json.loads(model["design"]) == {"layers": 3}
    assert model["tags"] == ["t1"] and model["framework"] == "pytorch"
    assert model["metadata"] == {"epochs": 12, "ratio": 0.5}
    s3 = f.ok(sdk_api.get(f"/models/{written['S3']}"))
    assert s3["uri"] == written["s3_url"] and s3["comment"] == ""
    task = f.ok(sdk_api.get(f"/tasks/{written['TASK']}"))
    assert task["status"] == "completed"
    outputs = {ref["model_id"] for ref in task["models"]["output"]}
    assert {written["MODEL"], written["S3"], written["PKG"], written["LOCAL"]} <= outputs
    listing = sdk_api.get(
        "/files", params={"prefix": f"tasks/{written['TASK']}", "recursive": True}
    )
    assert "weights.bin" not in listing.text and "net.bin" not in listing.text


def test_model_reports_are_stored_for_the_model_and_readable_over_rest(
    written: dict[str, Any], sdk_api: httpx.Client
) -> None:
    model_id = written["MODEL"]
    series = {
        (s["metric"], s["variant"]): s
        for s in f.ok(sdk_api.get(f"/models/{model_id}/scalars"))["series"]
    }
    assert series[("val", "acc")]["iterations"] == [1, 2]
    assert series[("val", "acc")]["values"] == [0.5, 0.75]
    assert series[("Summary", "mAP")]["values"] == [0.71]
    plots = {p["metric"]: p for p in f.ok(sdk_api.get(f"/models/{model_id}/plots"))["items"]}
    assert sorted(plots) == ["cm", "hist", "lines", "s2d", "s3d", "scores", "surf", "vec"]
    assert plots["scores"]["figure"]["data"][0]["type"] == "table"
    assert plots["scores"]["iteration"] == 2
    cm = plots["cm"]["figure"]
    assert cm["data"][0]["z"] == [[3, 1], [0, 4]]
    assert cm["layout"]["yaxis"]["autorange"] == "reversed" and cm["layout"]["height"] == 300
    assert [t["name"] for t in plots["lines"]["figure"]["data"]] == ["up", "down"]
    assert plots["s2d"]["figure"]["data"][0]["mode"] == "lines"
    assert "note" in plots["s2d"]["figure"]["layout"]["title"]["text"]
    assert plots["s3d"]["figure"]["data"][0]["type"] == "scatter3d"
    assert plots["s3d"]["figure"]["data"][0]["z"] == [2, 3]
    surf = plots["surf"]["figure"]
    assert surf["data"][0]["type"] == "surface"
    assert surf["layout"]["scene"]["camera"]["eye"] == {"x": 1.0, "y": 1.0, "z": 1.0}
    # the reports are the model's, not the task's
    task_plots = f.ok(sdk_api.get(f"/tasks/{written['TASK']}/plots"))["items"]
    assert not {p["metric"] for p in task_plots} & set(plots)


def test_packages_local_uploads_and_bad_arguments(
    written: dict[str, Any], sdk_api: httpx.Client
) -> None:
    pkg = f.ok(sdk_api.get(f"/models/{written['PKG']}"))
    assert pkg["uri"].endswith("/model_package.zip") and "package" in pkg["system_tags"]
    assert _line(written["stdout"], "CKPT_LEFT ") == "False"  # auto_delete_file: removed
    local = f.ok(sdk_api.get(f"/models/{written['LOCAL']}"))
    assert local["uri"] == _line(written["stdout"], "LOCAL_URI ")
    assert local["uri"].endswith("/local/renamed.bin")
    assert local["metadata"] == {"iteration": 7}
    response = sdk_api.get("/files/" + local["uri"][len("hub://") :])
    assert response.content == b"local weights"
    assert _line(written["stdout"], "KEPT ") == "True"
    both = "ValueError update_weights needs a local weights_filename to upload or a register_uri"
    assert [line.split(" of weights")[0] for line in _lines(written["stdout"], "BAD ")] == [
        both,
        both,
        "ValueError metadata 'x'",
        "ValueError a model report needs a non-empty title and series",
    ]


def test_another_process_reads_fetches_imports_and_queries(
    written: dict[str, Any], sdk_api: httpx.Client
) -> None:
    code = (
        written["head"]
        + "".join(f"{k}_ID = {written[k]!r}\n" for k in ("MODEL", "S3", "PKG"))
        + READ
    )
    out = run_script(code, written["env"], written["base"] / "read")
    assert _line(out.stdout, "SHA ") == hashlib.sha256(WEIGHTS).hexdigest()
    assert _line(out.stdout, "S3SHA ") == hashlib.sha256(S3_WEIGHTS).hexdigest()
    assert _line(out.stdout, "WEIGHTS ") == "True"
    fields = json.loads(_line(out.stdout, "FIELDS "))
    assert fields == {
        "url": written["http_url"],
        "name": "registered",
        "labels": {"cat": 0, "dog": 1},
        "config": {"layers": 3},
        "task": written["TASK"],
        "framework": "pytorch",
        "metadata": {"epochs": 12, "ratio": 0.5},
        "epochs": 12,
        "project": written["project"],
    }
    assert json.loads(_line(out.stdout, "PKG ")) == ["a.txt", "sub/b.txt"]
    assert json.loads(_line(out.stdout, "QUERY ")) == [[written["MODEL"], {"layers": 3}]]
    imported, again, known = _line(out.stdout, "IMPORTED ").split()
    assert imported == again and known == written["MODEL"]
    model = f.ok(sdk_api.get(f"/models/{imported}"))
    assert model["uri"] == written["http_url"].replace("weights.bin", "other.bin")
    assert model["published"] is True and model["name"] == "imported"
    assert model["labels"] == {"a": 0} and model["task_id"] is None
