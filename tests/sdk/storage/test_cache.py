"""The storage cache: versions, LRU eviction by size, archives."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from corral.errors import ValidationError
from corral.sdk.storage import StorageCache, StorageManager, cache_root
from corral.sdk.storage.archives import archive_stem, extract_archive

KiB = 1024


def _fetcher(data: bytes, calls: list[Path]) -> Callable[[Path], None]:
    def fetch(dest: Path) -> None:
        calls.append(dest)
        dest.write_bytes(data)

    return fetch


def test_cache_root_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cache_root() == tmp_path / "cache"
    monkeypatch.delenv("CORRAL_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home" / ".corral" / "cache"


def test_a_new_version_replaces_the_old_one(tmp_path: Path) -> None:
    cache = StorageCache(tmp_path / "c")
    calls: list[Path] = []
    v1 = cache.get("s3://b/x", "v1", "x", _fetcher(b"one", calls))
    assert cache.get("s3://b/x", "v1", "x", _fetcher(b"never", calls)) == v1
    assert len(calls) == 1
    v2 = cache.get("s3://b/x", "v2", "x", _fetcher(b"two", calls))
    assert v2 != v1 and v2.read_bytes() == b"two"
    assert not v1.exists()  # the stale version went
    assert cache.latest("s3://b/x", "x") == v2


def test_least_recently_used_entries_go_when_the_cache_is_full(tmp_path: Path) -> None:
    cache = StorageCache(tmp_path / "c", max_bytes=250 * KiB)
    calls: list[Path] = []
    a = cache.get("hub://a", "1", "a", _fetcher(b"a" * 100 * KiB, calls))
    b = cache.get("hub://b", "1", "b", _fetcher(b"b" * 100 * KiB, calls))
    old = a.parent.stat().st_mtime - 100
    os.utime(b.parent, (old, old))  # b is used longest ago
    c = cache.get("hub://c", "1", "c", _fetcher(b"c" * 100 * KiB, calls))
    assert a.exists() and c.exists() and not b.exists()
    assert not b.parent.parent.exists()


def test_a_file_larger_than_the_cache_is_still_returned(tmp_path: Path) -> None:
    cache = StorageCache(tmp_path / "c", max_bytes=KiB)
    path = cache.get("hub://big", "1", "big", _fetcher(b"x" * 10 * KiB, []))
    assert path.read_bytes() == b"x" * 10 * KiB


def test_the_size_bound_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert StorageCache().max_bytes == 10 * 1024**3
    monkeypatch.setenv("CORRAL_CACHE_MAX_GB", "0.5")
    assert StorageCache().max_bytes == 512 * 1024**2
    monkeypatch.setenv("CORRAL_CACHE_MAX_GB", "lots")
    with pytest.raises(ValidationError, match="CORRAL_CACHE_MAX_GB"):
        StorageCache()


def test_get_local_copy_evicts_to_stay_under_the_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sdk_client: None
) -> None:
    monkeypatch.setenv("CORRAL_CACHE_MAX_GB", str(150 * KiB / 1024**3))
    paths = []
    for name in ("a", "b", "c"):
        src = tmp_path / name
        src.write_bytes(name.encode() * 100 * KiB)
        url = StorageManager.upload_file(src, f"hub://tests/cache-evict-{os.getpid()}/{name}")
        paths.append(Path(StorageManager.get_local_copy(url)))
    assert [p.exists() for p in paths] == [False, False, True]


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("a.zip", "a"),
        ("a.tar.gz", "a"),
        ("a.TGZ", "a"),
        ("a.tar", "a"),
        ("a.csv", None),
        (".zip", None),
    ],
)
def test_archive_names(name: str, stem: str | None) -> None:
    assert archive_stem(name) == stem


def test_a_tar_gz_extracts_safely(tmp_path: Path) -> None:
    archive = tmp_path / "t.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for name, data in {"x.txt": b"x", "d/y.txt": b"y"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("d/link")
        link.type, link.linkname = tarfile.SYMTYPE, "../x.txt"  # inside: allowed
        tf.addfile(link)
    out = extract_archive(archive, tmp_path / "t")
    assert (out / "d" / "y.txt").read_bytes() == b"y"
    assert (out / "d" / "link").read_bytes() == b"x"


@pytest.mark.parametrize("member", ["/abs.txt", "../up.txt", "a/../../up.txt", "..\\win.txt"])
def test_escaping_zip_members_are_refused(tmp_path: Path, member: str) -> None:
    archive = tmp_path / "z.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("fine.txt", b"ok")
        zf.writestr(zipfile.ZipInfo(member), b"bad")
    with pytest.raises(ValidationError, match="refusing"):
        extract_archive(archive, tmp_path / "out" / "z")
    assert not (tmp_path / "out" / "z").exists()
    assert [p.name for p in (tmp_path / "out").iterdir()] == []


def test_a_tar_with_a_device_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "dev.tar"
    with tarfile.open(archive, "w") as tf:
        dev = tarfile.TarInfo("null")
        dev.type = tarfile.CHRTYPE
        tf.addfile(dev)
    with pytest.raises(ValidationError, match="device"):
        extract_archive(archive, tmp_path / "dev")


def test_a_file_that_is_no_archive_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"not a zip")
    with pytest.raises(ValidationError, match="not a readable archive"):
        extract_archive(fake, tmp_path / "fake")


def test_extract_archive_of_a_plain_file_returns_the_file(tmp_path: Path) -> None:
    src = tmp_path / "remote" / "plain.csv"
    src.parent.mkdir()
    src.write_bytes(b"a")
    assert StorageManager.get_local_copy(str(src), extract_archive=True) == str(src)
