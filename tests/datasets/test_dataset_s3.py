"""Datasets and outside storage, on a real moto S3 server: blobs uploaded to
``output_uri``, links added with ``add_external_files``, and deletes that free the bucket."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from corral import Dataset
from corral.datasets.upload import BLOBS_FOLDER, FILE_THRESHOLD
from corral.errors import NotFoundError
from corral.sdk.storage import set_options
from tests.datasets.conftest import read_tree, sha, write_tree
from tests.factories import ok
from tests.sdk.storage import conftest as storage_fixtures

moto_s3 = storage_fixtures.moto_s3


@pytest.fixture
def bucket(moto_s3: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for var, value in storage_fixtures.AWS_ENV.items():
        monkeypatch.setenv(var, value)
    set_options("s3", endpoint_url=moto_s3, key="testing", secret="testing")
    yield storage_fixtures.make_bucket(moto_s3)
    set_options("s3")


def _keys(bucket: str, prefix: str) -> set[str]:
    from corral.sdk.storage import backend_for

    url = f"s3://{bucket}/{prefix}"
    return {f.name for f in backend_for(url).list(url)}


def test_upload_to_s3_dedups_round_trips_and_delete_frees_the_bucket(
    ds: object, bucket: str, project: str, tmp_path: Path
) -> None:
    out = f"s3://{bucket}/data"
    v1_files = {
        "a.txt": b"a" * 3000,
        "b.jpg": os.urandom(2000),
        "big.bin": os.urandom(FILE_THRESHOLD),
    }
    v1 = Dataset.create("s3set", project, output_uri=out)
    v1.add_files(write_tree(tmp_path / "v1", v1_files))
    sent = v1.upload(show_progress=False)
    assert (sent.files, sent.blobs) == (3, 2)  # one chunk, one whole file
    v1.finalize()
    stored = _keys(bucket, f"data/{BLOBS_FOLDER}/")
    assert {name.rsplit("/", 1)[-1] for name in stored} == set(sent.blob_ids)
    assert sha(v1_files["big.bin"]) in sent.blob_ids
    rows = {e.relative_path: e for e in v1.file_entries}
    assert all(e.blob_id for e in rows.values())

    v2_files = {**v1_files, "c.txt": b"new"}
    v2 = Dataset.create("s3set", project, parent_datasets=[v1], output_uri=out)
    v2.add_files(write_tree(tmp_path / "v2", v2_files))
    assert v2.upload(show_progress=False).files == 1
    v2.finalize()
    assert len(_keys(bucket, f"data/{BLOBS_FOLDER}/")) == 3
    assert read_tree(Path(Dataset.get(v2.id).get_local_copy())) == v2_files

    Dataset.delete(v2.id)  # its own chunk goes; v1's blobs stay
    assert len(_keys(bucket, f"data/{BLOBS_FOLDER}/")) == 2
    Dataset.delete(v1.id)
    assert _keys(bucket, f"data/{BLOBS_FOLDER}/") == set()


def test_external_files_are_linked_not_copied(
    ds: object, ds_api: httpx.Client, bucket: str, project: str, tmp_path: Path
) -> None:
    from corral.sdk.storage import backend_for

    remote = {"ext/one.csv": b"1,2\n", "ext/two.csv": b"3,4\n", "ext/sub/skip.txt": b"no"}
    for key, data in remote.items():
        src = tmp_path / "up" / key
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_bytes(data)
        backend_for(f"s3://{bucket}/{key}").upload(src, f"s3://{bucket}/{key}")
    local = write_tree(tmp_path / "local", {"note.md": b"# hi"})
    d = Dataset.create("links", project)
    assert d.add_external_files(f"s3://{bucket}/ext/", wildcard="*.csv", dataset_path="csv") == 2
    assert d.add_external_files(str(local / "note.md")) == 1
    assert d.list_files() == ["csv/one.csv", "csv/two.csv", "note.md"]
    entries = {e.relative_path: e for e in d.file_entries}
    assert entries["csv/one.csv"].link == f"s3://{bucket}/ext/one.csv"
    assert entries["csv/one.csv"].hash == sha(b"1,2\n") and entries["csv/one.csv"].size == 4
    assert d.stats["pending_count"] == 0
    assert d.upload(show_progress=False).blobs == 0  # nothing to send
    d.finalize()
    copy = read_tree(Path(Dataset.get(d.id).get_local_copy()))
    assert copy == {"csv/one.csv": b"1,2\n", "csv/two.csv": b"3,4\n", "note.md": b"# hi"}
    Dataset.delete(d.id)
    assert _keys(bucket, "ext/") == {"one.csv", "two.csv", "sub/skip.txt"}  # never deleted
    assert (local / "note.md").exists()
    assert ds_api.get(f"/datasets/{d.id}").status_code == 404
    with pytest.raises(NotFoundError, match="no such file"):
        Dataset.create("links2", project).add_external_files(f"s3://{bucket}/missing/")
    assert ok(ds_api.get("/datasets", params={"name": "links2", "project": project}))["items"]


@pytest.fixture
def http_folder(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on loopback serving a folder: ``(base URL, folder)``."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()


def test_external_files_over_http(
    ds: object, http_folder: tuple[str, Path], project: str, tmp_path: Path
) -> None:
    base, folder = http_folder
    data = os.urandom(5000)
    (folder / "weights.bin").write_bytes(data)
    d = Dataset.create("web", project)
    assert d.add_external_files(f"{base}/weights.bin", dataset_path="models") == 1
    [entry] = list(d.file_entries)
    assert (entry.relative_path, entry.size, entry.hash) == ("models/weights.bin", 5000, sha(data))
    assert entry.link == f"{base}/weights.bin"
    d.finalize()
    assert read_tree(Path(Dataset.get(d.id).get_local_copy())) == {"models/weights.bin": data}
    with pytest.raises(NotFoundError, match="missing"):
        Dataset.create("web2", project).add_external_files(f"{base}/missing.bin")
