"""The local cache of remote files, ``~/.corral/cache/storage/``.

A cached file lives at ``storage/<hash of URL>/<hash of version>/<file name>``,
where the version is what the backend says changes with the content (the hub's
ETag; S3's ETag; a local file's size and mtime). A changed remote file thus gets
a new entry (and the URL's older ones are dropped), an unchanged one is reused.
An archive's extracted folder sits next to it in the same entry.

* ``CORRAL_CACHE_DIR`` moves the root (default ``~/.corral/cache``);
  ``CORRAL_CACHE_MAX_GB`` bounds its size (default 10). Each insert evicts the
  least recently used entries until the cache fits again (the newest always stays).
* A cache context (``get_local_copy(cache_context=...)``) is a cache of its own,
  ``storage-<context>/``, with its own bounds; ``set_file_limit`` bounds the number
  of cached files of a context for this process.
* Processes sharing the cache take a lock per URL (``storage/.locks/``, POSIX
  ``flock``) while they fetch, so the same file is not downloaded twice at once.

Example::

    cache = StorageCache()
    path = cache.get("s3://b/x.csv", '"9f86d0..."', "x.csv", fetch=lambda dest: ...)
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from corral.errors import ValidationError
from corral.sdk.storage.archives import archive_stem, extract_archive

log = logging.getLogger(__name__)

DEFAULT_MAX_GB = 10.0
LOCKS = ".locks"
#: the default cache context (ClearML's name)
GLOBAL = "global"

_file_limits: dict[str, int] = {}


def set_file_limit(limit: int, context: str | None = None) -> int:
    """Keep at most ``limit`` cached entries in ``context`` (this process); returns it."""
    if limit < 1:
        raise ValidationError(f"cache_file_limit must be at least 1, not {limit}")
    _file_limits[_context_name(context)] = limit
    return limit


def _context_name(context: str | None) -> str:
    name = context or GLOBAL
    if not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise ValidationError(
            f"cache_context={context!r}: use letters, digits, '-', '_' and '.' only"
        )
    return name


def cache_root() -> Path:
    """``CORRAL_CACHE_DIR``, or ``~/.corral/cache`` (read at each call, never at import)."""
    return Path(os.environ.get("CORRAL_CACHE_DIR") or "~/.corral/cache").expanduser()


def max_cache_bytes() -> int:
    """``CORRAL_CACHE_MAX_GB`` (GiB, may be fractional) in bytes; 10 GiB by default."""
    raw = os.environ.get("CORRAL_CACHE_MAX_GB")
    try:
        gb = float(raw) if raw else DEFAULT_MAX_GB
    except ValueError as e:
        raise ValidationError(f"CORRAL_CACHE_MAX_GB must be a number, not {raw!r}") from e
    return int(gb * 1024**3)


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _tree_size(path: Path) -> int:
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(folder, name)).st_size
    return total


@contextlib.contextmanager
def _flock(path: Path, *, blocking: bool = True) -> Iterator[bool]:
    """Hold an exclusive lock on ``path``; yields whether it was taken (always, if blocking)."""
    try:
        import fcntl
    except ImportError:  # Windows: no locking between processes
        yield True
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class StorageCache:
    """Remote files cached by URL and version, bounded in size (least recently used go).

    Args:
        root: the cache root (``storage/`` is created in it); default :func:`cache_root`.
        max_bytes: the size bound; default :func:`max_cache_bytes`.
        context: a separate cache (``storage-<context>/``); default the global one.
        max_files: the bound on cached entries; default that of :func:`set_file_limit`.
    """

    def __init__(
        self,
        root: Path | None = None,
        max_bytes: int | None = None,
        *,
        context: str | None = None,
        max_files: int | None = None,
    ) -> None:
        name = _context_name(context)
        folder = "storage" if name == GLOBAL else f"storage-{name}"
        self.dir = (root or cache_root()) / folder
        self.max_bytes = max_cache_bytes() if max_bytes is None else max_bytes
        self.max_files = _file_limits.get(name) if max_files is None else max_files

    def entry(self, url: str, version: str | None) -> Path:
        """The folder that holds ``url`` at ``version``."""
        return self.dir / _digest(url, 24) / _digest(version or "", 16)

    def get(
        self,
        url: str,
        version: str | None,
        name: str,
        fetch: Callable[[Path], None],
        *,
        source: Path | None = None,
        extract: bool = False,
        force: bool = False,
    ) -> Path:
        """The cached copy of ``url`` (or its extracted folder), fetched if missing.

        Args:
            url: the remote URL (the cache key, with ``version``).
            version: the remote's current version token.
            name: the file name to keep (``data.zip``).
            fetch: writes the remote file to the path it is given (whole or not at all).
            source: a local file to use instead of fetching (extraction of a local archive).
            extract: return the folder an archive extracts into (a file that is no
                archive is returned as it is).
            force: fetch (and extract) again even when cached.
        """
        entry = self.entry(url, version)
        with _flock(self.dir / LOCKS / f"{entry.parent.name}.lock"):
            entry.mkdir(parents=True, exist_ok=True)
            archive = source or entry / name
            if source is None and (force or not archive.is_file()):
                fetch(archive)
            result = archive
            stem = archive_stem(name) if extract else None
            if stem is not None:
                result = entry / stem
                if force and result.exists():
                    shutil.rmtree(result)
                if not result.is_dir():
                    extract_archive(archive, result)
            self._drop_other_versions(entry)
            os.utime(entry)  # marks it as recently used
        self.evict(keep=entry)
        return result

    def latest(self, url: str, name: str, *, extract: bool = False) -> Path | None:
        """The most recently used cached copy of ``url``, whatever its version (offline use)."""
        url_dir = self.dir / _digest(url, 24)
        if not url_dir.is_dir():
            return None
        stem = archive_stem(name) if extract else None
        versions = sorted(url_dir.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
        for entry in versions:
            candidate = entry / stem if stem else entry / name
            if candidate.exists():
                return candidate
        return None

    def _drop_other_versions(self, entry: Path) -> None:
        for sibling in entry.parent.iterdir():
            if sibling != entry:
                shutil.rmtree(sibling, ignore_errors=True)

    def evict(self, keep: Path | None = None) -> int:
        """Remove least recently used entries until the cache fits; returns bytes freed."""
        entries: list[tuple[float, int, Path]] = []
        if not self.dir.is_dir():
            return 0
        for url_dir in self.dir.iterdir():
            if url_dir.name == LOCKS or not url_dir.is_dir():
                continue
            for entry in url_dir.iterdir():
                with contextlib.suppress(OSError):
                    entries.append((entry.stat().st_mtime, _tree_size(entry), entry))
        total = sum(size for _, size, _ in entries)
        count = len(entries)
        freed = 0
        for _, size, entry in sorted(entries):
            too_many = self.max_files is not None and count > self.max_files
            if total - freed <= self.max_bytes and not too_many:
                break
            if entry == keep:
                continue
            lock = self.dir / LOCKS / f"{entry.parent.name}.lock"
            with _flock(lock, blocking=False) as taken:
                if not taken:
                    continue  # being fetched right now
                shutil.rmtree(entry, ignore_errors=True)
                with contextlib.suppress(OSError):
                    entry.parent.rmdir()  # the URL's last version
            freed += size
            count -= 1
        if freed:
            log.debug("storage cache: evicted %d bytes to stay under %d", freed, self.max_bytes)
        return freed
