"""Tasks: create, read, update, inputs editable only in a draft, clone, delete."""

from __future__ import annotations

import httpx

from tests import factories as f

HYPER = {
    "Args": {
        "lr": {"value": 0.01, "type": "float", "description": "learning rate"},
        "epochs": {"value": 10, "type": "int"},
        "augment": {"value": False, "type": "bool"},
        "layers": {"value": [64, 32], "type": "list"},
        "seed": {"value": None, "type": "NoneType"},
        "name": {"value": "resnet", "type": "str"},
    },
    "General": {"opts": {"value": {"a": 1, "b": [True, None]}, "type": "dict"}},
}
SCRIPT = {
    "repository": "https://example.com/repo.git",
    "branch": "main",
    "commit": "abc123",
    "diff": "--- a/x\n+++ b/x\n",
    "entry_point": "train.py",
    "working_dir": ".",
    "requirements": {"pip": "numpy==2.0.0"},
    "python": "3.11.7",
}


def test_create_makes_project_hierarchy_and_returns_full_task(api: httpx.Client) -> None:
    root = f.unique("team")
    t = f.task(
        api,
        f"{root}/nasa/asteroids",
        type="testing",
        tags=["a", "b", "a"],
        hyperparams=HYPER,
        script=SCRIPT,
        configuration={"cfg": {"value": "x: 1"}},
        container={"image": "python:3.11"},
    )
    assert t["status"] == "created"
    assert t["type"] == "testing"
    assert t["tags"] == ["a", "b"]
    assert t["hyperparams"] == {
        s: {n: {"description": "", **p} for n, p in ps.items()} for s, ps in HYPER.items()
    }
    assert t["script"]["commit"] == "abc123" and t["script"]["code"] == ""
    assert t["configuration"]["cfg"]["value"] == "x: 1"
    names = {p["name"] for p in f.ok(api.get("/projects", params={"search": root}))}
    assert names == {root, f"{root}/nasa", f"{root}/nasa/asteroids"}
    assert f.ok(api.get(f"/tasks/{t['id']}")) == t


def test_typed_values_survive_an_edit_round_trip(api: httpx.Client) -> None:
    t = f.task(api, hyperparams=HYPER)
    patch = {
        "Args": {
            "augment": {"value": True, "type": "bool"},
            "layers": {"value": [1, 2, 3], "type": "list"},
            "seed": {"value": 7, "type": "int"},
        }
    }
    f.ok(api.patch(f"/tasks/{t['id']}/hyperparams", json={"hyperparams": patch}))
    hp = f.ok(api.get(f"/tasks/{t['id']}/hyperparams"))
    assert hp["Args"]["augment"]["value"] is True
    assert hp["Args"]["layers"]["value"] == [1, 2, 3]
    assert hp["Args"]["seed"]["value"] == 7
    assert hp["Args"]["lr"]["value"] == 0.01  # untouched values stay
    # back to False: a real boolean, never the string "False"
    f.ok(
        api.patch(
            f"/tasks/{t['id']}/hyperparams",
            json={"hyperparams": {"Args": {"augment": {"value": False, "type": "bool"}}}},
        )
    )
    assert f.ok(api.get(f"/tasks/{t['id']}/hyperparams"))["Args"]["augment"]["value"] is False
    # null deletes a parameter; a null section deletes the section
    f.ok(
        api.patch(
            f"/tasks/{t['id']}/hyperparams",
            json={"hyperparams": {"Args": {"name": None}, "General": None}},
        )
    )
    hp = f.ok(api.get(f"/tasks/{t['id']}/hyperparams"))
    assert "name" not in hp["Args"] and "General" not in hp


def test_inputs_are_editable_only_in_a_draft(api: httpx.Client) -> None:
    t = f.task(api, hyperparams=HYPER)
    f.run_to(api, t["id"], "completed")
    body = {"hyperparams": {"Args": {"lr": {"value": 1.0}}}}
    r = api.patch(f"/tasks/{t['id']}/hyperparams", json=body)
    assert r.status_code == 409
    assert "draft" in r.json()["detail"]
    assert (
        api.patch(
            f"/tasks/{t['id']}/configuration", json={"configuration": {"c": {"value": "v"}}}
        ).status_code
        == 409
    )
    assert api.patch(f"/tasks/{t['id']}", json={"script": {"commit": "x"}}).status_code == 409
    assert api.patch(f"/tasks/{t['id']}", json={"container": {"image": "x"}}).status_code == 409
    # force does not help a completed task
    assert (
        api.patch(f"/tasks/{t['id']}/hyperparams", params={"force": True}, json=body).status_code
        == 409
    )
    after = f.ok(api.get(f"/tasks/{t['id']}"))
    assert after["hyperparams"]["Args"]["lr"]["value"] == 0.01
    # name, comment and tags stay editable
    edited = f.ok(
        api.patch(f"/tasks/{t['id']}", json={"name": "renamed", "comment": "c", "tags": ["best"]})
    )
    assert (edited["name"], edited["comment"], edited["tags"]) == ("renamed", "c", ["best"])


def test_running_task_reports_its_own_parameters_with_force(api: httpx.Client) -> None:
    t = f.task(api)
    f.run_to(api, t["id"], "in_progress")
    body = {"hyperparams": {"Args": {"batch": {"value": 32, "type": "int"}}}}
    assert api.patch(f"/tasks/{t['id']}/hyperparams", json=body).status_code == 409
    f.ok(api.patch(f"/tasks/{t['id']}/hyperparams", params={"force": True}, json=body))
    assert f.ok(api.get(f"/tasks/{t['id']}/hyperparams"))["Args"]["batch"]["value"] == 32
    # runtime facts and the freeze are written by the running task
    f.ok(api.patch(f"/tasks/{t['id']}", json={"runtime": {"hostname": "box", "cpu_cores": 2}}))
    assert f.ok(api.get(f"/tasks/{t['id']}"))["runtime"] == {"hostname": "box", "cpu_cores": 2}


def test_published_task_is_read_only(api: httpx.Client) -> None:
    t = f.task(api)
    f.run_to(api, t["id"], "published")
    assert api.patch(f"/tasks/{t['id']}", json={"name": "new"}).status_code == 409
    assert api.patch(f"/tasks/{t['id']}", json={"runtime": {"a": 1}}).status_code == 409
    assert f.ok(api.patch(f"/tasks/{t['id']}", json={"tags": ["ok"]}))["tags"] == ["ok"]
    assert api.post(f"/tasks/{t['id']}:reset", json={"force": True}).status_code == 409


def test_clone_copies_inputs_but_no_outputs(api: httpx.Client) -> None:
    src = f.task(
        api,
        hyperparams=HYPER,
        script=SCRIPT,
        tags=["base"],
        configuration={"cfg": {"value": "lr: 1"}},
        container={"image": "img:1"},
        models={
            "input": [{"name": "backbone", "model_id": "m1"}],
            "output": [{"name": "out", "model_id": "m2"}],
        },
    )
    f.run_to(api, src["id"], "in_progress")
    f.ok(api.patch(f"/tasks/{src['id']}", json={"runtime": {"hostname": "gpu-box"}}))
    f.ok(api.post(f"/tasks/{src['id']}:complete", json={"exit_code": 0}))
    clone = f.ok(api.post(f"/tasks/{src['id']}:clone", json={}))
    assert clone["id"] != src["id"]
    assert clone["status"] == "created"
    assert clone["parent_id"] == src["id"]
    assert clone["name"] == f"Clone of {src['name']}"
    assert clone["project_id"] == src["project_id"]
    for field in ("hyperparams", "script", "configuration", "container", "type", "tags"):
        assert clone[field] == f.ok(api.get(f"/tasks/{src['id']}"))[field], field
    assert clone["models"] == {"input": [{"name": "backbone", "model_id": "m1"}], "output": []}
    assert clone["runtime"] == {}
    assert clone["started_at"] is None and clone["completed_at"] is None
    assert clone["exit_code"] is None and clone["worker"] is None
    assert clone["last_metrics"] == {} and clone["last_iteration"] is None
    # the clone is a draft: its parameters can be edited without touching the source
    f.ok(
        api.patch(
            f"/tasks/{clone['id']}/hyperparams",
            json={"hyperparams": {"Args": {"lr": {"value": 0.5, "type": "float"}}}},
        )
    )
    assert f.ok(api.get(f"/tasks/{src['id']}/hyperparams"))["Args"]["lr"]["value"] == 0.01


def test_clone_into_another_project_with_a_new_name(api: httpx.Client) -> None:
    src = f.task(api)
    target = f.unique("target")
    clone = f.ok(
        api.post(
            f"/tasks/{src['id']}:clone",
            json={"name": "second try", "project": target, "tags": ["x"]},
        )
    )
    assert clone["name"] == "second try"
    assert clone["tags"] == ["x"]
    assert f.ok(api.get(f"/projects/{clone['project_id']}"))["name"] == target


def test_delete_removes_task_and_keeps_children(api: httpx.Client) -> None:
    parent = f.task(api)
    child = f.ok(api.post(f"/tasks/{parent['id']}:clone", json={}))
    f.ok(api.delete(f"/tasks/{parent['id']}"))
    assert api.get(f"/tasks/{parent['id']}").status_code == 404
    assert f.ok(api.get(f"/tasks/{child['id']}"))["parent_id"] is None


def test_delete_running_task_needs_force(api: httpx.Client) -> None:
    t = f.task(api)
    f.run_to(api, t["id"], "in_progress")
    assert api.delete(f"/tasks/{t['id']}").status_code == 409
    assert api.get(f"/tasks/{t['id']}").status_code == 200
    f.ok(api.delete(f"/tasks/{t['id']}", params={"force": True}))
    assert api.get(f"/tasks/{t['id']}").status_code == 404


def test_unknown_task_parent_and_project_are_404(api: httpx.Client) -> None:
    assert api.get("/tasks/" + "0" * 32).status_code == 404
    r = api.post("/tasks", json={"name": "x", "project": f.unique(), "parent_id": "f" * 32})
    assert r.status_code == 404
    r = api.post("/tasks", json={"name": "x", "project_id": "e" * 32})
    assert r.status_code == 404
    r = api.post("/tasks", json={"name": "x"})
    assert r.status_code == 422
    assert "project" in r.json()["detail"]


def test_inputs_change_in_a_draft_or_by_the_running_task_with_force(api: httpx.Client) -> None:
    t = f.task(api)
    f.ok(api.post(f"/tasks/{t['id']}:start", json={}))
    script = {"script": {"requirements": {"pip": "numpy==2.0"}}}
    r = api.patch(f"/tasks/{t['id']}", json=script)
    assert r.status_code == 409
    done = f.ok(api.patch(f"/tasks/{t['id']}", params={"force": True}, json=script))
    assert done["script"]["requirements"] == {"pip": "numpy==2.0"}
    # outputs and inputs are separate lists: setting one keeps the other
    out = {"models": {"output": [{"name": "best", "model_id": "m1"}]}}
    f.ok(api.patch(f"/tasks/{t['id']}", json=out))
    inp = {"models": {"input": [{"name": "base", "model_id": "m0"}]}}
    assert api.patch(f"/tasks/{t['id']}", json=inp).status_code == 409
    both = f.ok(api.patch(f"/tasks/{t['id']}", params={"force": True}, json=inp))["models"]
    assert both["output"] == [{"name": "best", "model_id": "m1"}]
    assert both["input"] == [{"name": "base", "model_id": "m0"}]
    f.ok(api.post(f"/tasks/{t['id']}:complete", json={}))
    moved = f.ok(api.patch(f"/tasks/{t['id']}", json={"project_id": f.project(api)["id"]}))
    assert moved["project_id"] != t["project_id"]  # a finished task may move to another project


def test_create_with_a_client_chosen_id_is_idempotent_by_conflict(api: httpx.Client) -> None:
    import uuid

    tid = uuid.uuid4().hex
    project = f.unique("proj")
    t = f.ok(api.post("/tasks", json={"id": tid, "name": "a", "project": project}), 201)
    assert t["id"] == tid
    again = api.post("/tasks", json={"id": tid, "name": "b", "project": project})
    assert again.status_code == 409 and tid in again.json()["detail"]
    assert f.ok(api.get(f"/tasks/{tid}"))["name"] == "a"
    bad = api.post("/tasks", json={"id": "NOT-HEX", "name": "c", "project": project})
    assert bad.status_code == 422
