"""Dataset versions over HTTP: create, list, get, finalize, parents, versions, errors."""

from __future__ import annotations

import httpx

from tests import factories as f
from tests.server.datasets_helpers import add, create, entry, problem, publish, put_chunk


def test_create_get_and_finalize_a_version(api: httpx.Client) -> None:
    v = create(api, tags=["raw"], description="first")
    assert v["version"] == "1.0.0" and v["state"] == "draft" and v["status"] == "created"
    assert v["tags"] == ["raw"] and v["description"] == "first" and v["project"]
    added = add(api, v["id"], {"a.txt": b"alpha", "b/c.txt": b"gamma"})
    assert added == {"added": 2, "modified": 0, "unchanged": 0, "pending": 2}
    got = f.ok(api.get(f"/datasets/{v['id']}"))
    assert got["stats"]["file_count"] == 2 and got["stats"]["pending_count"] == 2
    problem(api.post(f"/datasets/{v['id']}:finalize"), 409)
    linked = put_chunk(api, v["id"], [b"alpha", b"gamma"])
    assert linked["linked"] == 2 and linked["kind"] == "chunk"
    final = f.ok(api.post(f"/datasets/{v['id']}:finalize"))
    assert final["state"] == "final" and final["status"] == "completed"
    assert final["stats"]["file_count"] == 2 and final["stats"]["total_size"] == 10
    assert final["stats"]["added"] == 2 and final["stats"]["pending_count"] == 0
    assert final["finalized_at"]
    problem(api.post(f"/datasets/{v['id']}:finalize"), 409)
    problem(api.post(f"/datasets/{v['id']}/files", json={"files": [entry("x", b"x")]}), 409)
    task = f.ok(api.get(f"/tasks/{v['id']}"))
    assert task["type"] == "data_processing" and "dataset" in task["system_tags"]


def test_versions_bump_and_clash(api: httpx.Client) -> None:
    project, name = f.unique("dsp"), f.unique("ds")
    one = publish(api, {"a": b"1"}, project, name=name)
    two = create(api, project, name=name, parents=[one["id"]])
    assert two["version"] == "1.0.1" and two["parents"] == [one["id"]]
    problem(api.post("/datasets", json={"name": name, "project": project, "version": "1.0.1"}), 409)
    three = create(api, project, name=name, version="2")
    assert three["version"] == "2.0.0"
    problem(api.post("/datasets", json={"name": name, "project": project, "parents": [two["id"]]}), 409)
    problem(api.post("/datasets", json={"name": name, "project": project, "parents": ["0" * 32]}), 404)
    page = f.ok(api.get("/datasets", params={"project": project, "name": name}))
    assert [d["version"] for d in page["items"]] == ["2.0.0", "1.0.1", "1.0.0"]
