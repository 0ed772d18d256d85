"""Fixtures of the storage tests: one contract suite over every backend.

``remote`` is a fresh, empty folder URL on one backend per run of a test: the
hub (the SDK's test hub, over HTTP), ``file://``, a plain local path, and S3 (a
real moto server process, reached through s3fs with ``[storage.s3]`` of a config
file of the test's own). Every test gets its own cache root and config file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from corral.sdk.storage import StorageManager, join_uri
from corral.testing.hub import free_port

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
BACKENDS = ["hub", "file", "local", "s3"]


@dataclass
class Remote:
    """A fresh folder on one backend."""

    kind: str
    base: str  # the folder's URL, ending in "/"

    def url(self, *parts: str) -> str:
        return join_uri(self.base, *parts)

    @property
    def is_local(self) -> bool:
        return self.kind in ("file", "local")


@pytest.fixture(autouse=True)
def storage_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A cache root and config file of the test's own; AWS test credentials."""
    monkeypatch.setenv("CORRAL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CORRAL_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.delenv("CORRAL_CACHE_MAX_GB", raising=False)
    for var, value in AWS_ENV.items():
        monkeypatch.setenv(var, value)
    yield tmp_path / "config.toml"
    StorageManager.set_options("s3")  # drop a test's override


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[str]:
    """The URL of a moto S3 server, a process of its own for the session."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, **AWS_ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"moto server exited with {proc.returncode}")
            try:
                if httpx.get(url + "/moto-api/", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("moto server did not answer within 60s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def make_bucket(endpoint: str) -> str:
    import botocore.session

    name = "corral-" + uuid.uuid4().hex[:12]
    client = botocore.session.get_session().create_client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=name)
    client.close()
    return name


@pytest.fixture
def s3_bucket(moto_s3: str, storage_env: Path) -> str:
    """A new bucket; ``[storage.s3]`` of the test's config points at the moto server."""
    storage_env.write_text(f'[storage.s3]\nendpoint_url = "{moto_s3}"\n')
    return make_bucket(moto_s3)


@pytest.fixture(params=BACKENDS)
def remote(request: pytest.FixtureRequest, tmp_path: Path) -> Remote:
    kind = request.param
    if kind == "hub":
        request.getfixturevalue("sdk_client")
        return Remote(kind, f"hub://tests/storage/{uuid.uuid4().hex}/")
    if kind == "s3":
        bucket = request.getfixturevalue("s3_bucket")
        return Remote(kind, f"s3://{bucket}/{uuid.uuid4().hex}/")
    folder = tmp_path / "remote"
    folder.mkdir()
    if kind == "file":
        return Remote(kind, f"file://{folder}/")
    return Remote(kind, f"{folder}/")


@pytest.fixture
def random_file(tmp_path: Path) -> Path:
    """A 3 MiB file of random bytes."""
    path = tmp_path / "src" / "random.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(3 * 1024 * 1024))
    return path
