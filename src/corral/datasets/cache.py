"""The machine's dataset cache: content-addressed objects and read-only version folders.

Layout under the root (``CORRAL_DATASET_CACHE``, else ``<cache_root()>/datasets``)::

    objects/<sha[:2]>/<sha>          one file per content (mode 0444), never partial
    versions/<id>[.part<K>-<N>]/     a version's files: hard links to objects (or
                                     symlinks with use_soft_links=True); dirs 0555
    versions/<name>.manifest         sorted (path, size, sha256, mtime_ns) lines; written
                                     last, atomically: it is the completion marker
    versions/<name>.lock             flock'd while the version is built or repaired
    locks/<blob>.lock                flock'd while a hub blob is downloaded
    tmp/                             downloads and folders being built (same filesystem);
                                     ``<blob>.part``: a hub blob's bytes so far, kept when
                                     a fetch is interrupted and resumed (``Range``) by the
                                     next one (removed after an hour without change)

An object is written to a temporary name in ``tmp/``, checked against its
SHA-256 and then ``os.replace``d into place, so a reader never sees a part of a
file under an object's name and two processes writing the same content both end
with one correct object. Objects are not fsync'd: a crash of the machine may leave
a damaged object, which the next check of a version using it finds (size and
mtime) or ``verify=True`` does (the hash) and fetches again.

A version folder holds the manifest's files and nothing else. Checking it costs one
``stat`` per file (size and modification time, the hard link shares the object's
inode so writing to either changes both); :meth:`DatasetCache.check` reports the
entries that differ.

Example::

    cache = DatasetCache()
    with cache.version_lock("3f2c...") as name:
        broken = list(cache.check(name))
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import orjson

from corral.errors import CorralError, InsufficientStorageError

__all__ = [
    "CorruptBlobError",
    "DatasetCache",
    "ManifestEntry",
    "check_sha",
    "dataset_cache_root",
    "disk_full",
    "sha256_file",
]

ENV = "CORRAL_DATASET_CACHE"
#: bytes per read while hashing or copying
BLOCK = 1024 * 1024
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})
#: threads and files per batch of ``verify=True`` (hashlib releases the GIL)
HASH_WORKERS = min(8, os.cpu_count() or 2)
HASH_BATCH = 512


class CorruptBlobError(CorralError):
    """Bytes fetched for a dataset do not match their SHA-256 (nothing was placed)."""


def dataset_cache_root() -> Path:
    """``CORRAL_DATASET_CACHE``, else ``<cache_root()>/datasets`` (read at each call)."""
    raw = os.environ.get(ENV)
    if raw:
        return Path(raw).expanduser()
    from corral.sdk.storage.cache import cache_root

    return cache_root() / "datasets"


def disk_full(error: BaseException) -> bool:
    """Whether ``error`` says the disk (or the user's quota) is full."""
    return isinstance(error, OSError) and error.errno in _NO_SPACE


def no_space_error(root: Path, what: str) -> InsufficientStorageError:
    return InsufficientStorageError(
        f"no space left on the disk of {root} while fetching {what}: "
        f"free space or set {ENV} to a folder on a larger disk"
    )


def sha256_file(path: Path) -> str:
    """The SHA-256 of a local file (follows symlinks)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class ManifestEntry:
    """One file of a version folder as it was placed."""

    path: str
    size: int
    sha256: str
    mtime_ns: int

    def line(self) -> bytes:
        return orjson.dumps([self.path, self.size, self.sha256, self.mtime_ns]) + b"\n"

    @classmethod
    def parse(cls, line: bytes) -> ManifestEntry:
        path, size, sha, mtime_ns = orjson.loads(line)
        return cls(str(path), int(size), str(sha), int(mtime_ns))


@contextlib.contextmanager
def _flock(path: Path, *, shared: bool = False, blocking: bool = True) -> Iterator[None]:
    """Hold a lock on ``path`` (between processes, and threads: one open file each).

    Raises:
        BlockingIOError: ``blocking=False`` and another holds it.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no locking between processes
        yield
        return
    mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if blocking else fcntl.LOCK_NB)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        fcntl.flock(f, mode)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def make_writable(folder: Path) -> None:
    """Give the owner write access to ``folder`` and every folder below it."""
    for current, dirs, _ in os.walk(folder):
        os.chmod(current, 0o755)
        for name in dirs:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(current, name), 0o755)


def remove_tree(folder: Path) -> None:
    """Remove a (possibly read-only) folder and all below it; a missing one is fine."""
    if not folder.exists() and not folder.is_symlink():
        return
    with contextlib.suppress(OSError):
        make_writable(folder)
    shutil.rmtree(folder, ignore_errors=True)


def make_read_only(folder: Path) -> None:
    """Folders 0555, bottom up (files are objects: 0444 already)."""
    for current, _, _ in os.walk(folder, topdown=False):
        os.chmod(current, 0o555)


class DatasetCache:
    """The dataset cache of this machine (see the module docstring).

    Args:
        root: the cache's folder; default :func:`dataset_cache_root`.
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or dataset_cache_root()).absolute()
        self.objects = self.root / "objects"
        self.versions = self.root / "versions"
        self.tmp = self.root / "tmp"
        #: folders known to exist (a mkdir per file would cost a system call each)
        self._made: set[Path] = set()
        self._objects = str(self.objects)
        self._tmp = str(self.tmp)
        #: folders known to exist, as strings (objects' and versions' being built)
        self._made_objects: set[str] = set()

    def _mkdir(self, folder: Path) -> None:
        if folder not in self._made:
            folder.mkdir(parents=True, exist_ok=True)
            self._made.add(folder)

    # --- objects ---------------------------------------------------------------------------

    def object_path(self, sha256: str) -> Path:
        return self.objects / sha256[:2] / sha256

    def has_object(self, sha256: str, size: int) -> bool:
        """An object of that content is there with the right size (no hashing)."""
        try:
            return os.stat(f"{self._objects}/{sha256[:2]}/{sha256}").st_size == size
        except OSError:
            return False

    def temp_file(self, suffix: str = ".part") -> Path:
        self.tmp.mkdir(parents=True, exist_ok=True)
        return self.tmp / f"{secrets.token_hex(8)}{suffix}"

    def write_object(self, sha256: str, source: IO[bytes], *, blob: str, dataset: str) -> int:
        """Copy ``source`` into the object ``sha256``, checked; returns its size.

        Raises:
            CorruptBlobError: the bytes have another SHA-256 (nothing is placed).
        """
        # strings and one open with the final mode: this runs once per file of a version
        folder = os.path.join(self._objects, sha256[:2])
        if folder not in self._made_objects:
            os.makedirs(folder, exist_ok=True)
            self._made_objects.add(folder)
        # in tmp/ (same filesystem, so the rename is atomic), where leftovers of a killed
        # process are found and removed
        if self._tmp not in self._made_objects:
            os.makedirs(self._tmp, exist_ok=True)
            self._made_objects.add(self._tmp)
        temp = f"{self._tmp}/{sha256}.{secrets.token_hex(4)}.obj"
        digest = hashlib.sha256()
        size = 0
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
            with open(fd, "wb") as out:
                while block := source.read(BLOCK):
                    digest.update(block)
                    out.write(block)
                    size += len(block)
            check_sha(digest.hexdigest(), sha256, blob=blob, dataset=dataset)
            os.replace(temp, os.path.join(folder, sha256))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        return size

    def adopt_object(self, sha256: str, file: Path) -> None:
        """Move a whole downloaded file (already checked) into place as object ``sha256``."""
        target = self.object_path(sha256)
        self._mkdir(target.parent)
        os.chmod(file, 0o444)
        os.replace(file, target)

    def drop_object(self, sha256: str) -> None:
        self.object_path(sha256).unlink(missing_ok=True)

    # --- versions --------------------------------------------------------------------------

    def folder(self, name: str) -> Path:
        return self.versions / name

    def manifest(self, name: str) -> Path:
        return self.versions / f"{name}.manifest"

    def is_complete(self, name: str) -> bool:
        return self.manifest(name).is_file() and self.folder(name).is_dir()

    @contextlib.contextmanager
    def version_lock(self, name: str) -> Iterator[str]:
        """Hold the version's lock (between processes and threads); yields ``name``.

        Also holds the cache's shared lock, so :meth:`evict` never runs at the same time.
        """
        with (
            _flock(self.root / ".evict.lock", shared=True),
            _flock(self.versions / f"{name}.lock"),
        ):
            yield name

    def blob_lock(
        self, blob_id: str, *, blocking: bool = True
    ) -> contextlib.AbstractContextManager[None]:
        """Held while a blob is downloaded into ``tmp/<blob_id>.part`` (so that two
        processes never write one part; the second finds the objects placed)."""
        return _flock(self.root / "locks" / f"{blob_id}.lock", blocking=blocking)

    def entries(self, name: str) -> Iterator[ManifestEntry]:
        """The manifest of a complete version, one entry at a time."""
        with self.manifest(name).open("rb") as f:
            for line in f:
                if line.strip():
                    yield ManifestEntry.parse(line)

    def check(
        self, name: str, *, verify: bool = False, workers: int | None = None
    ) -> tuple[int, list[ManifestEntry]]:
        """The number of files of a complete version, and the entries whose file is
        missing or differs (size, mtime; with ``verify``, the SHA-256 too, hashed by
        ``workers`` threads in batches: the manifest is never held whole)."""
        folder = self.folder(name)
        count = 0
        broken: list[ManifestEntry] = []
        batch: list[ManifestEntry] = []
        pool = ThreadPoolExecutor(workers or HASH_WORKERS) if verify else None
        try:
            for entry in self.entries(name):
                count += 1
                path = f"{folder}/{entry.path}"
                try:
                    st = os.stat(path)
                except OSError:
                    broken.append(entry)
                    continue
                if st.st_size != entry.size or st.st_mtime_ns != entry.mtime_ns:
                    broken.append(entry)
                elif pool is not None:
                    batch.append(entry)
                    if len(batch) >= HASH_BATCH:
                        broken += _differ(pool, folder, batch)
                        batch = []
            if pool is not None and batch:
                broken += _differ(pool, folder, batch)
        finally:
            if pool is not None:
                pool.shutdown()
        return count, broken

    def place(self, folder: Path, path: str, sha256: str, *, soft: bool) -> int:
        """Link object ``sha256`` at ``folder/path``; returns the placed file's mtime_ns.

        Hard links by default (a copy when the filesystem refuses one), symlinks with
        ``soft``. The object must exist.
        """
        dest = f"{folder}/{path}"
        obj = f"{self._objects}/{sha256[:2]}/{sha256}"
        parent = os.path.dirname(dest)
        if parent not in self._made_objects:
            os.makedirs(parent, exist_ok=True)
            self._made_objects.add(parent)
        if soft:
            os.symlink(obj, dest)
        else:
            try:
                os.link(obj, dest)
            except OSError as e:
                if disk_full(e) or e.errno not in (errno.EMLINK, errno.EXDEV, errno.EPERM):
                    raise
                shutil.copyfile(obj, dest)  # too many links to one inode: a copy of its own
                os.chmod(dest, 0o444)
        return os.stat(dest).st_mtime_ns

    def write_manifest(self, name: str, entries: Iterable[ManifestEntry]) -> None:
        """Write the manifest atomically (this marks the version complete)."""
        temp = self.temp_file(".manifest")
        try:
            with temp.open("wb") as out:
                for entry in entries:
                    out.write(entry.line())
            os.replace(temp, self.manifest(name))
        finally:
            temp.unlink(missing_ok=True)

    def forget(self, name: str) -> None:
        """Drop a version folder and its manifest (the manifest first: it says complete)."""
        self.manifest(name).unlink(missing_ok=True)
        remove_tree(self.folder(name))

    def touch(self, name: str) -> None:
        """Mark the version as used now (eviction removes the least recently used)."""
        with contextlib.suppress(OSError):
            os.utime(self.manifest(name))

    def clean_tmp(self, older_than: float = 3600.0) -> None:
        """Remove leftovers of interrupted fetches (older than ``older_than`` seconds)."""
        import time

        if not self.tmp.is_dir():
            return
        limit = time.time() - older_than
        for item in self.tmp.iterdir():
            with contextlib.suppress(OSError):
                if item.lstat().st_mtime < limit:
                    if item.is_dir() and not item.is_symlink():
                        remove_tree(item)
                    else:
                        item.unlink()

    # --- eviction --------------------------------------------------------------------------

    def evict(self, max_bytes: int, *, keep: str | None = None) -> int:
        """Drop least recently used versions, then objects no version uses, until the
        objects fit in ``max_bytes``; returns the bytes freed. Versions being built or
        checked right now (their lock is taken) are left alone, and so is ``keep``."""
        try:
            with _flock(self.root / ".evict.lock", blocking=False):
                return self._evict(max_bytes, keep)
        except BlockingIOError:
            return 0  # another process fetches: it evicts after its fetch

    def _evict(self, max_bytes: int, keep: str | None) -> int:
        total = self._objects_size()
        if total <= max_bytes:
            return 0
        # contents no version uses (left by a failed fetch, or by a folder removed by hand)
        freed = self._drop_unlinked(None)
        manifests = sorted(
            (p.stat().st_mtime, p.name[: -len(".manifest")])
            for p in self.versions.glob("*.manifest")
        )
        for _, name in manifests:
            if total - freed <= max_bytes:
                break
            if name == keep:
                continue
            shas = {entry.sha256 for entry in self.entries(name)}
            self.forget(name)
            freed += self._drop_unlinked(shas)
        return freed

    def _soft_linked(self) -> set[str]:
        """Objects that symlinked version folders use (their link count does not show it)."""
        used: set[str] = set()
        for manifest in self.versions.glob("*.manifest"):
            name = manifest.name[: -len(".manifest")]
            folder = self.folder(name)
            for entry in self.entries(name):
                if (folder / entry.path).is_symlink():
                    used.add(entry.sha256)
                else:
                    break  # one folder links one way
        return used

    def _drop_unlinked(self, shas: set[str] | None) -> int:
        """Remove the objects (of ``shas``, or all) that no version folder links to;
        returns the bytes freed."""
        freed = 0
        soft = self._soft_linked()
        candidates = self._object_files() if shas is None else (self.object_path(s) for s in shas)
        for obj in candidates:
            with contextlib.suppress(OSError):
                st = obj.stat()
                if st.st_nlink == 1 and obj.name not in soft:
                    obj.unlink()
                    freed += st.st_size
        return freed

    def _object_files(self) -> Iterator[Path]:
        if not self.objects.is_dir():
            return
        for sub in self.objects.iterdir():
            if sub.is_dir():
                yield from (p for p in sub.iterdir() if not p.name.startswith("."))

    def _objects_size(self) -> int:
        total = 0
        for obj in self._object_files():
            with contextlib.suppress(OSError):
                total += obj.stat().st_size
        return total


def _differ(
    pool: ThreadPoolExecutor, folder: Path, entries: list[ManifestEntry]
) -> list[ManifestEntry]:
    """The entries whose file's SHA-256 is not theirs (hashed in ``pool``)."""
    digests = pool.map(lambda e: sha256_file(folder / e.path), entries)
    return [e for e, digest in zip(entries, digests, strict=True) if digest != e.sha256]


def check_sha(got: str, expected: str, *, blob: str, dataset: str) -> None:
    """:class:`CorruptBlobError` when ``got`` is not ``expected``."""
    if got != expected:
        raise CorruptBlobError(
            f"blob {blob} of dataset {dataset} is corrupt: expected sha256 {expected}, got {got}"
        )
