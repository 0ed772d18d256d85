"""The hub serves the built web UI: the shell for every app route, hashed assets cached."""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import httpx

from corral.testing.hub import Hub, make_hub

#: the build the hub serves (as tests/ui/conftest.py finds it)
UI_DIR = Path(
    os.environ.get("CORRAL_UI_DIR") or Path(__file__).parents[3] / "src/corral/server/static"
)


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


def _raw(url: str, accept: str | None) -> httpx.Response:
    """GET ``url`` as sent (no decoding), with this Accept-Encoding (None: none at all)."""
    headers = {"Accept-Encoding": accept} if accept is not None else {}
    with httpx.Client() as client:
        request = client.build_request("GET", url, headers=headers)
        if accept is None:
            del request.headers["Accept-Encoding"]
        response = client.send(request, stream=True)
        response._content = b"".join(response.iter_raw())
        response.close()
        return response


def test_large_assets_are_served_precompressed_to_who_accepts_them(hub: Hub) -> None:
    shell = httpx.get(hub.url + "/").text
    path = re.search(r'src="/assets/([^"]+\.js)"', shell)
    assert path, shell
    url = f"{hub.url}/assets/{path.group(1)}"
    plain_file = UI_DIR / "assets" / path.group(1)
    plain = plain_file.read_bytes()

    for accept, coding, suffix in (
        ("gzip, deflate, br, zstd", "br", ".br"),  # a browser's
        ("gzip", "gzip", ".gz"),
        ("br;q=0, gzip;q=0.5", "gzip", ".gz"),  # br refused
    ):
        r = _raw(url, accept)
        assert r.status_code == 200, accept
        assert r.headers["content-encoding"] == coding, accept
        assert r.headers["vary"] == "Accept-Encoding"
        assert r.headers["content-type"].startswith("text/javascript")
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert r.headers["x-content-type-options"] == "nosniff"
        stored = Path(str(plain_file) + suffix).read_bytes()
        assert r.content == stored and int(r.headers["content-length"]) == len(stored)
        assert len(stored) < len(plain) / 2
        if coding == "gzip":
            assert gzip.decompress(r.content) == plain
        # a revalidation of the compressed copy is a 304, as the plain file's
        again = httpx.get(
            url, headers={"Accept-Encoding": accept, "If-None-Match": r.headers["etag"]}
        )
        assert again.status_code == 304

    # no Accept-Encoding, or only codings we have no copy for: the plain file
    for accept in (None, "identity", "deflate, zstd"):
        r = _raw(url, accept)
        assert r.status_code == 200 and "content-encoding" not in r.headers, accept
        assert r.content == plain and int(r.headers["content-length"]) == len(plain)
        assert r.headers["vary"] == "Accept-Encoding"
