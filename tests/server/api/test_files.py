"""The file store over HTTP: upload, download with ranges, list, delete, and path safety."""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from corral.testing.hub import Hub, make_hub
from tests import factories as f

MiB = 1024 * 1024


def _problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["detail"]
    return body


def _put(api: httpx.Client, path: str, data: bytes, **headers: str) -> httpx.Response:
    return api.put(f"/files/{path}", content=data, headers=headers)


def _list(api: httpx.Client, prefix: str, **params: object) -> dict:
    return f.ok(api.get("/files", params={"prefix": prefix, **params}))


def _paths(api: httpx.Client, prefix: str, **params: object) -> list[str]:
    return [i["path"] for i in _list(api, prefix, **params)["items"]]


def _files_dir(hub: Hub) -> Path:
    return hub.data_dir / "files"


def _tmp_files(hub: Hub) -> list[str]:
    return os.listdir(_files_dir(hub) / ".tmp")


@pytest.fixture
def base() -> str:
    """A directory of the store of this test's own."""
    return f.unique("files")


# --- upload and download -----------------------------------------------------------------


def test_streamed_upload_and_download_roundtrip(api: httpx.Client, hub: Hub, base: str) -> None:
    data = os.urandom(8 * MiB + 123)
    digest = hashlib.sha256(data).hexdigest()

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        for i in range(0, len(data), 300_000):
            yield data[i : i + 300_000]

    r = api.put(f"/files/{base}/big.bin", content=chunks())
    assert r.status_code == 201, r.text
    path = f"{base}/big.bin"
    assert r.json() == {"path": path, "size": len(data), "sha256": digest, "uri": f"hub://{path}"}
    assert (_files_dir(hub) / path).read_bytes() == data

    received = hashlib.sha256()
    with api.stream("GET", f"/files/{path}") as r:
        assert r.status_code == 200
        assert r.headers["content-length"] == str(len(data))
        assert r.headers["content-type"] == "application/octet-stream"
        for block in r.iter_bytes():
            received.update(block)
    assert received.hexdigest() == digest


def test_overwrite_is_200_and_replaces_the_content(api: httpx.Client, base: str) -> None:
    path = f"{base}/data.csv"
    assert _put(api, path, b"a,b\n1,2\n").status_code == 201
    r = _put(api, path, b"a,b\n3,4\n")
    assert r.status_code == 200, r.text
    assert r.json()["size"] == 8
    got = api.get(f"/files/{path}")
    assert got.content == b"a,b\n3,4\n"
    assert got.headers["content-type"].startswith("text/csv")


def test_sha_header_is_checked(api: httpx.Client, hub: Hub, base: str) -> None:
    path = f"{base}/checked.bin"
    good = hashlib.sha256(b"payload").hexdigest()
    body = _problem(_put(api, path, b"payload", **{"X-Content-SHA256": "0" * 64}), 422)
    assert "SHA-256" in body["detail"]
    assert api.get(f"/files/{path}").status_code == 404
    _problem(_put(api, path, b"payload", **{"X-Content-SHA256": "not-a-hash"}), 422)
    assert f.ok(_put(api, path, b"payload", **{"X-Content-SHA256": good.upper()}))["sha256"] == good
    # a mismatch on a replacement keeps the old file
    _problem(_put(api, path, b"other", **{"X-Content-SHA256": good}), 422)
    assert api.get(f"/files/{path}").content == b"payload"
    assert _tmp_files(hub) == []


def test_upload_onto_a_directory_or_below_a_file_is_409(api: httpx.Client, base: str) -> None:
    f.ok(_put(api, f"{base}/d/file.txt", b"x"))
    _problem(_put(api, f"{base}/d", b"y"), 409)
    _problem(_put(api, f"{base}/d/file.txt/below", b"y"), 409)
    assert api.get(f"/files/{base}/d/file.txt").content == b"x"


def test_empty_file(api: httpx.Client, base: str) -> None:
    r = _put(api, f"{base}/empty", b"")
    assert r.json()["size"] == 0 and r.json()["sha256"] == hashlib.sha256(b"").hexdigest()
    got = api.get(f"/files/{base}/empty")
    assert got.status_code == 200 and got.content == b""
    _problem(api.get(f"/files/{base}/empty", headers={"Range": "bytes=0-"}), 416)


def test_missing_file_and_directory_reads(api: httpx.Client, base: str) -> None:
    _problem(api.get(f"/files/{base}/missing.txt"), 404)
    f.ok(_put(api, f"{base}/dir/x.txt", b"x"))
    assert "directory" in _problem(api.get(f"/files/{base}/dir"), 422)["detail"]
    _problem(api.get("/files/"), 422)


def _wait_for(condition: object, what: str, give_up_after: float = 60) -> None:
    """Poll until ``condition()`` holds; a hang is reported, never a slow machine."""
    deadline = time.monotonic() + give_up_after
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        time.sleep(0.02)


def test_an_upload_in_progress_holds_no_database_lock(
    hub: Hub, api: httpx.Client, base: str
) -> None:
    release = threading.Event()

    def slow() -> Iterator[bytes]:
        yield b"first "
        release.wait(30)
        yield b"last"

    result: dict[str, httpx.Response] = {}

    def upload() -> None:
        with hub.client() as c:
            result["r"] = c.put(f"/files/{base}/slow.txt", content=slow())

    t = threading.Thread(target=upload)
    t.start()
    try:
        _wait_for(lambda: _tmp_files(hub), "the upload to start")
        # a write transaction held by the upload would block this (SQLite) until it ends
        f.ok(api.post("/projects", json={"name": f.unique("during-upload")}))
        assert t.is_alive(), "the write waited for the upload to end"
    finally:
        release.set()
        t.join(60)
    assert result["r"].status_code == 201, result["r"].text
    assert api.get(f"/files/{base}/slow.txt").content == b"first last"


def test_an_aborted_upload_leaves_nothing(hub: Hub, api: httpx.Client, base: str) -> None:
    head = (
        f"PUT /api/v1/files/{base}/cut.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: {hub.auth['Authorization']}\r\nContent-Length: 1000000\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", hub.port)) as sock:
        sock.sendall(head.encode() + b"x" * 10_000)
        _wait_for(lambda: _tmp_files(hub), "the upload to start")
    _wait_for(lambda: not _tmp_files(hub), "the partial upload to be removed")
    _problem(api.get(f"/files/{base}/cut.bin"), 404)


# --- headers and ranges ------------------------------------------------------------------


@pytest.fixture
def digits(api: httpx.Client, base: str) -> str:
    path = f"{base}/digits.txt"
    f.ok(_put(api, path, b"0123456789"))
    return f"/files/{path}"


def test_download_headers_and_head(api: httpx.Client, digits: str) -> None:
    got = api.get(digits)
    assert got.content == b"0123456789"
    h = got.headers
    assert h["accept-ranges"] == "bytes"
    assert h["content-length"] == "10"
    assert h["content-type"].startswith("text/plain")
    assert h["etag"].startswith('"') and h["last-modified"].endswith("GMT")
    assert h["x-content-type-options"] == "nosniff"
    assert "content-disposition" not in h
    head = api.head(digits)
    assert head.status_code == 200 and head.content == b""
    for name in ("content-length", "etag", "last-modified", "accept-ranges", "content-type"):
        assert head.headers[name] == h[name]
    assert api.head(digits, headers={"Range": "bytes=2-4"}).headers["content-range"] == (
        "bytes 2-4/10"
    )


def test_download_param_sets_an_utf8_attachment_name(api: httpx.Client, base: str) -> None:
    name = "résultats finaux.csv"
    f.ok(_put(api, f"{base}/{name}", b"x"))
    r = api.get(f"/files/{base}/{name}", params={"download": 1})
    assert r.headers["content-disposition"] == f"attachment; filename*=UTF-8''{quote(name)}"


@pytest.mark.parametrize(
    ("spec", "content", "content_range"),
    [
        ("bytes=2-4", b"234", "bytes 2-4/10"),
        ("bytes=7-", b"789", "bytes 7-9/10"),
        ("bytes=-3", b"789", "bytes 7-9/10"),
        ("bytes=-30", b"0123456789", "bytes 0-9/10"),
        ("bytes=8-100", b"89", "bytes 8-9/10"),
        ("bytes=9-9", b"9", "bytes 9-9/10"),
    ],
)
def test_single_range_is_206(
    api: httpx.Client, digits: str, spec: str, content: bytes, content_range: str
) -> None:
    r = api.get(digits, headers={"Range": spec})
    assert r.status_code == 206, r.text
    assert r.content == content
    assert r.headers["content-range"] == content_range
    assert r.headers["content-length"] == str(len(content))


@pytest.mark.parametrize("spec", ["bytes=10-", "bytes=10-20", "bytes=-0"])
def test_unsatisfiable_range_is_416_with_the_size(
    api: httpx.Client, digits: str, spec: str
) -> None:
    r = api.get(digits, headers={"Range": spec})
    _problem(r, 416)
    assert r.headers["content-range"] == "bytes */10"


@pytest.mark.parametrize(
    "spec", ["bytes=0-1,4-5", "bytes=5-3", "items=0-1", "bytes=x-y", "bytes=-"]
)
def test_ranges_it_does_not_serve_get_the_whole_file(
    api: httpx.Client, digits: str, spec: str
) -> None:
    r = api.get(digits, headers={"Range": spec})
    assert r.status_code == 200 and r.content == b"0123456789"


def test_if_range(api: httpx.Client, digits: str) -> None:
    etag = api.head(digits).headers["etag"]
    r = api.get(digits, headers={"Range": "bytes=0-1", "If-Range": etag})
    assert (r.status_code, r.content) == (206, b"01")
    r = api.get(digits, headers={"Range": "bytes=0-1", "If-Range": '"stale"'})
    assert (r.status_code, r.content) == (200, b"0123456789")


# --- listing -----------------------------------------------------------------------------


@pytest.fixture
def tree(api: httpx.Client, base: str) -> str:
    for path in ("a/x.txt", "a/y/z.txt", "a-c.txt", "b.txt"):
        f.ok(_put(api, f"{base}/{path}", b"12345"))
    return base


def test_list_one_level(api: httpx.Client, tree: str) -> None:
    page = _list(api, tree + "/")
    assert page["next_cursor"] is None
    assert [(i["path"], i["is_dir"], i["size"]) for i in page["items"]] == [
        (f"{tree}/a", True, None),
        (f"{tree}/a-c.txt", False, 5),
        (f"{tree}/b.txt", False, 5),
    ]
    assert all(i["modified"] for i in page["items"])
    assert _paths(api, tree) == _paths(api, tree + "/")


def test_list_recursive_pages_through_every_file(api: httpx.Client, tree: str) -> None:
    expected = [f"{tree}/a-c.txt", f"{tree}/a/x.txt", f"{tree}/a/y/z.txt", f"{tree}/b.txt"]
    assert _paths(api, tree, recursive="true") == expected
    seen: list[str] = []
    cursor = None
    while True:
        params = {"recursive": "true", "limit": 3} | ({"cursor": cursor} if cursor else {})
        page = _list(api, tree, **params)
        assert len(page["items"]) <= 3
        seen += [i["path"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected


def test_list_root_hides_the_private_tmp_dir(api: httpx.Client, tree: str) -> None:
    everything = _paths(api, "", limit=500)
    assert not any(p.startswith(".tmp") for p in everything)


def test_list_bad_input(api: httpx.Client, tree: str) -> None:
    assert _list(api, f"{tree}/nothing-here") == {"items": [], "next_cursor": None, "total": None}
    assert (
        "names a file"
        in _problem(api.get("/files", params={"prefix": f"{tree}/b.txt"}), 422)["detail"]
    )
    _problem(api.get("/files", params={"prefix": tree, "limit": 501}), 422)
    _problem(api.get("/files", params={"prefix": tree, "limit": 0}), 422)
    _problem(api.get("/files", params={"prefix": tree, "cursor": "!!!"}), 422)


# --- delete ------------------------------------------------------------------------------


def test_delete_file_and_directories(api: httpx.Client, hub: Hub, tree: str) -> None:
    f.ok(api.delete(f"/files/{tree}/b.txt"))
    _problem(api.get(f"/files/{tree}/b.txt"), 404)
    _problem(api.delete(f"/files/{tree}/b.txt"), 404)
    assert "recursive" in _problem(api.delete(f"/files/{tree}/a"), 409)["detail"]
    assert _paths(api, f"{tree}/a", recursive="true") == [f"{tree}/a/x.txt", f"{tree}/a/y/z.txt"]
    f.ok(api.delete(f"/files/{tree}/a", params={"recursive": "true"}))
    assert _paths(api, tree) == [f"{tree}/a-c.txt"]
    f.ok(api.delete(f"/files/{tree}/a-c.txt"))
    f.ok(api.delete(f"/files/{tree}/"))  # now an empty directory
    assert not (_files_dir(hub) / tree).exists()


def test_deleting_the_root_is_refused(api: httpx.Client, hub: Hub, base: str) -> None:
    f.ok(_put(api, f"{base}/keep.txt", b"x"))
    for path in ("/files/", "/files//"):
        _problem(api.delete(path, params={"recursive": "true"}), 422)
    assert (_files_dir(hub) / base / "keep.txt").exists()


# --- auth --------------------------------------------------------------------------------


def test_no_auth_is_401(hub: Hub, api: httpx.Client, base: str) -> None:
    path = f"{base}/private.txt"
    f.ok(_put(api, path, b"confidential"))
    with hub.anonymous() as anon:
        for r in (
            anon.get(f"/files/{path}"),
            anon.head(f"/files/{path}"),
            anon.put(f"/files/{path}", content=b"overwritten"),
            anon.put(f"/files/{base}/new.txt", content=b"new"),
            anon.delete(f"/files/{path}"),
            anon.get("/files", params={"prefix": base}),
        ):
            assert r.status_code == 401, (r.request.method, r.request.url)
            assert b"confidential" not in r.content
    assert api.get(f"/files/{path}").content == b"confidential"
    assert _paths(api, base) == [path]


# --- size limit --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    hub = make_hub(tmp_path_factory.mktemp("small-files-hub"), "sqlite")
    hub.extra_env = {"CORRAL_LIMIT_FILE_BYTES": "65536", "CORRAL_LIMIT_PAGE_SIZE": "2"}
    hub.start()
    yield hub
    hub.dispose()


def test_too_large_file_is_413_and_leaves_nothing(small_hub: Hub) -> None:
    big = os.urandom(65536 + 1)
    with small_hub.client() as api:
        body = _problem(_put(api, "limits/announced.bin", big), 413)
        assert "65536" in body["detail"]

        def chunks() -> Iterator[bytes]:  # the size is not announced: found while streaming
            for i in range(0, len(big), 8192):
                yield big[i : i + 8192]

        _problem(api.put("/files/limits/streamed.bin", content=chunks()), 413)
        f.ok(_put(api, "limits/replaced.bin", b"old"))
        _problem(_put(api, "limits/replaced.bin", big), 413)
        assert api.get("/files/limits/replaced.bin").content == b"old"
        # exactly at the limit is fine
        assert f.ok(_put(api, "limits/fits.bin", big[:-1]))["size"] == 65536
        assert _paths(api, "limits") == ["limits/fits.bin", "limits/replaced.bin"]
    assert _tmp_files(small_hub) == []
    assert sorted(os.listdir(_files_dir(small_hub) / "limits")) == ["fits.bin", "replaced.bin"]


def test_list_limit_follows_the_page_size_setting(small_hub: Hub) -> None:
    with small_hub.client() as api:
        for name in "abc":
            f.ok(_put(api, f"paged/{name}", b"x"))
        page = _list(api, "paged")  # the default limit is capped by the page size
        assert [i["path"] for i in page["items"]] == ["paged/a", "paged/b"]
        assert _paths(api, "paged", cursor=page["next_cursor"]) == ["paged/c"]
        _problem(api.get("/files", params={"prefix": "paged", "limit": 3}), 422)


# --- path safety -------------------------------------------------------------------------


def _raw(hub: Hub, method: str, target: str, body: bytes | None = None) -> tuple[int, dict, bytes]:
    """Send ``target`` byte for byte: httpx would normalise ``..`` and escapes away."""
    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=30)
    try:
        conn.request(method, target, body=body, headers=hub.auth)
        r = conn.getresponse()
        return r.status, dict(r.headers), r.read()
    finally:
        conn.close()


@pytest.fixture
def secrets(hub: Hub) -> list[Path]:
    """Files just outside the store that escape attempts aim at."""
    found = []
    for place in (hub.data_dir, hub.root):
        secret = place / "secret.txt"
        secret.write_text("top secret")
        found.append(secret)
    return found


def _untouched(hub: Hub, secrets: list[Path]) -> None:
    assert all(s.read_text() == "top secret" for s in secrets)
    for dirpath, _dirs, files in os.walk(hub.root):
        for name in files:
            p = Path(dirpath) / name
            if p.stat().st_size == len(b"pwned"):
                assert p.read_bytes() != b"pwned", p
    assert _tmp_files(hub) == []


def _escapes(hub: Hub) -> list[tuple[str, str | None]]:
    """(what is sent after /api/v1/files/, the path the server must see).

    None: no route takes the path at all (a line break; Starlette's ``.*`` stops there).
    """
    absolute = str(hub.data_dir / "secret.txt")
    return [
        ("../secret.txt", "../secret.txt"),
        ("a/../../secret.txt", "a/../../secret.txt"),
        ("..%2fsecret.txt", "../secret.txt"),
        ("%2e%2e%2fsecret.txt", "../secret.txt"),
        ("%2e%2e/%2E%2E/secret.txt", "../../secret.txt"),
        ("%252e%252e%252fsecret.txt", "%2e%2e%2fsecret.txt"),  # double-encoded
        ("/" + absolute.lstrip("/"), absolute),
        ("%2F" + quote(absolute.lstrip("/"), safe=""), absolute),
        ("..%5Csecret.txt", "..\\secret.txt"),
        ("C:%5CWindows%5Cwin.ini", "C:\\Windows\\win.ini"),
        ("secret.txt%00.png", "secret.txt\x00.png"),
        ("a%0Ab", None),
        ("a%09b", "a\tb"),
        (".tmp/x", ".tmp/x"),
        ("a//b", "a//b"),
    ]


def test_escape_attempts_are_422_for_every_method(hub: Hub, secrets: list[Path]) -> None:
    for sent, seen in _escapes(hub):
        target = "/api/v1/files/" + sent
        expected = 404 if seen is None else 422
        for method, body in (("GET", None), ("PUT", b"pwned"), ("DELETE", None)):
            status, headers, content = _raw(hub, method, target, body)
            assert status == expected, (method, sent, status, content)
            assert headers["content-type"].startswith("application/problem+json")
            assert b"top secret" not in content
            if seen is not None:
                # the server saw the tricky path itself, not a normalised one
                assert repr(seen) in httpx.Response(422, content=content).json()["detail"], sent
        status, _, content = _raw(hub, "HEAD", target)
        assert (status, content) == (expected, b""), sent
        status, _, content = _raw(hub, "DELETE", target + "?recursive=true")
        assert status == expected, sent
    _untouched(hub, secrets)


@pytest.mark.parametrize(
    "prefix", ["..", "../", "a/../..", "/", "/etc", "%2e%2e", ".tmp", "a//b", "a\\b", "a\x00"]
)
def test_listing_escape_attempts_are_422(api: httpx.Client, prefix: str) -> None:
    _problem(api.get("/files", params={"prefix": prefix}), 422)
    _problem(api.get("/files", params={"prefix": prefix, "recursive": "true"}), 422)


@pytest.fixture
def planted(hub: Hub, tmp_path: Path, base: str, api: httpx.Client) -> tuple[str, Path]:
    """A store directory holding a real file and symbolic links to a directory outside."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("top secret")
    f.ok(_put(api, f"{base}/real.txt", b"real"))
    d = _files_dir(hub) / base
    (d / "dir-link").symlink_to(outside)
    (d / "file-link").symlink_to(outside / "secret.txt")
    (d / "root-link").symlink_to(Path("/"))
    return base, outside


def test_symlinks_in_the_store_lead_nowhere(api: httpx.Client, planted: tuple[str, Path]) -> None:
    base, outside = planted
    through = [
        f"{base}/dir-link/secret.txt",
        f"{base}/file-link",
        f"{base}/root-link/etc/passwd",
        f"{base}/dir-link/new.txt",
    ]
    for path in through:
        for r in (
            api.get(f"/files/{path}"),
            api.get(f"/files/{path}", headers={"Range": "bytes=0-3"}),
            api.put(f"/files/{path}", content=b"pwned"),
            api.delete(f"/files/{path}"),
        ):
            assert "symbolic link" in _problem(r, 422)["detail"], path
            assert b"top secret" not in r.content and b"root:" not in r.content
    for prefix in (f"{base}/dir-link", f"{base}/root-link/etc"):
        _problem(api.get("/files", params={"prefix": prefix, "recursive": "true"}), 422)
        _problem(api.delete(f"/files/{prefix}", params={"recursive": "true"}), 422)
    # listings leave links out, recursive ones do not follow them
    assert _paths(api, base) == [f"{base}/real.txt"]
    assert _paths(api, base, recursive="true") == [f"{base}/real.txt"]
    # deleting the directory removes the links, not what they point to
    f.ok(api.delete(f"/files/{base}", params={"recursive": "true"}))
    assert (outside / "secret.txt").read_text() == "top secret"
    assert sorted(os.listdir(outside)) == ["secret.txt"]
    assert Path("/etc/passwd").exists()
