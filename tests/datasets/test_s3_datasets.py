"""Datasets whose blobs live in S3 (moto's server on loopback), and deletes that free storage.

The SDK runs in real processes (a script per step) with a config file pointing ``s3://``
at the moto server; the test reads the bucket with botocore and the hub's blob store
from its data dir. A version uploaded to ``output_uri="s3://bucket/prefix"`` comes back
byte for byte; its child stores only new contents; deleting a version frees exactly the
blobs no other version uses (S3 and the hub's own store alike).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from corral.testing.hub import Hub
from tests import factories as f
from tests.sdk.conftest import env_for, run_script
from tests.sdk.storage import conftest as storage_fixtures

moto_s3 = storage_fixtures.moto_s3

#: large enough to be stored whole (a ``file`` blob), not packed into a chunk
BIG = 5 * 1024 * 1024

STEP = """
import json, sys
from corral import Dataset

op, spec = sys.argv[1], json.loads(sys.argv[2])
out = {}
if op == "publish":
    ds = Dataset.create(dataset_name=spec["name"], dataset_project=spec["project"],
                        parent_datasets=spec.get("parents") or None,
                        output_uri=spec.get("output_uri"))
    ds.sync_folder(spec["folder"])
    ds.upload(show_progress=False)
    ds.finalize()
    out["id"] = ds.id
elif op == "fetch":
    out["path"] = str(Dataset.get(dataset_id=spec["id"]).get_local_copy())
elif op == "delete":
    Dataset.delete(dataset_id=spec["id"], force=spec.get("force", False))
print("RESULT " + json.dumps(out))
"""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write(folder: Path, files: dict[str, bytes]) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


class Sdk:
    """Runs SDK steps in fresh processes on "another machine" of ``hub``."""

    def __init__(self, hub: Hub, home: Path, moto: str) -> None:
        self.hub, self.home, self.count = hub, home, 0
        self.env = env_for(hub, home, **storage_fixtures.AWS_ENV)
        config = Path(self.env["CORRAL_CONFIG"])
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(
            f'[storage.s3]\nendpoint_url = "{moto}"\nkey = "testing"\nsecret = "testing"\n'
        )

    def step(self, op: str, **spec: Any) -> dict[str, Any]:
        self.count += 1
        env = dict(self.env, CORRAL_DATASET_CACHE=str(self.home / f"cache{self.count}"))
        out = run_script(STEP, env, self.home / "work", args=[op, json.dumps(spec)])
        result: dict[str, Any] = json.loads(out.stdout.rsplit("RESULT ", 1)[1])
        return result

    def step_fails(self, op: str, **spec: Any) -> str:
        """Run a step that must fail; its output (the error it printed)."""
        self.count += 1
        env = dict(self.env, CORRAL_DATASET_CACHE=str(self.home / f"cache{self.count}"))
        out = run_script(STEP, env, self.home / "work", args=[op, json.dumps(spec)], check=False)
        assert out.returncode != 0, out.stdout
        return out.stdout + out.stderr


class Bucket:
    """A fresh moto bucket, read with botocore."""

    def __init__(self, endpoint: str) -> None:
        import botocore.session

        self.name = storage_fixtures.make_bucket(endpoint)
        self.client = botocore.session.get_session().create_client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def objects(self, prefix: str = "") -> dict[str, int]:
        """``key -> size`` of every object under ``prefix``."""
        found: dict[str, int] = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.name, Prefix=prefix
        ):
            found.update({o["Key"]: o["Size"] for o in page.get("Contents", [])})
        return found

    def read(self, key: str) -> bytes:
        body = self.client.get_object(Bucket=self.name, Key=key)["Body"]
        return bytes(body.read())


@pytest.fixture
def sdk(hub: Hub, moto_s3: str, tmp_path: Path) -> Sdk:
    return Sdk(hub, tmp_path / "home", moto_s3)


@pytest.fixture
def bucket(moto_s3: str) -> Iterator[Bucket]:
    b = Bucket(moto_s3)
    yield b
    b.client.close()


def _index(api: httpx.Client, version_id: str) -> dict[str, dict[str, Any]]:
    page = f.ok(api.get(f"/datasets/{version_id}/files", params={"limit": 10000}))
    assert not page.get("next_cursor")
    return {row["path"]: row for row in page["items"]}


def _versions() -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Two versions' files, unique to the test: v2 modifies ``a.txt`` and ``big1.bin``,
    renames ``b/c.txt`` to ``e/c.txt``, adds ``new.txt`` and keeps the rest."""
    nonce = os.urandom(16).hex().encode()
    v1 = {
        "a.txt": b"alpha " + nonce + b"\n" * 100,
        "b/c.txt": b"the file that is renamed " + nonce,
        "b/d.csv": b"x,y\n1,2\n" * 30 + nonce,
        "big1.bin": os.urandom(BIG),
        "big2.bin": os.urandom(BIG),
    }
    v2 = {k: v for k, v in v1.items() if k != "b/c.txt"}
    v2.update({"a.txt": b"alpha, changed " + nonce, "e/c.txt": v1["b/c.txt"]})
    v2.update({"new.txt": b"new " + nonce, "big1.bin": os.urandom(BIG)})
    return v1, v2


def _publish_two(
    sdk: Sdk, tmp_path: Path, output_uri: str | None
) -> tuple[dict[str, bytes], dict[str, bytes], str, str]:
    files1, files2 = _versions()
    project = f.unique("datasets-s3")
    common = {"name": "two", "project": project, "output_uri": output_uri}
    v1 = sdk.step("publish", folder=str(_write(tmp_path / "v1", files1)), **common)["id"]
    v2 = sdk.step("publish", folder=str(_write(tmp_path / "v2", files2)), parents=[v1], **common)[
        "id"
    ]
    return files1, files2, v1, v2


def _blob_uris(index: dict[str, dict[str, Any]]) -> set[str]:
    return {row["blob_uri"] for row in index.values()}


def test_an_s3_version_round_trips_and_its_child_stores_only_new_contents(
    sdk: Sdk, bucket: Bucket, api: httpx.Client, tmp_path: Path
) -> None:
    prefix = f"s3://{bucket.name}/datasets"
    files1, files2 = _versions()
    common = {"name": "round-trip", "project": f.unique("datasets-s3"), "output_uri": prefix}
    v1 = sdk.step("publish", folder=str(_write(tmp_path / "v1", files1)), **common)["id"]
    index1 = _index(api, v1)
    assert set(index1) == set(files1)
    assert all(uri.startswith(prefix + "/") for uri in _blob_uris(index1))
    first = bucket.objects()
    assert {f"s3://{bucket.name}/{key}" for key in first} == _blob_uris(index1)
    # a large file is stored whole and raw: the object is the file
    assert index1["big1.bin"]["blob_kind"] == "file"
    assert bucket.read(index1["big1.bin"]["blob_uri"].split("/", 3)[3]) == files1["big1.bin"]
    assert _tree(Path(sdk.step("fetch", id=v1)["path"])) == files1

    v2 = sdk.step("publish", folder=str(_write(tmp_path / "v2", files2)), parents=[v1], **common)[
        "id"
    ]
    index2 = _index(api, v2)
    # the renamed and the unchanged files point at the parent's blobs: nothing sent again
    for path, old in (("e/c.txt", "b/c.txt"), ("b/d.csv", "b/d.csv"), ("big2.bin", "big2.bin")):
        assert index2[path]["blob_uri"] == index1[old]["blob_uri"]
    new = {key: size for key, size in bucket.objects().items() if key not in first}
    assert {f"s3://{bucket.name}/{key}" for key in new} == _blob_uris(index2) - _blob_uris(index1)
    # one whole file (big1's new bytes) and chunks holding exactly the two new small contents
    assert index2["big1.bin"]["blob_kind"] == "file"
    chunks = {index2[p]["blob_uri"] for p in ("a.txt", "new.txt")}
    assert all(index2[p]["blob_kind"] == "chunk" for p in ("a.txt", "new.txt"))
    members = set()
    for uri in chunks:
        with zipfile.ZipFile(io.BytesIO(bucket.read(uri.split("/", 3)[3]))) as z:
            members |= set(z.namelist())
    assert members == {_sha(files2["a.txt"]), _sha(files2["new.txt"])}
    assert sum(new.values()) < BIG + 4096
    assert _tree(Path(sdk.step("fetch", id=v2)["path"])) == files2


def test_deleting_versions_frees_the_s3_blobs_that_no_other_version_uses(
    sdk: Sdk, bucket: Bucket, api: httpx.Client, tmp_path: Path
) -> None:
    _files1, files2, v1, v2 = _publish_two(sdk, tmp_path, f"s3://{bucket.name}/ds")
    index1, index2 = _index(api, v1), _index(api, v2)
    keys1 = {uri.split("/", 3)[3] for uri in _blob_uris(index1)}
    keys2 = {uri.split("/", 3)[3] for uri in _blob_uris(index2)}
    assert set(bucket.objects()) == keys1 | keys2

    # v1 is v2's parent: refused without force, nothing deleted
    refused = sdk.step_fails("delete", id=v1)
    assert "ConflictError" in refused and "is a parent of 1 version" in refused
    assert set(bucket.objects()) == keys1 | keys2

    sdk.step("delete", id=v1, force=True)
    f.ok(api.get(f"/datasets/{v1}"), 404)
    only_v1 = keys1 - keys2
    assert only_v1 == {index1["big1.bin"]["blob_uri"].split("/", 3)[3]}
    # big1's old bytes are gone; the chunk v2 still reads two files from stays
    assert set(bucket.objects()) == keys2
    assert _tree(Path(sdk.step("fetch", id=v2)["path"])) == files2

    sdk.step("delete", id=v2)
    assert bucket.objects() == {}


def test_deleting_versions_frees_the_hub_store_bytes(
    sdk: Sdk, hub: Hub, api: httpx.Client, tmp_path: Path
) -> None:
    files1, files2, v1, v2 = _publish_two(sdk, tmp_path, None)
    index1, index2 = _index(api, v1), _index(api, v2)
    blobs1 = {row["blob_id"] for row in index1.values()}
    blobs2 = {row["blob_id"] for row in index2.values()}
    assert all(uri.startswith("hub://datasets/blobs/") for uri in _blob_uris(index1))
    store = hub.data_dir / "files" / "datasets" / "blobs"

    def stored(blob: str) -> bool:
        return bool((store / blob[:2] / blob).is_file())

    assert all(stored(b) for b in blobs1 | blobs2)
    # a whole-file blob is named by the file's own hash
    assert index1["big1.bin"]["blob_id"] == _sha(files1["big1.bin"])

    sdk.step("delete", id=v1, force=True)
    assert blobs1 - blobs2 == {_sha(files1["big1.bin"])}
    assert not stored(_sha(files1["big1.bin"]))
    assert all(stored(b) for b in blobs2)
    assert _tree(Path(sdk.step("fetch", id=v2)["path"])) == files2

    sdk.step("delete", id=v2)
    assert not any(stored(b) for b in blobs1 | blobs2)
