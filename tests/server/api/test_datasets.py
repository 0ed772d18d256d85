"""Dataset versions over HTTP: create, list, get, finalize, parents, versions, errors."""

from __future__ import annotations

import uuid

import httpx

from tests import factories as f
from tests.server.datasets_helpers import (
    add,
    all_files,
    create,
    entry,
    problem,
    publish,
    put_chunk,
    sha,
)


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
    problem(
        api.post("/datasets", json={"name": name, "project": project, "parents": [two["id"]]}), 409
    )
    problem(
        api.post("/datasets", json={"name": name, "project": project, "parents": ["0" * 32]}), 404
    )
    page = f.ok(api.get("/datasets", params={"project": project, "name": name}))
    assert [d["version"] for d in page["items"]] == ["2.0.0", "1.0.1", "1.0.0"]


def test_a_task_that_is_not_a_dataset_is_a_404(api: httpx.Client) -> None:
    task = f.task(api)
    problem(api.get(f"/datasets/{task['id']}"), 404)
    problem(api.get(f"/datasets/{'0' * 32}"), 404)
    problem(api.post(f"/datasets/{'0' * 32}:finalize"), 404)
    problem(api.post("/datasets", json={"name": "x", "project_id": "0" * 32}), 404)
    problem(api.post("/datasets", json={"name": "x"}), 422)


def test_a_chosen_id_is_used_once(api: httpx.Client) -> None:
    chosen, project = uuid.uuid4().hex, f.unique("dsp")
    first = f.ok(api.post("/datasets", json={"id": chosen, "name": "x", "project": project}), 201)
    assert first["id"] == chosen
    problem(api.post("/datasets", json={"id": chosen, "name": "y", "project": project}), 409)
    task = f.task(api)
    problem(api.post("/datasets", json={"id": task["id"], "name": "z", "project": project}), 409)


def test_list_filters_sorts_and_pages(api: httpx.Client) -> None:
    project, name = f.unique("dsp"), f.unique("ds")
    ids = []
    for i in range(5):
        v = create(api, project, name=name, version=f"1.{i}.0", tags=["even"] if i % 2 == 0 else [])
        ids.append(v["id"])
    f.ok(api.post(f"/datasets/{ids[0]}:finalize"))
    query = {"project": project}
    page = f.ok(api.get("/datasets", params={**query, "tag": "even"}))
    assert [d["version"] for d in page["items"]] == ["1.4.0", "1.2.0", "1.0.0"]
    finals = f.ok(api.get("/datasets", params={**query, "only_final": "true"}))
    assert [d["id"] for d in finals["items"]] == [ids[0]]
    drafts = f.ok(api.get("/datasets", params={**query, "state": "draft", "with_total": "true"}))
    assert drafts["total"] == 4
    one = f.ok(api.get("/datasets", params={**query, "version": "1.3"}))
    assert [d["id"] for d in one["items"]] == [ids[3]]
    partial = f.ok(api.get("/datasets", params={"partial_name": name[3:].upper()}))
    assert len(partial["items"]) == 5
    for sort in ("-version", "-created_at", "name"):
        seen, cursor = [], None
        while True:
            params = {**query, "sort": sort, "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = f.ok(api.get("/datasets", params=params))
            seen += [d["id"] for d in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert sorted(seen) == sorted(ids) and len(seen) == 5, sort
    problem(api.get("/datasets", params={"sort": "size"}), 422)
    problem(api.get("/datasets", params={"cursor": "nonsense"}), 422)


def test_names_lists_datasets_with_their_latest_version(api: httpx.Client) -> None:
    project = f.project(api, f.unique("names"))
    base = f.unique("nm")
    for suffix, versions in (("a", ["1.0.0", "1.10.0", "1.9.0"]), ("b", ["3.0.0"])):
        for number in versions:
            create(api, project["name"], name=f"{base}-{suffix}", version=number)
    page = f.ok(api.get("/datasets/names", params={"project_id": project["id"], "limit": 1}))
    assert [(n["name"], n["versions"], n["latest_version"]) for n in page["items"]] == [
        (f"{base}-a", 3, "1.10.0")
    ]
    rest = f.ok(
        api.get(
            "/datasets/names", params={"project_id": project["id"], "cursor": page["next_cursor"]}
        )
    )
    assert [n["name"] for n in rest["items"]] == [f"{base}-b"] and rest["next_cursor"] is None
    latest = f.ok(api.get(f"/datasets/{page['items'][0]['latest_id']}"))
    assert latest["version"] == "1.10.0"


def test_patch_a_draft_and_a_final_version(api: httpx.Client) -> None:
    project, name = f.unique("dsp"), f.unique("ds")
    create(api, project, name=name, version="5.0.0")
    v = create(api, project, name=name, version="1.0.0")
    changed = f.ok(
        api.patch(
            f"/datasets/{v['id']}", json={"version": "1.1", "output_uri": "s3://b/p", "tags": ["t"]}
        )
    )
    assert (changed["version"], changed["output_uri"], changed["tags"]) == (
        "1.1.0",
        "s3://b/p",
        ["t"],
    )
    problem(api.patch(f"/datasets/{v['id']}", json={"version": "5.0.0"}), 409)
    f.ok(api.post(f"/datasets/{v['id']}:finalize"))
    done = f.ok(api.patch(f"/datasets/{v['id']}", json={"description": "later", "tags": []}))
    assert done["description"] == "later" and done["tags"] == []
    problem(api.patch(f"/datasets/{v['id']}", json={"version": "9.0.0"}), 409)
    problem(api.patch(f"/datasets/{v['id']}", json={"output_uri": "s3://other"}), 409)


def test_move_takes_every_version(api: httpx.Client) -> None:
    project, name = f.unique("dsp"), f.unique("ds")
    one = publish(api, {"a": b"1"}, project, name=name)
    two = create(api, project, name=name, parents=[one["id"]])
    target = f.unique("moved")
    moved = f.ok(api.post(f"/datasets/{two['id']}:move", json={"project": target}))
    assert moved["project"] == target
    assert f.ok(api.get(f"/datasets/{one['id']}"))["project"] == target
    assert f.ok(api.get(f"/tasks/{one['id']}"))["project_id"] == moved["project_id"]
    create(api, project, name=name)
    problem(api.post(f"/datasets/{two['id']}:move", json={"project": project}), 409)


def test_squash_merges_final_versions(api: httpx.Client) -> None:
    a = publish(api, {"x": b"from a", "only-a": b"1"})
    b = publish(api, {"x": b"from b", "only-b": b"2"})
    draft = create(api)
    problem(api.post("/datasets:squash", json={"name": "s", "ids": [a["id"], draft["id"]]}), 409)
    s = f.ok(
        api.post("/datasets:squash", json={"name": f.unique("sq"), "ids": [a["id"], b["id"]]}), 201
    )
    assert s["state"] == "final" and s["parents"] == [] and s["project_id"] == a["project_id"]
    assert s["stats"]["file_count"] == 3 and s["stats"]["added"] == 3
    files = {r["path"]: r for r in all_files(api, s["id"])}
    assert files["x"]["sha256"] == sha(b"from b") and all(r["blob_id"] for r in files.values())
    # the squash shares the blobs: deleting the sources keeps them
    f.ok(api.delete(f"/datasets/{a['id']}"))
    f.ok(api.delete(f"/datasets/{b['id']}"))
    blob = files["x"]["blob_id"]
    assert api.get(f"/datasets/{s['id']}/blobs/{blob}").status_code == 200


def test_graph_shows_versions_and_ancestors(api: httpx.Client) -> None:
    project, name = f.unique("dsp"), f.unique("ds")
    other = publish(api, {"o": b"o"}, project, name=f.unique("other"))
    one = publish(api, {"a": b"1"}, project, name=name)
    two = create(api, project, name=name, parents=[one["id"], other["id"]])
    graph = f.ok(api.get(f"/datasets/{two['id']}/graph"))
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert set(nodes) == {one["id"], two["id"], other["id"]} and not graph["truncated"]
    assert nodes[two["id"]]["parents"] == [one["id"], other["id"]]
    assert nodes[one["id"]]["file_count"] == 1 and nodes[two["id"]]["state"] == "draft"


def test_usages_record_lineage(api: httpx.Client) -> None:
    v = publish(api, {"a": b"1"})
    newer = publish(api, {"a": b"2"})
    task = f.task(api)
    body = {"task_id": task["id"], "alias": "train"}
    used = f.ok(api.post(f"/datasets/{v['id']}/usages", json=body))
    assert used["dataset_id"] == v["id"] and used["task_name"] == task["name"]
    f.ok(api.post(f"/datasets/{v['id']}/usages", json={**body, "alias": "val"}))
    page = f.ok(api.get(f"/datasets/{v['id']}/usages", params={"limit": 1}))
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = f.ok(api.get(f"/datasets/{v['id']}/usages", params={"cursor": page["next_cursor"]}))
    assert {u["alias"] for u in page["items"] + rest["items"]} == {"train", "val"}
    f.ok(api.post(f"/datasets/{newer['id']}/usages", json=body))  # the alias switches
    of_task = f.ok(api.get(f"/tasks/{task['id']}/datasets"))
    assert [(u["alias"], u["dataset_id"]) for u in of_task] == [
        ("train", newer["id"]),
        ("val", v["id"]),
    ]
    problem(api.delete(f"/datasets/{v['id']}"), 409)
    f.ok(api.delete(f"/tasks/{task['id']}"))
    f.ok(api.delete(f"/datasets/{v['id']}"))


def test_a_dataset_task_is_not_reset_renamed_or_moved_as_a_task(api: httpx.Client) -> None:
    v = publish(api, {"a": b"1"})
    problem(api.post(f"/tasks/{v['id']}:reset", json={}), 409)
    problem(api.patch(f"/tasks/{v['id']}", json={"name": "other"}), 409)
    other = f.project(api)
    problem(api.patch(f"/tasks/{v['id']}", json={"project_id": other["id"]}), 409)
    assert f.ok(api.patch(f"/tasks/{v['id']}", json={"comment": "fine"}))["comment"] == "fine"
    assert f.ok(api.get(f"/datasets/{v['id']}"))["description"] == "fine"
    assert f.ok(api.get(f"/datasets/{v['id']}"))["state"] == "final"


def test_changes_are_logged_for_the_version_task(api: httpx.Client) -> None:
    v = publish(api, {"a": b"1"})
    log = f.ok(api.get("/changes", params={"entity_type": "task", "entity_id": v["id"]}))
    actions = (
        [c["action"] for c in log["items"]] if isinstance(log, dict) else [c["action"] for c in log]
    )
    assert "created" in actions and "completed" in actions
