"""Projects: hierarchical names, rename with subprojects, delete with tasks."""

from __future__ import annotations

import httpx

from tests import factories as f


def test_create_with_parents_and_list_children(api: httpx.Client) -> None:
    root = f.unique("team")
    p = f.ok(api.post("/projects", json={"name": f"{root}/cv/detect", "description": "d"}))
    assert p["name"] == f"{root}/cv/detect" and p["description"] == "d"
    parent = f.ok(api.get(f"/projects/{p['parent_id']}"))
    assert parent["name"] == f"{root}/cv"
    top = f.ok(api.get(f"/projects/{parent['parent_id']}"))
    assert top["name"] == root and top["parent_id"] is None
    children = f.ok(api.get("/projects", params={"parent_id": top["id"]}))
    assert [c["name"] for c in children] == [f"{root}/cv"]
    # surrounding spaces of segments are trimmed
    q = f.ok(api.post("/projects", json={"name": f"{root}/ cv / seg "}))
    assert q["name"] == f"{root}/cv/seg" and q["parent_id"] == parent["id"]


def test_task_counts(api: httpx.Client) -> None:
    name = f.unique("counted")
    for _ in range(3):
        f.task(api, name)
    rows = f.ok(api.get("/projects", params={"search": name}))
    assert [(r["name"], r["task_count"]) for r in rows] == [(name, 3)]


def test_rename_moves_subprojects(api: httpx.Client) -> None:
    root = f.unique("old")
    leaf = f.ok(api.post("/projects", json={"name": f"{root}/a/b"}))
    t = f.task(api, f"{root}/a/b")
    middle = f.ok(api.get(f"/projects/{leaf['parent_id']}"))
    top_id = middle["parent_id"]
    new = f.unique("new")
    renamed = f.ok(api.patch(f"/projects/{top_id}", json={"name": f"{new}/moved"}))
    assert renamed["name"] == f"{new}/moved"
    assert f.ok(api.get(f"/projects/{leaf['id']}"))["name"] == f"{new}/moved/a/b"
    assert f.ok(api.get(f"/tasks/{t['id']}"))["project_id"] == leaf["id"]
    assert f.ok(api.get("/projects", params={"search": root})) == []
    # moving under itself is refused
    r = api.patch(f"/projects/{top_id}", json={"name": f"{new}/moved/a/b/c"})
    assert r.status_code == 422


def test_rename_onto_existing_name_is_409(api: httpx.Client) -> None:
    a = f.project(api)
    b = f.project(api)
    r = api.patch(f"/projects/{a['id']}", json={"name": b["name"]})
    assert r.status_code == 409
    assert f.ok(api.get(f"/projects/{a['id']}"))["name"] == a["name"]


def test_delete_with_tasks_needs_force_and_removes_everything(api: httpx.Client) -> None:
    root = f.unique("gone")
    t1 = f.task(api, root)
    t2 = f.task(api, f"{root}/sub")
    top = f.ok(api.get("/projects", params={"search": root}))
    top_id = next(p["id"] for p in top if p["name"] == root)
    r = api.delete(f"/projects/{top_id}")
    assert r.status_code == 409 and "force" in r.json()["detail"]
    assert api.get(f"/tasks/{t1['id']}").status_code == 200
    done = f.ok(api.delete(f"/projects/{top_id}", params={"force": True}))
    assert done["detail"]["deleted_tasks"] == 2
    for t in (t1, t2):
        assert api.get(f"/tasks/{t['id']}").status_code == 404
    assert f.ok(api.get("/projects", params={"search": root})) == []


def test_update_description_visibility_and_tags(api: httpx.Client) -> None:
    p = f.project(api)
    up = f.ok(
        api.patch(
            f"/projects/{p['id']}",
            json={"description": "about", "tags": ["x"], "visibility": "private"},
        )
    )
    assert (up["description"], up["tags"], up["visibility"]) == ("about", ["x"], "private")
    assert api.patch(f"/projects/{p['id']}", json={"visibility": "secret"}).status_code == 422


def test_delete_with_force_takes_the_projects_models_and_their_files(api: httpx.Client) -> None:
    root = f.unique("registry")
    pid = f.project(api, root)["id"]
    path = f"models/{f.unique('w')}/weights.bin"
    f.ok(api.put(f"/files/{path}", content=b"weights"))
    model = f.ok(api.post("/models", json={"name": "m", "project_id": pid, "uri": f"hub://{path}"}))
    f.ok(api.post(f"/models/{model['id']}:publish"))
    r = api.delete(f"/projects/{pid}")
    assert r.status_code == 409 and "1 model(s)" in r.json()["detail"]
    assert api.get(f"/models/{model['id']}").status_code == 200

    f.ok(api.delete(f"/projects/{pid}", params={"force": True}))
    assert api.get(f"/models/{model['id']}").status_code == 404
    assert api.head(f"/files/{path}").status_code == 404


def test_search_matches_any_case_and_takes_wildcards_literally(api: httpx.Client) -> None:
    base = f.unique("Find")
    f.project(api, f"{base}_x%y")
    f.project(api, f"{base}zxqy")
    names = [p["name"] for p in f.ok(api.get("/projects", params={"search": "_X%Y"}))]
    assert names == [f"{base}_x%y"]


def test_name_matches_the_whole_name_only(api: httpx.Client) -> None:
    base = f.unique("Exact")
    for name in (base, f"{base}/sub", f"{base}2", f"X{base}"):
        f.project(api, name)
    f.task(api, f"{base}/sub")
    rows = f.ok(api.get("/projects", params={"name": base}))
    assert [p["name"] for p in rows] == [base]
    assert rows[0]["task_count"] == 1  # its subtree's figures, as in every list
    assert f.ok(api.get("/projects", params={"name": base.upper()})) == []
    assert f.ok(api.get("/projects", params={"name": f"{base}/sub"}))[0]["name"] == f"{base}/sub"


# --- subtree figures: task_count and last_activity ------------------------------------------


def _by_name(api: httpx.Client, search: str) -> dict[str, dict]:
    return {p["name"]: p for p in f.ok(api.get("/projects", params={"search": search}))}


def test_task_count_and_last_activity_take_in_subprojects(api: httpx.Client) -> None:
    root = f.unique("tree")
    f.task(api, root)
    f.task(api, f"{root}/a")
    f.task(api, f"{root}/a/deep")
    f.task(api, f"{root}/b")
    f.project(api, f"{root}/empty")
    rows = _by_name(api, root)
    counts = {name: p["task_count"] for name, p in rows.items()}
    assert counts == {
        root: 4,
        f"{root}/a": 2,
        f"{root}/a/deep": 1,
        f"{root}/b": 1,
        f"{root}/empty": 0,
    }
    # the newest change anywhere below shows on every ancestor
    newest = f.task(api, f"{root}/a/deep", name="newest")
    f.run_to(api, newest["id"], "in_progress")
    touched = f.ok(api.get(f"/tasks/{newest['id']}"))["last_update"]
    rows = _by_name(api, root)
    for name in (root, f"{root}/a", f"{root}/a/deep"):
        assert rows[name]["last_activity"] == touched, name
    assert rows[f"{root}/b"]["last_activity"] < touched
    # a project without tasks: its own last update
    empty = rows[f"{root}/empty"]
    assert empty["last_activity"] == empty["last_update"]


def test_one_project_and_children_lists_carry_the_same_figures(api: httpx.Client) -> None:
    root = f.unique("figures")
    for sub in ("x", "x/y", "z"):
        f.task(api, f"{root}/{sub}")
    listed = _by_name(api, root)
    top = listed[root]
    one = f.ok(api.get(f"/projects/{top['id']}"))
    assert (one["task_count"], one["last_activity"]) == (3, top["last_activity"])
    children = f.ok(api.get("/projects", params={"parent_id": top["id"]}))
    assert [(c["name"], c["task_count"]) for c in children] == [(f"{root}/x", 2), (f"{root}/z", 1)]
    # a search that lists only the child still counts the grandchild's task
    only = f.ok(api.get("/projects", params={"search": f"{root}/x"}))
    assert [(p["name"], p["task_count"]) for p in only] == [(f"{root}/x", 2), (f"{root}/x/y", 1)]


def test_renamed_subtree_keeps_its_figures(api: httpx.Client) -> None:
    root = f.unique("moving")
    f.task(api, f"{root}/a/b")
    mid = _by_name(api, root)[f"{root}/a"]
    new = f.unique("moved")
    f.ok(api.patch(f"/projects/{mid['id']}", json={"name": f"{new}/a"}))
    rows = _by_name(api, new)
    assert {n: p["task_count"] for n, p in rows.items()} == {new: 1, f"{new}/a": 1, f"{new}/a/b": 1}
    assert _by_name(api, root)[root]["task_count"] == 0


def test_project_bad_input_is_problem_json(api: httpx.Client) -> None:
    for r, status in (
        (api.get(f"/projects/{'0' * 32}"), 404),
        (api.post("/projects", json={"name": "a//b"}), 422),
        (api.post("/projects", json={"name": ""}), 422),
        (api.patch(f"/projects/{'0' * 32}", json={"description": "x"}), 404),
        (api.patch(f"/projects/{f.project(api)['id']}", json={"colour": "red"}), 422),
        (api.get("/projects", params={"top_level": "perhaps"}), 422),
    ):
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["status"] == status and r.json()["detail"]
