"""``Task``'s class methods and results readers, task reuse and continuation, the ``Logger``.

Class methods run in this process (``sdk_client``) against tasks made through the API
or by real scripts; reuse, continuation and reports run as real scripts.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from corral import Task
from corral.errors import NotFoundError
from tests import factories as f
from tests.sdk.conftest import run_script


def _line(stdout: str, prefix: str) -> str:
    return next(line[len(prefix) :] for line in stdout.splitlines() if line.startswith(prefix))


HYPERPARAMS = {
    "Args": {
        "lr": {"value": 0.1, "type": "float", "description": "learning rate"},
        "layers": {"value": [64, 32], "type": "list", "description": ""},
    },
    "General": {"opt/name": {"value": "adam", "type": "str", "description": ""}},
}


# --- finding tasks ---------------------------------------------------------------------------


def test_get_task_by_id_and_the_newest_by_project_and_name(
    sdk_api: httpx.Client, sdk_client: None
) -> None:
    project = f.unique("sdk-get")
    older = f.task(sdk_api, project, name="train")
    newer = f.task(sdk_api, project, name="train")
    f.task(sdk_api, project, name="train-more")  # a longer name is not the same name
    f.task(sdk_api, f.unique("sdk-get-other"), name="train")

    by_id = Task.get_task(task_id=older["id"])
    assert (by_id.id, by_id.name, by_id.status) == (older["id"], "train", "created")
    assert Task.get_task(project_name=project, task_name="train").id == newer["id"]
    with pytest.raises(NotFoundError):
        Task.get_task(project_name=project, task_name="missing")


def test_get_tasks_lists_the_tasks_of_a_project(sdk_api: httpx.Client, sdk_client: None) -> None:
    project = f.unique("sdk-list")
    ids = {f.task(sdk_api, project)["id"] for _ in range(3)}
    f.task(sdk_api, f.unique("sdk-list-other"))
    assert {t.id for t in Task.get_tasks(project_name=project)} == ids
    assert Task.get_tasks(project_name=f.unique("sdk-list-none")) == []


def test_clone_is_a_draft_with_the_source_as_parent_and_the_same_hyperparams(
    sdk_api: httpx.Client, sdk_client: None
) -> None:
    source = f.task(sdk_api, f.unique("sdk-clone"), hyperparams=HYPERPARAMS)
    f.run_to(sdk_api, source["id"], "completed")

    clone = Task.clone(Task.get_task(task_id=source["id"]), name="tuned")
    assert clone.id != source["id"]
    assert (clone.name, clone.status) == ("tuned", "created")
    assert clone.data["parent_id"] == source["id"]
    assert f.ok(sdk_api.get(f"/tasks/{clone.id}/hyperparams")) == HYPERPARAMS
    assert clone.get_parameters()["Args/lr"] == 0.1


def test_enqueue_puts_a_draft_in_a_queue_and_an_unknown_queue_is_not_found(
    sdk_api: httpx.Client, sdk_client: None
) -> None:
    draft = f.task(sdk_api, f.unique("sdk-enq"))
    queued = Task.enqueue(draft["id"], queue_name="default")
    assert queued.status == "queued"
    assert f.ok(sdk_api.get(f"/tasks/{draft['id']}"))["status"] == "queued"

    other = Task.get_task(task_id=f.task(sdk_api, f.unique("sdk-enq"))["id"])
    with pytest.raises(NotFoundError):
        Task.enqueue(other, queue_name=f.unique("no-such-queue"))
    assert f.ok(sdk_api.get(f"/tasks/{other.id}"))["status"] == "created"


def test_mark_completed_and_mark_failed_change_another_tasks_status(
    sdk_api: httpx.Client, sdk_client: None
) -> None:
    project = f.unique("sdk-mark")
    done, broken = f.task(sdk_api, project), f.task(sdk_api, project)
    for t in (done, broken):
        f.run_to(sdk_api, t["id"], "in_progress")

    Task.get_task(task_id=done["id"]).mark_completed("all epochs ran")
    failing = Task.get_task(task_id=broken["id"])
    failing.mark_failed(status_reason="out of memory", status_message="at batch 7")

    assert Task.get_task(task_id=done["id"]).get_status() == "completed"
    stored = f.ok(sdk_api.get(f"/tasks/{broken['id']}"))
    assert (stored["status"], stored["status_reason"]) == ("failed", "out of memory")
    assert stored["status_message"] == "at batch 7"
    assert failing.get_status() == "failed"


def test_get_status_of_the_running_task_keeps_changes_not_yet_sent(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"""
    from corral import Task
    task = Task.init(project_name={f.unique("sdk-status")!r}, task_name="status")
    task.add_tags("first")
    print("STATUS " + task.get_status())
    task.add_tags("second")
    print("TASK " + task.id)
    """
    out = run_script(code, sdk_env, tmp_path)
    assert _line(out.stdout, "STATUS ") == "in_progress"
    task = f.ok(sdk_api.get(f"/tasks/{_line(out.stdout, 'TASK ')}"))
    assert (task["status"], task["tags"]) == ("completed", ["first", "second"])


# --- reading results -------------------------------------------------------------------------

SCALARS = """
from corral import Task

task = Task.init(project_name=PROJECT, task_name="scalars", auto_resource_monitoring=False)
log = task.get_logger()
for i in range(500):
    log.report_scalar("loss", "train", value=1 / (i + 1), iteration=i)
    log.report_scalar("loss", "val", value=2 / (i + 1) + 0.125, iteration=i)
    log.report_scalar("accuracy", "val", value=i / 500, iteration=i)
# read back by the script itself: everything reported so far is sent first
seen = task.get_reported_scalars()
print("SEEN " + str(sum(len(s["y"]) for series in seen.values() for s in series.values())))
print("TASK " + task.id)
"""


def test_reported_scalars_and_their_summary_come_back_exactly(
    sdk_env: dict[str, str], tmp_path: Path, sdk_client: None
) -> None:
    out = run_script(f"PROJECT = {f.unique('sdk-sc')!r}\n" + SCALARS, sdk_env, tmp_path)
    assert _line(out.stdout, "SEEN ") == "1500"
    task = Task.get_task(task_id=_line(out.stdout, "TASK "))
    iterations = list(range(500))

    assert task.get_reported_scalars() == {
        "loss": {
            "train": {"x": iterations, "y": [1 / (i + 1) for i in iterations]},
            "val": {"x": iterations, "y": [2 / (i + 1) + 0.125 for i in iterations]},
        },
        "accuracy": {"val": {"x": iterations, "y": [i / 500 for i in iterations]}},
    }
    assert task.get_last_scalar_metrics() == {
        "loss": {
            "train": {"last": 1 / 500, "min": 1 / 500, "max": 1.0},
            "val": {"last": 2 / 500 + 0.125, "min": 2 / 500 + 0.125, "max": 2.125},
        },
        "accuracy": {"val": {"last": 499 / 500, "min": 0.0, "max": 499 / 500}},
    }
    assert task.get_status() == "completed"


# --- reuse and continue ----------------------------------------------------------------------

REUSE = """
import sys
from corral import Task

task = Task.init(project_name=PROJECT, task_name="reuse", reuse_last_task_id=REUSE,
                 auto_resource_monitoring=False)
task.get_logger().report_scalar("run", sys.argv[1], value=1.0, iteration=0)
if "--artifact" in sys.argv:
    task.upload_artifact("result", {"score": 1})
print("TASK " + task.id)
"""


def _run_reuse(env: dict[str, str], cwd: Path, project: str, reuse: bool, *args: str) -> str:
    code = f"PROJECT = {project!r}\nREUSE = {reuse!r}\n" + REUSE
    return _line(run_script(code, env, cwd, args=list(args), name="reuse.py").stdout, "TASK ")


def test_a_rerun_reuses_the_last_task_when_it_made_no_artifacts_and_resets_its_results(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    project = f.unique("sdk-reuse")
    first = _run_reuse(sdk_env, tmp_path, project, True, "first")
    second = _run_reuse(sdk_env, tmp_path, project, True, "second")
    assert second == first
    task = f.ok(sdk_api.get(f"/tasks/{first}"))
    assert task["status"] == "completed"
    series = [(m["metric"], m["variant"]) for m in f.ok(sdk_api.get(f"/tasks/{first}/metrics"))]
    assert series == [("run", "second")]  # the first run's results were reset


def test_a_rerun_makes_a_new_task_when_the_last_one_uploaded_an_artifact(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    project = f.unique("sdk-reuse")
    first = _run_reuse(sdk_env, tmp_path, project, True, "first", "--artifact")
    second = _run_reuse(sdk_env, tmp_path, project, True, "second")
    assert second != first
    kept = f.ok(sdk_api.get(f"/tasks/{first}/artifacts"))
    assert [a["name"] for a in kept] == ["result"]
    assert f.ok(sdk_api.get(f"/tasks/{first}"))["status"] == "completed"


def test_reuse_last_task_id_false_always_makes_a_new_task(
    sdk_env: dict[str, str], tmp_path: Path
) -> None:
    project = f.unique("sdk-reuse")
    ids = {_run_reuse(sdk_env, tmp_path, project, False, str(n)) for n in range(3)}
    assert len(ids) == 3


CONTINUE = """
import sys
from corral import Logger, Task

task = Task.init(project_name=PROJECT, task_name="cont", continue_last_task=CONTINUE,
                 auto_resource_monitoring=False)
if CONTINUE:
    print("STATUS " + task.get_status())
logger = Logger.current_logger()
print("OFFSET " + str(logger.get_iteration_offset()))
for i in range(int(sys.argv[1])):
    logger.report_scalar("loss", "train", value=float(100 * CONTINUE + i), iteration=i)
print("TASK " + task.id)
"""


def test_continue_last_task_appends_after_the_last_iteration(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path, sdk_client: None
) -> None:
    project = f.unique("sdk-cont")
    first = run_script(
        f"PROJECT = {project!r}\nCONTINUE = False\n" + CONTINUE, sdk_env, tmp_path, args=["10"]
    )
    task_id = _line(first.stdout, "TASK ")
    assert _line(first.stdout, "OFFSET ") == "0"
    assert f.ok(sdk_api.get(f"/tasks/{task_id}"))["status"] == "completed"

    second = run_script(
        f"PROJECT = {project!r}\nCONTINUE = True\n" + CONTINUE, sdk_env, tmp_path, args=["5"]
    )
    assert _line(second.stdout, "TASK ") == task_id
    assert _line(second.stdout, "STATUS ") == "in_progress"
    assert _line(second.stdout, "OFFSET ") == "10"

    task = f.ok(sdk_api.get(f"/tasks/{task_id}"))
    assert (task["status"], task["last_iteration"]) == ("completed", 14)
    scalars = Task.get_task(task_id=task_id).get_reported_scalars()
    assert scalars == {
        "loss": {
            "train": {
                "x": list(range(15)),
                "y": [float(i) for i in range(10)] + [float(100 + i) for i in range(5)],
            }
        }
    }


CONTINUE_MONITORED = """
import sys, time
from corral import Task

task = Task.init(project_name=PROJECT, task_name="cont", continue_last_task=CONTINUE)
print("OFFSET " + str(task.get_logger().get_iteration_offset()))
task.get_logger().report_scalar("loss", "train", value=1.0, iteration=0)
while not CONTINUE:
    # the resource monitor counts seconds: run until it has reported past iteration 0
    monitored = task.get_reported_scalars().get(":monitor:machine", {}).values()
    if max((s["x"][-1] for s in monitored), default=0) >= 2:
        break
    time.sleep(0.2)
print("TASK " + task.id)
"""


def test_continue_counts_the_scripts_iterations_not_the_resource_monitors_seconds(
    sdk_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**sdk_env, "CORRAL_MONITOR_INTERVAL": "0.5"}
    project = f.unique("sdk-cont-mon")
    first = run_script(
        f"PROJECT = {project!r}\nCONTINUE = False\n" + CONTINUE_MONITORED, env, tmp_path
    )
    second = run_script(
        f"PROJECT = {project!r}\nCONTINUE = True\n" + CONTINUE_MONITORED, env, tmp_path
    )
    assert _line(second.stdout, "TASK ") == _line(first.stdout, "TASK ")
    assert _line(second.stdout, "OFFSET ") == "1"


# --- the logger ------------------------------------------------------------------------------

REPORTS = """
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from PIL import Image
from corral import Logger, Task

task = Task.init(project_name=PROJECT, task_name="reports", auto_resource_monitoring=False)
log = Logger.current_logger()
assert log is task.get_logger()

log.report_single_value("accuracy", 0.93)
log.report_text("printed and recorded")
log.report_text("recorded only", level="warning", print_console=False)
frame = pd.DataFrame({"name": ["a", "b"], "score": [0.5, 0.75]}, index=pd.Index([1, 2], name="id"))
log.report_table("table", "scores", iteration=0, table_plot=frame)
log.report_histogram("hist", "counts", values=[3, 1, 4, 1, 5], iteration=1, xaxis="bin")
log.report_scatter2d("scatter", "points", scatter=[[0, 1], [1, 3], [2, 2]], iteration=2,
                     mode="markers")
log.report_confusion_matrix("confusion", "val", matrix=[[5, 1], [2, 7]], iteration=3,
                            xlabels=["cat", "dog"], ylabels=["cat", "dog"])
log.report_plotly("custom", "bars", figure={"data": [{"type": "bar", "x": ["p", "q"], "y": [1, 2]}],
                                            "layout": {"title": {"text": "mine"}}}, iteration=4)
fig, ax = plt.subplots()
ax.plot([0, 1, 2], [1, 4, 9], label="squares")
log.report_matplotlib_figure("matplotlib", "line", fig, iteration=5)

pixels = np.zeros((12, 16, 3), dtype="uint8")
pixels[:, :8] = (255, 0, 0)
log.report_image("images", "numpy", iteration=0, image=pixels)
log.report_image("images", "pil", iteration=1, image=Image.fromarray(pixels).convert("L"))
Image.fromarray(pixels[:6]).save("picture.png")
log.report_image("images", "file", iteration=2, local_path="picture.png")
print("TASK " + task.id)
"""


def _image_of(api: httpx.Client, uri: str) -> Image.Image:
    assert uri.startswith("hub://"), uri
    response = api.get("/files/" + uri[len("hub://") :])
    assert response.status_code == 200, response.text
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def test_logger_reports_of_every_kind_arrive_on_the_hub(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    out = run_script(f"PROJECT = {f.unique('sdk-log')!r}\n" + REPORTS, sdk_env, tmp_path)
    task_id = _line(out.stdout, "TASK ")
    assert "printed and recorded" in out.stdout and "recorded only" not in out.stdout

    metrics = f.ok(sdk_api.get(f"/tasks/{task_id}/metrics"))
    assert [(m["metric"], m["variant"], m["last"]) for m in metrics] == [
        ("Summary", "accuracy", 0.93)
    ]

    lines = [(x["text"], x["level"]) for x in f.ok(sdk_api.get(f"/tasks/{task_id}/logs"))["items"]]
    assert ("printed and recorded", "info") in lines
    assert ("recorded only", "warning") in lines

    plots = f.ok(sdk_api.get(f"/tasks/{task_id}/plots", params={"all_iterations": "true"}))
    by_metric: dict[str, dict[str, Any]] = {p["metric"]: p for p in plots["items"]}
    assert {m: (p["variant"], p["iteration"]) for m, p in by_metric.items()} == {
        "table": ("scores", 0),
        "hist": ("counts", 1),
        "scatter": ("points", 2),
        "confusion": ("val", 3),
        "custom": ("bars", 4),
        "matplotlib": ("line", 5),
    }
    table = by_metric["table"]["figure"]["data"][0]
    assert table["type"] == "table"
    assert table["header"]["values"] == ["id", "name", "score"]
    assert table["cells"]["values"] == [[1, 2], ["a", "b"], [0.5, 0.75]]
    hist = by_metric["hist"]["figure"]
    assert hist["data"][0]["y"] == [3, 1, 4, 1, 5] and hist["data"][0]["type"] == "bar"
    scatter = by_metric["scatter"]["figure"]["data"][0]
    assert (scatter["x"], scatter["y"], scatter["mode"]) == ([0, 1, 2], [1, 3, 2], "markers")
    heatmap = by_metric["confusion"]["figure"]["data"][0]
    assert heatmap["type"] == "heatmap" and heatmap["z"] == [[5, 1], [2, 7]]
    assert by_metric["custom"]["figure"] == {
        "data": [{"type": "bar", "x": ["p", "q"], "y": [1, 2]}],
        "layout": {"title": {"text": "mine"}},
    }
    line = by_metric["matplotlib"]["figure"]["data"][0]
    assert (line["x"], line["y"], line["name"]) == ([0, 1, 2], [1, 4, 9], "squares")

    samples = f.ok(sdk_api.get(f"/tasks/{task_id}/debug-samples"))["items"]
    by_variant = {s["variant"]: s for s in samples}
    assert {v: (s["metric"], s["iteration"]) for v, s in by_variant.items()} == {
        "numpy": ("images", 0),
        "pil": ("images", 1),
        "file": ("images", 2),
    }
    rgb = _image_of(sdk_api, by_variant["numpy"]["uri"])
    assert rgb.size == (16, 12)
    assert np.array_equal(np.asarray(rgb.convert("RGB"))[:, :8], np.full((12, 8, 3), (255, 0, 0)))
    gray = _image_of(sdk_api, by_variant["pil"]["uri"])
    assert (gray.mode, gray.size) == ("L", (16, 12))
    assert _image_of(sdk_api, by_variant["file"]["uri"]).size == (16, 6)
