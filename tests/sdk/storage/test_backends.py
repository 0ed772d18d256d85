"""Picking a backend by URL, storage options, URL helpers."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from corral.errors import ValidationError
from corral.sdk.storage import StorageManager, backend_for, join_uri, storage_options
from corral.sdk.storage.backends import base_name, protocol_of
from corral.sdk.storage.fsspec_backend import FsspecBackend
from corral.sdk.storage.hubfs import HubBackend


@pytest.mark.parametrize(
    ("base", "parts", "joined"),
    [
        ("s3://bucket/runs/", ("/42/", "model.pt"), "s3://bucket/runs/42/model.pt"),
        ("s3://bucket", ("a",), "s3://bucket/a"),
        ("hub://", ("tasks/abc", "out/"), "hub://tasks/abc/out/"),
        ("/tmp/x", ("", "/", "y"), "/tmp/x/y"),
        ("file:///data//", ("a b", "c%20d"), "file:///data/a b/c%20d"),
        ("gs://b/p", (), "gs://b/p"),
    ],
)
def test_join_uri_joins_with_single_slashes(base: str, parts: tuple[str, ...], joined: str) -> None:
    assert join_uri(base, *parts) == joined


def test_protocols_and_names() -> None:
    assert protocol_of("S3://b/k") == "s3"
    assert protocol_of("/tmp/x") == protocol_of("relative/x") == "file"
    assert protocol_of("abfs://c/x") == "abfs"
    assert base_name("hub://tasks/a/x.csv") == "x.csv"
    assert base_name("s3://b/dir/") == ""
    assert base_name("/tmp/y.txt") == "y.txt"


def test_backends_are_picked_by_scheme(tmp_path: Path) -> None:
    assert isinstance(backend_for("hub://a/b"), HubBackend)
    local = backend_for(str(tmp_path / "x"))
    assert isinstance(local, FsspecBackend)
    assert local.local_path(str(tmp_path / "x")) == tmp_path / "x"
    assert backend_for(f"file://{tmp_path}/x").local_path(f"file://{tmp_path}/x") == tmp_path / "x"


def test_an_unknown_scheme_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="unsupported storage URL scheme nope://"):
        StorageManager.exists_file("nope://bucket/x")


@pytest.mark.parametrize(
    ("url", "package", "extra"),
    [
        ("gs://b/x", "gcsfs", "gcs"),
        ("az://c/x", "adlfs", "azure"),
        ("abfs://c/x", "adlfs", "azure"),
    ],
)
def test_a_missing_backend_package_names_the_extra(
    url: str, package: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = importlib.import_module("fsspec.registry")  # (fsspec.registry is a dict view)
    # the package made unimportable, whether or not it is installed here
    monkeypatch.setitem(sys.modules, package, None)
    monkeypatch.delitem(registry._registry, url.split("://")[0], raising=False)
    with pytest.raises(ValidationError, match=rf"pip install 'corral\[{extra}\]'"):
        StorageManager.get_local_copy(url)


def test_options_come_from_the_config_then_overrides(storage_env: Path) -> None:
    storage_env.write_text(
        '[storage.s3]\nendpoint_url = "http://config:9000"\nkey = "k"\n'
        '[storage.s3a]\nkey = "k-for-s3a"\n'
    )
    assert storage_options("s3") == {"endpoint_url": "http://config:9000", "key": "k"}
    assert storage_options("s3a") == {"endpoint_url": "http://config:9000", "key": "k-for-s3a"}
    assert storage_options("gs") == {}

    StorageManager.set_options("s3", endpoint_url="http://override:9000")
    assert storage_options("s3") == {"endpoint_url": "http://override:9000", "key": "k"}
    StorageManager.set_options("s3")
    assert storage_options("s3")["endpoint_url"] == "http://config:9000"


def test_a_local_missing_source_is_not_found(tmp_path: Path) -> None:
    from corral.errors import NotFoundError

    with pytest.raises(NotFoundError, match=r"nothing\.txt"):
        StorageManager.upload_file(tmp_path / "nothing.txt", str(tmp_path / "out.txt"))
    with pytest.raises(NotFoundError, match="no-folder"):
        StorageManager.upload_folder(tmp_path / "no-folder", str(tmp_path / "out"))


def test_download_file_of_a_folder_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="folder"):
        StorageManager.download_file(f"{tmp_path}/", tmp_path)


def test_download_folder_refuses_names_escaping_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from corral.sdk.storage.backends import RemoteFile

    def listing(self: FsspecBackend, url: str) -> list[RemoteFile]:
        return [RemoteFile("ok.txt", 1), RemoteFile("../escaped.txt", 1)]

    monkeypatch.setattr(FsspecBackend, "list", listing)
    with pytest.raises(ValidationError, match=r"escaped\.txt"):
        StorageManager.download_folder(str(tmp_path / "remote"), tmp_path / "down")
    assert not (tmp_path / "escaped.txt").exists()
