"""Dataset blobs over HTTP: upload checks, reads through a version only, and the GC.

The hub's store is the real data directory of the hub process: a freed blob's file
must be gone from the disk, a kept one must still be there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from corral.testing.hub import Hub, make_hub
from tests import factories as f
from tests.server.datasets_helpers import (
    add,
    all_files,
    chunk,
    create,
    entry,
    problem,
    publish,
    put_chunk,
    sha,
)


def _blob_file(hub: Hub, blob_id: str) -> Path:
    return hub.data_dir / "files" / "datasets" / "blobs" / blob_id[:2] / blob_id


def _blob_ids(api: httpx.Client, version_id: str) -> set[str]:
    return {r["blob_id"] for r in all_files(api, version_id) if r["blob_id"]}


def test_a_file_blob_round_trips_with_ranges(api: httpx.Client, hub: Hub) -> None:
    data = bytes(range(256)) * 40
    v = create(api)
    add(api, v["id"], {"big.bin": data})
    r = api.put(f"/datasets/{v['id']}/blobs/{sha(data)}", params={"kind": "file"}, content=data)
    out = f.ok(r, 201)
    assert out == {
        "id": sha(data),
        "uri": f"hub://datasets/blobs/{sha(data)[:2]}/{sha(data)}",
        "size": len(data),
        "kind": "file",
        "compression": "none",
        "linked": 1,
    }
    assert _blob_file(hub, sha(data)).read_bytes() == data
    assert f.ok(api.get(f"/datasets/{v['id']}"))["state"] == "uploading"
    got = api.get(f"/datasets/{v['id']}/blobs/{sha(data)}")
    assert got.status_code == 200 and got.content == data
    part = api.get(f"/datasets/{v['id']}/blobs/{sha(data)}", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == data[10:20]
    head = api.head(f"/datasets/{v['id']}/blobs/{sha(data)}")
    assert head.status_code == 200 and head.headers["content-length"] == str(len(data))
    again = api.put(f"/datasets/{v['id']}/blobs/{sha(data)}", params={"kind": "file"}, content=data)
    assert f.ok(again, 200)["linked"] == 0


def test_a_sha_mismatch_stores_nothing(api: httpx.Client, hub: Hub) -> None:
    v = create(api)
    add(api, v["id"], {"a": b"real"})
    claimed = sha(b"real")
    r = api.put(f"/datasets/{v['id']}/blobs/{claimed}", params={"kind": "file"}, content=b"fake")
    problem(r, 422)
    assert not _blob_file(hub, claimed).exists()
    assert all_files(api, v["id"], pending="true")[0]["path"] == "a"
    problem(api.put(f"/datasets/{v['id']}/blobs/NOTHEX", content=b"x"), 422)


def test_a_chunk_must_be_a_zip_of_sha_named_members(api: httpx.Client, hub: Hub) -> None:
    v = create(api)
    add(api, v["id"], {"a": b"one"})
    not_zip = b"this is not a zip archive"
    r = api.put(
        f"/datasets/{v['id']}/blobs/{sha(not_zip)}", params={"kind": "chunk"}, content=not_zip
    )
    problem(r, 422)
    assert not _blob_file(hub, sha(not_zip)).exists()
    evil = chunk([b"one"], names=["../../escape.txt"])
    r = api.put(f"/datasets/{v['id']}/blobs/{sha(evil)}", params={"kind": "chunk"}, content=evil)
    assert "SHA-256" in problem(r, 422)["detail"]
    assert not _blob_file(hub, sha(evil)).exists()
    assert f.ok(api.get(f"/datasets/{v['id']}"))["stats"]["pending_count"] == 1


def test_uploading_to_a_final_version_is_a_conflict(api: httpx.Client) -> None:
    v = publish(api, {"a": b"1"})
    data = chunk([b"2"])
    r = api.put(f"/datasets/{v['id']}/blobs/{sha(data)}", params={"kind": "chunk"}, content=data)
    problem(r, 409)
    body = {"id": "b" * 64, "uri": "s3://bucket/b", "size": 1, "kind": "file"}
    problem(api.post(f"/datasets/{v['id']}/blobs", json=body), 409)


def test_a_blob_is_read_only_through_a_version_that_uses_it(hub: Hub, api: httpx.Client) -> None:
    v = publish(api, {"secret": b"top secret"})
    other = publish(api, {"public": b"nothing"})
    (blob_id,) = _blob_ids(api, v["id"])
    problem(api.get(f"/datasets/{other['id']}/blobs/{blob_id}"), 404)
    problem(api.get(f"/datasets/{v['id']}/blobs/{'0' * 64}"), 404)
    _, client = f.user(api, hub.url)
    with client:
        path = f"datasets/blobs/{blob_id[:2]}/{blob_id}"
        problem(client.get(f"/files/{path}"), 404)
        problem(client.put(f"/files/{path}", content=b"overwrite"), 404)
        listing = f.ok(client.get("/files", params={"prefix": ""}))
        assert all(not e["path"].startswith("datasets") for e in listing["items"])
    # an admin may (the store's maintenance); the bytes are the chunk, untouched
    assert api.get(f"/files/{path}").content == chunk([b"top secret"])


def test_an_outsider_sees_nothing_of_a_private_dataset(hub: Hub, api: httpx.Client) -> None:
    project = f.ok(api.post("/projects", json={"name": f.unique("priv"), "visibility": "private"}))
    v = publish(api, {"a": b"private bytes"}, project["name"])
    draft = create(api, project["name"], parents=[v["id"]])
    (blob_id,) = _blob_ids(api, v["id"])
    _, outsider = f.user(api, hub.url)
    with outsider:
        for method, url in [
            ("GET", f"/datasets/{v['id']}"),
            ("GET", f"/datasets/{v['id']}/files"),
            ("GET", f"/datasets/{v['id']}/diff"),
            ("GET", f"/datasets/{v['id']}/diff/summary"),
            ("GET", f"/datasets/{v['id']}/graph"),
            ("GET", f"/datasets/{v['id']}/usages"),
            ("GET", f"/datasets/{v['id']}/blobs/{blob_id}"),
            ("PATCH", f"/datasets/{draft['id']}"),
            ("DELETE", f"/datasets/{draft['id']}"),
            ("POST", f"/datasets/{draft['id']}:finalize"),
            ("POST", f"/datasets/{draft['id']}/files:remove"),
        ]:
            body = {"paths": ["a"]} if url.endswith("remove") else {}
            r = outsider.request(method, url, json=body if method != "GET" else None)
            assert r.status_code == 404, (method, url, r.status_code, r.text)
        listed = f.ok(outsider.get("/datasets", params={"id": [v["id"], draft["id"]]}))
        assert listed["items"] == []
        names = f.ok(outsider.get("/datasets/names", params={"partial_name": v["name"]}))
        assert names["items"] == []
        body = {"name": "stolen", "project": f.unique("mine"), "parents": [v["id"]]}
        problem(outsider.post("/datasets", json=body), 404)


def test_delete_frees_blobs_no_other_version_uses(api: httpx.Client, hub: Hub) -> None:
    parent = publish(api, {"shared": b"shared bytes"})
    (shared,) = _blob_ids(api, parent["id"])
    child = create(api, parents=[parent["id"]])
    add(api, child["id"], {"own": b"child only"})
    put_chunk(api, child["id"], [b"child only"])
    f.ok(api.post(f"/datasets/{child['id']}:finalize"))
    own = _blob_ids(api, child["id"]) - {shared}
    (own_id,) = own
    assert _blob_file(hub, own_id).exists()
    problem(api.delete(f"/datasets/{parent['id']}"), 409)
    gone = f.ok(api.delete(f"/datasets/{parent['id']}", params={"force": "true"}))
    assert gone["deleted"] == [parent["id"]] and gone["freed_blobs"] == 0
    assert _blob_file(hub, shared).exists()  # the child still uses it
    problem(api.get(f"/datasets/{parent['id']}"), 404)
    assert f.ok(api.get(f"/datasets/{child['id']}"))["parents"] == []
    gone = f.ok(api.delete(f"/datasets/{child['id']}"))
    assert gone["freed_blobs"] == 2 and gone["freed_bytes"] > 0
    assert not _blob_file(hub, shared).exists() and not _blob_file(hub, own_id).exists()
    problem(api.get(f"/tasks/{child['id']}"), 404)


def test_deleting_the_task_or_the_project_frees_blobs_too(api: httpx.Client, hub: Hub) -> None:
    v = publish(api, {"t": b"task-deleted"})
    (blob,) = _blob_ids(api, v["id"])
    f.ok(api.delete(f"/tasks/{v['id']}"))
    assert not _blob_file(hub, blob).exists()
    problem(api.get(f"/datasets/{v['id']}"), 404)
    project = f.unique("doomed")
    w = publish(api, {"p": b"project-deleted"}, project)
    (blob,) = _blob_ids(api, w["id"])
    f.ok(api.delete(f"/projects/{w['project_id']}", params={"force": "true"}))
    assert not _blob_file(hub, blob).exists()


def test_external_blobs_link_files_and_come_back_on_delete(api: httpx.Client) -> None:
    v = create(api)
    add(api, v["id"], {"a": b"a", "b": b"b"})
    body = {"id": "c" * 64, "uri": "s3://bucket/chunks/c", "size": 99, "kind": "chunk",
            "contents": [sha(b"a"), sha(b"b")]}  # fmt: skip
    out = f.ok(api.post(f"/datasets/{v['id']}/blobs", json=body))
    assert out["linked"] == 2 and out["uri"] == "s3://bucket/chunks/c"
    hub_uri = {**body, "id": "d" * 64, "uri": "hub://datasets/blobs/dd/x"}
    problem(api.post(f"/datasets/{v['id']}/blobs", json=hub_uri), 422)
    f.ok(api.post(f"/datasets/{v['id']}:finalize"))
    gone = f.ok(api.delete(f"/datasets/{v['id']}"))
    assert gone["external_uris"] == ["s3://bucket/chunks/c"] and gone["freed_bytes"] == 99


def test_finalize_frees_blobs_no_file_uses(api: httpx.Client, hub: Hub) -> None:
    v = create(api)
    add(api, v["id"], {"a": b"kept"})
    stray = chunk([b"never added"])
    r = api.put(f"/datasets/{v['id']}/blobs/{sha(stray)}", params={"kind": "chunk"}, content=stray)
    assert f.ok(r, 201)["linked"] == 0
    put_chunk(api, v["id"], [b"kept"])
    assert _blob_file(hub, sha(stray)).exists()
    f.ok(api.post(f"/datasets/{v['id']}:finalize"))
    assert not _blob_file(hub, sha(stray)).exists()
    assert all_files(api, v["id"])[0]["blob_id"]


def test_a_blob_uploaded_for_one_file_serves_duplicates(api: httpx.Client) -> None:
    v = create(api)
    body = {"files": [entry("one", b"same"), entry("two", b"same")]}
    assert f.ok(api.post(f"/datasets/{v['id']}/files", json=body))["pending"] == 2
    assert put_chunk(api, v["id"], [b"same"])["linked"] == 2
    f.ok(api.post(f"/datasets/{v['id']}:finalize"))


def test_blobs_count_against_the_storage_quota(api: httpx.Client, hub: Hub) -> None:
    user, client = f.user(api, hub.url)
    f.ok(api.put("/quotas", json={"subject": user["name"], "max_storage_bytes": 100}))
    with client:
        v = create(client)
        big = b"x" * 500
        add(client, v["id"], {"big": big})
        r = client.put(
            f"/datasets/{v['id']}/blobs/{sha(big)}", params={"kind": "file"}, content=big
        )
        assert problem(r, 403)["detail"].startswith("this upload of 500 bytes would exceed")
        assert not _blob_file(hub, sha(big)).exists()
        small = b"y" * 60
        add(client, v["id"], {"small": small})
        put = client.put(
            f"/datasets/{v['id']}/blobs/{sha(small)}", params={"kind": "file"}, content=small
        )
        f.ok(put, 201)
    assert f.ok(api.get(f"/users/{user['id']}/usage"))["storage_bytes"] == 60
    f.ok(api.delete(f"/datasets/{v['id']}"))
    assert f.ok(api.get(f"/users/{user['id']}/usage"))["storage_bytes"] == 0


@pytest.fixture(scope="module")
def small_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    hub = make_hub(tmp_path_factory.mktemp("small-blobs-hub"), "sqlite")
    hub.extra_env = {"CORRAL_LIMIT_FILE_BYTES": "65536"}
    hub.start()
    yield hub
    hub.dispose()


def test_a_blob_over_the_file_limit_is_413_and_leaves_nothing(small_hub: Hub) -> None:
    big = b"z" * 70_000
    with small_hub.client() as api:
        v = create(api)
        add(api, v["id"], {"big": big})
        url = f"/datasets/{v['id']}/blobs/{sha(big)}"
        problem(api.put(url, params={"kind": "file"}, content=big), 413)

        def streamed() -> Iterator[bytes]:  # no Content-Length: refused while it streams
            yield big[:40_000]
            yield big[40_000:]

        problem(api.put(url, params={"kind": "file"}, content=streamed()), 413)
        assert not _blob_file(small_hub, sha(big)).exists()
        assert f.ok(api.get(f"/datasets/{v['id']}"))["stats"]["pending_count"] == 1


def test_two_datasets_sharing_a_blob_keep_it_until_both_are_gone(
    api: httpx.Client, hub: Hub
) -> None:
    content = b"the same bytes in two unrelated datasets"
    first = create(api)
    second = create(api)
    add(api, first["id"], {"a": content})
    add(api, second["id"], {"b": content})
    assert f.ok(api.put(
        f"/datasets/{first['id']}/blobs/{sha(content)}", params={"kind": "file"}, content=content
    ), 201)["linked"] == 1  # fmt: skip
    again = api.put(
        f"/datasets/{second['id']}/blobs/{sha(content)}", params={"kind": "file"}, content=content
    )
    assert f.ok(again, 200)["linked"] == 1
    f.ok(api.post(f"/datasets/{first['id']}:finalize"))
    f.ok(api.post(f"/datasets/{second['id']}:finalize"))
    assert f.ok(api.delete(f"/datasets/{first['id']}"))["freed_blobs"] == 0
    assert _blob_file(hub, sha(content)).read_bytes() == content
    assert api.get(f"/datasets/{second['id']}/blobs/{sha(content)}").content == content
    assert f.ok(api.delete(f"/datasets/{second['id']}"))["freed_blobs"] == 1
    assert not _blob_file(hub, sha(content)).exists()
