"""The storage contract, run against every backend (hub, file://, local path, S3)."""

from __future__ import annotations

import io
import os
import re
import tarfile
import zipfile
from pathlib import Path

import pytest

from corral.errors import ConflictError, NotFoundError, ValidationError
from corral.sdk.storage import StorageManager
from tests.sdk.storage.conftest import Remote


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_round_trip_keeps_random_bytes(remote: Remote, random_file: Path, tmp_path: Path) -> None:
    url = remote.url("data", "random.bin")
    assert StorageManager.upload_file(random_file, url) == url
    local = StorageManager.download_file(url, tmp_path / "down")
    assert Path(local) == tmp_path / "down" / "random.bin"
    assert Path(local).read_bytes() == random_file.read_bytes()


def test_round_trip_keeps_an_empty_file(remote: Remote, tmp_path: Path) -> None:
    empty = _write(tmp_path / "src" / "empty.txt", b"")
    url = StorageManager.upload_file(empty, remote.url("empty.txt"))
    assert StorageManager.exists_file(url)
    assert StorageManager.get_file_size_bytes(url) == 0
    assert Path(StorageManager.download_file(url, tmp_path / "down")).read_bytes() == b""


def test_upload_to_a_folder_url_keeps_the_file_name(remote: Remote, tmp_path: Path) -> None:
    src = _write(tmp_path / "src" / "a.csv", b"x,y\n1,2\n")
    url = StorageManager.upload_file(src, remote.url("sub/"))
    assert url == remote.url("sub", "a.csv")
    assert StorageManager.exists_file(url)


def test_download_keeps_an_existing_file_unless_overwrite(remote: Remote, tmp_path: Path) -> None:
    url = StorageManager.upload_file(
        _write(tmp_path / "src" / "f.txt", b"new"), remote.url("f.txt")
    )
    existing = _write(tmp_path / "down" / "f.txt", b"old")
    assert StorageManager.download_file(url, existing.parent) == str(existing)
    assert existing.read_bytes() == b"old"
    StorageManager.download_file(url, existing.parent, overwrite=True)
    assert existing.read_bytes() == b"new"


def test_folder_round_trip_keeps_nested_paths(remote: Remote, tmp_path: Path) -> None:
    files = {"a.txt": b"a", "sub/b.csv": b"b,c", "sub/deeper/c.csv": b"c" * 1000, "z.bin": b""}
    src = tmp_path / "tree"
    for rel, data in files.items():
        _write(src / rel, data)
    assert StorageManager.upload_folder(src, remote.url("tree/")) == remote.url("tree/")

    assert StorageManager.list(remote.url("tree/")) == sorted(files)
    down = StorageManager.download_folder(remote.url("tree/"), tmp_path / "copy")
    assert down == str(tmp_path / "copy")
    assert _tree(tmp_path / "copy") == files


def test_folder_transfers_filter_by_wildcard(remote: Remote, tmp_path: Path) -> None:
    src = tmp_path / "tree"
    for rel in ("a.txt", "b.csv", "sub/c.csv", "sub/d.txt"):
        _write(src / rel, rel.encode())
    StorageManager.upload_folder(src, remote.url("csv"), match_wildcard="*.csv")
    assert StorageManager.list(remote.url("csv")) == ["b.csv", "sub/c.csv"]

    StorageManager.upload_folder(src, remote.url("all"))
    out = StorageManager.download_folder(
        remote.url("all"), tmp_path / "txt", match_wildcard="*.txt"
    )
    assert _tree(Path(out)) == {"a.txt": b"a.txt", "sub/d.txt": b"sub/d.txt"}


def test_download_folder_defaults_to_a_folder_of_its_name(
    remote: Remote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    StorageManager.upload_file(_write(tmp_path / "x.txt", b"x"), remote.url("results", "x.txt"))
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    out = StorageManager.download_folder(remote.url("results/"))
    assert Path(out) == workdir / "results"
    assert (workdir / "results" / "x.txt").read_bytes() == b"x"


def test_list_gives_full_paths_and_metadata(remote: Remote, tmp_path: Path) -> None:
    StorageManager.upload_file(_write(tmp_path / "one", b"1"), remote.url("d", "one"))
    StorageManager.upload_file(_write(tmp_path / "two", b"22"), remote.url("d", "s", "two"))

    assert StorageManager.list(remote.url("d"), return_full_path=True) == [
        remote.url("d", "one"),
        remote.url("d", "s", "two"),
    ]
    meta = StorageManager.list(remote.url("d/"), with_metadata=True)
    assert [(m["name"], m["size"]) for m in meta] == [("one", 1), ("s/two", 2)]
    assert all(isinstance(m["last_modified"], float) for m in meta)
    assert StorageManager.list(remote.url("missing/")) == []


def test_exists_and_size(remote: Remote, random_file: Path) -> None:
    url = StorageManager.upload_file(random_file, remote.url("f", "r.bin"))
    assert StorageManager.exists_file(url)
    assert StorageManager.get_file_size_bytes(url) == 3 * 1024 * 1024
    assert not StorageManager.exists_file(remote.url("f", "nope.bin"))
    assert StorageManager.get_file_size_bytes(remote.url("f", "nope.bin")) is None
    assert not StorageManager.exists_file(remote.url("f"))  # a folder is no file


def test_delete_a_file_and_a_folder(remote: Remote, tmp_path: Path) -> None:
    src = tmp_path / "tree"
    for rel in ("a.txt", "sub/b.txt"):
        _write(src / rel, b"x")
    StorageManager.upload_folder(src, remote.url("tree"))

    StorageManager.delete(remote.url("tree", "a.txt"))
    assert not StorageManager.exists_file(remote.url("tree", "a.txt"))
    with pytest.raises(NotFoundError, match=re.escape(remote.url("tree", "a.txt"))):
        StorageManager.delete(remote.url("tree", "a.txt"))
    with pytest.raises(ConflictError):
        StorageManager.delete(remote.url("tree", "sub"))
    assert StorageManager.exists_file(remote.url("tree", "sub", "b.txt"))

    StorageManager.delete(remote.url("tree"), recursive=True)
    assert StorageManager.list(remote.url("tree")) == []


def test_get_local_copy_is_cached_until_the_remote_changes(
    remote: Remote, tmp_path: Path, storage_env: Path
) -> None:
    url = StorageManager.upload_file(
        _write(tmp_path / "v1" / "m.txt", b"version 1"), remote.url("m.txt")
    )
    first = StorageManager.get_local_copy(url)
    seen = os.stat(first)
    assert Path(first).read_bytes() == b"version 1"
    if not remote.is_local:  # a local file is used where it is
        assert Path(first).is_relative_to(tmp_path / "cache" / "storage")

    second = StorageManager.get_local_copy(url)
    assert second == first
    again = os.stat(second)
    assert (again.st_ino, again.st_mtime_ns) == (seen.st_ino, seen.st_mtime_ns)

    StorageManager.upload_file(_write(tmp_path / "v2" / "m.txt", b"version two"), url)
    third = StorageManager.get_local_copy(url)
    assert Path(third).read_bytes() == b"version two"


def test_force_download_fetches_again(remote: Remote, tmp_path: Path) -> None:
    url = StorageManager.upload_file(_write(tmp_path / "m.txt", b"m"), remote.url("m.txt"))
    first = os.stat(StorageManager.get_local_copy(url))
    path = StorageManager.get_local_copy(url, force_download=True)
    assert Path(path).read_bytes() == b"m"
    if remote.is_local:
        # a local file is its own copy: forcing changes nothing and copies nothing
        assert os.stat(path).st_ino == first.st_ino
    else:
        assert os.stat(path).st_ino != first.st_ino


def test_get_local_copy_extracts_a_zip(remote: Remote, tmp_path: Path) -> None:
    members = {"top.txt": b"top", "inner/data.csv": b"a,b\n"}
    archive = _write(tmp_path / "src" / "bundle.zip", _zip_bytes(members))
    url = StorageManager.upload_file(archive, remote.url("bundle.zip"))

    folder = StorageManager.get_local_copy(url, extract_archive=True)
    assert Path(folder).name == "bundle"
    assert _tree(Path(folder)) == members
    assert Path(folder).is_relative_to(tmp_path / "cache" / "storage")
    assert StorageManager.get_local_copy(url, extract_archive=True) == folder


def test_extracting_a_zip_slip_is_refused(remote: Remote, tmp_path: Path) -> None:
    evil = _zip_bytes({"fine.txt": b"ok", "../../evil.txt": b"gotcha"})
    url = StorageManager.upload_file(
        _write(tmp_path / "src" / "evil.zip", evil), remote.url("evil.zip")
    )
    with pytest.raises(ValidationError, match=r"\.\./\.\./evil\.txt"):
        StorageManager.get_local_copy(url, extract_archive=True)
    assert not list(tmp_path.rglob("evil.txt"))
    assert not list(tmp_path.rglob("fine.txt"))


def test_extracting_a_tar_with_an_escaping_link_is_refused(remote: Remote, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        link = tarfile.TarInfo("data/link")
        link.type, link.linkname = tarfile.SYMTYPE, "../../../etc"
        tf.addfile(link)
    url = StorageManager.upload_file(
        _write(tmp_path / "src" / "evil.tar.gz", buffer.getvalue()), remote.url("evil.tar.gz")
    )
    with pytest.raises(ValidationError, match="links outside"):
        StorageManager.get_local_copy(url, extract_archive=True)


def test_a_missing_file_is_not_found(remote: Remote, tmp_path: Path) -> None:
    url = remote.url("no", "such.txt")
    with pytest.raises(NotFoundError, match=re.escape(url)):
        StorageManager.download_file(url, tmp_path / "down")
    with pytest.raises(NotFoundError, match=re.escape(url)):
        StorageManager.get_local_copy(url)
    with pytest.raises(NotFoundError, match=re.escape(remote.url("no/"))):
        StorageManager.download_folder(remote.url("no/"), tmp_path / "down")
    assert not list((tmp_path / "down").glob("*"))


def test_background_uploads_finish_on_wait(remote: Remote, tmp_path: Path) -> None:
    urls = []
    for i in range(5):
        src = _write(tmp_path / "src" / f"f{i}.txt", f"file {i}".encode())
        urls.append(
            StorageManager.upload_file(src, remote.url(f"bg/f{i}.txt"), wait_for_upload=False)
        )
    assert sorted(StorageManager.wait_for_uploads(timeout=120)) == sorted(urls)
    for i, url in enumerate(urls):
        assert StorageManager.exists_file(url)
        assert Path(StorageManager.get_local_copy(url)).read_bytes() == f"file {i}".encode()
    assert StorageManager.wait_for_uploads() == []
