"""``Task.get_tasks(task_filter=...)`` value filters and ``Task.publish`` against a real hub."""

from __future__ import annotations

import httpx
import pytest

from corral import Task
from tests import factories as f


def test_get_tasks_filters_on_metric_and_parameter_values(
    sdk_api: httpx.Client, sdk_client: None
) -> None:
    project = f.unique("sdk-values")
    made = {}
    for name, lr, opt, points in (
        ("a", 0.1, "adam", [0.2, 0.9]),
        ("b", "0.01", "sgd", [0.5]),
        ("c", 0.001, "adam", [0.95, 0.3]),
        ("d", 0.5, "lion", []),
    ):
        hp = {"Args": {"lr": {"value": lr}, "opt": {"value": opt}}, "My:Sec": {"x": {"value": 1}}}
        made[name] = f.task(sdk_api, project, name=name, hyperparams=hp)["id"]
        if points:
            events = [f.scalar("acc", "val", i, x) for i, x in enumerate(points)]
            f.ok(f.send_events(sdk_api, made[name], events))

    def ids(**task_filter: object) -> set[str]:
        found = Task.get_tasks(project_name=project, task_filter=task_filter)
        return {t.id for t in found}

    def of(*names: str) -> set[str]:
        return {made[n] for n in names}

    # Corral's own filters, one or several
    assert ids(filter="metric:acc:val:last>0.4") == of("a", "b")
    assert ids(filter=["metric:acc:val:max>=0.9", "param:Args:opt=adam"]) == of("a", "c")
    assert ids(filter=["param:Args:lr=0.005..0.2"]) == of("a", "b")
    # ClearML's: a parameter's value (a list: one of), a metric's range by names
    assert ids(**{"hyperparams.Args.opt.value": "adam"}) == of("a", "c")
    assert ids(**{"hyperparams.Args.lr.value": "0.01"}) == of("b")
    assert ids(**{"hyperparams.Args.opt.value": ["sgd", "lion"]}) == of("b", "d")
    assert ids(**{"hyperparams.My:Sec.x.value": 1}) == of("a", "b", "c", "d")
    assert ids(**{"last_metrics.acc.val.value": [0.4, None]}) == of("a", "b")
    assert ids(**{"last_metrics.acc.val.max_value": [None, 0.6]}) == of("b")
    assert ids(**{"last_metrics.acc.val.min_value": [None, None]}) == of("a", "b", "c")
    assert ids(**{"last_metrics.acc.val.value": 0.5}) == of("b")
    # with the other keys and a page of one, sorted by the metric
    top = Task.get_tasks(
        project_name=project,
        task_filter={
            "filter": "param:Args:opt=adam",
            "order_by": ["-last_metrics.acc.val.max_value"],
            "page_size": 1,
        },
    )
    assert [t.id for t in top] == [made["c"]]

    # mistakes fail before any request, naming what to write
    md5 = "0" * 32
    for bad, words in (
        ({"filter": "param:Args:lr>fast"}, "compares with a number"),
        ({"filter": [1]}, "holds strings"),
        ({f"last_metrics.{md5}.{md5}.value": [0, 1]}, "not their hashes"),
        ({"last_metrics.acc.val.value": [0, 1, 2]}, "[low, high]"),
        ({"hyperparams.Args.lr.value": {"a": 1}}, "a string, a number"),
        ({"hyperparams.Args.lr": 1}, "is not supported"),
    ):
        with pytest.raises(ValueError, match=words.replace("[", r"\[")):
            Task.get_tasks(project_name=project, task_filter=bad)


def test_publish_publishes_the_output_models_like_clearml(
    sdk_api: httpx.Client, sdk_client: None
) -> None:
    project = f.unique("sdk-publish")
    with_models = []
    for _ in range(2):
        task = f.task(sdk_api, project)
        f.run_to(sdk_api, task["id"], "in_progress")
        model = f.ok(sdk_api.post("/models", json={"name": f.unique("m"), "task_id": task["id"]}))
        with_models.append((task["id"], model["id"]))

    running = Task.get_task(task_id=with_models[0][0])
    with pytest.raises(ValueError, match="cannot publish"):
        running.publish()  # not completed: ClearML's ValueError
    for task_id, _ in with_models:
        f.ok(sdk_api.post(f"/tasks/{task_id}:complete", json={}))

    Task.get_task(task_id=with_models[0][0]).publish()
    Task.get_task(task_id=with_models[1][0]).publish(publish_models=False)
    for (task_id, model_id), expected in zip(with_models, (True, False), strict=True):
        assert f.ok(sdk_api.get(f"/tasks/{task_id}"))["status"] == "published"
        assert f.ok(sdk_api.get(f"/models/{model_id}"))["published"] is expected
