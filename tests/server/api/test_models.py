"""Models: registration (as a task's output), lists, edits, publish and delete rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from corral.testing.hub import Hub
from tests import factories as f


def _model(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"name": fields.pop("name", f.unique("model"))}
    if "task_id" not in fields and "project_id" not in fields:
        body["project"] = fields.pop("project", f.unique("proj"))
    body.update(fields)
    return f.ok(api.post("/models", json=body), 201)


def _ids(page: dict[str, Any]) -> list[str]:
    return [m["id"] for m in page["items"]]


def _hub_file(hub: Hub, path: str) -> Path:
    target = hub.data_dir / "files" / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"weights")
    return target


def test_create_with_task_registers_an_output_model(api: httpx.Client) -> None:
    t = f.task(api)
    f.ok(api.post(f"/tasks/{t['id']}:start", json={}))
    m = _model(
        api,
        name="resnet",
        task_id=t["id"],
        framework="pytorch",
        uri="s3://bucket/w.pt",
        tags=["cv", "cv"],
        labels={"cat": 0, "dog": 1},
        metadata={"epochs": 10, "optimizer": {"name": "adam"}},
        design="layers: 50",
        comment="first",
    )
    assert m["project_id"] == t["project_id"]  # the task's project
    assert (m["task_id"], m["framework"], m["uri"]) == (t["id"], "pytorch", "s3://bucket/w.pt")
    assert m["tags"] == ["cv"]
    assert m["labels"] == {"cat": 0, "dog": 1}
    assert m["metadata"] == {"epochs": 10, "optimizer": {"name": "adam"}}
    assert (m["design"], m["published"], m["archived"]) == ("layers: 50", False, False)
    second = _model(api, name="head", task_id=t["id"])
    task = f.ok(api.get(f"/tasks/{t['id']}"))
    assert task["models"]["output"] == [
        {"name": "resnet", "model_id": m["id"]},
        {"name": "head", "model_id": second["id"]},
    ]
    assert task["models"]["input"] == []
    assert f.ok(api.get(f"/models/{m['id']}")) == m


def test_create_by_project_name_creates_the_project(api: httpx.Client) -> None:
    name = f"{f.unique('team')}/models"
    m = _model(api, project=name)
    names = {p["id"]: p["name"] for p in f.ok(api.get("/projects"))}
    assert names[m["project_id"]] == name
    by_id = _model(api, project_id=m["project_id"], parent_id=m["id"])
    assert (by_id["project_id"], by_id["parent_id"]) == (m["project_id"], m["id"])


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "m"}, 422),  # no project at all
        ({"name": "m", "project": "p", "labels": {"cat": "zero"}}, 422),
        ({"name": "m", "project": "p", "framework": "f" * 65}, 422),
        ({"name": "m", "project": "p", "weights": "w.pt"}, 422),
        ({"name": "", "project": "p"}, 422),
        ({"name": "m", "task_id": "0" * 32}, 404),
        ({"name": "m", "project_id": "0" * 32}, 404),
        ({"name": "m", "project": "p", "parent_id": "0" * 32}, 404),
    ],
)
def test_bad_create_changes_nothing(api: httpx.Client, body: dict[str, Any], status: int) -> None:
    body = {**body, "name": f.unique("bad") if body["name"] else ""}
    r = api.post("/models", json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    if body["name"]:
        assert f.ok(api.get("/models", params={"name": body["name"]}))["items"] == []


def test_output_model_of_a_published_task_is_conflict(api: httpx.Client) -> None:
    t = f.task(api)
    f.run_to(api, t["id"], "published")
    name = f.unique("late")
    assert api.post("/models", json={"name": name, "task_id": t["id"]}).status_code == 409
    assert f.ok(api.get("/models", params={"name": name}))["items"] == []
    assert f.ok(api.get(f"/tasks/{t['id']}"))["models"].get("output", []) == []


def test_filters(api: httpx.Client) -> None:
    p = f.project(api)
    t = f.task(api)
    a = _model(api, project_id=p["id"], name="alpha", tags=["cv", "prod"], framework="pytorch")
    b = _model(api, project_id=p["id"], name="beta", tags=["cv"], comment="Tuned ALPHA")
    c = _model(api, project_id=p["id"], name="gamma", framework="sklearn")
    d = f.ok(api.post("/models", json={"name": "delta", "task_id": t["id"]}), 201)
    f.ok(api.post(f"/models/{c['id']}:publish"))

    def ids(**params: Any) -> set[str]:
        return set(_ids(f.ok(api.get("/models", params={"project_id": p["id"], **params}))))

    assert ids() == {a["id"], b["id"], c["id"]}
    assert ids(tag="cv") == {a["id"], b["id"]}
    assert ids(tag=["cv", "prod"]) == {a["id"]}
    assert ids(tag="-prod") == {b["id"], c["id"]}
    assert ids(framework="pytorch") == {a["id"]}
    assert ids(published=True) == {c["id"]}
    assert ids(published=False) == {a["id"], b["id"]}
    assert ids(text="alpha") == {a["id"], b["id"]}  # name or comment, any case
    assert ids(name="alpha") == {a["id"]}
    assert ids(text="%") == set()  # LIKE wildcards are literal
    two = f.ok(api.get("/models", params={"project_id": [p["id"], d["project_id"]]}))
    assert set(_ids(two)) == {a["id"], b["id"], c["id"], d["id"]}
    assert set(_ids(f.ok(api.get("/models", params={"task_id": t["id"]})))) == {d["id"]}
    assert "design" not in f.ok(api.get("/models", params={"project_id": p["id"]}))["items"][0]


def test_archived_models_are_hidden_by_default(api: httpx.Client) -> None:
    p = f.project(api)
    m = _model(api, project_id=p["id"])
    assert f.ok(api.post(f"/models/{m['id']}:archive"))["archived"] is True
    assert _ids(f.ok(api.get("/models", params={"project_id": p["id"]}))) == []
    archived = f.ok(api.get("/models", params={"project_id": p["id"], "archived": True}))
    assert _ids(archived) == [m["id"]]
    both = f.ok(api.get("/models", params={"project_id": p["id"], "archived": ""}))
    assert _ids(both) == [m["id"]]
    assert f.ok(api.post(f"/models/{m['id']}:unarchive"))["archived"] is False
    assert _ids(f.ok(api.get("/models", params={"project_id": p["id"]}))) == [m["id"]]


@pytest.mark.parametrize(("sort", "reverse"), [("name", False), ("-name", True)])
def test_sort_and_cursor_pages(api: httpx.Client, sort: str, reverse: bool) -> None:
    p = f.project(api)
    names = ["delta", "alpha", "echo", "charlie", "bravo"]
    for n in names:
        _model(api, project_id=p["id"], name=n)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"project_id": p["id"], "sort": sort, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = f.ok(api.get("/models", params=params))
        seen += [m["name"] for m in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(names, reverse=reverse)
    assert pages == 3


def test_sort_by_creation_and_total(api: httpx.Client) -> None:
    p = f.project(api)
    made = [_model(api, project_id=p["id"])["id"] for _ in range(3)]
    page = f.ok(
        api.get(
            "/models",
            params={"project_id": p["id"], "sort": "-created_at", "with_total": True},
        )
    )
    assert _ids(page) == made[::-1]
    assert page["total"] == 3


def test_bad_sort_or_cursor_is_422(api: httpx.Client) -> None:
    r = api.get("/models", params={"sort": "tags"})
    assert r.status_code == 422 and "sort" in r.json()["detail"]
    assert api.get("/models", params={"cursor": "garbage"}).status_code == 422


def test_patch_fields(api: httpx.Client) -> None:
    m = _model(api, labels={"a": 0})
    patched = f.ok(
        api.patch(
            f"/models/{m['id']}",
            json={
                "name": "renamed",
                "labels": {"a": 0, "b": 1},
                "metadata": {"k": "v"},
                "design": "d",
                "framework": "keras",
                "uri": "s3://new",
            },
        )
    )
    assert (patched["name"], patched["framework"], patched["uri"]) == (
        "renamed",
        "keras",
        "s3://new",
    )
    assert (patched["labels"], patched["metadata"], patched["design"]) == (
        {"a": 0, "b": 1},
        {"k": "v"},
        "d",
    )
    assert patched["last_update"] >= m["last_update"]
    assert api.patch(f"/models/{m['id']}", json={"published": True}).status_code == 422
    assert api.patch(f"/models/{'0' * 32}", json={"name": "x"}).status_code == 404


def test_publish_needs_a_completed_task(api: httpx.Client) -> None:
    t = f.task(api)
    f.ok(api.post(f"/tasks/{t['id']}:start", json={}))
    m = f.ok(api.post("/models", json={"name": "m", "task_id": t["id"]}), 201)
    r = api.post(f"/models/{m['id']}:publish")
    assert r.status_code == 409, r.text
    assert t["id"] in r.json()["detail"] and "in_progress" in r.json()["detail"]
    assert f.ok(api.get(f"/models/{m['id']}"))["published"] is False
    f.ok(api.post(f"/tasks/{t['id']}:complete", json={}))
    assert f.ok(api.post(f"/models/{m['id']}:publish"))["published"] is True
    assert f.ok(api.post(f"/models/{m['id']}:publish"))["published"] is True  # idempotent


def test_a_model_without_a_task_can_be_published(api: httpx.Client) -> None:
    m = _model(api)
    assert f.ok(api.post(f"/models/{m['id']}:publish"))["published"] is True


def test_an_archived_model_cannot_be_published(api: httpx.Client) -> None:
    m = _model(api)
    f.ok(api.post(f"/models/{m['id']}:archive"))
    assert api.post(f"/models/{m['id']}:publish").status_code == 409


def test_published_model_accepts_only_tags_and_comment(api: httpx.Client) -> None:
    m = _model(api, uri="s3://w")
    f.ok(api.post(f"/models/{m['id']}:publish"))
    changes: list[dict[str, Any]] = [
        {"name": "x"},
        {"uri": "s3://other"},
        {"labels": {}},
        {"tags": [], "design": "x"},
    ]
    for change in changes:
        r = api.patch(f"/models/{m['id']}", json=change)
        assert r.status_code == 409, (change, r.text)
        assert "published" in r.json()["detail"]
    after = f.ok(api.get(f"/models/{m['id']}"))
    assert (after["name"], after["uri"], after["tags"]) == (m["name"], "s3://w", [])
    ok = f.ok(api.patch(f"/models/{m['id']}", json={"tags": ["best"], "comment": "in prod"}))
    assert (ok["tags"], ok["comment"]) == (["best"], "in prod")


def test_delete_published_needs_force(api: httpx.Client) -> None:
    m = _model(api)
    f.ok(api.post(f"/models/{m['id']}:publish"))
    r = api.delete(f"/models/{m['id']}")
    assert r.status_code == 409 and "force" in r.json()["detail"]
    assert f.ok(api.get(f"/models/{m['id']}"))["published"] is True
    f.ok(api.delete(f"/models/{m['id']}", params={"force": True}))
    assert api.get(f"/models/{m['id']}").status_code == 404


def test_delete_removes_task_references_and_children_keep_living(api: httpx.Client) -> None:
    producer = f.task(api)
    f.ok(api.post(f"/tasks/{producer['id']}:start", json={}))
    m = f.ok(api.post("/models", json={"name": "out", "task_id": producer["id"]}), 201)
    keep = f.ok(api.post("/models", json={"name": "keep", "task_id": producer["id"]}), 201)
    child = _model(api, parent_id=m["id"])
    consumer = f.task(api)
    f.ok(
        api.patch(
            f"/tasks/{consumer['id']}",
            json={
                "models": {
                    "input": [
                        {"name": "backbone", "model_id": m["id"]},
                        {"name": "other", "model_id": keep["id"]},
                    ]
                }
            },
        )
    )
    f.ok(api.delete(f"/models/{m['id']}"))
    assert f.ok(api.get(f"/tasks/{producer['id']}"))["models"]["output"] == [
        {"name": "keep", "model_id": keep["id"]}
    ]
    assert f.ok(api.get(f"/tasks/{consumer['id']}"))["models"]["input"] == [
        {"name": "other", "model_id": keep["id"]}
    ]
    assert f.ok(api.get(f"/models/{child['id']}"))["parent_id"] is None
    assert api.delete(f"/models/{m['id']}").status_code == 404


def test_delete_removes_the_hub_file(api: httpx.Client, hub: Hub) -> None:
    m = _model(api)
    path = f"models/{m['id']}/w.bin"
    weights = _hub_file(hub, path)
    f.ok(api.patch(f"/models/{m['id']}", json={"uri": f"hub://{path}"}))
    assert weights.exists()
    f.ok(api.delete(f"/models/{m['id']}"))
    assert not weights.exists()


def test_a_hub_file_shared_with_another_model_is_kept(api: httpx.Client, hub: Hub) -> None:
    path = f"models/{f.unique('shared')}/w.bin"
    weights = _hub_file(hub, path)
    a = _model(api, uri=f"hub://{path}")
    b = _model(api, uri=f"hub://{path}")
    f.ok(api.delete(f"/models/{a['id']}"))
    assert weights.exists()
    f.ok(api.delete(f"/models/{b['id']}"))
    assert not weights.exists()


def test_changing_the_uri_removes_the_old_hub_file(api: httpx.Client, hub: Hub) -> None:
    path = f"models/{f.unique('w')}/v1.bin"
    old = _hub_file(hub, path)
    m = _model(api, uri=f"hub://{path}")
    f.ok(api.patch(f"/models/{m['id']}", json={"uri": "hub://elsewhere/v2.bin"}))
    assert not old.exists()


def test_model_changes_are_recorded(api: httpx.Client) -> None:
    m = _model(api)
    f.ok(api.patch(f"/models/{m['id']}", json={"comment": "x"}))
    f.ok(api.post(f"/models/{m['id']}:publish"))
    f.ok(api.post(f"/models/{m['id']}:archive"))
    f.ok(api.post(f"/models/{m['id']}:unarchive"))
    f.ok(api.delete(f"/models/{m['id']}", params={"force": True}))
    items = f.ok(api.get("/changes", params={"entity_type": "model", "entity_id": m["id"]}))
    actions = [c["action"] for c in items["items"]]
    assert actions == ["created", "updated", "published", "archived", "unarchived", "deleted"]
    assert {c["project_id"] for c in items["items"]} == {m["project_id"]}


def test_no_auth_is_401(hub: Hub) -> None:
    with hub.anonymous() as anon:
        assert anon.get("/models").status_code == 401
        assert anon.post("/models", json={"name": "m", "project": "p"}).status_code == 401


def test_create_with_a_client_chosen_id_is_idempotent_by_conflict(api: httpx.Client) -> None:
    import uuid

    mid = uuid.uuid4().hex
    m = _model(api, id=mid)
    assert m["id"] == mid
    again = api.post("/models", json={"id": mid, "name": "x", "project": f.unique("p")})
    assert again.status_code == 409
    assert f.ok(api.get(f"/models/{mid}"))["name"] == m["name"]
