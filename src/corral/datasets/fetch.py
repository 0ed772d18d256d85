"""A version's files on this machine: ``Dataset.get_local_copy()`` and its mutable twin.

:func:`local_copy` returns the version's read-only folder in the machine's cache
(:mod:`corral.datasets.cache`), building it when missing:

1. under the version's lock, a complete folder is checked (a ``stat`` per file, or
   the full SHA-256 with ``verify=True``); files missing or changed are fetched again
   (the repair) and the folder is returned;
2. otherwise the index is paged (one page in memory at a time) into a local list of
   rows, and the contents not cached yet are grouped by the blob that holds them;
3. the blobs are downloaded with ``max_workers`` threads (:mod:`.transfer`): each
   blob's SHA-256 is checked, a chunk's members are extracted (only 64-hex names,
   each checked against its name) and placed as objects;
4. the folder is built in ``tmp/`` from links to the objects, made read-only and
   renamed into place; the manifest is written last.

Two processes asking for the same version: one builds, the other waits for the lock
and then only checks. ``part``/``num_parts`` (ClearML's meaning) take the blobs of
the version in their sorted order and keep those whose index ``i`` has
``i % num_parts == part``; the folder holds only their files.

Example::

    folder = local_copy(hub_client(), "3f2c...", max_workers=8)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from corral.core.datasets import check_dataset_path, is_blob_member
from corral.datasets.cache import (
    DatasetCache,
    ManifestEntry,
    disk_full,
    make_read_only,
    make_writable,
    no_space_error,
    remove_tree,
    sha256_file,
)
from corral.datasets.transfer import Downloader, FetchReport, Wanted
from corral.errors import ConflictError, ValidationError

if TYPE_CHECKING:
    from corral.client.http import HubClient

__all__ = ["FetchReport", "local_copy", "mutable_copy"]


def local_copy(
    client: HubClient,
    version_id: str,
    *,
    target: Path | None = None,
    use_soft_links: bool | None = None,
    part: int | None = None,
    num_parts: int | None = None,
    max_workers: int | None = None,
    verify: bool = False,
    raise_on_error: bool = True,
    show_progress: bool = True,
) -> Path:
    """The read-only folder of a final version (parents merged), from the machine's cache.

    Args:
        client: the hub client.
        version_id: the version's id.
        target: the cache's folder; default ``CORRAL_DATASET_CACHE`` or
            ``<cache_root()>/datasets``.
        use_soft_links: ``True``: symlinks to the cached objects; otherwise hard links.
        part: only the files of this part (0 to ``num_parts - 1``).
        num_parts: how many parts the blobs are split into (default: one per blob).
        max_workers: download threads (default ``min(8, blobs)``).
        verify: check every cached file's SHA-256 (default: size and mtime only).
        raise_on_error: ``False``: files that cannot be fetched are left out of the
            folder (the next call tries them again) instead of raising.
        show_progress: a progress bar (on a terminal) and one summary line on stderr.

    Returns:
        The folder (``versions/<id>`` or ``versions/<id>.part<K>-<N>`` in the cache).

    Raises:
        ConflictError: the version is not final.
        CorruptBlobError: fetched bytes do not match their SHA-256 (nothing placed).
        InsufficientStorageError: the cache's disk filled up (nothing partial is left).
    """
    version = client.datasets.get(version_id)
    label = f"{version['name']} {version['version']} ({version_id})"
    if version["state"] != "final":
        raise ConflictError(
            f"dataset {label} is not final: finalize it before fetching a local copy"
        )
    cache = DatasetCache(target)
    name = _cache_name(version_id, part, num_parts)
    fetcher = _Fetcher(client, cache, version, label, max_workers, raise_on_error, show_progress)
    try:
        with cache.version_lock(name):
            report = fetcher.ensure(name, part, num_parts, verify, bool(use_soft_links))
    except OSError as e:
        if disk_full(e):
            raise no_space_error(cache.root, f"dataset {label}") from e
        raise
    if report.fetched_bytes:
        _evict(cache, name)
    if show_progress:
        print(report.line(label), file=sys.stderr, flush=True)
    return report.folder


def mutable_copy(
    client: HubClient,
    version_id: str,
    target_folder: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    part: int | None = None,
    num_parts: int | None = None,
    max_workers: int | None = None,
    raise_on_error: bool = True,
    show_progress: bool = True,
) -> Path:
    """A writable copy of a final version in ``target_folder`` (plain files, no links).

    The files come through the cache (:func:`local_copy`). A ``target_folder`` that
    holds anything is refused unless ``overwrite`` (then it is emptied first).

    Example::

        mutable_copy(hub_client(), "3f2c...", "/scratch/train", overwrite=True)
    """
    target = Path(target_folder).expanduser().absolute()
    if target.exists() and not target.is_dir():
        raise ValidationError(f"{target} is a file: give a folder for the mutable copy")
    if target.is_dir() and any(target.iterdir()):
        if not overwrite:
            raise ValidationError(
                f"{target} is not empty: pass overwrite=True to replace its contents"
            )
        for item in target.iterdir():
            if item.is_dir() and not item.is_symlink():
                remove_tree(item)
            else:
                item.unlink()
    source = local_copy(
        client,
        version_id,
        part=part,
        num_parts=num_parts,
        max_workers=max_workers,
        raise_on_error=raise_on_error,
        show_progress=show_progress,
    )
    target.mkdir(parents=True, exist_ok=True)
    for folder, dirs, files in os.walk(source):
        rel = Path(folder).relative_to(source)
        for d in dirs:
            (target / rel / d).mkdir(exist_ok=True)
        for f in files:
            dest = target / rel / f
            shutil.copyfile(Path(folder) / f, dest)
            os.chmod(dest, 0o644)
    return target


def _cache_name(version_id: str, part: int | None, num_parts: int | None) -> str:
    if num_parts is not None and num_parts < 1:
        raise ValidationError(f"num_parts must be at least 1, not {num_parts}")
    if part is None:
        if num_parts is not None:
            raise ValidationError("num_parts needs part (which part to fetch, from 0)")
        return version_id
    if part < 0 or (num_parts is not None and part >= num_parts):
        raise ValidationError(f"part must be between 0 and num_parts - 1, not {part}")
    return f"{version_id}.part{part}-{num_parts or 'blob'}"


def _evict(cache: DatasetCache, keep: str) -> None:
    from corral.sdk.storage.cache import max_cache_bytes

    cache.evict(max_cache_bytes(), keep=keep)


class _Fetcher:
    """Builds or repairs one version folder (called under its lock)."""

    def __init__(
        self,
        client: HubClient,
        cache: DatasetCache,
        version: dict[str, Any],
        label: str,
        max_workers: int | None,
        raise_on_error: bool,
        show_progress: bool,
    ) -> None:
        self.client = client
        self.cache = cache
        self.version_id = str(version["id"])
        self.label = label
        self.downloader = Downloader(
            client,
            cache,
            self.version_id,
            label,
            max_workers=max_workers,
            raise_on_error=raise_on_error,
            show_progress=show_progress,
        )

    def ensure(
        self, name: str, part: int | None, num_parts: int | None, verify: bool, soft: bool
    ) -> FetchReport:
        cache = self.cache
        if cache.is_complete(name):
            files, broken = cache.check(name, verify=verify, workers=self.downloader.max_workers)
            report = FetchReport(cache.folder(name), files, cached_files=files - len(broken))
            if broken:
                self._repair(name, {entry.path: entry for entry in broken}, report)
            cache.touch(name)
            return report
        cache.forget(name)  # a folder without its manifest was left by a crash
        cache.clean_tmp()
        return self._build(name, part, num_parts, soft)

    # --- building ---------------------------------------------------------------------------

    def _build(self, name: str, part: int | None, num_parts: int | None, soft: bool) -> FetchReport:
        cache = self.cache
        rows = cache.temp_file(".rows")
        building = cache.temp_file(".dir")
        try:
            keys = self._save_rows(rows)
            chosen = _part_keys(keys, part, num_parts)
            wanted = Wanted()
            files = 0
            for path, size, sha, key in _read_rows(rows):
                if chosen is None or key in chosen:
                    files += 1
                    if not cache.has_object(sha, size):
                        wanted.add(key, sha, size, path)
            report = FetchReport(cache.folder(name), files)
            self.downloader.fetch(wanted, report)
            report.cached_files = files - wanted.files
            building.mkdir()
            entries = self._link_all(rows, building, chosen, soft)
            make_read_only(building)
            os.replace(building, cache.folder(name))
            try:
                cache.write_manifest(name, _read_entries(entries))
            except BaseException:
                cache.forget(name)
                raise
            entries.unlink(missing_ok=True)
            return report
        finally:
            rows.unlink(missing_ok=True)
            remove_tree(building)
            for leftover in cache.tmp.glob(f"{building.stem}*"):
                leftover.unlink(missing_ok=True)

    def _save_rows(self, rows: Path) -> dict[str, dict[str, Any]]:
        """Write the index to ``rows`` (path, size, sha256, blob key); returns the blobs
        by key (``uri``, ``kind``, ``compression``; external files are a key of their own)."""
        blobs: dict[str, dict[str, Any]] = {}
        with rows.open("wb") as out:
            for row in self.client.datasets.iter_files(self.version_id):
                _check_row(row, self.label)
                key = _blob_key(row, self.label)
                if key not in blobs:
                    blobs[key] = _blob_info(row)
                out.write(orjson.dumps([row["path"], row["size"], row["sha256"], key]) + b"\n")
        self.downloader.blobs = blobs
        return blobs

    def _link_all(self, rows: Path, building: Path, chosen: set[str] | None, soft: bool) -> Path:
        """Link every row's object into ``building``; the manifest entries go to a file."""
        entries = building.with_suffix(".entries")
        with entries.open("wb") as out:
            for path, size, sha, key in _read_rows(rows):
                if chosen is not None and key not in chosen:
                    continue
                if not self.cache.has_object(sha, size):  # left out (raise_on_error=False)
                    out.write(ManifestEntry(path, size, sha, -1).line())
                    continue
                try:
                    mtime_ns = self.cache.place(building, path, sha, soft=soft)
                except (FileExistsError, NotADirectoryError, IsADirectoryError) as e:
                    raise ConflictError(
                        f"dataset {self.label}: {path!r} cannot be placed, a file and a "
                        f"folder of the version have the same name ({e.strerror})"
                    ) from e
                out.write(ManifestEntry(path, size, sha, mtime_ns).line())
        return entries

    # --- repairing --------------------------------------------------------------------------

    def _repair(self, name: str, broken: dict[str, ManifestEntry], report: FetchReport) -> None:
        """Fetch again what the broken entries need, relink them, rewrite the manifest."""
        cache = self.cache
        needed: dict[str, int] = {}
        folder = cache.folder(name)
        for entry in broken.values():
            obj = cache.object_path(entry.sha256)
            placed = folder / entry.path
            with contextlib.suppress(OSError):
                damaged = placed.exists() and os.path.samefile(obj, placed)
                if damaged or sha256_file(obj) != entry.sha256:
                    cache.drop_object(entry.sha256)
            if not cache.has_object(entry.sha256, entry.size):
                needed[entry.sha256] = entry.size
        if needed:
            wanted = Wanted()
            for row in self.client.datasets.iter_files(self.version_id):
                if row["sha256"] in needed and not wanted.has(row["sha256"]):
                    key = _blob_key(row, self.label)
                    self.downloader.blobs.setdefault(key, _blob_info(row))
                    wanted.add(key, row["sha256"], row["size"], row["path"])
            self.downloader.fetch(wanted, report)
        soft = self._soft_linked(name, broken)
        make_writable(folder)
        try:
            mtimes: dict[str, int] = {}
            for path, entry in broken.items():
                placed = folder / path
                placed.unlink(missing_ok=True)
                if cache.has_object(entry.sha256, entry.size):
                    mtimes[path] = cache.place(folder, path, entry.sha256, soft=soft)
                    report.repaired += 1
        finally:
            make_read_only(folder)
        cache.write_manifest(name, _updated(cache.entries(name), mtimes))

    def _soft_linked(self, name: str, broken: dict[str, ManifestEntry]) -> bool:
        """Whether the folder was built with symlinks (as its first intact file says)."""
        folder = self.cache.folder(name)
        for entry in self.cache.entries(name):
            if entry.path not in broken:
                return (folder / entry.path).is_symlink()
        return False


def _updated(entries: Iterator[ManifestEntry], mtimes: dict[str, int]) -> Iterator[ManifestEntry]:
    for entry in entries:
        new = mtimes.get(entry.path)
        yield entry if new is None else ManifestEntry(entry.path, entry.size, entry.sha256, new)


def _check_row(row: dict[str, Any], label: str) -> None:
    """Refuse an index row that could write outside the folder or the cache, whatever
    the hub says (its paths are checked there too)."""
    try:
        check_dataset_path(row["path"])
    except ValidationError as e:
        raise ValidationError(f"dataset {label}: {e.detail}") from e
    if not is_blob_member(row["sha256"]):
        raise ValidationError(f"dataset {label}: {row['path']!r} has no valid sha256")


def _blob_key(row: dict[str, Any], label: str) -> str:
    if row.get("blob_id"):
        return str(row["blob_id"])
    if row.get("external_url"):
        return str(row["external_url"])
    raise ConflictError(
        f"file {row['path']!r} of dataset {label} has no stored bytes (was it uploaded?)"
    )


def _blob_info(row: dict[str, Any]) -> dict[str, Any]:
    if row.get("blob_id"):
        return {
            "uri": row.get("blob_uri") or "",
            "kind": row.get("blob_kind") or "file",
            "compression": row.get("compression") or "none",
        }
    return {"uri": row["external_url"], "kind": "external", "compression": "none"}


def _part_keys(
    blobs: dict[str, dict[str, Any]], part: int | None, num_parts: int | None
) -> set[str] | None:
    if part is None:
        return None
    keys = sorted(blobs)
    parts = num_parts or len(keys)
    if num_parts is None and part >= len(keys):
        raise ValidationError(f"part {part}: this version has {len(keys)} blobs (0 to n-1)")
    return {key for i, key in enumerate(keys) if i % parts == part}


def _read_rows(rows: Path) -> Iterator[tuple[str, int, str, str]]:
    with rows.open("rb") as f:
        for line in f:
            path, size, sha, key = orjson.loads(line)
            yield str(path), int(size), str(sha), str(key)


def _read_entries(path: Path) -> Iterator[ManifestEntry]:
    with path.open("rb") as f:
        for line in f:
            yield ManifestEntry.parse(line)
