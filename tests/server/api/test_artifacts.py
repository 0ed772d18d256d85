"""Artifacts: create or replace by name, read, delete; who may write them and when."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from corral.testing.hub import Hub
from tests import factories as f

TABLE = {
    "name": "results",
    "type": "dataframe",
    "uri": "s3://bucket/results.parquet",
    "size": 1234,
    "hash": "sha256:abc",
    "content_type": "application/vnd.apache.parquet",
    "preview": "a,b\n1,2\n",
    "metadata": {"rows": 1, "columns": ["a", "b"]},
}


def _put(api: httpx.Client, task_id: str, body: dict[str, Any]) -> httpx.Response:
    return api.post(f"/tasks/{task_id}/artifacts", json=body)


def _names(api: httpx.Client, task_id: str) -> list[str]:
    return [a["name"] for a in f.ok(api.get(f"/tasks/{task_id}/artifacts"))]


def _hub_file(hub: Hub, path: str) -> Path:
    target = hub.data_dir / "files" / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"content")
    return target


def test_create_get_list_delete(api: httpx.Client) -> None:
    t = f.task(api)
    r = _put(api, t["id"], TABLE)
    assert r.status_code == 201, r.text
    created = r.json()
    assert {k: created[k] for k in TABLE} == TABLE
    assert created["mode"] == "output" and created["task_id"] == t["id"]
    assert f.ok(api.get(f"/tasks/{t['id']}/artifacts/results")) == created
    f.ok(_put(api, t["id"], {"name": "a-config", "type": "json"}))
    assert _names(api, t["id"]) == ["a-config", "results"]
    f.ok(api.delete(f"/tasks/{t['id']}/artifacts/results"))
    assert _names(api, t["id"]) == ["a-config"]
    assert api.get(f"/tasks/{t['id']}/artifacts/results").status_code == 404


def test_replace_by_name_keeps_one_row(api: httpx.Client) -> None:
    t = f.task(api)
    first = f.ok(_put(api, t["id"], TABLE))
    r = _put(api, t["id"], {"name": "results", "type": "numpy", "uri": "s3://b/r.npy"})
    assert r.status_code == 200, r.text
    replaced = r.json()
    assert replaced["id"] == first["id"]
    assert (replaced["type"], replaced["uri"], replaced["size"], replaced["metadata"]) == (
        "numpy",
        "s3://b/r.npy",
        None,
        {},
    )
    listed = f.ok(api.get(f"/tasks/{t['id']}/artifacts"))
    assert listed == [replaced]


def test_names_may_contain_slashes(api: httpx.Client) -> None:
    t = f.task(api)
    f.ok(_put(api, t["id"], {"name": "plots/loss curve.png", "type": "image"}))
    got = f.ok(api.get(f"/tasks/{t['id']}/artifacts/plots/loss curve.png"))
    assert got["type"] == "image"
    f.ok(api.delete(f"/tasks/{t['id']}/artifacts/plots/loss curve.png"))
    assert _names(api, t["id"]) == []


def test_list_filters_by_mode(api: httpx.Client) -> None:
    t = f.task(api)
    f.ok(_put(api, t["id"], {"name": "in", "mode": "input"}))
    f.ok(_put(api, t["id"], {"name": "out"}))
    inputs = f.ok(api.get(f"/tasks/{t['id']}/artifacts", params={"mode": "input"}))
    assert [a["name"] for a in inputs] == ["in"]


def test_published_task_is_read_only(api: httpx.Client) -> None:
    t = f.task(api)
    f.run_to(api, t["id"], "completed")
    f.ok(_put(api, t["id"], TABLE))  # a completed task still takes results
    f.ok(api.post(f"/tasks/{t['id']}:publish"))
    r = _put(api, t["id"], {"name": "late"})
    assert r.status_code == 409, r.text
    assert "read-only" in r.json()["detail"]
    assert _put(api, t["id"], {**TABLE, "uri": "s3://other"}).status_code == 409
    assert api.delete(f"/tasks/{t['id']}/artifacts/results").status_code == 409
    assert _names(api, t["id"]) == ["results"]
    assert f.ok(api.get(f"/tasks/{t['id']}/artifacts/results"))["uri"] == TABLE["uri"]


def test_input_artifacts_only_in_a_draft(api: httpx.Client) -> None:
    t = f.task(api)
    f.ok(_put(api, t["id"], {"name": "dataset", "mode": "input", "uri": "s3://d"}))
    f.ok(api.post(f"/tasks/{t['id']}:start", json={}))
    r = _put(api, t["id"], {"name": "extra", "mode": "input"})
    assert r.status_code == 409, r.text
    assert "draft" in r.json()["detail"]
    # an output may not overwrite an input either, nor may the input be deleted
    assert _put(api, t["id"], {"name": "dataset", "mode": "output"}).status_code == 409
    assert api.delete(f"/tasks/{t['id']}/artifacts/dataset").status_code == 409
    f.ok(_put(api, t["id"], {"name": "model-stats"}))  # outputs are fine while running
    got = f.ok(api.get(f"/tasks/{t['id']}/artifacts/dataset"))
    assert (got["mode"], got["uri"]) == ("input", "s3://d")
    assert _names(api, t["id"]) == ["dataset", "model-stats"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "type": "spreadsheet"},
        {"name": "x", "mode": "both"},
        {"name": ""},
        {"name": "x", "size": -1},
        {"name": "x", "preview": "é" * (33 * 1024)},  # 66 KiB in UTF-8
        {"name": "x", "colour": "red"},
        {"name": "x", "hash": "h" * 129},
        {"type": "json"},
    ],
)
def test_bad_input_is_422_and_stores_nothing(api: httpx.Client, body: dict[str, Any]) -> None:
    t = f.task(api)
    r = _put(api, t["id"], body)
    assert r.status_code == 422, r.text
    assert r.json()["errors"]
    assert _names(api, t["id"]) == []


def test_preview_up_to_64_kib_is_accepted(api: httpx.Client) -> None:
    t = f.task(api)
    preview = "x" * (64 * 1024)
    assert f.ok(_put(api, t["id"], {"name": "big", "preview": preview}))["preview"] == preview


def test_unknown_task_or_artifact_is_404(api: httpx.Client) -> None:
    assert _put(api, "0" * 32, {"name": "x"}).status_code == 404
    assert api.get(f"/tasks/{'0' * 32}/artifacts").status_code == 404
    t = f.task(api)
    r = api.get(f"/tasks/{t['id']}/artifacts/nope")
    assert r.status_code == 404 and "nope" in r.json()["detail"]
    assert api.delete(f"/tasks/{t['id']}/artifacts/nope").status_code == 404


def test_changes_are_recorded_on_the_task(api: httpx.Client) -> None:
    t = f.task(api)
    f.ok(_put(api, t["id"], TABLE))
    f.ok(_put(api, t["id"], TABLE))
    f.ok(api.delete(f"/tasks/{t['id']}/artifacts/results"))
    items = f.ok(api.get("/changes", params={"entity_id": t["id"], "limit": 1000}))["items"]
    arts = [c for c in items if c["action"] == "artifact"]
    assert [(c["payload"]["name"], c["payload"]["op"]) for c in arts] == [
        ("results", "created"),
        ("results", "replaced"),
        ("results", "deleted"),
    ]
    assert {c["project_id"] for c in arts} == {t["project_id"]}


def test_replaced_or_deleted_hub_file_outside_the_task_is_removed(
    api: httpx.Client, hub: Hub
) -> None:
    t = f.task(api)
    shared = f.unique("shared")
    old = _hub_file(hub, f"{shared}/old.bin")
    gone = _hub_file(hub, f"{shared}/gone.bin")
    own = _hub_file(hub, f"tasks/{t['id']}/artifacts/own.bin")
    f.ok(_put(api, t["id"], {"name": "w", "uri": f"hub://{shared}/old.bin"}))
    f.ok(_put(api, t["id"], {"name": "w", "uri": f"hub://{shared}/new.bin"}))
    assert not old.exists()
    f.ok(_put(api, t["id"], {"name": "g", "uri": f"hub://{shared}/gone.bin"}))
    f.ok(_put(api, t["id"], {"name": "o", "uri": f"hub://tasks/{t['id']}/artifacts/own.bin"}))
    f.ok(api.delete(f"/tasks/{t['id']}/artifacts/g"))
    f.ok(api.delete(f"/tasks/{t['id']}/artifacts/o"))
    assert not gone.exists()
    assert own.exists()  # the task's own folder goes with the task


def test_a_file_still_referenced_elsewhere_is_kept(api: httpx.Client, hub: Hub) -> None:
    a = f.task(api)
    b = f.task(api)
    path = f"{f.unique('shared')}/data.csv"
    kept = _hub_file(hub, path)
    for t in (a, b):
        f.ok(_put(api, t["id"], {"name": "data", "mode": "input", "uri": f"hub://{path}"}))
    f.ok(api.delete(f"/tasks/{a['id']}/artifacts/data"))
    assert kept.exists()
    f.ok(api.delete(f"/tasks/{b['id']}/artifacts/data"))
    assert not kept.exists()


def test_no_auth_is_401(hub: Hub, api: httpx.Client) -> None:
    t = f.task(api)
    with hub.anonymous() as anon:
        assert anon.get(f"/tasks/{t['id']}/artifacts").status_code == 401
        assert anon.post(f"/tasks/{t['id']}/artifacts", json={"name": "x"}).status_code == 401
    assert _names(api, t["id"]) == []
