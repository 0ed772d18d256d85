"""IP allowlists on real hub processes: hub-wide, per user, per key; IPv4 and IPv6.

The client's address is the TCP peer's; ``X-Forwarded-For`` counts only when the
peer is one of ``CORRAL_TRUSTED_PROXIES`` (uvicorn's own proxy-header handling is
off, so a header through 127.0.0.1 changes nothing by itself). ``/health`` answers
every address.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from corral.testing.hub import Hub, make_hub
from tests import factories as f
from tests.conftest import BACKENDS
from tests.factories import ok, unique

ELSEWHERE = "10.9.9.0/24"


def _problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["detail"]
    return body


def _hub(root: Path, backend: str, **env: str) -> Hub:
    hub = make_hub(root, backend)
    hub.extra_env.update(env)
    return hub.start()


@pytest.fixture(scope="module", params=BACKENDS)
def proxied(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hub]:
    """A hub behind a proxy on 127.0.0.1 that only lets clients of 10.9.9.0/24 in."""
    root = tmp_path_factory.mktemp(f"proxied-{request.param}")
    hub = _hub(
        root, request.param, CORRAL_ALLOWED_IPS=ELSEWHERE, CORRAL_TRUSTED_PROXIES="127.0.0.1"
    )
    yield hub
    hub.dispose()


@pytest.fixture(scope="module")
def direct(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A hub that only lets 10.9.9.0/24 in and trusts no proxy."""
    hub = _hub(tmp_path_factory.mktemp("direct"), "sqlite", CORRAL_ALLOWED_IPS=ELSEWHERE)
    yield hub
    hub.dispose()


def _via(hub: Hub, forwarded_for: str | None = None) -> httpx.Client:
    headers = dict(hub.auth)
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    return httpx.Client(base_url=hub.url + "/api/v1", headers=headers, timeout=60)


# --- hub-wide ----------------------------------------------------------------------------


def test_a_client_outside_the_hub_allowlist_reaches_nothing_but_health(direct: Hub) -> None:
    with _via(direct) as api:
        body = _problem(api.get("/projects"), 403)
        assert "127.0.0.1" in body["detail"] and "CORRAL_ALLOWED_IPS" in body["detail"]
        _problem(api.post("/auth/login", json={"username": "admin", "password": "x"}), 403)
        _problem(api.put("/files/x/y.txt", content=b"no"), 403)
        assert ok(api.get("/health"))["status"] == "ok"
    assert httpx.get(direct.url + "/health").status_code == 200
    _problem(httpx.get(direct.url + "/"), 403)  # the web UI too


def test_without_trusted_proxies_x_forwarded_for_is_ignored(direct: Hub) -> None:
    for claimed in ("10.9.9.7", "10.9.9.7, 127.0.0.1"):
        with _via(direct, claimed) as api:
            body = _problem(api.get("/projects"), 403)
            assert "127.0.0.1" in body["detail"]


def test_behind_a_trusted_proxy_the_forwarded_address_is_judged(proxied: Hub) -> None:
    with _via(proxied) as api:  # the proxy itself is not a client of the allowlist
        _problem(api.get("/projects"), 403)
    for allowed in ("10.9.9.7", "192.0.2.1, 10.9.9.7", "10.9.9.7, 127.0.0.1"):
        with _via(proxied, allowed) as api:
            assert isinstance(ok(api.get("/projects")), (list, dict)), allowed
    for refused in ("192.0.2.1", "10.9.9.7, 192.0.2.1", "not-an-address"):
        with _via(proxied, refused) as api:
            _problem(api.get("/projects"), 403)


def test_a_bad_network_in_the_settings_stops_the_start_with_one_line(tmp_path: Path) -> None:
    for var, value in (
        ("CORRAL_ALLOWED_IPS", "10.0.0.0/8,10.0.0.0/33"),
        ("CORRAL_TRUSTED_PROXIES", "proxy.example"),
    ):
        hub = make_hub(tmp_path / var, "sqlite")
        env = {**hub.env(), var: value}
        run = subprocess.run(
            [sys.executable, "-m", "corral", "server", "--port", "0", "--data-dir", str(tmp_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode != 0
        lines = [ln for ln in (run.stdout + run.stderr).splitlines() if ln.strip()]
        assert len(lines) == 1, lines
        assert var in lines[0] and value.split(",")[-1] in lines[0]
        assert "Traceback" not in run.stderr


# --- IPv6 --------------------------------------------------------------------------------


def _ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


class _V6Hub(Hub):
    @property
    def url(self) -> str:
        return f"http://[::1]:{self.port}"


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_ipv6_clients_and_proxies(tmp_path: Path) -> None:
    hub = _V6Hub(root=tmp_path / "v6")
    hub.extra_env.update(
        CORRAL_HOST="::1", CORRAL_ALLOWED_IPS="2001:db8::/32", CORRAL_TRUSTED_PROXIES="::1"
    )
    hub.start()
    try:
        with _via(hub) as api:
            assert "::1" in _problem(api.get("/projects"), 403)["detail"]
        with _via(hub, "2001:db8::5") as api:
            ok(api.get("/projects"))
        with _via(hub, "2001:db9::5") as api:
            _problem(api.get("/projects"), 403)
        with _via(hub, "10.9.9.7") as api:
            _problem(api.get("/projects"), 403)
        with _via(hub, "2001:db8::5") as admin:
            user = ok(
                admin.post("/users", json={"name": unique("u"), "password": f.STRONG_PASSWORD}),
                201,
            )
            body = {"user_id": user["id"], "allowed_ips": ["2001:db8:1::/48"]}
            key = ok(admin.post("/keys", json=body), 201)
        with _as(hub, key, "2001:db8:1::5") as inside:
            ok(inside.get("/auth/me"))
        with _as(hub, key, "2001:db8:2::5") as outside:
            _problem(outside.get("/auth/me"), 403)
    finally:
        hub.dispose()


# --- per user and per key ----------------------------------------------------------------


def _as(hub: Hub, key: dict[str, Any] | None, forwarded_for: str) -> httpx.Client:
    """A client with ``key`` (None: the admin's) whose proxy says it is ``forwarded_for``."""
    auth = (
        hub.auth
        if key is None
        else {"Authorization": f"Bearer {key['access_key']}:{key['secret_key']}"}
    )
    return httpx.Client(
        base_url=hub.url + "/api/v1",
        headers={**auth, "X-Forwarded-For": forwarded_for},
        timeout=60,
    )


def test_a_users_allowlist_holds_for_every_key_of_theirs(proxied: Hub) -> None:
    with _as(proxied, None, "10.9.9.1") as admin:
        user = ok(
            admin.post(
                "/users",
                json={
                    "name": unique("u"),
                    "password": f.STRONG_PASSWORD,
                    "allowed_ips": ["10.9.9.0/28"],
                },
            ),
            201,
        )
        assert user["allowed_ips"] == ["10.9.9.0/28"]
        key = ok(admin.post("/keys", json={"user_id": user["id"]}), 201)
        with _as(proxied, key, "10.9.9.5") as inside:
            assert ok(inside.get("/auth/me"))["id"] == user["id"]
        with _as(proxied, key, "10.9.9.100") as outside:
            body = _problem(outside.get("/auth/me"), 403)
            assert "10.9.9.100" in body["detail"] and user["name"] in body["detail"]
        # an admin widens the list: the same key works from there at once
        ok(admin.patch(f"/users/{user['id']}", json={"allowed_ips": ["10.9.9.0/24"]}))
        with _as(proxied, key, "10.9.9.100") as outside:
            ok(outside.get("/auth/me"))


def test_a_keys_allowlist_holds_for_that_key_only(proxied: Hub) -> None:
    with _as(proxied, None, "10.9.9.1") as admin:
        user = ok(
            admin.post("/users", json={"name": unique("u"), "password": f.STRONG_PASSWORD}),
            201,
        )
        narrow = ok(
            admin.post("/keys", json={"user_id": user["id"], "allowed_ips": ["10.9.9.64/26"]}),
            201,
        )
        assert narrow["allowed_ips"] == ["10.9.9.64/26"]
        wide = ok(admin.post("/keys", json={"user_id": user["id"]}), 201)
    with _as(proxied, narrow, "10.9.9.70") as inside:
        ok(inside.get("/auth/me"))
    with _as(proxied, narrow, "10.9.9.5") as outside:
        assert "this API key" in _problem(outside.get("/auth/me"), 403)["detail"]
    with _as(proxied, wide, "10.9.9.5") as other_key:
        ok(other_key.get("/auth/me"))


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "300.1.2.3", "2001:db8::/129", "not-a-network", ""])
def test_a_network_that_does_not_parse_is_422_and_changes_nothing(proxied: Hub, bad: str) -> None:
    with _as(proxied, None, "10.9.9.1") as admin:
        name = unique("u")
        body = {"name": name, "password": f.STRONG_PASSWORD, "allowed_ips": ["10.9.9.0/24", bad]}
        _problem(admin.post("/users", json=body), 422)
        assert name not in {u["name"] for u in ok(admin.get("/users"))}
        user = ok(admin.post("/users", json={"name": name, "password": f.STRONG_PASSWORD}), 201)
        _problem(admin.patch(f"/users/{user['id']}", json={"allowed_ips": [bad]}), 422)
        assert ok(admin.get(f"/users/{user['id']}"))["allowed_ips"] == []
        before = len(ok(admin.get("/keys", params={"all": True})))
        _problem(admin.post("/keys", json={"user_id": user["id"], "allowed_ips": [bad]}), 422)
        assert len(ok(admin.get("/keys", params={"all": True}))) == before
