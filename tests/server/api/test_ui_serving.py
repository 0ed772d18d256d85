"""The hub serves the built web UI: the shell for every app route, hashed assets cached."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from corral.testing.hub import Hub, make_hub


def test_app_routes_get_the_shell_revalidated_every_time(hub: Hub) -> None:
    for path in ("/", "/experiments/0123456789abcdef0123456789abcdef/console", "/queues"):
        r = httpx.get(hub.url + path)
        assert r.status_code == 200
        assert '<div id="root">' in r.text
        assert r.headers["cache-control"] == "no-cache"
        assert r.headers["x-frame-options"] == "DENY"


def test_hashed_assets_are_cached_for_a_year(hub: Hub) -> None:
    shell = httpx.get(hub.url + "/").text
    script = re.search(r'src="(/assets/[^"]+\.js)"', shell)
    assert script, shell
    r = httpx.get(hub.url + script.group(1))
    assert r.status_code == 200
    assert "javascript" in r.headers["content-type"]
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_unknown_api_paths_and_assets_are_404_not_the_shell(hub: Hub) -> None:
    r = httpx.get(hub.url + "/api/v1/no-such-thing", headers=hub.auth)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert httpx.get(hub.url + "/assets/no-such-file.js").status_code == 404


def test_a_hub_without_a_built_ui_says_how_to_build_it(tmp_path: Path) -> None:
    empty = tmp_path / "no-ui"
    empty.mkdir()
    h = make_hub(tmp_path / "hub", "sqlite")
    h.extra_env["CORRAL_UI_DIR"] = str(empty)
    try:
        h.start()
        r = httpx.get(h.url + "/projects")
        assert r.status_code == 200
        assert "not built" in r.text and "scripts/build-ui" in r.text
    finally:
        h.dispose()
