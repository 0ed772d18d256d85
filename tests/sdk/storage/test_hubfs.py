"""``hub://`` over HTTP: streamed uploads, resumed downloads, listings, an unreachable hub."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from corral.client.config import HubCredentials
from corral.client.http import HubClient
from corral.errors import CorralError, NotFoundError, ServerUnavailableError, ValidationError
from corral.sdk import session
from corral.sdk.storage import StorageManager, hub_get, hub_head, hub_list, hub_put, transfers
from corral.testing.hub import Hub, free_port, make_hub

MiB = 1024 * 1024


class Interrupted(Exception):
    pass


def interrupt_after(limit: int) -> Callable[[int, int | None], None]:
    def progress(done: int, total: int | None) -> None:
        if done >= limit:
            raise Interrupted

    return progress


def _client(
    url: str, hub: Hub | None = None, transport: httpx.BaseTransport | None = None
) -> HubClient:
    creds = HubCredentials(url, hub.access_key if hub else "k", hub.secret_key if hub else "s")
    return HubClient(creds, timeout=session.TIMEOUT, transport=transport)


@pytest.fixture
def folder(sdk_client: None) -> str:
    return f"tests/hubfs/{uuid.uuid4().hex}"


@pytest.fixture
def dead_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The SDK pointed at a port where nothing listens."""
    client = _client(f"http://127.0.0.1:{free_port()}")
    monkeypatch.setattr(transfers, "BACKOFF", 0.01)
    session.set_hub_client(client)
    yield
    session.set_hub_client(None)
    client.close()


def test_put_answers_with_the_stored_checksum(folder: str, random_file: Path) -> None:
    path = f"{folder}/r.bin"
    assert hub_put(random_file, path) == {
        "path": path,
        "size": 3 * MiB,
        "sha256": hashlib.sha256(random_file.read_bytes()).hexdigest(),
        "uri": f"hub://{path}",
    }
    head = hub_head(path)
    assert head is not None
    assert head["size"] == 3 * MiB and head["etag"]


def test_names_are_quoted_per_segment(folder: str, tmp_path: Path) -> None:
    src = tmp_path / "odd.txt"
    src.write_bytes(b"odd")
    url = f"hub://{folder}/with space/100% sure?#.txt"
    StorageManager.upload_file(src, url)
    assert StorageManager.list(f"hub://{folder}") == ["with space/100% sure?#.txt"]
    assert Path(StorageManager.get_local_copy(url)).read_bytes() == b"odd"


def test_get_resumes_a_partial_download(folder: str, random_file: Path, tmp_path: Path) -> None:
    path = f"{folder}/r.bin"
    hub_put(random_file, path)
    dest = tmp_path / "down" / "r.bin"
    with pytest.raises(Interrupted):
        hub_get(path, dest, progress=interrupt_after(MiB))
    part = dest.with_name("r.bin.part")
    kept = part.stat().st_size
    assert 0 < kept < 3 * MiB and not dest.exists()

    reports: list[int] = []
    result = hub_get(path, dest, progress=lambda done, total: reports.append(done))
    assert result["resumed_from"] == kept
    assert reports[0] == kept and reports[-1] == 3 * MiB
    assert dest.read_bytes() == random_file.read_bytes()
    assert not part.exists()


def test_download_file_resumes_a_part_left_behind(
    folder: str, random_file: Path, tmp_path: Path
) -> None:
    hub_put(random_file, f"{folder}/r.bin")
    with pytest.raises(Interrupted):
        hub_get(f"{folder}/r.bin", tmp_path / "r.bin", progress=interrupt_after(MiB))
    local = StorageManager.download_file(f"hub://{folder}/r.bin", tmp_path)
    assert Path(local).read_bytes() == random_file.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("r.bin")) == ["r.bin"]


def test_a_part_of_an_older_version_is_dropped(
    folder: str, random_file: Path, tmp_path: Path
) -> None:
    path = f"{folder}/r.bin"
    hub_put(random_file, path)
    dest = tmp_path / "r.bin"
    with pytest.raises(Interrupted):
        hub_get(path, dest, progress=interrupt_after(MiB))
    newer = tmp_path / "newer.bin"
    newer.write_bytes(b"n" * (2 * MiB + 5))
    hub_put(newer, path)

    assert hub_get(path, dest)["resumed_from"] == 0
    assert dest.read_bytes() == newer.read_bytes()


def test_a_part_of_unknown_origin_is_not_trusted(folder: str, tmp_path: Path) -> None:
    src = tmp_path / "f.txt"
    src.write_bytes(b"the real content")
    hub_put(src, f"{folder}/f.txt")
    dest = tmp_path / "down" / "f.txt"
    dest.parent.mkdir()
    dest.with_name("f.txt.part").write_bytes(b"garbage")  # no ETag kept with it

    assert hub_get(f"{folder}/f.txt", dest)["resumed_from"] == 0
    assert dest.read_bytes() == b"the real content"


def test_malformed_paths_are_refused_before_sending(sdk_client: None) -> None:
    for url in ("hub://", "hub://a//b", "hub://a/../b"):
        with pytest.raises(ValidationError, match="invalid hub path"):
            StorageManager.exists_file(url)


@pytest.fixture
def small_pages_hub(tmp_path: Path) -> Iterator[Hub]:
    """A hub of its own whose listings come two entries a page."""
    hub = make_hub(tmp_path / "hub", "sqlite")
    hub.extra_env["CORRAL_LIMIT_PAGE_SIZE"] = "2"
    hub.start()
    client = _client(hub.url, hub)
    session.set_hub_client(client)
    yield hub
    session.set_hub_client(None)
    client.close()
    hub.dispose()


def test_list_follows_every_page(small_pages_hub: Hub, tmp_path: Path) -> None:
    src = tmp_path / "f"
    src.write_bytes(b"f")
    names = ["a", "b", "c/d", "c/e", "f"]
    for name in names:
        hub_put(src, f"pages/{name}")
    assert [e["path"] for e in hub_list("pages/")] == [f"pages/{n}" for n in names]
    shallow = hub_list("pages", recursive=False)
    assert [(e["path"], e["is_dir"]) for e in shallow] == [
        ("pages/a", False),
        ("pages/b", False),
        ("pages/c", True),
        ("pages/f", False),
    ]
    assert StorageManager.list("hub://pages/") == names


def test_an_unreachable_hub_is_server_unavailable(dead_hub: None, tmp_path: Path) -> None:
    src = tmp_path / "f.txt"
    src.write_bytes(b"f")
    url = "hub://tests/f.txt"
    calls: list[Callable[[], object]] = [
        lambda: StorageManager.exists_file(url),
        lambda: StorageManager.upload_file(src, url, retries=1),
        lambda: StorageManager.download_file(url, tmp_path / "down", retries=1),
        lambda: StorageManager.get_local_copy(url),
        lambda: StorageManager.list("hub://tests/"),
        lambda: StorageManager.delete(url),
    ]
    for call in calls:
        with pytest.raises(ServerUnavailableError, match="cannot reach the hub"):
            call()

    StorageManager.upload_file(src, url, wait_for_upload=False, retries=0)
    with pytest.raises(ServerUnavailableError):
        StorageManager.wait_for_uploads(timeout=60)


def test_the_cached_copy_serves_while_the_hub_is_out_of_reach(folder: str, tmp_path: Path) -> None:
    src = tmp_path / "f.txt"
    src.write_bytes(b"cached")
    url = StorageManager.upload_file(src, f"hub://{folder}/f.txt")
    cached = StorageManager.get_local_copy(url)

    dead = _client(f"http://127.0.0.1:{free_port()}")
    session.set_hub_client(dead)
    try:
        assert StorageManager.get_local_copy(url) == cached
        with pytest.raises(ServerUnavailableError):
            StorageManager.get_local_copy(f"hub://{folder}/never-cached.txt")
    finally:
        dead.close()


@pytest.fixture
def flaky_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """A hub (behind a mock transport) that answers 502 to the first two uploads."""
    statuses = [502, 502]
    seen: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        request.read()
        status = statuses.pop(0) if statuses else 201
        seen.append(status)
        if status >= 400:
            return httpx.Response(status, json={"title": "Bad gateway", "detail": "upstream"})
        return httpx.Response(
            status, json={"path": "x", "size": 1, "sha256": "0", "uri": "hub://x"}
        )

    client = _client("http://hub.invalid", transport=httpx.MockTransport(handle))
    monkeypatch.setattr(transfers, "BACKOFF", 0.01)
    session.set_hub_client(client)
    yield seen
    session.set_hub_client(None)
    client.close()


def test_5xx_answers_are_retried(flaky_hub: list[int], tmp_path: Path) -> None:
    src = tmp_path / "f"
    src.write_bytes(b"f")
    with pytest.raises(CorralError, match="upstream") as err:
        StorageManager.upload_file(src, "hub://x", retries=1)
    assert err.value.status == 502
    assert StorageManager.upload_file(src, "hub://x", retries=1) == "hub://x"
    assert flaky_hub == [502, 502, 201]


def test_a_missing_file_is_not_retried(
    folder: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(NotFoundError, match=f"hub://{folder}/none"):
        StorageManager.download_file(f"hub://{folder}/none", tmp_path)
    assert "retry" not in caplog.text
