"""The task's inputs and facts are typed in the answers (and the OpenAPI schema), and
answered as they were stored."""

from __future__ import annotations

from typing import Any

import httpx

from tests import factories as f

FACTS = {
    "os": "Linux-6.1-x86_64",
    "os_name": "Linux",
    "hostname": "box",
    "cpu_cores": 8,
    "cpu_physical_cores": 4,
    "cpu_model": "AMD EPYC 7B13",
    "memory_gb": 31.35,
    "python": "3.11.7",
    "python_executable": "/usr/bin/python3",
    "corral_version": "0.1.0",
    "ide": "unknown",
    "gpu_count": 0,
    "gpu_type": "",
    "gpu_memory_gb": 0.0,
    "gpu_driver": "",
}


def _schemas(api: httpx.Client) -> dict[str, Any]:
    return f.ok(api.get("/openapi.json"))["components"]["schemas"]


def test_openapi_describes_every_output_of_a_task(api: httpx.Client) -> None:
    schemas = _schemas(api)
    task = schemas["TaskOut"]["properties"]
    refs = {name: task[name].get("$ref", "").rsplit("/", 1)[-1] for name in task}
    assert refs["script"] == "ScriptOut"
    assert refs["container"] == "ContainerOut"
    assert refs["runtime"] == "Runtime"
    assert refs["models"] == "TaskModelsOut"
    config = task["configuration"]["additionalProperties"]["$ref"]
    assert config.endswith("/ConfigItemOut")
    script = schemas["ScriptOut"]
    assert set(script["required"]) == set(script["properties"])
    assert {"repository", "commit", "diff", "code", "requirements", "freeze"} <= set(
        script["required"]
    )
    runtime = schemas["Runtime"]
    assert set(FACTS) <= set(runtime["properties"])
    assert runtime["additionalProperties"] is True  # user properties
    assert runtime["properties"]["cpu_cores"]["anyOf"][0]["type"] == "integer"
    models = schemas["TaskModelsOut"]["properties"]
    assert models["output"]["items"]["$ref"].endswith("/ModelRefOut")
    assert set(schemas["TaskOut"]["properties"]["status"]["enum"]) == {
        "created",
        "queued",
        "in_progress",
        "completed",
        "failed",
        "stopped",
        "published",
    }
    # the request bodies keep their limits
    body = schemas["Script"]["properties"]
    assert body["branch"]["maxLength"] == 255
    assert schemas["Script"]["additionalProperties"] is False


def test_runtime_is_answered_as_stored_with_user_properties(api: httpx.Client) -> None:
    t = f.task(api)
    assert t["runtime"] == {}  # nothing captured: no facts made up
    props = {"dataset": "cifar10", "split": [0.8, 0.2], "seed": 7}
    f.ok(api.patch(f"/tasks/{t['id']}", json={"runtime": FACTS}))
    got = f.ok(api.patch(f"/tasks/{t['id']}", json={"runtime": props}))
    assert got["runtime"] == {**FACTS, **props}
    assert f.ok(api.get(f"/tasks/{t['id']}"))["runtime"] == {**FACTS, **props}


def test_a_user_property_named_like_a_fact_keeps_its_own_type(api: httpx.Client) -> None:
    t = f.task(api, runtime={"gpu_count": "two", "note": None})
    assert t["runtime"] == {"gpu_count": "two", "note": None}
    assert f.ok(api.get(f"/tasks/{t['id']}"))["runtime"] == {"gpu_count": "two", "note": None}


def test_outputs_round_trip_through_create_and_clone(api: httpx.Client) -> None:
    script = {"repository": "https://example.com/r.git", "commit": "abc", "code": "print(1)"}
    t = f.task(
        api,
        script=script,
        container={"image": "python:3.12"},
        configuration={"train.yaml": {"type": "yaml", "value": "lr: 0.1\n"}},
        hyperparams={"Args": {"flag": {"value": False, "type": "bool"}}},
    )
    assert t["script"]["code"] == "print(1)" and t["script"]["requirements"] == {}
    assert t["container"] == {"image": "python:3.12", "arguments": "", "setup_script": ""}
    assert t["configuration"]["train.yaml"] == {
        "type": "yaml",
        "value": "lr: 0.1\n",
        "description": "",
    }
    assert t["hyperparams"]["Args"]["flag"]["value"] is False
    assert t["models"] == {"input": [], "output": []}
    clone = f.ok(api.post(f"/tasks/{t['id']}:clone", json={}))
    for key in ("script", "container", "configuration", "hyperparams"):
        assert clone[key] == t[key]
    listed = f.ok(api.get("/tasks", params={"id": t["id"], "include_hyperparams": True}))
    assert listed["items"][0]["hyperparams"] == t["hyperparams"]


def test_inputs_read_alone_are_typed_and_as_stored(api: httpx.Client) -> None:
    hyper = {"Args": {"lr": {"value": 0.1, "type": "float", "description": ""}}}
    config = {"c": {"type": "json", "value": "{}", "description": "d"}}
    t = f.task(api, hyperparams=hyper, configuration=config)
    assert f.ok(api.get(f"/tasks/{t['id']}/hyperparams")) == hyper
    assert f.ok(api.get(f"/tasks/{t['id']}/configuration")) == config
    paths = f.ok(api.get("/openapi.json"))["paths"]
    answer = paths["/api/v1/tasks/{task_id}/hyperparams"]["get"]["responses"]["200"]
    schema = answer["content"]["application/json"]["schema"]
    assert schema["additionalProperties"]["additionalProperties"]["$ref"].endswith("/HyperparamOut")
