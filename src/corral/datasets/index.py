"""A version's file index from the local side: walk folders, hash files, send batches.

* :func:`walk` yields the files under a folder in the order the hub sorts paths
  (bytes of the ``/``-joined relative path), one directory listing per level in
  memory, so a million-file folder is streamed, never listed whole. File symlinks
  are followed; a directory symlink that leads back to one of its own ancestors
  (a loop, found by ``realpath``) is refused with :class:`ValidationError`.
* :func:`add_local` hashes what the walk yields with SHA-256 in a thread pool and
  sends ``POST /datasets/{id}/files`` batches of at most 10,000 entries, each with
  its local ``source`` so that ``upload`` (even in another process) finds the bytes.
* :func:`sync_local` is a merge-join of the sorted local walk and the sorted remote
  index: remote paths missing locally are removed, local files are (re)added.
* :func:`add_external` records links (``s3://``, ``gs://``, ``https://``...) with their
  size and SHA-256, hashed by streaming the bytes once; nothing is copied.

Example::

    totals = add_local(client, version_id, "data/", wildcard="*.csv", dataset_path="raw")
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.core.datasets import check_dataset_path, join_dataset_path
from corral.errors import NotFoundError, ValidationError
from corral.schemas.datasets import FILES_PER_BATCH

if TYPE_CHECKING:
    from corral.client.http import HubClient

#: bytes read at a time while hashing
READ_BLOCK = 1024 * 1024


@dataclass
class AddTotals:
    """What the hub said about the added files, summed over the batches."""

    added: int = 0
    modified: int = 0
    unchanged: int = 0
    pending: int = 0

    def count(self, answer: dict[str, Any]) -> None:
        for key in ("added", "modified", "unchanged", "pending"):
            setattr(self, key, getattr(self, key) + int(answer.get(key, 0)))


@dataclass(frozen=True)
class LocalFile:
    """A file found by the walk: where it is, and its path relative to the walked root."""

    source: Path
    relative: str


def sha256_file(path: Path) -> tuple[int, str]:
    """``(size, sha256 hex)`` of the file at ``path``, read once."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while block := f.read(READ_BLOCK):
            h.update(block)
            size += len(block)
    return size, h.hexdigest()


def _wildcards(wildcard: str | Sequence[str] | None) -> list[str]:
    if wildcard is None:
        return []
    return [wildcard] if isinstance(wildcard, str) else list(wildcard)


def matches(relative: str, patterns: Sequence[str]) -> bool:
    """Does ``relative`` match a pattern (on its file name or its whole relative path)?"""
    if not patterns:
        return True
    name = relative.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(relative, p) for p in patterns)


def walk(root: Path, *, recursive: bool = True) -> Iterator[LocalFile]:
    """The files under ``root`` sorted by relative path (as the hub sorts them).

    Raises:
        ValidationError: a directory symlink loop.
    """
    real = os.path.realpath(root)
    yield from _walk_dir(Path(root), "", (real,), recursive)


def _walk_dir(
    folder: Path, prefix: str, ancestors: tuple[str, ...], recursive: bool
) -> Iterator[LocalFile]:
    entries: list[tuple[str, os.DirEntry[str], bool]] = []
    with os.scandir(folder) as it:
        for entry in it:
            try:
                is_dir = entry.is_dir()  # follows symlinks
            except OSError:
                continue
            if not is_dir:
                try:
                    if not entry.is_file():  # sockets, fifos, dangling links
                        continue
                except OSError:
                    continue
            # a folder sorts as "name/": its paths all start so
            entries.append((entry.name + "/" if is_dir else entry.name, entry, is_dir))
    entries.sort(key=lambda e: e[0])
    for _key, entry, is_dir in entries:
        relative = prefix + entry.name
        if not is_dir:
            yield LocalFile(Path(entry.path), relative)
            continue
        if not recursive:
            continue
        real = os.path.realpath(entry.path)
        if real in ancestors:
            raise ValidationError(
                f"{entry.path} is a symlink loop (it leads back to {real}): "
                "remove the link or add the folders it points to on their own"
            )
        yield from _walk_dir(Path(entry.path), relative + "/", (*ancestors, real), recursive)


def local_files(
    path: str | os.PathLike[str],
    *,
    wildcard: str | Sequence[str] | None = None,
    local_base_folder: str | os.PathLike[str] | None = None,
    recursive: bool = True,
) -> Iterator[LocalFile]:
    """The files ``add_files`` takes: a single file, or a folder's files (sorted).

    ``relative`` is relative to ``local_base_folder`` when given (the files must be
    inside it), else to the folder (a single file: its name).
    """
    root = Path(path).expanduser()
    if not root.exists():
        raise NotFoundError(f"{root}: no such file or folder")
    patterns = _wildcards(wildcard)
    base = Path(local_base_folder).expanduser().resolve() if local_base_folder else None
    if root.is_file():
        files: Iterable[LocalFile] = [LocalFile(root, root.name)]
    else:
        files = walk(root, recursive=recursive)
    for f in files:
        if not matches(f.relative, patterns):
            continue
        if base is not None:
            absolute = f.source.absolute()
            try:
                relative = absolute.relative_to(base).as_posix()
            except ValueError:
                try:
                    relative = absolute.resolve().relative_to(base).as_posix()
                except ValueError as e:
                    raise ValidationError(
                        f"{f.source} is not inside local_base_folder={str(base)!r}"
                    ) from e
            f = LocalFile(f.source, relative)
        yield f


#: files at least this big are hashed in the pool; smaller ones in the calling thread,
#: where hashing thousands of tiny files is faster than handing each to a thread (GIL)
POOL_MIN = 256 * 1024


def _hash_all(batch: list[LocalFile], pool: ThreadPoolExecutor) -> list[tuple[int, str]]:
    """``(size, sha256)`` of each file of ``batch``, in order."""
    out: list[tuple[int, str] | None] = [None] * len(batch)
    futures: dict[int, Future[tuple[int, str]]] = {}
    small: list[int] = []
    for i, f in enumerate(batch):
        try:
            big = f.source.stat().st_size >= POOL_MIN
        except OSError:
            big = False  # let sha256_file raise the clear error
        if big:
            futures[i] = pool.submit(sha256_file, f.source)
        else:
            small.append(i)
    for i in small:
        out[i] = sha256_file(batch[i].source)
    for i, fut in futures.items():
        out[i] = fut.result()
    return [h for h in out if h is not None]


def _entries(
    files: Iterable[LocalFile], dataset_path: str | None, pool: ThreadPoolExecutor
) -> Iterator[list[dict[str, Any]]]:
    """Batches of ``FileIn`` dicts, hashed one batch at a time."""
    iterator = iter(files)
    while batch := list(islice(iterator, FILES_PER_BATCH)):
        paths = [join_dataset_path(dataset_path, f.relative) for f in batch]
        hashed = _hash_all(batch, pool)
        yield [
            {"path": p, "size": size, "sha256": sha, "source": str(f.source.absolute())}
            for p, f, (size, sha) in zip(paths, batch, hashed, strict=True)
        ]


def _send(client: HubClient, version_id: str, batches: Iterable[list[dict[str, Any]]]) -> AddTotals:
    """Send the batches in order, one in flight while the next one is hashed."""
    totals = AddTotals()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="corral-index") as sender:
        in_flight: Future[dict[str, Any]] | None = None
        for batch in batches:
            if in_flight is not None:
                totals.count(in_flight.result())
            in_flight = sender.submit(client.datasets.add_files, version_id, batch)
        if in_flight is not None:
            totals.count(in_flight.result())
    return totals


def _check_folder(dataset_path: str | None) -> str:
    folder = (dataset_path or "").strip().strip("/")
    if folder:
        check_dataset_path(folder)
    return folder


def add_local(
    client: HubClient,
    version_id: str,
    path: str | os.PathLike[str],
    *,
    wildcard: str | Sequence[str] | None = None,
    local_base_folder: str | os.PathLike[str] | None = None,
    dataset_path: str | None = None,
    recursive: bool = True,
    max_workers: int | None = None,
) -> AddTotals:
    """Hash the files at ``path`` and add them to the version's index (batched).

    A first walk (a ``stat`` per file, no reads) checks every path, so bad input is
    refused before the first batch is sent: nothing changes.

    Raises:
        ValidationError: a path that would leave the dataset, a symlink loop.
        NotFoundError: ``path`` does not exist.
    """
    folder = _check_folder(dataset_path)
    options: dict[str, Any] = {
        "wildcard": wildcard,
        "local_base_folder": local_base_folder,
        "recursive": recursive,
    }
    count = check_paths(local_files(path, **options), folder)
    prefix = folder + "/" if folder else ""
    with ThreadPoolExecutor(max_workers=_workers(max_workers)) as pool:
        if local_base_folder is None and _worth_comparing(client, version_id, prefix, count):
            # most of these paths are in the index already (a child version): compare
            # with it here and send only what differs, as sync_folder does
            rows = client.datasets.iter_files(version_id, prefix=prefix or None)
            pairs = _merge(rows, local_files(path, **options), prefix, None)
            unchanged = [0]
            totals = _send(client, version_id, _changed(pairs, folder, pool, unchanged))
            totals.unchanged += unchanged[0]
            return totals
        return _send(client, version_id, _entries(local_files(path, **options), folder, pool))


#: compare with the index before sending when it holds at most this many rows per file added
COMPARE_RATIO = 2


def _worth_comparing(client: HubClient, version_id: str, prefix: str, count: int) -> bool:
    """Is listing the index under ``prefix`` cheaper than letting the hub compare?

    Listing a row costs the hub about a third of adding one; a version whose folder
    holds no more than twice the files being added is compared here.
    """
    if count < 100:
        return False
    page = client.datasets.files(version_id, prefix=prefix or None, limit=1, with_total="true")
    total = int(page.get("total") or 0)
    return 0 < total <= COMPARE_RATIO * count


def check_paths(files: Iterable[LocalFile], folder: str | None) -> int:
    """Check that each file's dataset path is valid; returns how many files there are.

    Raises:
        ValidationError: the first bad path (or a symlink loop met by the walk).
    """
    count = 0
    for f in files:
        join_dataset_path(folder, f.relative)
        count += 1
    return count


def _workers(max_workers: int | None) -> int:
    return max(1, max_workers or min(16, (os.cpu_count() or 1) * 2))


def sync_local(
    client: HubClient,
    version_id: str,
    local_path: str | os.PathLike[str],
    *,
    dataset_path: str | None = None,
    max_workers: int | None = None,
) -> tuple[int, AddTotals]:
    """Make the version's folder ``dataset_path`` hold what ``local_path`` holds.

    Returns ``(removed, totals of the added files)``. The local walk and the remote
    index are both sorted by path, so one merge-join over both finds the paths to
    remove and the files whose content changed; only those are sent (an unchanged
    file costs its hash here, nothing on the hub).
    """
    folder = _check_folder(dataset_path)
    root = Path(local_path).expanduser()
    if not root.is_dir():
        raise NotFoundError(f"{root}: no such folder")
    check_paths(walk(root), folder)  # bad input changes nothing, not even removals
    prefix = folder + "/" if folder else ""
    rows = (
        row
        for row in client.datasets.iter_files(version_id, prefix=prefix or None)
        if row["path"].startswith(prefix)
    )
    removals = _Removals(client, version_id)
    unchanged = [0]
    with ThreadPoolExecutor(max_workers=_workers(max_workers)) as pool:
        pairs = _merge(rows, walk(root), prefix, removals)
        totals = _send(client, version_id, _changed(pairs, folder, pool, unchanged))
    removals.flush()
    totals.unchanged += unchanged[0]
    return removals.removed, totals


class _Removals:
    """Paths to remove, sent in batches of at most 10,000."""

    def __init__(self, client: HubClient, version_id: str) -> None:
        self._client = client
        self._version_id = version_id
        self._paths: list[str] = []
        self.removed = 0

    def add(self, path: str) -> None:
        self._paths.append(path)
        if len(self._paths) >= FILES_PER_BATCH:
            self.flush()

    def flush(self) -> None:
        if self._paths:
            answer = self._client.datasets.remove_files(self._version_id, paths=self._paths)
            self.removed += int(answer["removed"])
            self._paths = []


def _merge(
    rows: Iterable[dict[str, Any]],
    local: Iterable[LocalFile],
    prefix: str,
    removals: _Removals | None,
) -> Iterator[tuple[LocalFile, str | None]]:
    """Each local file with the SHA-256 the index has at its path when its bytes are
    stored (``None``: a new path, or a pending one, whose source is refreshed); remote
    paths with no local file go to ``removals`` (``None``: they stay, as in add).

    Safe while batches are sent: the remote listing is always read past a file before
    the file's batch is sent, so a row this sync adds is never read back (and never
    taken for a remote-only path).
    """
    remote = iter(rows)
    row = next(remote, None)
    for f in local:
        path = prefix + f.relative
        while row is not None and row["path"] < path:
            if removals is not None:
                removals.add(row["path"])
            row = next(remote, None)
        known = None
        if row is not None and row["path"] == path:
            if row.get("blob_id") or row.get("external_url"):
                known = row["sha256"]
            row = next(remote, None)
        yield f, known
    while row is not None and removals is not None:
        removals.add(row["path"])
        row = next(remote, None)


def _changed(
    pairs: Iterator[tuple[LocalFile, str | None]],
    folder: str,
    pool: ThreadPoolExecutor,
    unchanged: list[int],
) -> Iterator[list[dict[str, Any]]]:
    """Batches of the files whose content differs from the index's (hashed here)."""
    while chunk := list(islice(pairs, FILES_PER_BATCH)):
        hashed = _hash_all([f for f, _ in chunk], pool)
        batch = []
        for (f, known), (size, sha) in zip(chunk, hashed, strict=True):
            if sha == known:
                unchanged[0] += 1
                continue
            path = join_dataset_path(folder, f.relative)
            batch.append(
                {"path": path, "size": size, "sha256": sha, "source": str(f.source.absolute())}
            )
        if batch:
            yield batch


def _external_files(
    url: str, patterns: Sequence[str], recursive: bool
) -> Iterator[tuple[str, str, int | None]]:
    """``(url, relative name, size)`` of each file at ``url`` (a file or a folder)."""
    from corral.sdk.storage import backend_for, join_uri

    backend = backend_for(url)
    info = None if url.endswith("/") else backend.info(url)
    if info is not None:
        yield url, url.rstrip("/").rsplit("/", 1)[-1], info.size
        return
    listed = sorted(backend.list(url), key=lambda r: r.name)
    if not listed:
        raise NotFoundError(f"{url}: no such file or folder")
    for remote in listed:
        name = remote.name.strip("/")
        if not recursive and "/" in name:
            continue
        if matches(name, patterns):
            yield join_uri(url, name), name, remote.size


def _hash_url(url: str) -> tuple[int, str]:
    from corral.sdk.storage import backend_for

    with tempfile.TemporaryDirectory(prefix="corral-ext-") as tmp:
        dest = Path(tmp) / "blob"
        backend_for(url).download(url, dest)
        return sha256_file(dest)


def add_external(
    client: HubClient,
    version_id: str,
    source_url: str | Sequence[str],
    *,
    wildcard: str | Sequence[str] | None = None,
    dataset_path: str | None = None,
    recursive: bool = True,
    max_workers: int | None = None,
) -> AddTotals:
    """Record links to outside files (with size and SHA-256) in the version's index."""
    folder = _check_folder(dataset_path)
    urls = [source_url] if isinstance(source_url, str) else list(source_url)
    patterns = _wildcards(wildcard)
    found = [item for url in urls for item in _external_files(url, patterns, recursive)]
    with ThreadPoolExecutor(max_workers=_workers(max_workers)) as pool:
        hashed = list(pool.map(lambda item: _hash_url(item[0]), found))
    entries = [
        {
            "path": join_dataset_path(folder, name),
            "size": size,
            "sha256": sha,
            "external_url": url,
        }
        for (url, name, _), (size, sha) in zip(found, hashed, strict=True)
    ]
    batches = (entries[i : i + FILES_PER_BATCH] for i in range(0, len(entries), FILES_PER_BATCH))
    return _send(client, version_id, batches)


__all__ = [
    "AddTotals",
    "LocalFile",
    "add_external",
    "add_local",
    "local_files",
    "matches",
    "sha256_file",
    "sync_local",
    "walk",
]
