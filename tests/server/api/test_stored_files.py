"""Stored files follow the records that use them: deleting a task, resetting it,
replacing or deleting an artifact or a model frees what no one uses any more,
and never what someone still does (a clone's input, a registered model)."""

from __future__ import annotations

import httpx

from tests import factories as f


def _put(api: httpx.Client, path: str, data: bytes = b"content") -> str:
    r = api.put(f"/files/{path}", content=data)
    assert r.status_code in (200, 201), r.text
    return f"hub://{path}"


def _exists(api: httpx.Client, path: str) -> bool:
    status = api.head(f"/files/{path}").status_code
    assert status in (200, 404), status
    return status == 200


def _artifact(api: httpx.Client, task_id: str, name: str, uri: str, mode: str = "output") -> None:
    f.ok(api.post(f"/tasks/{task_id}/artifacts", json={"name": name, "uri": uri, "mode": mode}))


def test_deleting_a_task_frees_its_files_but_not_those_others_use(api: httpx.Client) -> None:
    t = f.task(api)
    tid = t["id"]
    own = f"tasks/{tid}/artifacts/result.csv"
    stray = f"tasks/{tid}/upload-without-record.bin"  # under the task's folder, no record
    model_file = f"tasks/{tid}/models/weights.pt"  # a registered model outlives its task
    elsewhere = f"shared/{f.unique('x')}/data.bin"  # used only by this task's artifact
    f.ok(api.post(f"/tasks/{tid}:start", json={}))
    _artifact(api, tid, "result", _put(api, own))
    _put(api, stray)
    _artifact(api, tid, "data", _put(api, elsewhere))
    model = f.ok(
        api.post(
            "/models", json={"name": f.unique("m"), "task_id": tid, "uri": _put(api, model_file)}
        )
    )

    f.ok(api.delete(f"/tasks/{tid}", params={"force": True}))

    assert not _exists(api, own)
    assert not _exists(api, stray)
    assert not _exists(api, elsewhere)
    assert _exists(api, model_file)
    assert f.ok(api.get(f"/models/{model['id']}"))["task_id"] is None
    # the model's deletion is what frees its file
    f.ok(api.delete(f"/models/{model['id']}"))
    assert not _exists(api, model_file)


def test_a_clone_keeps_the_input_files_of_a_deleted_source(api: httpx.Client) -> None:
    source = f.task(api)
    data = f"tasks/{source['id']}/inputs/train.csv"
    _artifact(api, source["id"], "train", _put(api, data), mode="input")
    clone = f.ok(api.post(f"/tasks/{source['id']}:clone", json={}))
    assert [a["uri"] for a in f.ok(api.get(f"/tasks/{clone['id']}/artifacts"))] == [f"hub://{data}"]

    f.ok(api.delete(f"/tasks/{source['id']}"))
    assert _exists(api, data)  # the clone still uses it
    assert api.get(f"/files/{data}").content == b"content"

    f.ok(api.delete(f"/tasks/{clone['id']}"))
    assert not _exists(api, data)  # now no one does


def test_reset_frees_outputs_and_keeps_inputs_and_models(api: httpx.Client) -> None:
    t = f.task(api)
    tid = t["id"]
    given = f"tasks/{tid}/inputs/config.yaml"
    _artifact(api, tid, "config", _put(api, given), mode="input")
    f.ok(api.post(f"/tasks/{tid}:start", json={}))
    produced = f"tasks/{tid}/artifacts/preds.csv"
    _artifact(api, tid, "preds", _put(api, produced))
    weights = f"tasks/{tid}/models/best.pt"
    f.ok(
        api.post("/models", json={"name": f.unique("m"), "task_id": tid, "uri": _put(api, weights)})
    )
    f.ok(api.post(f"/tasks/{tid}:complete", json={}))

    f.ok(api.post(f"/tasks/{tid}:reset", json={}))

    assert not _exists(api, produced)
    assert _exists(api, given)
    assert _exists(api, weights)
    assert [a["name"] for a in f.ok(api.get(f"/tasks/{tid}/artifacts"))] == ["config"]


def test_replacing_or_deleting_an_artifact_frees_its_old_file(api: httpx.Client) -> None:
    t = f.task(api)
    tid = t["id"]
    f.ok(api.post(f"/tasks/{tid}:start", json={}))
    first = f"scratch/{f.unique('a')}/v1.bin"
    second = f"scratch/{f.unique('a')}/v2.bin"
    _artifact(api, tid, "blob", _put(api, first))
    _artifact(api, tid, "blob", _put(api, second))
    assert not _exists(api, first)
    assert _exists(api, second)
    f.ok(api.delete(f"/tasks/{tid}/artifacts/blob"))
    assert not _exists(api, second)


def test_a_file_two_records_share_goes_with_the_last_one(api: httpx.Client) -> None:
    a, b = f.task(api), f.task(api)
    shared = f"scratch/{f.unique('s')}/shared.bin"
    uri = _put(api, shared)
    for t in (a, b):
        f.ok(api.post(f"/tasks/{t['id']}:start", json={}))
        _artifact(api, t["id"], "shared", uri)
    f.ok(api.delete(f"/tasks/{a['id']}", params={"force": True}))
    assert _exists(api, shared)
    f.ok(api.delete(f"/tasks/{b['id']}/artifacts/shared"))
    assert not _exists(api, shared)


def test_deleting_a_project_with_force_frees_its_tasks_files(api: httpx.Client) -> None:
    project = f.unique("doomed")
    t = f.task(api, project)
    path = f"tasks/{t['id']}/artifacts/a.bin"
    f.ok(api.post(f"/tasks/{t['id']}:start", json={}))
    _artifact(api, t["id"], "a", _put(api, path))
    pid = t["project_id"]
    f.ok(api.delete(f"/projects/{pid}", params={"force": True}))
    assert not _exists(api, path)
    assert api.get(f"/tasks/{t['id']}").status_code == 404
