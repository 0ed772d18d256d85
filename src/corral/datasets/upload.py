"""Send a version's pending files: small ones packed into zip chunks, large ones whole.

The pending rows (no blob yet, not a link) are read page by page from the hub and
grouped by SHA-256, so content present twice is sent once. Then:

* a file of at least :data:`FILE_THRESHOLD` bytes (4 MiB) goes whole as a ``file``
  blob (its id is its own SHA-256), raw, never compressed;
* smaller files are packed into *chunks* of about ``chunk_size`` MiB (32 by
  default): zip archives whose member names are the files' SHA-256, each member
  deflated (level :data:`DEFLATE_LEVEL`) unless its name says it is compressed
  already (``.jpg``, ``.parquet``...), a deflated sample of its suffix did not shrink
  (random bytes), or ``compression="none"``.

Every file is hashed again while it is read for sending; one that changed since it
was added fails the upload with a clear message (add it again). Chunks are built in
temporary files and sent by ``max_workers`` threads, each packing and sending its
own chunk. A blob is linked by the hub in the request that stores it, so an upload
cut short (network error, Ctrl-C, SIGKILL) leaves a consistent version, and the next
``upload()`` -- in any process -- sends only what is still pending.

Blobs go to the hub's store (``PUT /datasets/{id}/blobs/{blob_id}``, streamed) or,
with ``output_url`` (``s3://``, ``gs://``, ``file://``...), to that storage through
:mod:`corral.sdk.storage`, then registered with ``POST /datasets/{id}/blobs``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.core.datasets import is_compressed_name
from corral.errors import (
    ConflictError,
    CorralError,
    PayloadTooLargeError,
    ServerUnavailableError,
    ValidationError,
)

if TYPE_CHECKING:
    from corral.client.http import HubClient
    from corral.datasets.progress import DatasetProgress

log = logging.getLogger("corral.datasets")

#: files at least this big are stored whole, as ``file`` blobs (not packed into chunks)
FILE_THRESHOLD = 4 * 1024 * 1024
#: default size of a chunk, MiB
DEFAULT_CHUNK_MB = 32
#: most files in one chunk: a million tiny files make 100 chunks, not one huge archive
#: (whose member list the hub reads and links in one request)
CHUNK_MEMBERS = 10_000
#: without ``chunk_size``, a small upload is cut into one chunk per worker, not below this
MIN_AUTO_CHUNK = 1024 * 1024
#: zlib level of deflated members: most of the gain of 9 at a fraction of its time
DEFLATE_LEVEL = 1
#: bytes per read while hashing
BLOCK = 1024 * 1024
#: bytes per write of a blob's body to the socket (fewer, larger writes go faster)
SEND_BLOCK = 4 * 1024 * 1024
#: where outside-storage blobs go below ``output_url``
BLOBS_FOLDER = "corral-datasets/blobs"


class FileChangedError(ValidationError):
    """A file's bytes differ from what was hashed when it was added."""


@dataclass
class UploadStats:
    """What one ``upload`` sent: distinct files, bytes of the blobs, blob count."""

    files: int = 0
    bytes_sent: int = 0
    blobs: int = 0
    blob_ids: list[str] = field(default_factory=list)


@dataclass
class _Item:
    sha256: str
    size: int
    source: str
    path: str


def normalize_compression(compression: Any) -> str:
    """``None``/``"deflate"``/``zipfile.ZIP_DEFLATED`` -> ``"deflate"``; ``"none"``/``ZIP_STORED`` -> ``"none"``."""
    if compression is None or compression in ("deflate", "deflated", zipfile.ZIP_DEFLATED):
        return "deflate"
    if compression in ("none", "stored", zipfile.ZIP_STORED, False):
        return "none"
    raise ValidationError(
        f"compression={compression!r}: use 'deflate' (default), 'none', "
        "zipfile.ZIP_DEFLATED or zipfile.ZIP_STORED"
    )


def _pending(client: HubClient, version_id: str, bar: DatasetProgress) -> Iterator[_Item]:
    """Each pending content once (by SHA-256), with a local source.

    A second path with the same content rides along with the first: it counts as done
    on the progress bar at once.
    """
    seen: set[bytes] = set()
    for row in client.datasets.iter_files(version_id, pending=True):
        digest = bytes.fromhex(row["sha256"])
        if digest in seen:
            bar.advance(files=1, nbytes=int(row["size"]))
            continue
        seen.add(digest)
        source = row.get("source")
        if not source:
            raise ValidationError(
                f"{row['path']} is not uploaded and has no local source on record: "
                "add it again from the machine that has it"
            )
        yield _Item(row["sha256"], int(row["size"]), source, row["path"])


def _plans(items: Iterator[_Item], chunk_bytes: int) -> Iterator[list[_Item]]:
    """Groups to send as one blob: a large file alone, small ones up to ``chunk_bytes``."""
    group: list[_Item] = []
    size = 0
    for item in items:
        if item.size >= FILE_THRESHOLD:
            yield [item]
            continue
        group.append(item)
        size += item.size
        if size >= chunk_bytes or len(group) >= CHUNK_MEMBERS:
            yield group
            group, size = [], 0
    if group:
        yield group


def _read_checked(item: _Item) -> bytes:
    try:
        data = Path(item.source).read_bytes()
    except FileNotFoundError as e:
        raise FileChangedError(
            f"{item.path}: its source {item.source} is gone since it was added: "
            "add the file again (or remove it from the dataset)"
        ) from e
    if hashlib.sha256(data).hexdigest() != item.sha256:
        raise FileChangedError(
            f"{item.path}: {item.source} changed since it was added to the dataset: "
            "add it again, then upload"
        )
    return data


def _hash_checked(item: _Item) -> None:
    h = hashlib.sha256()
    try:
        with open(item.source, "rb") as f:
            while block := f.read(BLOCK):
                h.update(block)
    except FileNotFoundError as e:
        raise FileChangedError(
            f"{item.path}: its source {item.source} is gone since it was added: "
            "add the file again (or remove it from the dataset)"
        ) from e
    if h.hexdigest() != item.sha256:
        raise FileChangedError(
            f"{item.path}: {item.source} changed since it was added to the dataset: "
            "add it again, then upload"
        )


#: bytes of a file's start that are deflated to judge whether its kind compresses
PROBE_BYTES = 64 * 1024
#: a probe that shrinks less than this (compressed / raw) means "store, do not deflate"
WORTH_IT = 0.9


class _Compressibility:
    """Whether files of a suffix compress, judged once per suffix by deflating a sample.

    Shared by the upload's threads (a race only probes a suffix twice).
    """

    def __init__(self) -> None:
        self._by_suffix: dict[str, bool] = {}

    def deflate(self, name: str, data: bytes) -> bool:
        if is_compressed_name(name):
            return False
        suffix = os.path.splitext(name.lower())[1]
        known = self._by_suffix.get(suffix)
        if known is not None:
            return known
        if len(data) < 512:  # too small to judge: deflate it, do not remember
            return True
        sample = data[:PROBE_BYTES]
        worth = len(zlib.compress(sample, DEFLATE_LEVEL)) < WORTH_IT * len(sample)
        self._by_suffix[suffix] = worth
        return worth


def _pack(items: list[_Item], dest: Path, compression: str, judge: _Compressibility) -> str:
    """Write the chunk zip; returns the blob's compression (``deflate`` if any member is)."""
    deflated = False
    with zipfile.ZipFile(dest, "w", allowZip64=True) as zf:
        for item in items:
            data = _read_checked(item)
            deflate = compression == "deflate" and judge.deflate(item.path, data)
            info = zipfile.ZipInfo(item.sha256, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, compresslevel=DEFLATE_LEVEL if deflate else None)
            deflated = deflated or deflate
    return "deflate" if deflated else "none"


def _file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(BLOCK):
            h.update(block)
    return h.hexdigest()


def _stream(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while block := f.read(SEND_BLOCK):
            yield block


@dataclass
class _Target:
    """Where blobs go: the hub (``output_url`` empty) or outside storage."""

    client: HubClient
    version_id: str
    output_url: str
    retries: int

    def send(
        self, path: Path, blob_id: str, size: int, kind: str, compression: str, contents: list[str]
    ) -> None:
        attempt = 0
        while True:
            try:
                self._send_once(path, blob_id, size, kind, compression, contents)
                return
            except CorralError as e:
                status = getattr(e, "status", None)
                transient = isinstance(e, ServerUnavailableError) or (
                    isinstance(status, int) and status >= 500
                )
                if not transient or attempt >= self.retries:
                    raise
            except OSError as e:  # a local read, or a storage backend's connection
                if attempt >= self.retries:
                    raise
                log.warning("sending blob %s failed (%s)", blob_id[:12], e)
            attempt += 1
            # 0.5 s, 1 s, 2 s...: a hub restarting or a flaky link gets time to recover
            time.sleep(min(0.25 * 2**attempt, 8.0))

    def _send_once(
        self, path: Path, blob_id: str, size: int, kind: str, compression: str, contents: list[str]
    ) -> None:
        if not self.output_url:
            self.client.datasets.put_blob(
                self.version_id,
                blob_id,
                _stream(path),
                size=size,
                kind=kind,
                compression=compression,
            )
            return
        from corral.sdk.storage import backend_for, join_uri

        url = join_uri(self.output_url, BLOBS_FOLDER, blob_id[:2], blob_id)
        backend_for(url).upload(path, url)
        self.client.datasets.register_blob(
            self.version_id,
            id=blob_id,
            uri=url,
            size=size,
            kind=kind,
            compression=compression,
            contents=contents,
        )


def _send_group(
    target: _Target, group: list[_Item], compression: str, tmp: Path, judge: _Compressibility
) -> tuple[int, int, str]:
    """Pack (or check) and send one blob; ``(files, bytes sent, blob id)``."""
    if len(group) == 1 and group[0].size >= FILE_THRESHOLD:
        item = group[0]
        if target.output_url:
            _hash_checked(item)
        elif not Path(item.source).is_file():
            _hash_checked(item)  # says the source is gone
        try:  # the hub hashes what it receives: a changed file is refused, nothing stored
            target.send(Path(item.source), item.sha256, item.size, "file", "none", [item.sha256])
        except ValidationError as e:
            if "sha-256" not in str(e).lower():
                raise
            raise FileChangedError(
                f"{item.path}: {item.source} changed since it was added to the dataset "
                f"(the hub says: {e}): add it again, then upload"
            ) from e
        except PayloadTooLargeError as e:
            raise PayloadTooLargeError(
                f"{item.path} ({item.size} bytes) is larger than the hub takes in one "
                f"request ({e}): upload with output_url='s3://...' (or another storage) "
                "for files this big"
            ) from e
        return 1, item.size, item.sha256
    fd, name = tempfile.mkstemp(prefix="chunk-", suffix=".zip", dir=tmp)
    os.close(fd)
    chunk = Path(name)
    try:
        blob_compression = _pack(group, chunk, compression, judge)
        blob_id = _file_sha(chunk)
        size = chunk.stat().st_size
        try:
            target.send(chunk, blob_id, size, "chunk", blob_compression, [i.sha256 for i in group])
        except PayloadTooLargeError as e:
            raise PayloadTooLargeError(
                f"a chunk of {size} bytes is more than the hub takes in one request ({e}): "
                f"pass a smaller chunk_size (MiB; the default is {DEFAULT_CHUNK_MB})"
            ) from e
        return len(group), size, blob_id
    finally:
        chunk.unlink(missing_ok=True)


def upload_version(
    client: HubClient,
    version: dict[str, Any],
    *,
    output_url: str | None = None,
    compression: Any = None,
    chunk_size: int | None = None,
    max_workers: int | None = None,
    show_progress: bool = True,
    retries: int = 3,
) -> UploadStats:
    """Send every pending file of ``version`` (a ``DatasetVersion`` dict).

    Raises:
        ConflictError: the version is final.
        FileChangedError: a file changed (or vanished) since it was added.
    """
    from corral.datasets.progress import DatasetProgress

    if version.get("state") == "final":
        raise ConflictError(f"dataset version {version['id']} is final: nothing can be uploaded")
    mode = normalize_compression(compression)
    if chunk_size is not None and chunk_size <= 0:
        raise ValidationError(f"chunk_size={chunk_size}: give the chunk size in MiB (> 0)")
    stats_in = version.get("stats") or {}
    workers = max(1, max_workers or min(8, (os.cpu_count() or 1) * 2))
    chunk_bytes = int((chunk_size or DEFAULT_CHUNK_MB) * 1024 * 1024)
    if chunk_size is None:  # enough chunks to keep every worker busy, none under 1 MiB
        spread = int(stats_in.get("pending_bytes", 0)) // workers
        chunk_bytes = max(MIN_AUTO_CHUNK, min(chunk_bytes, spread))
    url = output_url or version.get("output_uri") or ""
    if url.startswith("hub://"):
        url = ""
    target = _Target(client, version["id"], url, max(0, retries))
    label = f"upload {version.get('name', '')} {version.get('version', '')}".strip()
    with (
        DatasetProgress(
            label,
            files=int(stats_in.get("pending_count", 0)),
            nbytes=int(stats_in.get("pending_bytes", 0)),
            enabled=show_progress,
        ) as bar,
        tempfile.TemporaryDirectory(prefix="corral-upload-") as tmp,
    ):
        return _run(
            target,
            _plans(_pending(client, version["id"], bar), chunk_bytes),
            mode,
            Path(tmp),
            workers,
            bar,
        )


def _run(
    target: _Target,
    plans: Iterator[list[_Item]],
    compression: str,
    tmp: Path,
    workers: int,
    bar: DatasetProgress,
) -> UploadStats:
    """Send the plans with ``workers`` threads, at most two per worker in flight."""
    stats = UploadStats()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="corral-upload")
    running: dict[Future[tuple[int, int, str]], list[_Item]] = {}
    judge = _Compressibility()

    def collect(done: set[Future[tuple[int, int, str]]]) -> None:
        for fut in done:
            group = running.pop(fut)
            files, nbytes, blob_id = fut.result()
            stats.files += files
            stats.bytes_sent += nbytes
            stats.blobs += 1
            stats.blob_ids.append(blob_id)
            bar.advance(files=files, nbytes=sum(i.size for i in group))

    try:
        for group in plans:
            while len(running) >= workers * 2:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                collect(done)
            running[pool.submit(_send_group, target, group, compression, tmp, judge)] = group
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            collect(done)
    except BaseException:
        # Ctrl-C or a failed blob: what was sent is linked; the rest stays pending
        for fut in running:
            fut.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return stats


__all__ = [
    "DEFAULT_CHUNK_MB",
    "FILE_THRESHOLD",
    "FileChangedError",
    "UploadStats",
    "normalize_compression",
    "upload_version",
]
