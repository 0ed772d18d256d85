"""Users, service accounts, teams and scoped API keys against a real hub."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from corral.testing.hub import Hub
from tests import factories as f
from tests.agents import wait_for

#: passes the password policy (12+ characters, zxcvbn score 3+)
STRONG = "violet harbor crane 47"
OTHER_STRONG = "quiet-lantern-orbit-meadow"


def _bearer(key: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {key['access_key']}:{key['secret_key']}"}


@contextmanager
def as_key(hub: Hub, key: dict[str, Any]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hub.url + "/api/v1", headers=_bearer(key), timeout=30) as c:
        yield c


def make_user(api: httpx.Client, **body: Any) -> dict[str, Any]:
    body.setdefault("name", f.unique("u"))
    return f.ok(api.post("/users", json=body))


def key_for(api: httpx.Client, user: dict[str, Any], **body: Any) -> dict[str, Any]:
    return f.ok(api.post("/keys", json={"user_id": user["id"], **body}))


def audit(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    return f.ok(api.get("/audit", params=params))["items"]


def changes_of(api: httpx.Client, cursor: int, entity_type: str, entity_id: str) -> list[str]:
    page = f.ok(
        api.get(
            "/changes",
            params={"cursor": cursor, "entity_type": entity_type, "entity_id": entity_id},
        )
    )
    return [c["action"] for c in page["items"]]


def latest(api: httpx.Client) -> int:
    return int(f.ok(api.get("/changes/latest"))["cursor"])


# --- users -----------------------------------------------------------------------------


def test_admin_creates_people_and_service_accounts(api: httpx.Client) -> None:
    person = make_user(api, password=STRONG, email="p@example.com", allowed_ips=["10.1.2.3"])
    assert person["kind"] == "person" and person["role"] == "user"
    assert person["auth_source"] == "local"
    assert person["allowed_ips"] == ["10.1.2.3/32"]
    agent = make_user(api, kind="service", role="worker")
    assert agent["kind"] == "service" and agent["role"] == "worker"
    entries = audit(api, action="user.created", target_id=agent["id"])
    assert entries[0]["detail"]["role"] == "worker"
    assert entries[0]["actor_name"] == "admin"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"kind": "service", "password": STRONG}, "service account has no password"),
        ({"role": "superuser"}, "role"),
        ({"allowed_ips": ["10.0.0.0/33"]}, "not an IP network"),
        ({"allowed_ips": ["not-a-network"]}, "not an IP network"),
        ({"password": "short"}, "at least 12 characters"),
        ({"password": "password1234"}, "too weak"),
    ],
)
def test_bad_user_is_422_and_creates_nothing(
    api: httpx.Client, body: dict[str, Any], words: str
) -> None:
    name = f.unique("bad")
    r = api.post("/users", json={"name": name, **body})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert words in r.json()["detail"]
    assert api.get(f"/users/{name}").status_code == 404


def test_password_must_not_contain_the_name(api: httpx.Client) -> None:
    name = f.unique("marigold")
    r = api.post("/users", json={"name": name, "password": f"{name}-violet-harbor"})
    assert r.status_code == 422 and "user name" in r.json()["detail"]


def test_duplicate_user_is_409(api: httpx.Client) -> None:
    user = make_user(api)
    assert api.post("/users", json={"name": user["name"]}).status_code == 409


def test_others_email_and_role_are_hidden_from_non_admins(api: httpx.Client, hub: Hub) -> None:
    me = make_user(api, email="me@example.com")
    other = make_user(api, email="other@example.com", role="admin")
    with as_key(hub, key_for(api, me)) as c:
        listed = {u["id"]: u for u in f.ok(c.get("/users"))}
        assert listed[me["id"]]["email"] == "me@example.com"
        assert listed[me["id"]]["role"] == "user"
        assert listed[other["id"]]["email"] is None and listed[other["id"]]["role"] is None
        assert listed[other["id"]]["allowed_ips"] is None
        assert listed[other["id"]]["name"] == other["name"]
        one = f.ok(c.get(f"/users/{other['name']}"))
        assert one["email"] is None and one["role"] is None
    # admins see everything
    full = {u["id"]: u for u in f.ok(api.get("/users"))}
    assert full[other["id"]]["email"] == "other@example.com"
    assert full[other["id"]]["role"] == "admin"


def test_agent_accounts_do_not_read_the_directory(api: httpx.Client, hub: Hub) -> None:
    agent = make_user(api, kind="service", role="worker")
    with as_key(hub, key_for(api, agent)) as c:
        assert c.get("/users").status_code == 403
        assert c.get("/teams").status_code == 403


def test_users_change_only_their_own_email(api: httpx.Client, hub: Hub) -> None:
    me = make_user(api, password=STRONG)
    other = make_user(api)
    with as_key(hub, key_for(api, me)) as c:
        changed = f.ok(c.patch(f"/users/{me['id']}", json={"email": "new@example.com"}))
        assert changed["email"] == "new@example.com"
        r = c.patch(f"/users/{me['id']}", json={"password": OTHER_STRONG})
        assert r.status_code == 403 and "/auth/password" in r.json()["detail"]
        assert c.patch(f"/users/{me['id']}", json={"role": "admin"}).status_code == 403
        assert c.patch(f"/users/{me['id']}", json={"allowed_ips": []}).status_code == 403
        assert c.patch(f"/users/{other['id']}", json={"email": "x@example.com"}).status_code == 403
        assert c.delete(f"/users/{other['id']}").status_code == 403
    me_now = f.ok(api.get(f"/users/{me['id']}"))
    assert me_now["role"] == "user" and me_now["email"] == "new@example.com"


@contextmanager
def _login(hub: Hub, name: str, password: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hub.url + "/api/v1", timeout=30) as browser:
        f.ok(browser.post("/auth/login", json={"username": name, "password": password}))
        yield browser


def test_password_reset_ends_the_users_sessions(api: httpx.Client, hub: Hub) -> None:
    user = make_user(api, password=STRONG)
    with _login(hub, user["name"], STRONG) as browser:
        assert browser.get("/auth/me").status_code == 200
        weak = api.patch(f"/users/{user['id']}", json={"password": "qwertyuiopas"})
        assert weak.status_code == 422
        assert browser.get("/auth/me").status_code == 200  # a refused reset changed nothing
        f.ok(api.patch(f"/users/{user['id']}", json={"password": OTHER_STRONG}))
        assert browser.get("/auth/me").status_code == 401
    assert httpx.get(hub.url + "/api/v1/auth/me", auth=(user["name"], STRONG)).status_code == 401
    me = httpx.get(hub.url + "/api/v1/auth/me", auth=(user["name"], OTHER_STRONG))
    assert me.status_code == 200
    entry = audit(api, action="user.updated", target_id=user["id"])[0]
    assert entry["detail"] == {"password": "reset"}
    assert OTHER_STRONG not in str(entry)


def test_deactivation_ends_sessions_and_keys_and_is_recorded(api: httpx.Client, hub: Hub) -> None:
    user = make_user(api, password=STRONG)
    key = key_for(api, user)
    cursor = latest(api)
    with _login(hub, user["name"], STRONG) as browser, as_key(hub, key) as c:
        assert c.get("/auth/me").status_code == 200
        gone = f.ok(api.delete(f"/users/{user['name']}"))
        assert gone["active"] is False
        assert c.get("/auth/me").status_code == 401
        assert browser.get("/auth/me").status_code == 401
    assert "deactivated" in changes_of(api, cursor, "user", user["id"])
    assert audit(api, action="user.deactivated", target_id=user["id"])
    # an admin brings the user back: the same key works again
    f.ok(api.patch(f"/users/{user['id']}", json={"active": True}))
    with as_key(hub, key) as c:
        assert c.get("/auth/me").status_code == 200


def test_role_change_is_audited_and_recorded(api: httpx.Client) -> None:
    user = make_user(api)
    cursor = latest(api)
    changed = f.ok(api.patch(f"/users/{user['id']}", json={"role": "admin"}))
    assert changed["role"] == "admin"
    entry = audit(api, action="user.role_changed", target_id=user["id"])[0]
    assert entry["detail"] == {"from": "user", "to": "admin"}
    assert "updated" in changes_of(api, cursor, "user", user["id"])
    r = api.patch(f"/users/{user['id']}", json={"role": "owner"})
    assert r.status_code == 422


def test_user_allowlist_is_enforced(api: httpx.Client, hub: Hub) -> None:
    user = make_user(api, allowed_ips=["10.0.0.0/8"])
    key = key_for(api, user)
    with as_key(hub, key) as c:
        r = c.get("/auth/me")
        assert r.status_code == 403 and "allow" in r.json()["detail"]
    f.ok(api.patch(f"/users/{user['id']}", json={"allowed_ips": ["127.0.0.0/8", "::1"]}))
    with as_key(hub, key) as c:
        assert c.get("/auth/me").status_code == 200
    bad = api.patch(f"/users/{user['id']}", json={"allowed_ips": ["300.1.1.1/8"]})
    assert bad.status_code == 422
    assert f.ok(api.get(f"/users/{user['id']}"))["allowed_ips"] == ["127.0.0.0/8", "::1/128"]


# --- keys ------------------------------------------------------------------------------


def test_read_only_key_reads_but_never_writes(api: httpx.Client, hub: Hub) -> None:
    user = make_user(api)
    key = key_for(api, user, read_only=True, label="dashboards")
    assert key["read_only"] is True and key["kind"] == "user"
    with as_key(hub, key) as c:
        assert c.get("/auth/me").status_code == 200
        assert c.post("/projects", json={"name": f.unique("ro")}).status_code == 403
        assert c.post("/keys", json={"label": "wider"}).status_code == 403


def test_project_limited_key_cannot_make_a_wider_key(api: httpx.Client, hub: Hub) -> None:
    user = make_user(api)
    full = key_for(api, user)
    with as_key(hub, full) as c:
        mine = f.project(c)
        other = f.project(c)
        limited = f.ok(c.post("/keys", json={"projects": [mine["name"]]}))
        assert limited["projects"] == [mine["id"]]
    with as_key(hub, limited) as c:
        assert c.get(f"/projects/{mine['id']}").status_code == 200
        assert c.get(f"/projects/{other['id']}").status_code == 404
        r = c.post("/keys", json={"label": "unlimited"})
        assert r.status_code == 422 and "wider than your own rights" in r.json()["detail"]
        r = c.post("/keys", json={"projects": [other["id"]]})
        assert r.status_code == 422 and "wider than your own rights" in r.json()["detail"]
        same = f.ok(c.post("/keys", json={"projects": [mine["id"]], "read_only": True}))
        assert same["projects"] == [mine["id"]] and same["read_only"]
        assert c.post("/keys", json={"user_id": "admin"}).status_code == 403


def test_key_projects_must_exist(api: httpx.Client) -> None:
    r = api.post("/keys", json={"projects": [f.unique("no-such-project")]})
    assert r.status_code == 422
    assert "wider than your own rights" in r.json()["detail"]


def test_key_expiry(api: httpx.Client, hub: Hub) -> None:
    now = datetime.now(timezone.utc)
    past = api.post("/keys", json={"expires_at": (now - timedelta(minutes=1)).isoformat()})
    assert past.status_code == 422 and "past" in past.json()["detail"]
    user = make_user(api)
    in_an_hour = now + timedelta(hours=1)
    key = key_for(api, user, expires_at=in_an_hour.isoformat())
    assert datetime.fromisoformat(key["expires_at"]) == in_an_hour
    with as_key(hub, key) as c:
        for later in (None, (in_an_hour + timedelta(minutes=1)).isoformat()):
            r = c.post("/keys", json={"expires_at": later})
            assert r.status_code == 422 and "expires" in r.json()["detail"], later
        sooner = now + timedelta(seconds=3)
        short = f.ok(c.post("/keys", json={"expires_at": sooner.isoformat()}))
    with as_key(hub, short) as c:
        assert c.get("/auth/me").status_code == 200
        wait_for(lambda: c.get("/auth/me").status_code == 401, "the key to expire", timeout=30)


def test_key_allowlist(api: httpx.Client, hub: Hub) -> None:
    user = make_user(api)
    elsewhere = key_for(api, user, allowed_ips=["192.0.2.0/24"])
    with as_key(hub, elsewhere) as c:
        assert c.get("/auth/me").status_code == 403
    here = key_for(api, user, allowed_ips=["127.0.0.1", "::1"])
    assert here["allowed_ips"] == ["127.0.0.1/32", "::1/128"]
    with as_key(hub, here) as c:
        assert c.get("/auth/me").status_code == 200
        r = c.post("/keys", json={"label": "anywhere"})
        assert r.status_code == 422 and "allowed_ips" in r.json()["detail"]
        r = c.post("/keys", json={"allowed_ips": ["127.0.0.0/8"]})
        assert r.status_code == 422
        f.ok(c.post("/keys", json={"allowed_ips": ["127.0.0.1/32"]}))
    assert api.post("/keys", json={"allowed_ips": ["10.0.0.0/40"]}).status_code == 422


def test_only_admins_make_keys_for_others(api: httpx.Client, hub: Hub) -> None:
    user = make_user(api)
    service = make_user(api, kind="service")
    made = f.ok(api.post("/keys", json={"user_id": service["name"], "label": "robot"}))
    assert made["user_id"] == service["id"]
    unknown = api.post("/keys", json={"user_id": f.unique("nobody")})
    assert unknown.status_code == 422 and "no user" in unknown.json()["detail"]
    assert api.post("/keys", json={"kind": "task"}).status_code == 422
    with as_key(hub, key_for(api, user)) as c:
        assert c.post("/keys", json={"user_id": service["id"]}).status_code == 403
        own = f.ok(c.post("/keys", json={"user_id": user["name"]}))
        assert own["user_id"] == user["id"]
    entry = audit(api, action="key.created", target_id=service["id"])[0]
    assert entry["target_type"] == "user" and entry["target_name"] == service["name"]
    assert entry["detail"]["key_id"] == made["id"]
    assert made["secret_key"] not in str(entry)


def test_keys_list_last_use_and_revocation(api: httpx.Client, hub: Hub) -> None:
    user = make_user(api)
    other = make_user(api)
    key = key_for(api, user)
    other_key = key_for(api, other)
    with as_key(hub, key) as c:
        f.project(c)  # a write records the key's use
        listed = {k["id"]: k for k in f.ok(c.get("/keys"))}
        assert set(listed) == {key["id"]}
        assert listed[key["id"]]["last_used_at"] is not None
        assert listed[key["id"]]["last_used_address"] == "127.0.0.1"
        assert all(k["kind"] == "user" for k in listed.values())
        assert c.get("/keys", params={"all": True}).status_code == 403
        assert c.delete(f"/keys/{other_key['id']}").status_code == 404
    every = {k["id"] for k in f.ok(api.get("/keys", params={"all": True}))}
    assert {key["id"], other_key["id"]} <= every
    theirs = f.ok(api.get("/keys", params={"user": other["name"]}))
    assert [k["id"] for k in theirs] == [other_key["id"]]
    revoked = f.ok(api.delete(f"/keys/{other_key['access_key']}"))
    assert revoked["revoked_at"] is not None
    entry = audit(api, action="key.revoked", target_id=other["id"])[0]
    assert entry["detail"]["key_id"] == other_key["id"]
    with as_key(hub, other_key) as c:
        assert c.get("/auth/me").status_code == 401


# --- teams -----------------------------------------------------------------------------


def test_team_lifecycle(api: httpx.Client, hub: Hub) -> None:
    alice = make_user(api)
    bob = make_user(api)
    name = f.unique("team")
    cursor = latest(api)
    team = f.ok(api.post("/teams", json={"name": name, "description": "vision"}))
    assert team["source"] == "local" and team["members"] == []
    assert api.post("/teams", json={"name": name}).status_code == 409
    team = f.ok(api.put(f"/teams/{name}/members/{alice['name']}"))
    team = f.ok(api.put(f"/teams/{team['id']}/members/{bob['id']}"))
    team = f.ok(api.put(f"/teams/{team['id']}/members/{bob['id']}"))  # twice is fine
    assert [m["name"] for m in team["members"]] == sorted([alice["name"], bob["name"]])
    with as_key(hub, key_for(api, alice)) as c:
        mine = f.ok(c.get(f"/users/{alice['id']}"))
        assert mine["teams"] == [{"id": team["id"], "name": name}]
        assert f.ok(c.get(f"/teams/{name}"))["id"] == team["id"]
        assert name in {t["name"] for t in f.ok(c.get("/teams"))}
        # only admins change teams
        assert c.post("/teams", json={"name": f.unique("t")}).status_code == 403
        assert c.put(f"/teams/{name}/members/{alice['id']}").status_code == 403
        assert c.delete(f"/teams/{name}/members/{bob['id']}").status_code == 403
        assert c.patch(f"/teams/{name}", json={"description": "x"}).status_code == 403
        assert c.delete(f"/teams/{name}").status_code == 403
    team = f.ok(api.delete(f"/teams/{name}/members/{bob['name']}"))
    assert [m["id"] for m in team["members"]] == [alice["id"]]
    renamed = f.ok(api.patch(f"/teams/{name}", json={"name": name + "-2"}))
    assert renamed["name"] == name + "-2"
    f.ok(api.delete(f"/teams/{team['id']}"))
    assert api.get(f"/teams/{team['id']}").status_code == 404
    assert changes_of(api, cursor, "team", team["id"]) == [
        "created",
        "member_added",
        "member_added",
        "member_removed",
        "updated",
        "deleted",
    ]
    actions = [e["action"] for e in audit(api, target_type="team", target_id=team["id"])]
    assert actions == [
        "team.deleted",
        "team.updated",
        "team.member_removed",
        "team.member_added",
        "team.member_added",
        "team.created",
    ]


def test_missing_team_or_user_is_a_clear_404(api: httpx.Client) -> None:
    team = f.ok(api.post("/teams", json={"name": f.unique("t")}))
    user = make_user(api)
    r = api.put(f"/teams/{team['id']}/members/{f.unique('nobody')}")
    assert r.status_code == 404 and "no user" in r.json()["detail"]
    r = api.put(f"/teams/{f.unique('noteam')}/members/{user['id']}")
    assert r.status_code == 404 and "no team" in r.json()["detail"]
    r = api.delete(f"/teams/{team['id']}/members/{user['id']}")
    assert r.status_code == 404 and "not a member" in r.json()["detail"]


@pytest.mark.parametrize("name", ["", "a/b", "tab\there", "nul\x00"])
def test_bad_team_name_is_422(api: httpx.Client, name: str) -> None:
    assert api.post("/teams", json={"name": name}).status_code == 422


def test_team_membership_gives_and_takes_project_roles(api: httpx.Client, hub: Hub) -> None:
    user = make_user(api)
    project = f.project(api)
    f.ok(api.patch(f"/projects/{project['id']}", json={"visibility": "private"}))
    team = f.ok(api.post("/teams", json={"name": f.unique("readers")}))
    f.member(api, project["id"], team["name"], "viewer", member_type="team")
    with as_key(hub, key_for(api, user)) as c:
        assert c.get(f"/projects/{project['id']}").status_code == 404
        f.ok(api.put(f"/teams/{team['id']}/members/{user['id']}"))
        assert c.get(f"/projects/{project['id']}").status_code == 200
        f.ok(api.delete(f"/teams/{team['id']}/members/{user['id']}"))
        assert c.get(f"/projects/{project['id']}").status_code == 404
        f.ok(api.put(f"/teams/{team['id']}/members/{user['id']}"))
        assert c.get(f"/projects/{project['id']}").status_code == 200
        cursor = latest(api)
        f.ok(api.delete(f"/teams/{team['id']}"))
        assert c.get(f"/projects/{project['id']}").status_code == 404
    members = f.ok(api.get(f"/projects/{project['id']}/members"))
    assert team["id"] not in {m["member_id"] for m in members}
    assert "members" in changes_of(api, cursor, "project", project["id"])


def test_private_project_key_scope_needs_read_access(api: httpx.Client, hub: Hub) -> None:
    user = make_user(api)
    secret = f.project(api)
    f.ok(api.patch(f"/projects/{secret['id']}", json={"visibility": "private"}))
    with as_key(hub, key_for(api, user)) as c:
        for ref in (secret["id"], secret["name"]):
            r = c.post("/keys", json={"projects": [ref]})
            assert r.status_code == 422 and "wider than your own rights" in r.json()["detail"]
    f.member(api, secret["id"], user["id"], "viewer")
    with as_key(hub, key_for(api, user)) as c:
        scoped = f.ok(c.post("/keys", json={"projects": [secret["name"]]}))
        assert scoped["projects"] == [secret["id"]]


def test_single_sign_on_teams_change_in_the_identity_provider(api: httpx.Client, hub: Hub) -> None:
    from sqlalchemy import create_engine, text

    team = f.ok(api.post("/teams", json={"name": f.unique("sso")}))
    user = make_user(api)
    # single sign-on makes such teams from group claims; here the row is marked by hand
    engine = create_engine(hub.database_url or f"sqlite:///{hub.data_dir / 'corral.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE teams SET source = 'oidc' WHERE id = :id"), {"id": team["id"]}
            )
    finally:
        engine.dispose()
    assert f.ok(api.get(f"/teams/{team['id']}"))["source"] == "oidc"
    r = api.put(f"/teams/{team['id']}/members/{user['id']}")
    assert r.status_code == 409 and "identity provider" in r.json()["detail"]
    r = api.patch(f"/teams/{team['id']}", json={"name": f.unique("renamed")})
    assert r.status_code == 409
    described = f.ok(api.patch(f"/teams/{team['id']}", json={"description": "from SSO"}))
    assert described["description"] == "from SSO" and described["members"] == []
