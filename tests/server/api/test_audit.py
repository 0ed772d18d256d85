"""The audit log API (admins): filters, cursor pages, bad input, retention."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from corral.testing.hub import Hub, make_hub
from tests import factories as f
from tests.agents import wait_for
from tests.conftest import BACKENDS


def entries(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    return f.ok(api.get("/audit", params=params))["items"]


def _team_with_history(api: httpx.Client, members: int) -> tuple[dict[str, Any], list[str]]:
    """A team and ``members`` new users added to it: 1 + members entries about the team."""
    team = f.ok(api.post("/teams", json={"name": f.unique("audited")}))
    users = []
    for _ in range(members):
        user = f.ok(api.post("/users", json={"name": f.unique("m")}))
        f.ok(api.put(f"/teams/{team['id']}/members/{user['id']}"))
        users.append(user["id"])
    return team, users


def test_audit_is_for_admins_only(api: httpx.Client, hub: Hub) -> None:
    user = f.ok(api.post("/users", json={"name": f.unique("u")}))
    key = f.ok(api.post("/keys", json={"user_id": user["id"]}))
    headers = {"Authorization": f"Bearer {key['access_key']}:{key['secret_key']}"}
    with httpx.Client(base_url=hub.url + "/api/v1", headers=headers) as c:
        r = c.get("/audit")
        assert r.status_code == 403 and "admin" in r.json()["detail"]
    with hub.anonymous() as anon:
        assert anon.get("/audit").status_code == 401
    limited = f.ok(api.post("/keys", json={"projects": [f.project(api)["id"]]}))
    headers = {"Authorization": f"Bearer {limited['access_key']}:{limited['secret_key']}"}
    with httpx.Client(base_url=hub.url + "/api/v1", headers=headers) as c:
        assert c.get("/audit").status_code == 403  # a project-limited admin key


def test_filters(api: httpx.Client) -> None:
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    team, members = _team_with_history(api, 2)
    admin = f.ok(api.get("/auth/me"))
    mine = entries(api, target_type="team", target_id=team["id"])
    assert [e["action"] for e in mine] == ["team.member_added", "team.member_added", "team.created"]
    assert all(e["actor_id"] == admin["id"] and e["actor_name"] == "admin" for e in mine)
    assert all(e["address"] == "127.0.0.1" and e["outcome"] == "ok" for e in mine)
    assert mine[0]["detail"]["user_id"] == members[1]
    ids = {e["id"] for e in mine}
    # exact action, a prefix, the actor by name and by id
    exact = entries(api, action="team.created", target_id=team["id"])
    assert [e["action"] for e in exact] == ["team.created"]
    prefix = entries(api, action="team.*", target_id=team["id"])
    assert {e["id"] for e in prefix} == ids
    assert entries(api, action="team.member*", target_id=team["id"])[0]["id"] == mine[0]["id"]
    assert entries(api, action="user.*", target_id=team["id"]) == []
    for actor in ("admin", admin["id"]):
        assert {e["id"] for e in entries(api, actor=actor, target_id=team["id"])} == ids
    assert entries(api, actor=f.unique("nobody"), target_id=team["id"]) == []
    assert entries(api, outcome="failed", target_id=team["id"]) == []
    assert {e["id"] for e in entries(api, outcome="ok", target_id=team["id"])} == ids
    # a time window
    after = datetime.now(timezone.utc) + timedelta(seconds=1)
    assert {e["id"] for e in entries(api, since=before.isoformat(), target_id=team["id"])} == ids
    assert entries(api, since=after.isoformat(), target_id=team["id"]) == []
    assert entries(api, until=before.isoformat(), target_id=team["id"]) == []
    naive = before.replace(tzinfo=None).isoformat()  # UTC when no zone is given
    assert {e["id"] for e in entries(api, since=naive, target_id=team["id"])} == ids


def test_cursor_pages_newest_first(api: httpx.Client) -> None:
    team, _ = _team_with_history(api, 4)  # 5 entries about the team
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"target_id": team["id"], "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = f.ok(api.get("/audit", params=params))
        seen += [e["id"] for e in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        # something new meanwhile does not shift the pages
        f.ok(api.post("/teams", json={"name": f.unique("noise")}))
    assert pages == 3
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)
    assert {e["id"] for e in entries(api, target_id=team["id"], limit=500)} == set(seen)


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 501},
        {"cursor": "abc"},
        {"cursor": "-5"},
        {"outcome": "maybe"},
        {"action": "lo*gin"},
        {"since": "yesterday"},
        {"limit": "many"},
    ],
)
def test_bad_query_is_422(api: httpx.Client, params: dict[str, Any]) -> None:
    r = api.get("/audit", params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.fixture(params=BACKENDS)
def own_hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    h = make_hub(tmp_path / "hub", request.param)
    h.start()
    yield h
    h.dispose()


def test_old_entries_are_pruned(own_hub: Hub) -> None:
    hub = own_hub
    with hub.client() as api:
        old, _ = _team_with_history(api, 1)
        assert len(entries(api, target_id=old["id"])) == 2
    url = hub.database_url or f"sqlite:///{hub.data_dir / 'corral.db'}"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE audit_entries SET time = :t WHERE target_id = :id"),
                {"t": datetime(2000, 1, 1), "id": old["id"]},
            )
    finally:
        engine.dispose()
    # the reaper prunes when the hub starts, then about once an hour
    hub.restart()
    with hub.client() as api:
        recent, _ = _team_with_history(api, 1)
        wait_for(lambda: not entries(api, target_id=old["id"]), "old entries to be pruned")
        assert len(entries(api, target_id=recent["id"])) == 2
        assert f.ok(api.get(f"/teams/{old['id']}"))["id"] == old["id"]  # only the log shrank


def test_each_project_task_and_model_action_is_audited(api: httpx.Client, hub: Hub) -> None:
    """Visibility, members, enqueue, abort, publish and deletions: who, what, from where."""
    user, client = f.user(api, hub.url)
    with client:
        project = f.ok(client.post("/projects", json={"name": f.unique("audited")}))
        pid = project["id"]
        f.ok(client.patch(f"/projects/{pid}", json={"visibility": "private"}))
        f.member(client, pid, f.user(api, hub.url)[0]["id"], "viewer")
        queued = f.task(client, project["name"])
        f.ok(client.post(f"/tasks/{queued['id']}:enqueue", json={}))
        f.ok(client.post(f"/tasks/{queued['id']}:abort", json={}))
        done = f.task(client, project["name"])
        f.run_to(client, done["id"], "completed")
        model = f.ok(client.post("/models", json={"name": "m", "task_id": done["id"]}))
        f.ok(client.post(f"/tasks/{done['id']}:publish"))
        f.ok(client.post(f"/models/{model['id']}:publish"))
        f.ok(client.delete(f"/models/{model['id']}", params={"force": True}))
        doomed = f.task(client, project["name"])
        f.ok(client.delete(f"/tasks/{doomed['id']}"))
        f.ok(client.delete(f"/projects/{pid}", params={"force": True}))
    expected = {
        ("project.visibility", pid),
        ("project.member_set", pid),
        ("task.enqueued", queued["id"]),
        ("task.aborted", queued["id"]),
        ("task.published", done["id"]),
        ("model.published", model["id"]),
        ("model.deleted", model["id"]),
        ("task.deleted", doomed["id"]),
        ("project.deleted", pid),
    }
    mine = entries(api, actor=user["id"], limit=500)
    got = {(e["action"], e["target_id"]) for e in mine}
    assert expected <= got, expected - got
    assert all(e["actor_name"] == user["name"] and e["address"] == "127.0.0.1" for e in mine)
    visibility = next(e for e in mine if e["action"] == "project.visibility")
    assert visibility["detail"] == {"from": "public", "to": "private"}
