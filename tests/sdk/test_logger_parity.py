"""ClearML's ``Logger`` calls, run as a real script against a real hub: media by URL and by
stream, tables from an HTTP URL, matplotlib's pyplot, 3-D plots, line plots of
``SeriesInfo``, and the rest of ClearML's arguments; each checked on the hub."""

from __future__ import annotations

import functools
import http.server
import inspect
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from corral import Logger
from tests import factories as f
from tests.sdk.conftest import run_script

CSV = "model,accuracy\nresnet,0.91\nvit,0.94\nmlp,0.72\n"

#: ClearML's public ``Logger`` methods and their parameters, in order (its clearml/logger.py)
CLEARML_LOGGER = {
    "current_logger": "",
    "report_text": "msg level print_console",
    "report_scalar": "title series value iteration",
    "report_single_value": "name value",
    "report_vector": "title series values iteration labels xlabels xaxis yaxis mode extra_layout",
    "report_histogram": "title series values iteration labels xlabels xaxis yaxis mode data_args extra_layout",
    "report_table": "title series iteration table_plot csv url extra_layout extra_data",
    "report_line_plot": "title series xaxis yaxis mode iteration reverse_xaxis comment extra_layout",
    "report_scatter2d": "title series scatter iteration xaxis yaxis labels mode comment extra_layout",
    "report_scatter3d": "title series scatter iteration xaxis yaxis zaxis labels mode fill comment extra_layout",
    "report_confusion_matrix": "title series matrix iteration xaxis yaxis xlabels ylabels yaxis_reversed comment extra_layout",
    "report_matrix": "title series matrix iteration xaxis yaxis xlabels ylabels yaxis_reversed extra_layout",
    "report_surface": "title series matrix iteration xaxis yaxis zaxis xlabels ylabels camera comment extra_layout",
    "report_image": "title series iteration local_path image matrix max_image_history delete_after_upload url",
    "report_media": "title series iteration local_path stream file_extension max_history delete_after_upload url",
    "report_plotly": "title series figure iteration",
    "report_matplotlib_figure": "title series figure iteration report_image report_interactive",
    "set_default_upload_destination": "uri",
    "get_default_upload_destination": "",
    "flush": "wait",
    "get_flush_period": "",
    "set_flush_period": "period",
    "set_default_debug_sample_history": "max_history",
    "get_default_debug_sample_history": "",
    "report_image_and_upload": "title series iteration path matrix max_image_history delete_after_upload",
    "capture_logging": "",
    "tensorboard_auto_group_scalars": "group_scalars",
    "tensorboard_single_series_per_graph": "single_series",
    "matplotlib_force_report_non_interactive": "force",
    "set_reporting_nan_value": "value warn_period",
    "set_reporting_inf_value": "value warn_period",
}


@pytest.mark.parametrize("method", sorted(CLEARML_LOGGER))
def test_logger_takes_clearml_parameters_in_clearml_order(method: str) -> None:
    parameters = [
        name
        for name, p in inspect.signature(getattr(Logger, method)).parameters.items()
        if name not in ("self", "cls") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    expected = CLEARML_LOGGER[method].split()
    assert parameters[: len(expected)] == expected


@pytest.fixture
def http_url(tmp_path: Path) -> Iterator[str]:
    """A real HTTP server (a thread of this process) serving a folder with ``scores.csv``."""
    folder = tmp_path / "www"
    folder.mkdir()
    (folder / "scores.csv").write_text(CSV)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _line(stdout: str, prefix: str) -> str:
    return next(line[len(prefix) :] for line in stdout.splitlines() if line.startswith(prefix))


def _plots(api: httpx.Client, task_id: str) -> dict[tuple[str, str, int], dict[str, Any]]:
    found = f.ok(
        api.get(f"/tasks/{task_id}/plots", params={"all_iterations": "true", "limit": 1000})
    )
    return {(p["metric"], p["variant"], p["iteration"]): p["figure"] for p in found["items"]}


def _samples(api: httpx.Client, task_id: str) -> dict[str, dict[str, Any]]:
    found = f.ok(api.get(f"/tasks/{task_id}/debug-samples"))["items"]
    return {f"{s['metric']}/{s['variant']}": s for s in found}


def _file(api: httpx.Client, uri: str) -> bytes:
    assert uri.startswith("hub://"), uri
    response = api.get("/files/" + uri[len("hub://") :])
    assert response.status_code == 200, response.text
    return response.content


REPORTS = """
import io, logging, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from corral import Logger, Task
from corral.utilities.plotly_reporter import SeriesInfo

task = Task.init(project_name=PROJECT, task_name="logger parity", auto_resource_monitoring=False)
log = task.get_logger()
print("TASK " + task.id)

def refused(call, **kwargs):
    try:
        call(**kwargs)
    except (ValueError, TypeError) as e:
        print(f"REFUSED {type(e).__name__}: {e}")
    else:
        print("ACCEPTED")

# media: a URL as it is, streams uploaded, a file given up after upload
log.report_media("media", "remote", iteration=1, url="https://example.com/videos/run.mp4")
log.report_media("media", "stream", iteration=2, stream=io.BytesIO(b"<h1>hi</h1>"),
                 file_extension="html")
log.report_media("media", "text", stream=io.StringIO("plain words"), file_extension=".txt")
open("clip.wav", "wb").write(b"RIFF....WAVEfmt ")
log.report_media("media", "file", iteration=3, local_path="clip.wav", delete_after_upload=True,
                 max_history=5)
refused(log.report_media, title="media", series="bad", stream=io.BytesIO(b"x"))
refused(log.report_media, title="media", series="bad", url="https://x/y.png", local_path="clip.wav")
refused(log.report_media, title="media", series="bad")
log.report_image("images", "remote", iteration=4, url="https://example.com/cat.png",
                 max_image_history=3, delete_after_upload=False)
log.report_image("images", "matrix", matrix=np.zeros((4, 4), dtype="uint8"))

# tables: from an HTTP URL, csv= as an HTTP URL, extra layout and data
log.report_table("table", "url", iteration=0, url=BASE + "/scores.csv",
                 extra_layout={"height": 300}, extra_data={"columnwidth": [2, 1]})
log.report_table("table", "csv", csv=BASE + "/scores.csv")
try:
    log.report_table("table", "missing", url=DOWN + "/scores.csv")
except Exception as e:
    print(f"NETWORK {type(e).__name__}: {e}")
refused(log.report_table, title="table", series="bad")

# matplotlib: pyplot itself, a picture instead of plotly, a debug sample
plt.plot([0, 1, 2], [1, 4, 9], label="squares")
log.report_matplotlib_figure("mpl", "pyplot", figure=plt, iteration=0)
log.report_matplotlib_figure("mpl", "static", figure=plt, iteration=0, report_interactive=False)
log.report_matplotlib_figure("mpl", "sample", figure=plt.gcf(), iteration=0, report_image=True)
Logger.matplotlib_force_report_non_interactive(True)
log.report_matplotlib_figure("mpl", "forced", figure=plt, iteration=0)
Logger.matplotlib_force_report_non_interactive(False)

# 3-D
log.report_surface("surface", "grid", matrix=np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
                   iteration=1, xaxis="x", yaxis="y", zaxis="height", xlabels=["a", "b", "c"],
                   ylabels=["lo", "hi"], camera=(1.5, 1.5, 0.5), comment="grid search",
                   extra_layout={"height": 500})
log.report_scatter3d("scatter3d", "one", scatter=np.array([[0, 1, 2], [3, 4, 5]]), iteration=1,
                     xaxis="x", yaxis="y", zaxis="z", labels=["p", "q"], mode="lines+markers",
                     fill=True)
log.report_scatter3d("scatter3d", "two", scatter=[np.array([[0, 0, 0]]), np.array([[1, 1, 1]])])

# heatmaps, with every ClearML argument
log.report_confusion_matrix("confusion", "reversed", matrix=[[5, 1], [2, 7]], iteration=2,
                            xaxis="predicted", yaxis="actual", xlabels=["cat", "dog"],
                            ylabels=["cat", "dog"], yaxis_reversed=True, comment="val",
                            extra_layout={"width": 400})
log.report_confusion_matrix("confusion", "plain", matrix=[[1, 2], [3, 4]])
log.report_matrix("confusion", "matrix", matrix=[[1, 0], [0, 1]], yaxis_reversed=True)

# lines, scatters, bars
log.report_line_plot("lines", [SeriesInfo("train", [[0, 0.9], [1, 0.5]]),
                               {"name": "val", "data": np.array([[0, 1.0], [1, 0.7]]),
                                "labels": ["a", "b"]}],
                     xaxis="epoch", yaxis="loss", mode="lines+markers", iteration=3,
                     reverse_xaxis=True, comment="lower is better")
refused(SeriesInfo, name="bad", data=[[1, 2, 3]])
log.report_scatter2d("scatter2d", "points", scatter=[[0, 1], [1, 3]], iteration=3,
                     xaxis="x", yaxis="y", labels=["a", "b"], mode="markers", comment="c",
                     extra_layout={"showlegend": False})
log.report_histogram("hist", "bars", values=[[1, 2], [3, 4]], iteration=3, labels=["a", "b"],
                     xlabels=["lo", "hi"], xaxis="bin", yaxis="count", mode="stack",
                     data_args={"opacity": 0.5}, extra_layout={"bargap": 0.1})
log.report_vector("vector", "bars", values=[1, 2, 3], iteration=3, mode="group")
log.report_plotly("plotly", "", figure={"data": [], "layout": {}})

# text with a logging level, the switches ClearML scripts call
log.report_text("careful", level=logging.WARNING, print_console=False)
log.report_text("shown", logging.ERROR)
Logger.tensorboard_auto_group_scalars(group_scalars=True)
Logger.tensorboard_single_series_per_graph(single_series=True)
log.set_flush_period(5)
print("FLUSH PERIOD", log.get_flush_period())
log.set_default_debug_sample_history(10)
print("HISTORY", log.get_default_debug_sample_history())
print("DESTINATION", log.get_default_upload_destination())
with log.capture_logging():
    pass
try:
    log.set_default_upload_destination("nosuch://bucket/debug")
except Exception as e:
    print(f"DESTINATION REFUSED {type(e).__name__}: {e}")
log.set_default_upload_destination(OUT)
log.report_media("media", "elsewhere", stream=io.BytesIO(b"moved"), file_extension="bin")
Logger.set_reporting_nan_value(-1.0, warn_period=1)
log.report_scalar("nan", "series", value=float("nan"), iteration=0)
print("FLUSHED", log.flush(wait=True))
print("FLUSHED NOW", log.flush())
"""


@pytest.fixture
def reported(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path, http_url: str
) -> tuple[str, str, Path]:
    head = (
        f"PROJECT = {f.unique('sdk-logger')!r}\nBASE = {http_url!r}\n"
        f"DOWN = 'http://127.0.0.1:9'\nOUT = {str(tmp_path / 'out')!r}\n"
    )
    out = run_script(head + REPORTS, sdk_env, tmp_path / "run")
    return _line(out.stdout, "TASK "), out.stdout, tmp_path / "run"


def test_clearml_logger_calls_arrive_on_the_hub(
    reported: tuple[str, str, Path], sdk_api: httpx.Client
) -> None:
    task_id, stdout, cwd = reported
    plots = _plots(sdk_api, task_id)
    samples = _samples(sdk_api, task_id)

    # media: the URL as it is, the streams' bytes stored and downloadable, the file given up
    remote = samples["media/remote"]
    assert (remote["uri"], remote["iteration"]) == ("https://example.com/videos/run.mp4", 1)
    assert remote["content_type"] == "video/mp4"
    stream = samples["media/stream"]
    assert stream["uri"].endswith(".html") and stream["content_type"] == "text/html"
    assert _file(sdk_api, stream["uri"]) == b"<h1>hi</h1>"
    assert _file(sdk_api, samples["media/text"]["uri"]) == b"plain words"
    assert _file(sdk_api, samples["media/file"]["uri"]) == b"RIFF....WAVEfmt "
    assert not (cwd / "clip.wav").exists()
    assert samples["images/remote"]["uri"] == "https://example.com/cat.png"
    assert samples["images/matrix"]["content_type"] == "image/png"
    refusals = [line for line in stdout.splitlines() if line.startswith("REFUSED")]
    assert refusals[0] == (
        "REFUSED ValueError: report_media: a stream without a file name needs "
        "file_extension= (e.g. '.mp4')"
    )
    assert "exactly one of local_path=, stream= or url= (got local_path, url)" in refusals[1]
    assert "(got none)" in refusals[2]
    assert "report_table needs exactly one of table_plot=, csv= or url= (got none)" in refusals[3]
    assert "SeriesInfo.data must be N x 2" in refusals[4]

    # tables fetched from the HTTP server
    for series in ("url", "csv"):
        table = plots["table", series, 0]
        assert table["data"][0]["header"]["values"] == ["model", "accuracy"]
        assert table["data"][0]["cells"]["values"] == [
            ["resnet", "vit", "mlp"],
            ["0.91", "0.94", "0.72"],
        ]
    assert plots["table", "url", 0]["layout"]["height"] == 300
    assert plots["table", "url", 0]["data"][0]["columnwidth"] == [2, 1]
    network = _line(stdout, "NETWORK ")
    assert network.startswith("NetworkError: network error") and "no file at" not in network
    assert "http://127.0.0.1:9/scores.csv" in network

    # matplotlib: pyplot's current figure, as plotly and as a picture; a PNG sample
    line = plots["mpl", "pyplot", 0]["data"][0]
    assert (line["x"], line["y"], line["name"]) == ([0, 1, 2], [1, 4, 9], "squares")
    static = plots["mpl", "static", 0]
    assert static["data"] == [] and static["layout"]["meta"]["rendered"] == "image"
    assert static["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    assert _file(sdk_api, samples["mpl/sample"]["uri"]).startswith(b"\x89PNG")
    assert plots["mpl", "forced", 0]["layout"]["meta"]["rendered"] == "image"
    # the logger's own rendering is not taken for a figure the script saved
    assert not [key for key in plots if key[0].startswith("Figure")]

    # 3-D
    surface = plots["surface", "grid", 1]
    assert surface["data"] == [{"type": "surface", "z": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]}]
    scene = surface["layout"]["scene"]
    assert scene["zaxis"]["title"]["text"] == "height"
    assert scene["xaxis"]["ticktext"] == ["a", "b", "c"]
    assert scene["camera"] == {"eye": {"x": 1.5, "y": 1.5, "z": 0.5}}
    assert surface["layout"]["title"]["text"] == "surface<br><sup>grid search</sup>"
    assert surface["layout"]["height"] == 500
    (one,) = plots["scatter3d", "one", 1]["data"]
    assert (one["type"], one["x"], one["y"], one["z"]) == ("scatter3d", [0, 3], [1, 4], [2, 5])
    assert (one["mode"], one["text"], one["surfaceaxis"]) == ("lines+markers", ["p", "q"], 2)
    two = plots["scatter3d", "two", 0]["data"]
    assert [(t["x"], t["y"], t["z"]) for t in two] == [([0], [0], [0]), ([1], [1], [1])]

    # heatmaps: the y axis reversed only when asked
    reversed_ = plots["confusion", "reversed", 2]
    assert reversed_["data"][0]["z"] == [[5, 1], [2, 7]]
    assert reversed_["layout"]["yaxis"]["autorange"] == "reversed"
    assert reversed_["layout"]["yaxis"]["title"]["text"] == "actual"
    assert reversed_["layout"]["width"] == 400
    assert "autorange" not in plots["confusion", "plain", 0]["layout"]["yaxis"]
    assert plots["confusion", "matrix", 0]["layout"]["yaxis"]["autorange"] == "reversed"

    # lines of SeriesInfo (the plot's series is its title), scatter, bars
    lines = plots["lines", "lines", 3]
    assert [(t["name"], t["x"], t["y"], t["mode"]) for t in lines["data"]] == [
        ("train", [0, 1], [0.9, 0.5], "lines+markers"),
        ("val", [0, 1], [1.0, 0.7], "lines+markers"),
    ]
    assert lines["data"][1]["text"] == ["a", "b"]
    assert lines["layout"]["xaxis"]["autorange"] == "reversed"
    scatter = plots["scatter2d", "points", 3]
    assert scatter["data"][0]["text"] == ["a", "b"]
    assert scatter["layout"]["showlegend"] is False
    hist = plots["hist", "bars", 3]
    assert [t["y"] for t in hist["data"]] == [[1, 3], [2, 4]]
    assert hist["layout"]["barmode"] == "stack" and hist["layout"]["bargap"] == 0.1
    assert {t["opacity"] for t in hist["data"]} == {0.5}
    assert plots["vector", "bars", 3]["data"][0]["y"] == [1, 2, 3]
    assert ("plotly", "plotly", 0) in plots  # an empty series is the title

    # text levels, switches, NaN replaced
    lines_ = f.ok(sdk_api.get(f"/tasks/{task_id}/logs"))["items"]
    levels = {x["text"]: x["level"] for x in lines_}
    assert levels["careful"] == "warning"
    assert "shown" in stdout
    assert "FLUSH PERIOD 5.0" in stdout and "HISTORY 10" in stdout
    assert "DESTINATION hub://" in stdout
    assert "FLUSHED True" in stdout and "FLUSHED NOW True" in stdout
    assert "DESTINATION REFUSED ValidationError: unsupported storage URL scheme nosuch://" in stdout
    elsewhere = samples["media/elsewhere"]["uri"]
    assert elsewhere.startswith(str(cwd.parent / "out")), elsewhere
    assert Path(elsewhere).read_bytes() == b"moved"
    metrics = {
        (m["metric"], m["variant"]): m for m in f.ok(sdk_api.get(f"/tasks/{task_id}/metrics"))
    }
    assert metrics["nan", "series"]["last"] == -1.0
