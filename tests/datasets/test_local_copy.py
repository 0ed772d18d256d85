"""``corral.datasets.fetch``: a version's files through the machine's cache, on a real hub.

Versions are published straight through ``client.datasets`` (tests/datasets/versions.py);
the cache is a folder of the test's own (``CORRAL_DATASET_CACHE``).
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from corral.client.http import HubClient
from corral.datasets import fetch
from corral.datasets.cache import CorruptBlobError, DatasetCache, sha256_file
from corral.errors import ConflictError, InsufficientStorageError, ValidationError
from corral.testing.hub import Hub
from tests import factories as f
from tests.datasets.versions import chunk, hub_client, publish, sha
from tests.disks import tmpfs
from tests.sdk.storage.conftest import moto_s3  # noqa: F401  (a fixture)

# the machine's cache does not depend on the database (the routes it reads run on both
# in tests/server/api/test_dataset*.py and tests/datasets/test_dataset_*.py)
pytestmark = pytest.mark.sqlite_hub

FILES = {
    "a.txt": b"alpha\n",
    "b/c.csv": b"x,y\n1,2\n",
    "b/d/e.bin": bytes(range(256)) * 40,
    "same-as-a.txt": b"alpha\n",
    "big.dat": os.urandom(300_000),
}


@pytest.fixture
def client(hub: Hub) -> Iterator[HubClient]:
    with hub_client(hub) as c:
        yield c


@pytest.fixture
def project(hub: Hub) -> str:
    with hub.client() as api:
        return str(f.project(api)["name"])


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "dataset-cache"
    monkeypatch.setenv("CORRAL_DATASET_CACHE", str(folder))
    monkeypatch.setenv("CORRAL_CACHE_MAX_GB", "1")
    return folder


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (following symlinks), by its /-separated relative path."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            out[path.relative_to(folder).as_posix()] = path.read_bytes()
    return out


def objects(cache: Path) -> list[Path]:
    return sorted(p for p in (cache / "objects").rglob("*") if p.is_file())


def fetched(stderr: str) -> int:
    """The number of contents the last fetch downloaded (its summary line)."""
    return int(re.findall(r"fetched (\d+) ", stderr)[-1])


def test_round_trip_is_a_read_only_folder_byte_for_byte(
    client: HubClient, project: str, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    v1 = publish(client, project, "rt", FILES, big={"big.dat"})

    folder = fetch.local_copy(client, v1["id"])

    assert tree(folder) == FILES
    assert folder == cache_dir.absolute() / "versions" / v1["id"]
    for path in folder.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o555 if path.is_dir() else 0o444), path
    # one object per content: the two paths holding "alpha" share it
    assert len(objects(cache_dir)) == len({sha(d) for d in FILES.values()})
    assert all(sha256_file(p) == p.name for p in objects(cache_dir))
    assert fetched(capsys.readouterr().err) == 4

    again = fetch.local_copy(client, v1["id"])
    assert again == folder and tree(again) == FILES
    assert fetched(capsys.readouterr().err) == 0


def test_a_child_fetches_only_contents_its_parent_did_not_have(
    client: HubClient, project: str, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    v1 = publish(client, project, "child", FILES, big={"big.dat"})
    changes = {"a.txt": b"alpha 2\n", "new/f.txt": b"fresh\n", "renamed.csv": FILES["b/c.csv"]}
    v2 = publish(client, project, "child", changes, parents=[v1["id"]], remove=["b/c.csv"])
    fetch.local_copy(client, v1["id"])
    capsys.readouterr()

    folder = fetch.local_copy(client, v2["id"])

    expected = {k: v for k, v in FILES.items() if k != "b/c.csv"} | changes
    assert tree(folder) == expected
    assert fetched(capsys.readouterr().err) == 2  # the renamed file's content is cached


def test_soft_links_point_into_the_objects(
    client: HubClient, project: str, cache_dir: Path
) -> None:
    v1 = publish(client, project, "soft", {"a.txt": b"a\n", "x/y.txt": b"why\n"})

    folder = fetch.local_copy(client, v1["id"], use_soft_links=True)

    link = folder / "x" / "y.txt"
    assert link.is_symlink() and link.read_bytes() == b"why\n"
    assert Path(os.readlink(link)).parent.parent == cache_dir.absolute() / "objects"
    os.chmod(folder, 0o755)
    (folder / "a.txt").unlink()
    repaired = fetch.local_copy(client, v1["id"])  # a repair keeps the folder's kind of link
    assert (repaired / "a.txt").is_symlink() and (repaired / "a.txt").read_bytes() == b"a\n"


def test_two_processes_fetching_the_same_version_at_once(
    client: HubClient, project: str, cache_dir: Path, hub: Hub, tmp_path: Path
) -> None:
    files = {f"part/{i:03d}.txt": f"file {i}\n".encode() * (i + 1) for i in range(120)}
    files["big.dat"] = os.urandom(2_000_000)
    v1 = publish(client, project, "twice", files, big={"big.dat"}, chunks=6)
    script = tmp_path / "fetch_it.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import hashlib, sys
            from corral.client.config import HubCredentials
            from corral.client.http import HubClient
            from corral.datasets import fetch
            client = HubClient(HubCredentials({hub.url!r}, {hub.access_key!r}, {hub.secret_key!r}))
            print("ready", flush=True)
            sys.stdin.readline()
            folder = fetch.local_copy(client, {v1["id"]!r}, max_workers=3)
            digest = hashlib.sha256()
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
            print(folder, digest.hexdigest(), flush=True)
            """
        )
    )
    env = {**os.environ, "CORRAL_DATASET_CACHE": str(cache_dir)}
    procs = [
        subprocess.Popen(
            [sys.executable, str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    for proc in procs:  # both go at once
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = [proc.communicate(timeout=120) for proc in procs]

    assert [proc.returncode for proc in procs] == [0, 0], results
    outputs = {out.strip() for out, _ in results}
    assert len(outputs) == 1  # the same folder with the same contents
    folder = Path(outputs.pop().split()[0])
    assert tree(folder) == files
    # one of them fetched everything, the other waited for it and fetched nothing
    assert sorted(fetched(err) for _, err in results) == [0, len(set(files.values()))]
    assert len(objects(cache_dir)) == len({sha(d) for d in files.values()})
    assert not any((cache_dir / "tmp").iterdir())


def test_a_truncated_cached_file_is_fetched_again(
    client: HubClient, project: str, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    v1 = publish(client, project, "trunc", FILES, big={"big.dat"})
    folder = fetch.local_copy(client, v1["id"])
    os.truncate(folder / "big.dat", 1000)
    (folder / "b" / "c.csv").chmod(0o644)
    os.chmod(folder / "b", 0o755)
    (folder / "b" / "c.csv").unlink()
    capsys.readouterr()

    again = fetch.local_copy(client, v1["id"])

    assert tree(again) == FILES
    err = capsys.readouterr().err
    # the truncated file's object was the same inode: fetched again; the removed one's
    # object was intact: linked again
    assert "2 repaired" in err and fetched(err) == 1
    assert stat.S_IMODE((again / "b").stat().st_mode) == 0o555


def test_verify_catches_a_same_size_corruption_that_the_cheap_check_cannot(
    client: HubClient, project: str, cache_dir: Path
) -> None:
    v1 = publish(client, project, "verify", FILES, big={"big.dat"})
    folder = fetch.local_copy(client, v1["id"])
    target = folder / "b" / "d" / "e.bin"
    before = target.stat()
    target.write_bytes(b"\xff" * before.st_size)  # root writes through 0444
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))

    assert (
        fetch.local_copy(client, v1["id"]).joinpath("b/d/e.bin").read_bytes() != FILES["b/d/e.bin"]
    )
    repaired = fetch.local_copy(client, v1["id"], verify=True)

    assert tree(repaired) == FILES
    assert all(sha256_file(p) == p.name for p in objects(cache_dir))


def test_a_blob_whose_hash_does_not_match_is_refused_and_nothing_is_placed(
    client: HubClient, project: str, cache_dir: Path, hub: Hub
) -> None:
    files = {"one.txt": b"one\n" * 100, "two.txt": b"two\n" * 100}
    v1 = publish(client, project, "corrupt", files)
    (blob_id,) = {row["blob_id"] for row in client.datasets.iter_files(v1["id"])}
    (stored,) = [p for p in hub.data_dir.rglob(blob_id) if p.is_file()]
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stored.write_bytes(bytes(data))

    with pytest.raises(CorruptBlobError, match=f"blob {blob_id} of dataset corrupt .* is corrupt"):
        fetch.local_copy(client, v1["id"])

    assert objects(cache_dir) == []
    assert not (cache_dir / "versions" / v1["id"]).exists()
    assert not (cache_dir / "versions" / f"{v1['id']}.manifest").exists()
    assert not any((cache_dir / "tmp").iterdir())


def test_a_disk_that_fills_during_the_fetch_leaves_no_partial_file(
    client: HubClient, project: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {f"blob{i}.bin": os.urandom(1_000_000) for i in range(3)}
    v1 = publish(client, project, "full", files, big=set(files))
    with tmpfs("4m") as disk:
        monkeypatch.setenv("CORRAL_DATASET_CACHE", str(disk))
        filler = disk / "filler"
        filler.write_bytes(b"\0" * 2_200_000)  # room for about one blob and a half

        with pytest.raises(
            InsufficientStorageError, match=r"no space left .* CORRAL_DATASET_CACHE"
        ):
            fetch.local_copy(client, v1["id"], max_workers=1)

        assert all(sha256_file(p) == p.name for p in objects(disk))
        assert len(objects(disk)) < 3
        assert not (disk / "versions" / v1["id"]).exists()
        assert not list((disk / "tmp").iterdir()), list((disk / "tmp").iterdir())
        assert not [p for p in (disk / "objects").rglob("*") if p.name.startswith(".")]

        filler.unlink()
        folder = fetch.local_copy(client, v1["id"])
        assert tree(folder) == files


def test_parts_split_the_version_by_blob(client: HubClient, project: str, cache_dir: Path) -> None:
    files = {f"f{i}.txt": f"content {i}\n".encode() for i in range(12)}
    v1 = publish(client, project, "parts", files, chunks=4)

    halves = [fetch.local_copy(client, v1["id"], part=k, num_parts=2) for k in (0, 1)]
    trees = [tree(h) for h in halves]

    assert halves[0].name == f"{v1['id']}.part0-2"
    assert trees[0] and trees[1] and not set(trees[0]) & set(trees[1])
    assert trees[0] | trees[1] == files
    single = tree(fetch.local_copy(client, v1["id"], part=3))  # one blob of four
    assert single and set(single) < set(files)
    with pytest.raises(ValidationError, match="part must be between 0 and num_parts - 1"):
        fetch.local_copy(client, v1["id"], part=2, num_parts=2)


def test_a_mutable_copy_is_writable_and_refuses_a_non_empty_folder(
    client: HubClient, project: str, cache_dir: Path, tmp_path: Path
) -> None:
    v1 = publish(client, project, "mutable", FILES, big={"big.dat"})
    target = tmp_path / "work"

    out = fetch.mutable_copy(client, v1["id"], target)

    assert out == target and tree(target) == FILES
    (target / "a.txt").write_bytes(b"changed")  # a plain file, not a link to the cache
    assert tree(fetch.local_copy(client, v1["id"]))["a.txt"] == FILES["a.txt"]
    with pytest.raises(ValidationError, match="is not empty: pass overwrite=True"):
        fetch.mutable_copy(client, v1["id"], target)
    assert (target / "a.txt").read_bytes() == b"changed"
    (target / "extra.txt").write_bytes(b"extra")
    fetch.mutable_copy(client, v1["id"], target, overwrite=True)
    assert tree(target) == FILES


def test_a_version_that_is_not_final_is_refused(
    client: HubClient, project: str, cache_dir: Path
) -> None:
    draft = publish(client, project, "draft", {"a.txt": b"a"}, final=False)

    with pytest.raises(ConflictError, match="is not final: finalize it"):
        fetch.local_copy(client, draft["id"])
    assert not (cache_dir / "versions" / draft["id"]).exists()


def test_the_cache_stays_under_its_bound_by_dropping_old_versions(
    client: HubClient, project: str, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v1 = publish(client, project, "lru", {"one.bin": os.urandom(600_000)}, big={"one.bin"})
    v2 = publish(client, project, "lru", {"two.bin": os.urandom(600_000)}, big={"two.bin"})
    monkeypatch.setenv("CORRAL_CACHE_MAX_GB", str(1_000_000 / 1024**3))
    fetch.local_copy(client, v1["id"])

    fetch.local_copy(client, v2["id"])

    cache = DatasetCache(cache_dir)
    assert not cache.is_complete(v1["id"]) and cache.is_complete(v2["id"])
    assert [p.stat().st_size for p in objects(cache_dir)] == [600_000]


@pytest.fixture(params=["file", "s3"])
def outside(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[bytes], str]:
    """Stores bytes in outside storage (a local folder, or S3 on moto's server); returns
    the blob's URL."""
    if request.param == "file":
        store = tmp_path / "store"
        store.mkdir()

        def put_file(data: bytes) -> str:
            (store / sha(data)).write_bytes(data)
            return (store / sha(data)).as_uri()

        return put_file
    from tests.sdk.storage.conftest import AWS_ENV, make_bucket

    endpoint = request.getfixturevalue("moto_s3")
    bucket = make_bucket(endpoint)
    config = tmp_path / "config.toml"
    config.write_text(f'[storage.s3]\nendpoint_url = "{endpoint}"\n')
    monkeypatch.setenv("CORRAL_CONFIG", str(config))
    for var, value in AWS_ENV.items():
        monkeypatch.setenv(var, value)
    import botocore.session

    s3 = botocore.session.get_session().create_client(
        "s3", endpoint_url=endpoint, region_name="us-east-1"
    )

    def put_s3(data: bytes) -> str:
        s3.put_object(Bucket=bucket, Key=f"blobs/{sha(data)}", Body=data)
        return f"s3://{bucket}/blobs/{sha(data)}"

    return put_s3


def test_blobs_in_outside_storage_and_external_files_are_fetched_from_their_urls(
    client: HubClient,
    project: str,
    cache_dir: Path,
    tmp_path: Path,
    outside: Callable[[bytes], str],
) -> None:
    small, whole = b"in a chunk\n" * 10, os.urandom(20_000)
    external = tmp_path / "elsewhere" / "ext.csv"
    external.parent.mkdir()
    external.write_bytes(b"ext,1\n")
    ds = client.datasets
    v = ds.create(name="outside", project=project)
    ds.add_files(
        v["id"],
        [
            {"path": "small.txt", "size": len(small), "sha256": sha(small)},
            {"path": "whole.bin", "size": len(whole), "sha256": sha(whole)},
            {
                "path": "linked/ext.csv",
                "size": 6,
                "sha256": sha(b"ext,1\n"),
                "external_url": external.as_uri(),
            },
        ],
    )
    body = chunk([small])
    for blob, kind, contents in ((body, "chunk", [sha(small)]), (whole, "file", [sha(whole)])):
        ds.register_blob(
            v["id"], id=sha(blob), uri=outside(blob), size=len(blob), kind=kind, contents=contents
        )
    ds.finalize(v["id"])

    folder = fetch.local_copy(client, v["id"])

    assert tree(folder) == {"small.txt": small, "whole.bin": whole, "linked/ext.csv": b"ext,1\n"}


def test_without_raise_on_error_a_bad_blob_s_files_are_left_out_then_fetched_later(
    client: HubClient, project: str, cache_dir: Path, hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {f"f{i}.txt": f"file {i}\n".encode() * 20 for i in range(6)}
    v1 = publish(client, project, "lenient", files, chunks=2)
    rows = list(client.datasets.iter_files(v1["id"]))
    bad_blob = rows[0]["blob_id"]
    bad_paths = {row["path"] for row in rows if row["blob_id"] == bad_blob}
    (stored,) = [p for p in hub.data_dir.rglob(bad_blob) if p.is_file()]
    original = stored.read_bytes()
    stored.write_bytes(original[:-10] + b"\0" * 10)

    folder = fetch.local_copy(client, v1["id"], raise_on_error=False)

    assert tree(folder) == {k: v for k, v in files.items() if k not in bad_paths}
    stored.write_bytes(original)  # the storage is healthy again
    capsys.readouterr()
    again = fetch.local_copy(client, v1["id"])
    assert tree(again) == files
    assert f"{len(bad_paths)} repaired" in capsys.readouterr().err


# --- a hub that lies: the client refuses what could write outside its folders ----------
# (a real hub refuses such paths and archives itself, so the transport is the seam here)


def lying_hub(rows: list[dict[str, object]], blob: bytes) -> HubClient:
    import httpx

    from corral.client.config import HubCredentials

    vid = "f" * 32

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == f"/api/v1/datasets/{vid}":
            return httpx.Response(
                200, json={"id": vid, "name": "lies", "version": "1.0.0", "state": "final"}
            )
        if path == f"/api/v1/datasets/{vid}/files":
            return httpx.Response(200, json={"items": rows, "next_cursor": None})
        if path.startswith(f"/api/v1/datasets/{vid}/blobs/"):
            return httpx.Response(200, content=blob)
        return httpx.Response(404, json={"detail": "no"})

    return HubClient(
        HubCredentials("http://hub.invalid", "k", "s"), transport=httpx.MockTransport(answer)
    )


def test_an_index_path_that_escapes_the_folder_is_refused(cache_dir: Path) -> None:
    data = b"evil"
    row = {"path": "../escaped.txt", "size": 4, "sha256": sha(data), "blob_id": sha(data)}
    client = lying_hub([row | {"blob_kind": "file", "blob_uri": "hub://x"}], data)

    with pytest.raises(ValidationError, match=r"'\.\.' part: it must stay inside the dataset"):
        fetch.local_copy(client, "f" * 32)
    assert not list(cache_dir.parent.rglob("escaped.txt"))
    assert objects(cache_dir) == []


def test_a_chunk_member_that_is_not_a_content_id_is_refused(cache_dir: Path) -> None:
    import io
    import zipfile

    data = b"payload"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(sha(data), data)
        zf.writestr("../../outside.txt", b"evil")
    body = out.getvalue()
    row = {"path": "p.txt", "size": len(data), "sha256": sha(data), "blob_id": sha(body)}
    client = lying_hub([row | {"blob_kind": "chunk", "blob_uri": "hub://x"}], body)

    with pytest.raises(CorruptBlobError, match="only content ids"):
        fetch.local_copy(client, "f" * 32)
    assert objects(cache_dir) == []
    assert not list(cache_dir.parent.rglob("outside.txt"))


def test_an_empty_version_is_an_empty_folder(
    client: HubClient, project: str, cache_dir: Path
) -> None:
    v1 = publish(client, project, "empty", {})

    folder = fetch.local_copy(client, v1["id"])

    assert folder.is_dir() and list(folder.iterdir()) == []
    assert fetch.local_copy(client, v1["id"]) == folder


def test_a_fetch_killed_midway_leaves_only_whole_objects_and_the_next_one_finishes(
    client: HubClient, project: str, cache_dir: Path, hub: Hub, tmp_path: Path
) -> None:
    from tests.agents import wait_for

    files = {f"blob{i:02d}.bin": os.urandom(1_500_000) for i in range(24)}
    v1 = publish(client, project, "killed", files, big=set(files))
    script = tmp_path / "fetch_slowly.py"
    script.write_text(
        textwrap.dedent(
            f"""
            from corral.client.config import HubCredentials
            from corral.client.http import HubClient
            from corral.datasets import fetch
            client = HubClient(HubCredentials({hub.url!r}, {hub.access_key!r}, {hub.secret_key!r}))
            fetch.local_copy(client, {v1["id"]!r}, max_workers=1)
            """
        )
    )
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        env={**os.environ, "CORRAL_DATASET_CACHE": str(cache_dir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: len(objects(cache_dir)) >= 2 or proc.poll() is not None, "objects")
    finally:
        proc.kill()
        proc.wait(30)

    # whatever the moment of the kill, every object is whole (a partial download only
    # ever has a temporary name); a folder without its manifest is built again
    assert all(sha256_file(p) == p.name for p in objects(cache_dir))
    folder = fetch.local_copy(client, v1["id"])
    assert tree(folder) == files
    assert len(objects(cache_dir)) == len(files)


def test_an_interrupted_blob_download_is_resumed_with_a_range_request(
    client: HubClient, project: str, cache_dir: Path
) -> None:
    big, other = os.urandom(400_000), os.urandom(300_000)
    v1 = publish(
        client,
        project,
        "resume",
        {"big.bin": big, "other.bin": other},
        big={"big.bin", "other.bin"},
    )
    tmp = cache_dir / "tmp"
    tmp.mkdir(parents=True)
    (tmp / f"{sha(big)}.part").write_bytes(big[:150_000])  # what an interrupted fetch left
    (tmp / f"{sha(other)}.part").write_bytes(b"\0" * 1000)  # a part that went bad
    seen: list[tuple[str | None, int]] = []
    client.http.event_hooks["response"].append(
        lambda r: seen.append((r.request.headers.get("range"), r.status_code))
    )

    folder = fetch.local_copy(client, v1["id"])

    assert tree(folder) == {"big.bin": big, "other.bin": other}
    assert ("bytes=150000-", 206) in seen
    # the bad part: resumed, found wrong as a whole, then fetched from the start
    assert ("bytes=1000-", 206) in seen
    assert not list(tmp.iterdir())
