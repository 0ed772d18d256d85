"""Authentication and authorisation against a real hub."""

from __future__ import annotations

import base64
import os
import stat

import httpx
import pytest

from corral.testing.hub import ADMIN_PASSWORD, Hub
from tests import factories as f


def _client(hub: Hub, headers: dict[str, str] | None = None) -> httpx.Client:
    return httpx.Client(base_url=hub.url + "/api/v1", headers=headers or {}, timeout=30)


def _bearer(access: str, secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access}:{secret}"}


def _basic(name: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{name}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_health_is_the_only_anonymous_endpoint(hub: Hub) -> None:
    assert httpx.get(hub.url + "/health").status_code == 200
    with _client(hub) as anon:
        for path in (
            "/tasks",
            "/projects",
            "/users",
            "/keys",
            "/queues",
            "/openapi.json",
            "/docs",
            "/changes",
            "/models",
            "/files?prefix=",
            "/auth/me",
        ):
            r = anon.get(path)
            assert r.status_code == 401, (path, r.status_code)
            assert r.headers["content-type"].startswith("application/problem+json")


def test_no_key_wrong_secret_and_unknown_key_are_401(hub: Hub) -> None:
    with _client(hub, _bearer(hub.access_key, "wrong-secret")) as c:
        assert c.get("/tasks").status_code == 401
    with _client(hub, _bearer("CKNOSUCHKEY", hub.secret_key)) as c:
        assert c.get("/tasks").status_code == 401
    with _client(hub, {"Authorization": "Bearer no-colon-here"}) as c:
        r = c.get("/tasks")
        assert r.status_code == 401
        assert "malformed" in r.json()["detail"]
    with _client(hub, {"Authorization": "Digest abc"}) as c:
        assert c.get("/tasks").status_code == 401


def test_key_works_with_bearer_and_basic_and_password_with_basic(hub: Hub) -> None:
    with _client(hub, _bearer(hub.access_key, hub.secret_key)) as c:
        assert c.get("/auth/me").json()["name"] == "admin"
    with _client(hub, _basic(hub.access_key, hub.secret_key)) as c:
        assert c.get("/auth/me").json()["name"] == "admin"
    with _client(hub, _basic("admin", ADMIN_PASSWORD)) as c:
        assert c.get("/auth/me").json()["role"] == "admin"
    with _client(hub, _basic("admin", "not-the-password")) as c:
        assert c.get("/auth/me").status_code == 401


def test_revoked_key_is_401(api: httpx.Client, hub: Hub) -> None:
    key = f.ok(api.post("/keys", json={"label": "short-lived"}))
    with _client(hub, _bearer(key["access_key"], key["secret_key"])) as c:
        assert c.get("/tasks").status_code == 200
        revoked = f.ok(api.delete(f"/keys/{key['id']}"))
        assert revoked["revoked_at"] is not None
        assert c.get("/tasks").status_code == 401


def test_user_cannot_manage_users_but_admin_can(api: httpx.Client, hub: Hub) -> None:
    name = f.unique("user")
    user = f.ok(api.post("/users", json={"name": name, "password": "a-long-password"}))
    assert user["role"] == "user"
    key = f.ok(api.post("/keys", json={"user_id": user["id"], "label": "for user"}))
    assert key["user_id"] == user["id"]
    with _client(hub, _bearer(key["access_key"], key["secret_key"])) as c:
        r = c.post("/users", json={"name": f.unique("x"), "password": "a-long-password"})
        assert r.status_code == 403
        assert c.patch(f"/users/{user['id']}", json={"role": "admin"}).status_code == 403
        assert c.delete(f"/users/{user['id']}").status_code == 403
        assert c.post("/keys", json={"user_id": hub_admin_id(api)}).status_code == 403
        # a user manages their own keys and e-mail (a password change needs the old one:
        # POST /auth/password)
        own = f.ok(c.post("/keys", json={"label": "mine"}))
        assert own["user_id"] == user["id"]
        assert {k["id"] for k in f.ok(c.get("/keys"))} == {key["id"], own["id"]}
        f.ok(c.patch(f"/users/{user['id']}", json={"email": "user@example.com"}))
        r = c.patch(f"/users/{user['id']}", json={"password": "another-long-password"})
        assert r.status_code == 403
    # deactivating the user stops their keys at once
    f.ok(api.delete(f"/users/{user['id']}"))
    with _client(hub, _bearer(key["access_key"], key["secret_key"])) as c:
        assert c.get("/tasks").status_code == 401


def hub_admin_id(api: httpx.Client) -> str:
    return f.ok(api.get("/auth/me"))["id"]


def test_secrets_are_stored_hashed(hub: Hub, api: httpx.Client) -> None:
    key = f.ok(api.post("/keys", json={"label": "hash check"}))
    listed = f.ok(api.get("/keys"))
    assert all("secret" not in k and "secret_key" not in k for k in listed)
    if hub.backend == "sqlite":
        raw = (hub.data_dir / "corral.db").read_bytes()
        wal = hub.data_dir / "corral.db-wal"
        raw += wal.read_bytes() if wal.exists() else b""
        assert key["secret_key"].encode() not in raw
        assert hub.secret_key.encode() not in raw
        assert ADMIN_PASSWORD.encode() not in raw
    assert key["secret_key"] not in hub.log()


def test_first_start_writes_private_config_and_password_file(fresh_hub: Hub) -> None:
    mode = stat.S_IMODE(os.stat(fresh_hub.config_file).st_mode)
    assert mode == 0o600
    text = fresh_hub.config_file.read_text()
    assert fresh_hub.access_key in text and fresh_hub.url in text
    # CORRAL_ADMIN_PASSWORD was given, so no password file is written
    assert not (fresh_hub.data_dir / "initial_admin_password").exists()


def test_generated_admin_password_is_kept_private(tmp_path) -> None:
    from corral.testing.hub import make_hub

    hub = make_hub(tmp_path / "hub", "sqlite")
    hub.extra_env = {}
    env_backup = hub.env

    def env_without_password() -> dict[str, str]:
        e = env_backup()
        e.pop("CORRAL_ADMIN_PASSWORD")
        return e

    hub.env = env_without_password  # type: ignore[method-assign]
    hub.start()
    try:
        pw_file = hub.data_dir / "initial_admin_password"
        assert stat.S_IMODE(os.stat(pw_file).st_mode) == 0o600
        password = pw_file.read_text().strip()
        assert len(password) >= 16
        with _client(hub, _basic("admin", password)) as c:
            assert c.get("/auth/me").json()["name"] == "admin"
        # a restart does not create a second admin or a new key
        first_key = hub.access_key
        hub.restart()
        assert hub.access_key == first_key
        with hub.client() as c:
            admins = [u for u in f.ok(c.get("/users")) if u["role"] == "admin"]
            assert len(admins) == 1
    finally:
        hub.dispose()


class TestCookieSession:
    def test_login_sets_httponly_cookie_and_csrf_protects_changes(self, hub: Hub) -> None:
        with _client(hub) as browser:
            r = browser.post("/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
            assert r.status_code == 200, r.text
            csrf = r.json()["csrf_token"]
            cookie = r.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=strict" in cookie
            # reads work with the cookie alone
            assert browser.get("/tasks").status_code == 200
            me = browser.get("/auth/me").json()
            assert me["csrf_token"] == csrf
            # a change without the CSRF header is refused and changes nothing
            name = f.unique("csrf")
            r = browser.post("/projects", json={"name": name})
            assert r.status_code == 403
            assert browser.get("/projects", params={"search": name}).json() == []
            r = browser.post("/projects", json={"name": name}, headers={"X-CSRF-Token": "forged"})
            assert r.status_code == 403
            r = browser.post("/projects", json={"name": name}, headers={"X-CSRF-Token": csrf})
            assert r.status_code == 201
            # logout ends the session
            assert browser.post("/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
            assert browser.get("/tasks").status_code == 401

    def test_wrong_password_is_401(self, hub: Hub) -> None:
        with _client(hub) as browser:
            r = browser.post("/auth/login", json={"username": "admin", "password": "nope"})
            assert r.status_code == 401
            assert "set-cookie" not in r.headers


@pytest.mark.parametrize("path", ["/users", "/keys"])
def test_lists_are_json_arrays(api: httpx.Client, path: str) -> None:
    assert isinstance(f.ok(api.get(path)), list)


def test_docs_page_asks_a_browser_to_log_in(hub: Hub) -> None:
    anon = httpx.get(hub.url + "/api/v1/docs")
    assert anon.status_code == 401
    assert anon.headers["www-authenticate"].startswith("Basic ")
    # the API itself keeps the Bearer challenge (no browser prompt under the web UI)
    assert httpx.get(hub.url + "/api/v1/tasks").headers["www-authenticate"].startswith("Bearer ")
    page = httpx.get(hub.url + "/api/v1/docs", auth=("admin", ADMIN_PASSWORD))
    assert page.status_code == 200 and "swagger" in page.text.lower()
    wrong = httpx.get(hub.url + "/api/v1/openapi.json", auth=("admin", "not-the-password"))
    assert wrong.status_code == 401


def test_a_route_without_authentication_stops_the_hub_from_being_built(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fastapi import APIRouter

    from corral.server.api.routes import check_authenticated
    from corral.server.app import create_app
    from corral.server.settings import ServerSettings

    app = create_app(ServerSettings(data_dir=tmp_path))
    check_authenticated(app)  # the hub as built: every route authenticates
    leaky = APIRouter()

    @leaky.get("/api/v1/leaky")
    def leaky_route() -> dict[str, str]:
        return {}

    app.include_router(leaky)
    with pytest.raises(RuntimeError, match="/api/v1/leaky"):
        check_authenticated(app)
