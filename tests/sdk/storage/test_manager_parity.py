"""ClearML's ``StorageManager`` calls against a real HTTP server, moto S3 and local files:
cache names and contexts, network errors told apart from missing files, metadata."""

from __future__ import annotations

import functools
import http.server
import socket
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from corral.errors import NetworkError, NotFoundError, ServerUnavailableError, ValidationError
from corral.sdk.storage import StorageManager
from corral.testing.hub import Hub
from tests.sdk.conftest import env_for, run_script


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/broken"):
            self.send_error(500, "broken on purpose")
            return
        super().do_GET()

    def do_HEAD(self) -> None:
        if self.path.startswith("/broken"):
            self.send_error(500, "broken on purpose")
            return
        super().do_HEAD()


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A real HTTP server in a thread, serving a folder: (base URL, folder)."""
    folder = tmp_path_factory.mktemp("web")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_get_local_copy_keeps_the_file_under_the_given_name_in_the_cache(
    web: tuple[str, Path], storage_env: Path
) -> None:
    base, folder = web
    (folder / "download").write_bytes(b"weights over http")
    path = Path(StorageManager.get_local_copy(f"{base}/download?id=7", name="resnet.pt"))
    assert path.name == "resnet.pt" and path.read_bytes() == b"weights over http"
    assert path.is_relative_to(storage_env.parent / "cache" / "storage")
    # the same URL again: the cached file, still under that name
    assert StorageManager.get_local_copy(f"{base}/download?id=7", name="resnet.pt") == str(path)
    with pytest.raises(ValidationError, match="plain file name"):
        StorageManager.get_local_copy(f"{base}/download", name="../escape.pt")


def test_a_local_file_with_a_name_is_copied_into_the_cache(tmp_path: Path) -> None:
    src = tmp_path / "model.bin"
    src.write_bytes(b"local")
    assert StorageManager.get_local_copy(str(src), extract_archive=False) == str(src)
    named = Path(StorageManager.get_local_copy(str(src), name="copy.bin"))
    assert named.name == "copy.bin" and named.read_bytes() == b"local" and named != src


def test_an_archive_is_extracted_by_default_and_contexts_are_separate_caches(
    web: tuple[str, Path], storage_env: Path
) -> None:
    base, folder = web
    with zipfile.ZipFile(folder / "pkg.zip", "w") as zf:
        zf.writestr("a.txt", "a")
    extracted = Path(StorageManager.get_local_copy(f"{base}/pkg.zip"))
    assert extracted.is_dir() and (extracted / "a.txt").read_text() == "a"
    zipped = Path(StorageManager.get_local_copy(f"{base}/pkg.zip", "models", False))
    assert zipped.is_file() and zipped.name == "pkg.zip"
    assert zipped.is_relative_to(storage_env.parent / "cache" / "storage-models")
    with pytest.raises(ValidationError, match="cache_context"):
        StorageManager.get_local_copy(f"{base}/pkg.zip", cache_context="../x")


def test_set_cache_file_limit_keeps_the_most_recent_files(
    web: tuple[str, Path], storage_env: Path
) -> None:
    base, folder = web
    for n in range(3):
        (folder / f"f{n}.txt").write_text(str(n))
    assert StorageManager.set_cache_file_limit(2, cache_context="limited") == 2
    paths = [
        Path(StorageManager.get_local_copy(f"{base}/f{n}.txt", cache_context="limited"))
        for n in range(3)
    ]
    assert [p.exists() for p in paths] == [False, True, True]
    with pytest.raises(ValidationError, match="at least 1"):
        StorageManager.set_cache_file_limit(0, cache_context="limited")


def test_connection_refused_is_a_network_error_naming_the_url_and_a_404_is_not_found(
    web: tuple[str, Path],
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/weights.bin"
    with pytest.raises(NetworkError) as refused:
        StorageManager.get_local_copy(url)
    assert "network error" in str(refused.value) and url in str(refused.value)
    assert not isinstance(refused.value, NotFoundError)
    assert isinstance(refused.value, ServerUnavailableError)  # retried like the hub away
    base, _ = web
    with pytest.raises(NotFoundError, match="no file at"):
        StorageManager.get_local_copy(f"{base}/missing.bin")
    with pytest.raises(ServerUnavailableError, match="HTTP 500") as broken:
        StorageManager.get_local_copy(f"{base}/broken.bin")
    assert not isinstance(broken.value, NetworkError)
    assert StorageManager.exists_file(f"{base}/missing.bin") is False
    with pytest.raises(NetworkError):
        StorageManager.exists_file(url)


def test_metadata_size_and_silenced_errors(web: tuple[str, Path], tmp_path: Path) -> None:
    base, folder = web
    (folder / "meta.bin").write_bytes(b"12345")
    assert StorageManager.get_file_size_bytes(f"{base}/meta.bin") == 5
    meta = StorageManager.get_metadata(f"{base}/meta.bin")
    assert meta is not None and meta["name"] == "meta.bin" and meta["size"] == 5
    full = StorageManager.get_metadata(f"{base}/meta.bin", return_full_path=True)
    assert full is not None and full["name"] == f"{base}/meta.bin"
    assert StorageManager.get_metadata(f"{base}/nothing.bin") is None
    refused = f"http://127.0.0.1:{_closed_port()}/x.bin"
    assert StorageManager.get_file_size_bytes(refused, silence_errors=True) is None
    assert StorageManager.download_file(refused, tmp_path, silence_errors=True) is None
    with pytest.raises(NetworkError):
        StorageManager.download_file(refused, tmp_path)
    path = StorageManager.download_file(f"{base}/meta.bin", tmp_path / "dl", True, True, False)
    assert path is not None and Path(path).read_bytes() == b"12345"


def test_upload_and_folders_take_clearml_positional_arguments(
    s3_bucket: str, tmp_path: Path
) -> None:
    src = tmp_path / "up" / "a.csv"
    src.parent.mkdir()
    src.write_text("x,y\n")
    (src.parent / "b.txt").write_text("b")
    url = StorageManager.upload_file(str(src), f"s3://{s3_bucket}/one/a.csv", True, 2)
    assert StorageManager.get_metadata(url) == {
        "name": "a.csv",
        "size": 4,
        "last_modified": StorageManager.list(f"s3://{s3_bucket}/one/", with_metadata=True)[0][
            "last_modified"
        ],
    }
    StorageManager.upload_folder(str(src.parent), f"s3://{s3_bucket}/many/", "*.csv", 1)
    assert StorageManager.list(f"s3://{s3_bucket}/many/") == ["a.csv"]
    out = StorageManager.download_folder(
        f"s3://{s3_bucket}/many/", tmp_path / "down", None, False, False, False, 1
    )
    assert out is not None and (Path(out) / "a.csv").read_text() == "x,y\n"


REFUSED = """
from corral import StorageManager
from corral.errors import NetworkError
try:
    StorageManager.get_local_copy(URL)
except NetworkError as e:
    print("ERROR " + type(e).__name__ + " " + str(e))
"""


def test_a_script_gets_the_network_error_for_a_refused_connection(
    sdk_hub: Hub, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/data.csv"
    env = env_for(sdk_hub, tmp_path / "home")
    out = run_script(f"URL = {url!r}\n" + REFUSED, env, tmp_path / "run")
    line = next(x for x in out.stdout.splitlines() if x.startswith("ERROR "))
    assert line.startswith("ERROR NetworkError network error: cannot reach " + url)
