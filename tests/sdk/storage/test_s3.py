"""S3 specifics (a real moto server): options from the config or set_options; no secrets logged."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest

from corral.errors import NotFoundError
from corral.sdk.storage import StorageManager
from corral.testing.hub import free_port
from tests.sdk.storage.conftest import make_bucket


def test_set_options_overrides_the_config(moto_s3: str, storage_env: Path, tmp_path: Path) -> None:
    bucket = make_bucket(moto_s3)
    storage_env.write_text(f'[storage.s3]\nendpoint_url = "http://127.0.0.1:{free_port()}"\n')
    StorageManager.set_options("s3", endpoint_url=moto_s3)
    src = tmp_path / "x.txt"
    src.write_bytes(b"x")
    url = StorageManager.upload_file(src, f"s3://{bucket}/x.txt")
    assert StorageManager.exists_file(url)


def test_credentials_from_the_config_are_never_logged(
    moto_s3: str, storage_env: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "s3cr3t-" + uuid.uuid4().hex
    bucket = make_bucket(moto_s3)
    storage_env.write_text(
        f'[storage.s3]\nendpoint_url = "{moto_s3}"\nkey = "AKIDTEST"\nsecret = "{secret}"\n'
    )
    src = tmp_path / "x.txt"
    src.write_bytes(b"x")
    caplog.set_level(logging.DEBUG, logger="corral")
    url = StorageManager.upload_file(src, f"s3://{bucket}/x.txt")
    assert Path(StorageManager.get_local_copy(url)).read_bytes() == b"x"
    with pytest.raises(NotFoundError) as err:
        StorageManager.download_file(f"s3://{bucket}/none.txt", tmp_path)
    assert secret not in str(err.value)
    assert secret not in caplog.text
