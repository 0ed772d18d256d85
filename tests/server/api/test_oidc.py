"""Single sign-on against a real OpenID Connect provider on loopback (``tests/oidc``).

The browser's part is played by httpx here (the provider's login and consent are
plain forms); the chromium test is ``tests/ui/test_oidc_login.py``. Each test uses
accounts of its own on a provider and hub shared by the module (one per backend).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from corral.errors import AuthError
from corral.server.auth.oidc import COOKIE, COOKIE_PATH, safe_next, seal, unseal
from corral.testing.hub import Hub, free_port, make_hub
from tests import factories as f
from tests.oidc.local_provider import SSO_NAME, LocalProvider, database, drive_login, sso_hub

BACKENDS = ["sqlite"] + (["postgres"] if os.environ.get("CORRAL_TEST_DATABASE_URL") else [])


@pytest.fixture(scope="module", params=BACKENDS)
def sso(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Hub, LocalProvider]]:
    with sso_hub(tmp_path_factory.mktemp(f"sso-{request.param}"), request.param) as pair:
        yield pair


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    """An HTTP client that keeps cookies like a browser (and follows nothing by itself)."""
    with httpx.Client(timeout=60) as c:
        yield c


def _account(provider: LocalProvider, groups: list[str] | None = None, **claims: Any) -> str:
    login = f.unique("sso")
    provider.add_account(
        login, f"pw-{login}", groups=groups, email=f"{login}@example.com", **claims
    )
    return login


def _user_row(hub: Hub, external_id: str) -> dict[str, Any] | None:
    engine = database(hub)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT id, name, auth_source, password_hash, active FROM users"
                    " WHERE external_id = :x"
                ),
                {"x": external_id},
            ).first()
    finally:
        engine.dispose()
    return dict(row._mapping) if row is not None else None


def _teams_of(hub: Hub, user_id: str) -> dict[str, str]:
    """The user's teams as an admin sees them: name -> source."""
    with hub.client() as api:
        names = {t["name"] for t in f.ok(api.get(f"/users/{user_id}"))["teams"]}
        return {t["name"]: t["source"] for t in f.ok(api.get("/teams")) if t["name"] in names}


def _audit(hub: Hub, action: str, detail_contains: str) -> list[dict[str, Any]]:
    """Entries of ``action`` in the audit log (as an admin reads it) whose detail says so."""
    with hub.client() as api:
        items = f.ok(api.get("/audit", params={"action": action, "limit": 500}))["items"]
    return [e for e in items if detail_contains in str(e["detail"])]


def _login(
    client: httpx.Client, hub: Hub, provider: LocalProvider, login: str, next_path: str = "/"
) -> httpx.Response:
    callback = drive_login(client, hub, login, f"pw-{login}", next_path=next_path)
    return client.get(callback)


def _external_id(provider: LocalProvider, login: str) -> str:
    return f"{provider.issuer}|{login}"


def test_providers_name_the_sso_button(sso: tuple[Hub, LocalProvider]) -> None:
    hub, _ = sso
    answer = httpx.get(hub.url + "/api/v1/auth/providers").json()
    assert answer == {"password": True, "oidc": {"name": SSO_NAME}}


def test_without_an_issuer_sso_is_off(hub: Hub) -> None:
    with hub.anonymous() as anon:
        assert f.ok(anon.get("/auth/providers")) == {"password": True, "oidc": None}
        r = anon.get("/auth/oidc/login", params={"next": "/"})
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "not configured" in r.json()["detail"]
        r = anon.get("/auth/oidc/callback", params={"code": "x", "state": "y"})
        assert r.status_code == 404
        assert "corral_session" not in r.cookies


def test_login_sends_the_browser_to_the_provider_with_pkce_state_and_nonce(
    sso: tuple[Hub, LocalProvider], browser: httpx.Client
) -> None:
    hub, provider = sso
    r = browser.get(hub.url + "/api/v1/auth/oidc/login", params={"next": "/projects"})
    assert r.status_code == 302
    target = httpx.URL(r.headers["location"])
    assert str(target).startswith(provider.issuer + "/auth?")
    query = dict(target.params)
    assert query["client_id"] == provider.client_id
    assert query["redirect_uri"] == f"{hub.url}/api/v1/auth/oidc/callback"
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43  # base64url of a SHA-256
    assert query["state"] and query["nonce"]
    assert set(query["scope"].split()) >= {"openid", "email", "profile", "groups"}
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert f"Path={COOKIE_PATH}" in cookie and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    # the state travels sealed: neither the state nor the verifier can be read in it
    assert query["state"] not in cookie


def test_first_login_creates_the_user_with_teams_from_groups(
    sso: tuple[Hub, LocalProvider], browser: httpx.Client
) -> None:
    hub, provider = sso
    group = f.unique("grp")
    # a plain group, and a group path (as Keycloak sends them)
    login = _account(provider, groups=[group, f"/{group}/b"], name="Ada Lovelace")
    r = _login(browser, hub, provider, login, next_path="/projects?sort=name")
    assert r.status_code == 302, r.text
    assert r.headers["location"] == "/projects?sort=name"
    assert "corral_session" in browser.cookies

    # the session works like a password login's: /auth/me gives the CSRF token...
    me = f.ok(browser.get(hub.url + "/api/v1/auth/me"))
    assert me["user"]["name"] == login
    assert me["user"]["email"] == f"{login}@example.com"
    assert me["user"]["role"] == "user"
    csrf = me["csrf_token"]
    # ...which a change must send
    key = browser.post(hub.url + "/api/v1/keys", json={"label": "sso"})
    assert key.status_code == 403
    key = browser.post(
        hub.url + "/api/v1/keys", json={"label": "sso"}, headers={"X-CSRF-Token": csrf}
    )
    assert key.status_code == 201, key.text

    row = _user_row(hub, _external_id(provider, login))
    assert row is not None
    assert row["auth_source"] == "oidc" and row["password_hash"] is None
    assert _teams_of(hub, row["id"]) == {group: "oidc", f"{group}:b": "oidc"}
    with hub.client() as api:
        assert f.ok(api.get(f"/users/{row['id']}"))["auth_source"] == "oidc"
    ok = _audit(hub, "login.ok", "oidc")
    assert [e for e in ok if e["actor_id"] == row["id"] and e["address"] == "127.0.0.1"]


def test_each_login_sets_oidc_teams_to_the_groups_and_leaves_local_teams(
    sso: tuple[Hub, LocalProvider], browser: httpx.Client
) -> None:
    hub, provider = sso
    g = f.unique("grp")
    login = _account(provider, groups=[f"{g}-1", f"{g}-2"])
    assert _login(browser, hub, provider, login).status_code == 302
    row = _user_row(hub, _external_id(provider, login))
    assert row is not None
    # an admin's local team the user belongs to, and one named like a provider group
    with hub.client() as api:
        local = f.ok(api.post("/teams", json={"name": f"{g}-local"}))
        f.ok(api.post("/teams", json={"name": f"{g}-3"}))
        f.ok(api.put(f"/teams/{local['id']}/members/{row['id']}"))

    provider.add_account(
        login, f"pw-{login}", groups=[f"{g}-2", f"{g}-3", f"{g}-4"], email=f"{login}@example.com"
    )
    browser.cookies.clear()
    assert _login(browser, hub, provider, login).status_code == 302
    assert _teams_of(hub, row["id"]) == {
        f"{g}-2": "oidc",  # kept
        f"{g}-4": "oidc",  # created and joined
        f"{g}-local": "local",  # untouched
        # -1 left; -3 is a local team: the provider does not put anyone in it
    }
    assert _audit(hub, "team.member_removed", row["name"])


def test_a_provider_name_taken_by_a_local_user_gets_a_name_of_its_own(
    sso: tuple[Hub, LocalProvider], browser: httpx.Client
) -> None:
    hub, provider = sso
    taken = f.unique("taken")
    with hub.client() as api:
        local = f.ok(api.post("/users", json={"name": taken, "password": "a-long-password-1"}))
    login = _account(provider, preferred_username=taken)
    assert _login(browser, hub, provider, login).status_code == 302
    me = f.ok(browser.get(hub.url + "/api/v1/auth/me"))["user"]
    assert me["id"] != local["id"]
    assert me["name"] == f"{taken}-2"


def test_wrong_state_is_refused_without_a_session(
    sso: tuple[Hub, LocalProvider], browser: httpx.Client
) -> None:
    hub, provider = sso
    login = _account(provider)
    callback = httpx.URL(drive_login(browser, hub, login, f"pw-{login}"))
    forged = callback.copy_set_param("state", "forged-state")
    r = browser.get(forged)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("text/html")
    assert "state does not match" in r.text
    assert 'href="/"' in r.text  # back to the login page
    assert "corral_session" not in browser.cookies
    assert _user_row(hub, _external_id(provider, login)) is None
    assert _audit(hub, "login.failed", "state does not match")


def test_a_callback_without_the_state_cookie_is_refused(
    sso: tuple[Hub, LocalProvider], browser: httpx.Client
) -> None:
    hub, provider = sso
    login = _account(provider)
    callback = drive_login(browser, hub, login, f"pw-{login}")
    # another browser (the attacker's link in the victim's browser) has no state cookie
    with httpx.Client(timeout=60) as other:
        r = other.get(callback)
        assert r.status_code == 401
        assert "no single sign-on was started" in r.text
        assert "corral_session" not in other.cookies
    # a tampered cookie is refused too
    sealed = browser.cookies.get(COOKIE, path=COOKIE_PATH)
    assert sealed
    browser.cookies.set(COOKIE, sealed[:-4] + "AAAA", domain="127.0.0.1", path=COOKIE_PATH)
    r = browser.get(callback)
    assert r.status_code == 401 and "tampered" in r.text
    assert "corral_session" not in browser.cookies


def test_a_replayed_code_is_refused(sso: tuple[Hub, LocalProvider], browser: httpx.Client) -> None:
    hub, provider = sso
    login = _account(provider)
    callback = drive_login(browser, hub, login, f"pw-{login}")
    sealed = browser.cookies.get(COOKIE, path=COOKIE_PATH)
    assert sealed
    assert browser.get(callback).status_code == 302
    # the same code and state again, with the state cookie put back (a stolen callback URL)
    with httpx.Client(timeout=60) as attacker:
        attacker.cookies.set(COOKIE, sealed, domain="127.0.0.1", path=COOKIE_PATH)
        r = attacker.get(callback)
        assert r.status_code == 401, r.text
        assert "refused the code" in r.text
        assert "corral_session" not in attacker.cookies


def test_an_id_token_for_another_nonce_is_refused(
    sso: tuple[Hub, LocalProvider], browser: httpx.Client
) -> None:
    """The provider's real ID token carries the login's nonce; another one is refused."""
    hub, provider = sso
    login = _account(provider)
    callback = drive_login(browser, hub, login, f"pw-{login}")
    sealed = browser.cookies.get(COOKIE, path=COOKIE_PATH)
    assert sealed
    state = unseal(provider.client_secret, sealed)
    resealed = seal(provider.client_secret, {**state, "nonce": "another-nonce"})
    browser.cookies.set(COOKIE, resealed, domain="127.0.0.1", path=COOKIE_PATH)
    r = browser.get(callback)
    assert r.status_code == 401, r.text
    assert "ID token is not valid" in r.text and "nonce" in r.text
    assert "corral_session" not in browser.cookies
    assert _user_row(hub, _external_id(provider, login)) is None


def test_next_outside_the_hub_lands_on_the_hub(
    sso: tuple[Hub, LocalProvider], browser: httpx.Client
) -> None:
    hub, provider = sso
    login = _account(provider)
    r = _login(browser, hub, provider, login, next_path="https://evil.example/steal")
    assert r.status_code == 302
    assert r.headers["location"] == "/"
    browser.cookies.clear()
    r = _login(browser, hub, provider, login, next_path="//evil.example/x")
    assert r.headers["location"] == "/"


def test_a_deactivated_user_is_refused(
    sso: tuple[Hub, LocalProvider], browser: httpx.Client
) -> None:
    hub, provider = sso
    login = _account(provider)
    assert _login(browser, hub, provider, login).status_code == 302
    row = _user_row(hub, _external_id(provider, login))
    assert row is not None
    with hub.client() as api:
        f.ok(api.delete(f"/users/{row['id']}"))
    browser.cookies.clear()
    r = _login(browser, hub, provider, login)
    assert r.status_code == 403
    assert "deactivated" in r.text
    assert "corral_session" not in browser.cookies
    failed = _audit(hub, "login.failed", "deactivated")
    assert [e for e in failed if e["actor_name"] == login and e["outcome"] == "failed"]


def test_a_refusal_at_the_provider_is_shown_not_a_500(
    sso: tuple[Hub, LocalProvider], browser: httpx.Client
) -> None:
    hub, _ = sso
    r = browser.get(hub.url + "/api/v1/auth/oidc/login")
    assert r.status_code == 302
    state = dict(httpx.URL(r.headers["location"]).params)["state"]
    r = browser.get(
        hub.url + "/api/v1/auth/oidc/callback",
        params={"error": "access_denied", "error_description": "the user refused", "state": state},
    )
    assert r.status_code == 401
    assert "the user refused" in r.text
    # garbage in every parameter is a 4xx page, never a 500
    r = browser.get(
        hub.url + "/api/v1/auth/oidc/callback", params={"code": "\x00" * 10, "state": "x" * 4000}
    )
    assert 400 <= r.status_code < 500
    r = browser.get(hub.url + "/api/v1/auth/oidc/callback", params={"state": "x" * 5000})
    assert r.status_code == 422


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/projects?x=1#top", "/projects?x=1#top"),
        (None, "/"),
        ("", "/"),
        ("projects", "/"),
        ("https://evil.example", "/"),
        ("//evil.example/a", "/"),
        ("/\\evil.example", "/"),
        ("/\tx", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_safe_next_keeps_only_local_paths(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected


def test_the_state_cookie_belongs_to_the_hub_only() -> None:
    """Sealed with one client secret, the state does not open with another."""
    sealed = seal("secret-one", {"state": "s", "exp": 4102444800})
    assert unseal("secret-one", sealed)["state"] == "s"
    with pytest.raises(AuthError):
        unseal("secret-two", sealed)
    with pytest.raises(AuthError, match="too long"):
        unseal("secret-one", seal("secret-one", {"state": "s", "exp": 1}))


def test_an_unreachable_provider_is_a_clear_page(tmp_path: Path) -> None:
    hub = make_hub(tmp_path / "hub", "sqlite")
    hub.extra_env = {
        "CORRAL_OIDC_ISSUER": f"http://127.0.0.1:{free_port()}",
        "CORRAL_OIDC_CLIENT_ID": "corral",
        "CORRAL_OIDC_CLIENT_SECRET": "secret",
    }
    hub.start()
    try:
        r = httpx.get(hub.url + "/api/v1/auth/oidc/login", timeout=60)
        assert r.status_code == 503
        assert r.headers["content-type"].startswith("text/html")
        assert "discovery document could not be read" in r.text
    finally:
        hub.dispose()


def test_two_first_logins_at_once_make_one_user(sso: tuple[Hub, LocalProvider]) -> None:
    hub, provider = sso
    group = f.unique("grp")
    login = _account(provider, groups=[group])
    clients = [httpx.Client(timeout=60) for _ in range(2)]
    try:
        callbacks = [drive_login(c, hub, login, f"pw-{login}") for c in clients]
        barrier = threading.Barrier(2)

        def finish(i: int) -> int:
            barrier.wait()
            return clients[i].get(callbacks[i]).status_code

        with ThreadPoolExecutor(2) as pool:
            statuses = list(pool.map(finish, range(2)))
        assert statuses == [302, 302]
        ids = {f.ok(c.get(hub.url + "/api/v1/auth/me"))["user"]["id"] for c in clients}
        assert len(ids) == 1
    finally:
        for c in clients:
            c.close()
    row = _user_row(hub, _external_id(provider, login))
    assert row is not None and row["id"] in ids
    assert _teams_of(hub, row["id"]) == {group: "oidc"}
