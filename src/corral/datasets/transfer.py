"""Downloading a version's blobs into the dataset cache's objects, checked, in parallel.

A blob is fetched whole into the cache's ``tmp/`` while its SHA-256 is computed:

* from the hub's store (``hub://...``): ``GET /api/v1/datasets/{id}/blobs/{blob}``,
  streamed (blobs are read through their version, never by hash alone);
* from outside storage (``s3://``, ``gs://``, ``file://``...): the storage backend
  of :mod:`corral.sdk.storage` with the client's own credentials;
* an external file (``add_external_files``): its URL (``http(s)://`` with httpx).

A blob whose bytes do not hash to its id is refused before anything is extracted
(:class:`~corral.datasets.cache.CorruptBlobError`). A *chunk* is a zip archive whose
members are named by their content's SHA-256: every name must be 64 hex digits
(anything else is refused: a member name is never a path), and each extracted
member is checked against its name before it becomes an object. A *file* blob is
one content stored whole: the downloaded file itself becomes the object.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.core.datasets import is_blob_member
from corral.datasets.cache import BLOCK, CorruptBlobError, DatasetCache, check_sha, disk_full
from corral.datasets.progress import DatasetProgress
from corral.errors import CorralError, ServerUnavailableError, error_for_status

if TYPE_CHECKING:
    from corral.client.http import HubClient

log = logging.getLogger(__name__)

__all__ = ["BlobJob", "Downloader", "FetchReport", "Wanted"]

#: attempts per blob when the hub or the storage cannot be reached
ATTEMPTS = 3
DEFAULT_WORKERS = 8


@dataclass
class FetchReport:
    """What one call did (also printed as one line when ``show_progress``)."""

    folder: Path
    files: int
    fetched_files: int = 0
    fetched_bytes: int = 0
    cached_files: int = 0
    repaired: int = 0

    def line(self, label: str) -> str:
        return (
            f"corral: dataset {label}: {_count(self.files, 'file')}, fetched {self.fetched_files} "
            f"({_human(self.fetched_bytes)}), {self.cached_files} from cache"
            + (f", {self.repaired} repaired" if self.repaired else "")
        )


@dataclass
class BlobJob:
    """The contents one blob must give: sha256 -> (size, a path that uses it)."""

    key: str
    contents: dict[str, tuple[int, str]] = field(default_factory=dict)


class Wanted:
    """Contents missing from the cache, grouped by the blob (or external URL) holding them."""

    def __init__(self) -> None:
        self.jobs: dict[str, BlobJob] = {}
        self._shas: set[str] = set()
        self.files = 0
        self.bytes = 0

    def has(self, sha256: str) -> bool:
        return sha256 in self._shas

    def add(self, key: str, sha256: str, size: int, path: str) -> None:
        """Count one file; its content is fetched once whatever the number of paths."""
        self.files += 1
        if sha256 in self._shas:
            return
        self._shas.add(sha256)
        self.bytes += size
        self.jobs.setdefault(key, BlobJob(key)).contents[sha256] = (size, path)


class Downloader:
    """Fetches the blobs of one version into the cache (see the module docstring).

    ``blobs`` maps each blob key to ``{"uri", "kind", "compression"}`` (set by the caller).
    """

    def __init__(
        self,
        client: HubClient,
        cache: DatasetCache,
        version_id: str,
        label: str,
        *,
        max_workers: int | None,
        raise_on_error: bool,
        show_progress: bool,
    ) -> None:
        self.client = client
        self.cache = cache
        self.version_id = version_id
        self.label = label
        self.max_workers = max_workers
        self.raise_on_error = raise_on_error
        self.show_progress = show_progress
        self.blobs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._local = threading.local()

    def fetch(self, wanted: Wanted, report: FetchReport) -> None:
        """Download every job of ``wanted``; the first error stops the rest and is raised
        (or, with ``raise_on_error=False``, logged: those files stay missing)."""
        jobs = [wanted.jobs[k] for k in sorted(wanted.jobs)]
        if not jobs:
            return
        workers = max(1, min(self.max_workers or DEFAULT_WORKERS, len(jobs)))
        bar = DatasetProgress(
            f"fetch {self.label}", files=wanted.files, nbytes=wanted.bytes,
            enabled=self.show_progress,
        )  # fmt: skip
        pool = ThreadPoolExecutor(workers, thread_name_prefix="corral-fetch")
        try:
            futures = [pool.submit(self._run, job, bar, report) for job in jobs]
            self._wait(futures)
        except OSError as e:
            if disk_full(e):  # parts kept to resume would hold on to the space
                self._stop.set()
                pool.shutdown(wait=True, cancel_futures=True)
                self._drop_parts(jobs)
            raise
        finally:
            self._stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            bar.close()
            self._stop.clear()

    def _drop_parts(self, jobs: list[BlobJob]) -> None:
        for job in jobs:
            try:
                with self.cache.blob_lock(job.key, blocking=False):
                    (self.cache.tmp / f"{job.key}.part").unlink(missing_ok=True)
            except BlockingIOError:
                continue  # another process is downloading it

    def _wait(self, futures: list[Future[None]]) -> None:
        first: BaseException | None = None
        for future in as_completed(futures):
            try:
                future.result()
            except _Stopped:
                continue
            except Exception as e:
                if self.raise_on_error or disk_full(e):
                    if first is None:
                        first = e
                        self._stop.set()
                else:
                    log.warning("dataset %s: %s", self.label, e)
        if first is not None:
            raise first

    def _run(self, job: BlobJob, bar: DatasetProgress, report: FetchReport) -> None:
        if self._stop.is_set():
            return
        placed_files = 0
        placed_bytes = 0

        def placed(size: int) -> None:
            nonlocal placed_files, placed_bytes
            placed_files += 1
            placed_bytes += size
            bar.advance(files=1, nbytes=size)

        self._with_retries(job, placed)
        with self._lock:
            report.fetched_files += placed_files
            report.fetched_bytes += placed_bytes

    def _with_retries(self, job: BlobJob, placed: Callable[[int], None]) -> None:
        for attempt in range(ATTEMPTS):
            try:
                self._fetch_blob(job, placed)
                return
            except ServerUnavailableError:
                if attempt == ATTEMPTS - 1 or self._stop.is_set():
                    raise
                time.sleep(0.5 * 2**attempt)

    # --- one blob ---------------------------------------------------------------------------

    def _fetch_blob(self, job: BlobJob, placed: Callable[[int], None]) -> None:
        info = self.blobs[job.key]
        uri = str(info["uri"])
        if info["kind"] != "external" and (not uri or uri.startswith("hub://")):
            # a hub blob's part is kept when interrupted: the next fetch resumes it
            with self.cache.blob_lock(job.key):
                if all(self.cache.has_object(sha, size) for sha, (size, _) in job.contents.items()):
                    return  # another process placed them meanwhile
                self._place(job, info, self.cache.tmp / f"{job.key}.part", placed)
            return
        self._place(job, info, self.cache.temp_file(".blob"), placed)

    def _place(
        self, job: BlobJob, info: dict[str, Any], temp: Path, placed: Callable[[int], None]
    ) -> None:
        keep = False
        try:
            digest = self._download(job.key, info, temp)
            if digest != job.key and temp.name.endswith(".part") and self._local.resumed:
                temp.unlink()  # a bad part from an earlier run: once more, from the start
                digest = self._download(job.key, info, temp)
            if info["kind"] == "external":
                (sha,) = job.contents  # an external URL holds one content
                check_sha(digest, sha, blob=job.key, dataset=self.label)
                self.cache.adopt_object(sha, temp)
                placed(job.contents[sha][0])
            elif info["kind"] == "chunk":
                check_sha(digest, job.key, blob=job.key, dataset=self.label)
                self._extract(job, temp, placed)
            else:
                check_sha(digest, job.key, blob=job.key, dataset=self.label)
                for sha in job.contents:
                    check_sha(digest, sha, blob=job.key, dataset=self.label)
                self.cache.adopt_object(job.key, temp)
                placed(job.contents[job.key][0])
        except (CorruptBlobError, OSError):
            raise
        except BaseException:
            keep = temp.name.endswith(".part")  # interrupted: resumable
            raise
        finally:
            if not keep:
                temp.unlink(missing_ok=True)

    def _download(self, key: str, info: dict[str, Any], dest: Path) -> str:
        """Write the blob to ``dest``; returns the SHA-256 of its bytes."""
        uri = str(info["uri"])
        if info["kind"] != "external" and (not uri or uri.startswith("hub://")):
            return self._from_hub(key, dest)
        if uri.startswith(("http://", "https://")):
            return self._from_http(uri, dest)
        from corral.sdk.storage.registry import backend_for

        backend_for(uri).download(uri, dest)
        digest = hashlib.sha256()
        with dest.open("rb") as f:
            while block := f.read(BLOCK):
                digest.update(block)
        return digest.hexdigest()

    def _from_hub(self, blob_id: str, dest: Path) -> str:
        """Stream the blob into ``dest``, after the bytes a ``dest`` left by an interrupted
        fetch holds (``Range``); returns the SHA-256 of the whole."""
        import httpx

        url = self.client.datasets.blob_url(self.version_id, blob_id)
        have = dest.stat().st_size if dest.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        self._local.resumed = False
        try:
            with self.client.http.stream("GET", url, headers=headers) as response:
                if response.status_code == 416:  # the part is whole already
                    self._local.resumed = True
                    return _hash_file(dest)
                if response.status_code >= 400:
                    response.read()
                    raise _http_error(response, f"blob {blob_id} of dataset {self.label}")
                if response.status_code == 206:
                    self._local.resumed = True
                    return _save(response.iter_bytes(BLOCK), dest, self._stop, append=True)
                return _save(response.iter_bytes(BLOCK), dest, self._stop)
        except httpx.TransportError as e:
            raise ServerUnavailableError(
                f"cannot reach the hub for blob {blob_id} of dataset {self.label}: {e}"
            ) from e

    def _from_http(self, url: str, dest: Path) -> str:
        import httpx

        try:
            with httpx.stream("GET", url, follow_redirects=True, timeout=60) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _http_error(response, url)
                return _save(response.iter_bytes(BLOCK), dest, self._stop)
        except httpx.TransportError as e:
            raise ServerUnavailableError(f"cannot reach {url}: {e}") from e

    def _extract(self, job: BlobJob, archive: Path, placed: Callable[[int], None]) -> None:
        """Place the needed members of a chunk (every member name checked first)."""
        where = f"blob {job.key} of dataset {self.label}"
        try:
            with zipfile.ZipFile(archive) as zf:
                members = zf.infolist()
                for member in members:
                    if not is_blob_member(member.filename):
                        raise CorruptBlobError(
                            f"{where} has a member named {member.filename[:100]!r}: "
                            "only content ids (64 hex digits) are accepted"
                        )
                found = set()
                for member in members:
                    wanted = job.contents.get(member.filename)
                    if wanted is None or member.filename in found or self._stop.is_set():
                        continue
                    with zf.open(member) as source:
                        self.cache.write_object(
                            member.filename, source, blob=job.key, dataset=self.label
                        )
                    found.add(member.filename)
                    placed(wanted[0])
        except (zipfile.BadZipFile, zipfile.LargeZipFile) as e:
            raise CorruptBlobError(f"{where} is not a readable zip archive: {e}") from e
        missing = set(job.contents) - found
        if missing and not self._stop.is_set():
            sha = sorted(missing)[0]
            raise CorruptBlobError(
                f"{where} lacks the content of {job.contents[sha][1]!r} (sha256 {sha})"
            )


class _Stopped(Exception):
    """Another blob failed: this one gives up (the other's error is the one raised)."""


def _hash_file(path: Path, digest: Any = None) -> str:
    digest = digest or hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(BLOCK):
            digest.update(block)
    return str(digest.hexdigest())


def _save(blocks: Any, dest: Path, stop: threading.Event, *, append: bool = False) -> str:
    """Write ``blocks`` to ``dest`` (after its bytes with ``append``); the SHA-256 of all."""
    digest = hashlib.sha256()
    if append:
        _hash_file(dest, digest)
    with dest.open("ab" if append else "wb") as out:
        for block in blocks:
            if stop.is_set():
                raise _Stopped
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


def _http_error(response: Any, what: str) -> CorralError:
    try:
        body = response.json()
        detail = body.get("detail") or body.get("title") or response.reason_phrase
    except ValueError:
        detail = response.text[:300] or response.reason_phrase
    return error_for_status(response.status_code, f"{what}: {detail}", [])


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
