"""ClearML's ``Task`` calls on Corral: task types, ``logger``, ``running_locally``, finding
tasks with ``task_filter``, ``delete``, reading results, ``execute_remotely`` with no
queue, and the smaller calls scripts use.

Scripts run as real processes against the session hub; class methods run in this
process against tasks made through the API. What arrived is checked through REST.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from corral import Task
from corral.client.config import HubCredentials
from corral.client.http import HubClient
from corral.errors import CorralError, NotFoundError
from corral.sdk import session
from corral.testing.hub import Hub
from tests import factories as f
from tests.agents import make_queue
from tests.sdk.conftest import run_script


def _line(stdout: str, prefix: str) -> str:
    return next(line[len(prefix) :] for line in stdout.splitlines() if line.startswith(prefix))


class CountingTransport(httpx.HTTPTransport):
    """The SDK's real transport, remembering each request it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return super().handle_request(request)

    def task_lists(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "GET" and r.url.path == "/api/v1/tasks"]


@pytest.fixture
def counted(
    sdk_hub: Hub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[CountingTransport]:
    """Point the SDK of this process at the test hub through a counting transport."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    transport = CountingTransport()
    client = HubClient(
        HubCredentials(sdk_hub.url, sdk_hub.access_key, sdk_hub.secret_key),
        timeout=session.TIMEOUT,
        transport=transport,
    )
    session.set_hub_client(client)
    yield transport
    session.set_hub_client(None)
    client.close()


def _with_metric(api: httpx.Client, project: str, value: float, **fields: Any) -> dict[str, Any]:
    task = f.task(api, project, **fields)
    f.run_to(api, task["id"], "in_progress")
    f.ok(f.send_events(api, task["id"], [f.scalar("acc", "val", 1, value)]))
    return task


# --- task types -----------------------------------------------------------------------------


def test_task_types_are_clearmls_and_monitor_qc_application_are_real_types(
    sdk_env: dict[str, str], sdk_api: httpx.Client, sdk_client: None, tmp_path: Path
) -> None:
    assert [t.value for t in Task.TaskTypes] == [
        "training",
        "testing",
        "inference",
        "data_processing",
        "application",
        "monitor",
        "controller",
        "optimizer",
        "service",
        "qc",
        "custom",
    ]
    project = f.unique("types")
    out = run_script(
        f"""
        from corral import Task
        task = Task.init(project_name={project!r}, task_name="qc", task_type=Task.TaskTypes.qc)
        print("TASK " + task.id, task.task_type)
        """,
        sdk_env,
        tmp_path,
    )
    task_id, shown = _line(out.stdout, "TASK ").split()
    assert shown == "qc"
    assert f.ok(sdk_api.get(f"/tasks/{task_id}"))["type"] == "qc"

    # plain strings work as well; the hub stores and filters the new types
    monitor = f.task(sdk_api, project, type="monitor")
    app = f.task(sdk_api, project, type="application")
    listed = f.ok(sdk_api.get("/tasks", params={"type": ["monitor", "application"]}))["items"]
    assert {monitor["id"], app["id"]} <= {t["id"] for t in listed}
    found = Task.get_tasks(project_name=project, task_filter={"type": [Task.TaskTypes.monitor]})
    assert [t.id for t in found] == [monitor["id"]]
    assert sdk_api.post("/tasks", json={"name": "x", "type": "bogus"}).status_code == 422

    with pytest.raises(ValueError, match="qc"):
        Task.init(project_name=project, task_name="bad", task_type="quality")
    draft = Task.get_task(task_id=app["id"])
    draft.set_task_type(Task.TaskTypes.monitor)
    assert f.ok(sdk_api.get(f"/tasks/{app['id']}"))["type"] == "monitor"
    with pytest.raises(ValueError, match="not one of"):
        draft.set_task_type("nope")


# --- a run: logger, running_locally, results read back ---------------------------------------

RUN = """
import time
from corral import Task

task = Task.init(project_name={project!r}, task_name="run", task_type="testing")
print("LOCAL", Task.running_locally(), task.running_locally(), bool(task.running_locally),
      task.running_locally == True, flush=True)
assert task.logger is task.get_logger()
for i in range(3):
    task.logger.report_scalar("loss", "train", value=1.0 / (i + 1), iteration=i)
    task.logger.report_plotly("curve", "val", {{"data": [{{"y": [i, i + 1]}}]}}, iteration=i)
    print(f"epoch {{i}} done", flush=True)
task.logger.report_single_value("accuracy", 0.93)
task.set_progress(40)
task.set_initial_iteration(100)
task.logger.report_scalar("loss", "resumed", value=0.1, iteration=1)
print("ITER", task.get_initial_iteration(), task.get_progress(), task.get_project_name())
print("TASK " + task.id)
"""


def test_a_run_uses_task_logger_is_local_and_its_results_read_back(
    sdk_env: dict[str, str], sdk_api: httpx.Client, sdk_hub: Hub, counted: Any, tmp_path: Path
) -> None:
    project = f.unique("parity-run")
    out = run_script(RUN.format(project=project), sdk_env, tmp_path)
    assert "LOCAL True True True True" in out.stdout
    assert f"ITER 100 40 {project}" in out.stdout
    task_id = _line(out.stdout, "TASK ")

    stored = f.ok(sdk_api.get(f"/tasks/{task_id}"))
    assert stored["type"] == "testing"
    assert stored["runtime"]["progress"] == 40
    series = f.ok(sdk_api.get(f"/tasks/{task_id}/scalars", params={"full": "true"}))["series"]
    by_variant = {s["variant"]: s["iterations"] for s in series if s["metric"] == "loss"}
    assert by_variant == {"train": [0, 1, 2], "resumed": [101]}

    task = Task.get_task(task_id=task_id)
    assert task.get_project_name() == project
    assert task.get_last_iteration() == 101
    assert task.get_user_properties() == {}  # progress is not a user property
    assert task.get_progress() == 40
    assert task.get_reported_single_values() == {"accuracy": 0.93}
    assert task.get_reported_single_value("missing") is None
    assert Task.get_project_id(project) == stored["project_id"]
    assert Task.get_project_id(f.unique("no-such-project")) is None
    # the last console reports, oldest first, as the console capture sent them
    reports = task.get_reported_console_output(number_of_reports=50)
    joined = "".join(reports)
    assert joined.index("epoch 0 done") < joined.index("epoch 2 done")
    assert task.get_reported_console_output() == reports[-1:]
    assert reports[-1].rstrip().endswith(f"TASK {task_id}")
    assert task.get_reported_console_output(number_of_reports=0) == []
    with pytest.raises(ValueError):
        task.get_reported_console_output(number_of_reports="3")  # type: ignore[arg-type]

    last = task.get_reported_plots()
    assert [(p["metric"], p["variant"], p["iter"]) for p in last] == [("curve", "val", 2)]
    assert last[0]["type"] == "plot" and last[0]["task"] == task_id
    assert '"y": [2, 3]' in last[0]["plot_str"] and last[0]["figure"]["data"][0]["y"] == [2, 3]
    two = task.get_reported_plots(max_iterations=2)
    assert [p["iter"] for p in two] == [1, 2]

    page = task.get_output_log_web_page()
    assert page == f"{sdk_hub.url.rstrip('/')}/experiments/{task_id}/console"
    assert Task.get_task_output_log_web_page(task_id, app_server_host="https://ui.example/") == (
        f"https://ui.example/experiments/{task_id}/console"
    )
    # the UI serves that address (the single-page app takes the route)
    assert httpx.get(page).status_code == 200


# --- running_locally (under a real agent: test_execute_remotely.py) -----------------------


def test_running_locally_in_this_process_and_under_the_agents_environment(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    assert Task.running_locally() is True
    assert bool(Task.running_locally) is True
    # the environment an agent gives a task (CORRAL_TASK_ID) makes it remote
    task = f.task(sdk_api, f.unique("parity-env"))
    f.run_to(sdk_api, task["id"], "in_progress")
    code = """
    from corral import Task
    before = Task.running_locally()
    task = Task.init()
    print("FLAGS", before, Task.running_locally(), task.running_locally(),
          "yes" if task.running_locally else "no", task.running_locally == False)
    """
    env = {**sdk_env, "CORRAL_TASK_ID": task["id"], "CORRAL_AGENT": "1"}
    out = run_script(code, env, tmp_path)
    assert "FLAGS False False False no True" in out.stdout


# --- finding tasks ------------------------------------------------------------------------


def test_get_tasks_with_a_page_size_asks_the_hub_for_one_page_sorted_by_a_metric(
    sdk_api: httpx.Client, counted: CountingTransport
) -> None:
    project = f.unique("parity-find")
    values = [0.5, 0.9, 0.1, 0.7, 0.3, 0.8, 0.2]
    tasks = [_with_metric(sdk_api, project, v) for v in values]
    by_value = [t["id"] for _, t in sorted(zip(values, tasks, strict=True), key=lambda p: -p[0])]

    counted.requests.clear()
    top = Task.get_tasks(
        project_name=project,
        task_filter={"order_by": ["-metric:acc:val:max"], "page_size": 3},
    )
    assert [t.id for t in top] == by_value[:3]
    assert len(counted.task_lists()) == 1  # one page: one request
    assert counted.task_lists()[0].url.params["limit"] == "3"

    # the next page; ClearML's spelling of a metric sort (by names, not hashes)
    second = Task.get_tasks(
        project_name=project,
        task_filter={"order_by": ["-last_metrics.acc.val.max_value"], "page_size": 3, "page": 1},
    )
    assert [t.id for t in second] == by_value[3:6]
    best = Task.get_task(project_name=project, task_filter={"order_by": ["-metric:acc:val:last"]})
    assert best.id == by_value[0]

    # without a page: every task of the project, paged through by the client
    assert {t.id for t in Task.get_tasks(project_name=project)} == set(by_value)


def test_get_tasks_task_filter_keys_status_tags_archived_parent_and_search(
    sdk_api: httpx.Client, sdk_client: None
) -> None:
    project = f.unique("parity-filter")
    done = f.task(sdk_api, project, name="alpha run", tags=["best", "cv"])
    f.run_to(sdk_api, done["id"], "completed")
    child = f.task(sdk_api, project, name="beta run", tags=["cv"], parent_id=done["id"])
    archived = f.task(sdk_api, project, name="gamma", tags=["best"])
    f.ok(sdk_api.post(f"/tasks/{archived['id']}:archive"))

    def ids(**kw: Any) -> set[str]:
        return {t.id for t in Task.get_tasks(project_name=project, **kw)}

    assert ids(task_filter={"status": [Task.TaskStatusEnum.completed]}) == {done["id"]}
    assert ids(task_filter={"status": "created", "system_tags": ["-archived"]}) == {child["id"]}
    assert ids(allow_archived=False) == {done["id"], child["id"]}
    assert ids(tags=["best"]) == {done["id"], archived["id"]}
    assert ids(tags=["__$all", "cv", "__$not", "best"]) == {child["id"]}
    assert ids(task_filter={"tags": ["-cv"]}) == {archived["id"]}
    assert ids(task_filter={"parent": done["id"]}) == {child["id"]}
    assert ids(task_filter={"search_text": "BETA"}) == {child["id"]}
    assert ids(task_filter={"_any_": {"fields": ["name", "comment"], "pattern": "gam"}}) == {
        archived["id"]
    }
    assert ids(task_name="run") == {done["id"], child["id"]}
    assert ids(task_name="^alpha run$") == {done["id"]}
    assert ids(task_filter={"order_by": ["name"], "only_fields": ["id"]}) == ids()
    names = [
        t.name for t in Task.get_tasks(project_name=project, task_filter={"order_by": "-name"})
    ]
    assert names == ["gamma", "beta run", "alpha run"]
    assert Task.get_tasks(task_ids=[done["id"]])[0].name == "alpha run"
    with pytest.warns(DeprecationWarning):
        assert Task.get_by_name("alpha run").name == "alpha run"

    for bad, message in [
        ({"bogus": 1}, "not supported"),
        ({"order_by": ["-last_metrics." + "a" * 32 + "." + "b" * 32 + ".value"]}, "metric:"),
        ({"order_by": ["execution.queue"]}, "cannot sort"),
        ({"page": 2}, "page_size"),
        ({"page_size": 0}, ">= 1"),
        ({"type": ["quality"]}, "not one of"),
        ({"status": ["closed"]}, "in_progress"),
        ({"order_by": ["-metric:acc"]}, "cannot sort"),
        ({"_all_": {"fields": ["script.repository"], "pattern": "x"}}, "name, comment or id"),
    ]:
        with pytest.raises(ValueError, match=message):
            Task.get_tasks(project_name=project, task_filter=bad)
    with pytest.raises(ValueError, match="__\\$or"):
        Task.get_tasks(project_name=project, tags=["__$or", "a", "b"])
    with pytest.raises(TypeError):
        Task.get_tasks(project_name=project, task_filter=["status"])  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        Task.get_task(project_name=project, task_filter={"status": ["failed"]})


# --- delete -------------------------------------------------------------------------------


def test_delete_takes_the_task_and_its_models_and_keeps_published_ones(
    sdk_api: httpx.Client, sdk_client: None
) -> None:
    project = f.unique("parity-delete")
    task = f.task(sdk_api, project)
    f.run_to(sdk_api, task["id"], "completed")
    made = f.ok(
        sdk_api.post("/models", json={"name": "m", "project": project, "task_id": task["id"]})
    )
    kept = f.ok(
        sdk_api.post("/models", json={"name": "p", "project": project, "task_id": task["id"]})
    )
    f.ok(sdk_api.post(f"/models/{kept['id']}:publish"))

    assert Task.get_task(task_id=task["id"]).delete() is True
    assert sdk_api.get(f"/tasks/{task['id']}").status_code == 404
    assert sdk_api.get(f"/models/{made['id']}").status_code == 404
    assert sdk_api.get(f"/models/{kept['id']}").status_code == 200

    # without models: they stay; a running task is deleted too
    other = f.task(sdk_api, project)
    f.run_to(sdk_api, other["id"], "in_progress")
    model = f.ok(
        sdk_api.post("/models", json={"name": "m2", "project": project, "task_id": other["id"]})
    )
    gone = Task.get_task(task_id=other["id"])
    assert gone.delete(delete_artifacts_and_models=False) is True
    assert sdk_api.get(f"/tasks/{other['id']}").status_code == 404
    assert sdk_api.get(f"/models/{model['id']}").status_code == 200

    # a second delete fails: logged and False, or raised
    assert gone.delete() is False
    with pytest.raises(NotFoundError):
        gone.delete(raise_on_error=True)


def test_a_script_deletes_its_own_task(
    sdk_env: dict[str, str], sdk_api: httpx.Client, tmp_path: Path
) -> None:
    code = f"""
    from corral import Task
    task = Task.init(project_name={f.unique("parity-delete")!r}, task_name="self")
    task.get_logger().report_scalar("a", "b", value=1, iteration=0)
    print("TASK " + task.id, flush=True)
    print("DELETED", task.delete())
    """
    out = run_script(code, sdk_env, tmp_path)
    assert "DELETED True" in out.stdout
    assert sdk_api.get(f"/tasks/{_line(out.stdout, 'TASK ')}").status_code == 404


# --- the smaller calls ----------------------------------------------------------------------


def test_parameters_configuration_tags_and_fields_of_another_task(
    sdk_api: httpx.Client, sdk_client: None
) -> None:
    project = f.unique("parity-fields")
    draft = Task.get_task(task_id=f.task(sdk_api, project, name="cfg")["id"])

    draft.set_parameters_as_dict({"Args": {"lr": 0.1, "opt": {"name": "adam"}}, "epochs": 3})
    stored = f.ok(sdk_api.get(f"/tasks/{draft.id}/hyperparams"))
    assert stored["Args"]["lr"] == {"value": 0.1, "type": "float", "description": ""}
    assert stored["Args"]["opt/name"]["value"] == "adam"
    assert stored["General"]["epochs"] == {"value": 3, "type": "int", "description": ""}
    assert draft.reload().get_parameters_as_dict() == {
        "Args": {"lr": 0.1, "opt": {"name": "adam"}},
        "General": {"epochs": 3},
    }
    with pytest.raises(TypeError):
        draft.set_parameters_as_dict([("Args", 1)])  # type: ignore[arg-type]

    draft.set_configuration_object("model", config_dict={"layers": [64, 32]})
    draft.set_configuration_object("notes", config_text="a: 1\nb: [x, y]\n", config_type="yaml")
    with pytest.raises(ValueError, match="one"):
        draft.set_configuration_object("bad")
    config = f.ok(sdk_api.get(f"/tasks/{draft.id}/configuration"))
    assert config["model"]["type"] == "json" and config["notes"]["type"] == "yaml"
    fresh = Task.get_task(task_id=draft.id)
    assert fresh.get_configuration_object_as_dict("model") == {"layers": [64, 32]}
    assert fresh.get_configuration_object_as_dict("notes") == {"a": 1, "b": ["x", "y"]}
    assert fresh.get_configuration_object("missing") is None
    assert set(fresh.get_configuration_objects()) == {"model", "notes"}

    draft.set_tags(["a", "b"])
    draft.set_tags(["c"])
    draft.set_user_properties(owner="ana")
    draft.set_progress(75)
    with pytest.raises(ValueError, match="0 to 100"):
        draft.set_progress(120)
    other_project = f.unique("parity-moved")
    draft.move_to_project(new_project_name=other_project)
    stored_task = f.ok(sdk_api.get(f"/tasks/{draft.id}"))
    assert stored_task["tags"] == ["c"]
    assert stored_task["runtime"] == {"owner": "ana", "progress": 75}
    fresh = Task.get_task(task_id=draft.id)
    assert fresh.get_user_properties(value_only=True) == {"owner": "ana"}
    assert fresh.get_user_properties()["owner"]["value"] == "ana"
    assert fresh.get_progress() == 75
    assert fresh.get_project_name() == other_project

    fresh.set_archived(True)
    assert fresh.get_archived() and f.ok(sdk_api.get(f"/tasks/{draft.id}"))["archived"]
    fresh.set_archived(False)
    assert not Task.get_task(task_id=draft.id).get_archived()


def test_status_calls_of_another_task(sdk_api: httpx.Client, sdk_client: None) -> None:
    project = f.unique("parity-status")
    queue = make_queue(sdk_api)
    task = Task.get_task(task_id=f.task(sdk_api, project)["id"])
    Task.enqueue(task, queue_name=queue)
    assert Task.get_num_enqueued_tasks(queue_name=queue) == 1
    assert Task.dequeue(task).status == "created"
    assert Task.get_num_enqueued_tasks(queue_name=queue) == 0

    task.mark_started()
    assert f.ok(sdk_api.get(f"/tasks/{task.id}"))["status"] == "in_progress"
    task.mark_completed()
    task.wait_for_status(check_interval_sec=0.1)  # already completed: returns at once
    task.reset()
    assert f.ok(sdk_api.get(f"/tasks/{task.id}"))["status"] == "created"

    failing = Task.get_task(task_id=f.task(sdk_api, project)["id"])
    failing.started()
    failing.mark_failed(status_reason="boom")
    with pytest.raises(RuntimeError, match="failed"):
        failing.wait_for_status(check_interval_sec=0.1)
    failing.started()  # a refusal (not a draft) is only logged
    stopping = Task.get_task(task_id=f.task(sdk_api, project)["id"])
    stopping.mark_started(force=True)
    stopping.mark_stopped(True, "by hand")  # ClearML's positional order: (force, message)
    stored = f.ok(sdk_api.get(f"/tasks/{stopping.id}"))
    assert (stored["status"], stored["status_reason"]) == ("stopped", "")
    assert stored["status_message"] == "by hand"

    # ClearML's order for complete/fail: (ignore_errors, [status_reason,] status_message)
    ended = Task.get_task(task_id=f.task(sdk_api, project)["id"])
    ended.mark_started()
    ended.mark_failed(False, "diverged", "loss was nan")
    stored = f.ok(sdk_api.get(f"/tasks/{ended.id}"))
    assert (stored["status"], stored["status_reason"]) == ("failed", "diverged")
    assert stored["status_message"] == "loss was nan"
    ended.mark_completed()  # refused (already final): ignore_errors=True only logs it
    assert f.ok(sdk_api.get(f"/tasks/{ended.id}"))["status"] == "failed"
    with pytest.raises(CorralError):
        ended.mark_completed(ignore_errors=False)
    with pytest.raises(CorralError):
        ended.mark_stopped()  # as in ClearML, a refused stop raises
    assert Task.set_resource_monitor_iteration_timeout(seconds_from_start=5) is True
    assert uuid.UUID(task.task_id).hex == task.id
