"""The SDK's own HTTP traffic never reaches the user's logging, nor the captured console.

A script that calls ``logging.basicConfig(level=logging.DEBUG)`` (before ``Task.init``, as
Hydra does, or after it) used to see a line per SDK request from httpx and httpcore; with
the console captured, each line was sent, which logged another line, and so on until
exit, which then left a spool. The user's own httpx requests must still be logged.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests import factories as f
from tests.sdk.conftest import run_script
from tests.sdk.test_reporting import _all_logs

SCRIPT = """
import http.server, logging, sys, threading
import httpx

class Quiet(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
threading.Thread(target=server.serve_forever, daemon=True).start()

if {before!r}:
    logging.basicConfig(level=logging.DEBUG)
from corral import Task
task = Task.init(project_name={project!r}, task_name="logging loop")
if not {before!r}:
    logging.basicConfig(level=logging.DEBUG)
mine = logging.getLogger("mine")
for i in range(3):
    for step in range(20):
        task.get_logger().report_scalar("loss", "train", 1.0 / (step + 1), i * 20 + step)
    print(f"user line {{i}}")
    mine.info("user record %d", i)
    task.flush()  # each flush is a round of SDK requests
task.upload_artifact("numbers", artifact_object={{"a": [1, 2, 3]}})
task.flush(wait_for_uploads=True)
again = Task.get_task(task_id=task.id)
assert again.artifacts["numbers"].get() == {{"a": [1, 2, 3]}}  # a streamed download

mine.info("USER-HTTP-START")
url = f"http://127.0.0.1:{{server.server_address[1]}}/mine"
assert httpx.get(url).text == "ok"
mine.info("USER-HTTP-END")
print("TASK " + task.id)
print("URL " + url)
task.close()
mine.info("after close")  # the handler writes to the original stream again
"""


def _outside_user_request(lines: list[str]) -> list[str]:
    """The httpx/httpcore lines that are not between the user's own request markers."""
    found, inside = [], False
    for line in lines:
        if "USER-HTTP-START" in line:
            inside = True
        elif "USER-HTTP-END" in line:
            inside = False
        elif not inside and ("HTTP Request" in line or "httpcore" in line):
            found.append(line)
    return found


@pytest.mark.parametrize("before", [True, False], ids=["basicConfig-first", "Task.init-first"])
def test_sdk_requests_make_no_log_lines_and_the_users_own_still_do(
    before: bool, sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = SCRIPT.format(before=before, project=f.unique("sdk-logging-loop"))

    out = run_script(code, sdk_env, tmp_path / "work")

    printed = dict(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)
    task_id, url = printed["TASK"], printed["URL"]
    stderr = out.stderr.splitlines()
    assert _outside_user_request(stderr) == [], out.stderr
    requests = [line for line in stderr if "HTTP Request" in line]
    assert len(requests) == 1 and f"GET {url}" in requests[0], out.stderr
    assert "user record 2" in out.stderr
    # the SDK's own debug lines at the run's normal end are not failures with tracebacks
    assert "Traceback" not in out.stderr, out.stderr

    console = [line["text"] for line in _all_logs(sdk_api, task_id)]
    assert [t for t in console if t.startswith("user line")] == [f"user line {i}" for i in range(3)]
    assert _outside_user_request(console) == [], console
    # the handler writes to the captured stderr, also when made before Task.init
    assert "INFO:mine:user record 2" in console
    assert "after close" in out.stderr and not [t for t in console if "after close" in t]
    assert any(f"GET {url}" in t for t in console if "HTTP Request" in t)

    series = f.ok(sdk_api.get(f"/tasks/{task_id}/scalars", params={"metric": "loss"}))["series"]
    assert [s["iterations"][-1] for s in series] == [59]
    assert f.ok(sdk_api.get(f"/tasks/{task_id}"))["status"] == "completed"
    spool = tmp_path / "home" / ".corral" / "spool"
    assert not spool.exists() or not any(spool.iterdir())
