"""The local file store: files under ``<data dir>/files`` (the default, and the first store).

Every path goes through :func:`paths.check_path` (its shape) and
:meth:`LocalFileStore.locate` (where it lands on disk) before a byte is read or
written: no existing component may be a symbolic link, so a link planted in the
store (the store never creates one) cannot lead a read, write, listing or
deletion out of it; files are also opened with ``O_NOFOLLOW``.

Uploads are written to a temporary file under ``.tmp`` (same file system) and
moved into place with ``os.replace``: readers see the old file or the new one,
never a partial one, and a failed upload leaves nothing behind. An open file is
read by its descriptor, so a download keeps the version it opened.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import logging
import os
import shutil
import stat
import tempfile
import time
import uuid
from collections.abc import Collection, Iterator
from datetime import datetime, timezone
from pathlib import Path

from corral.errors import (
    ConflictError,
    InsufficientStorageError,
    NotFoundError,
    ValidationError,
)
from corral.server.storage.base import Entry, FileInfo, FileStore, StoredFile, Upload
from corral.server.storage.paths import TMP_DIR, as_dir, check_path, refuse, segment_problem

__all__ = ["TMP_MAX_AGE", "LocalFileStore"]

log = logging.getLogger("corral.server.files")

#: leftovers in TMP_DIR older than this (a crashed upload) go when a store opens
TMP_MAX_AGE = 24 * 3600


def _is_dir(st: os.stat_result) -> bool:
    return stat.S_ISDIR(st.st_mode)


def _modified(st: os.stat_result) -> datetime:
    # from the nanoseconds, truncated: a float could round up into the next second
    seconds, ns = divmod(st.st_mtime_ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(microsecond=ns // 1000)


class LocalFileStore(FileStore):
    """Files under ``root`` on a local file system.

    Example::

        store = LocalFileStore(Path("/data/files"), max_file_bytes=2**30)
        store.put("tasks/abc/data.csv", [b"a,b\\n1,2\\n"])
    """

    def __init__(self, root: Path, *, max_file_bytes: int) -> None:
        super().__init__(max_file_bytes=max_file_bytes)
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        root.chmod(0o700)  # stored files are the users' own: no other account reads them
        self.root = root.resolve()
        self.tmp = self.root / TMP_DIR
        self.tmp.mkdir(exist_ok=True)
        self._sweep_tmp()

    def _sweep_tmp(self) -> None:
        # Only old leftovers: another server process may be receiving uploads right now.
        cutoff = time.time() - TMP_MAX_AGE
        with os.scandir(self.tmp) as entries:
            for e in entries:
                try:
                    if e.stat(follow_symlinks=False).st_mtime < cutoff:
                        _remove(Path(e.path))
                except OSError:
                    log.warning("could not remove the stale upload %s", e.path)

    # --- where a path lands ----------------------------------------------------------

    def locate(self, path: str) -> Path:
        """The absolute location of a store path, refusing anything that could leave the store.

        Raises:
            ValidationError: a malformed path, or one through a symbolic link.
        """
        parts = check_path(path).split("/")
        current = self.root
        for part in parts:
            current = current / part
            try:
                st = os.lstat(current)
            except OSError:
                break  # the rest does not exist (yet): nothing there to follow
            if stat.S_ISLNK(st.st_mode):
                raise refuse(path, "the path goes through a symbolic link")
        target = self.root.joinpath(*parts)
        if not target.resolve().is_relative_to(self.root):
            raise refuse(path, "the path leads outside the store")
        return target

    def _lstat(self, path: str) -> os.stat_result | None:
        try:
            return os.lstat(self.locate(path))
        except (FileNotFoundError, NotADirectoryError):
            return None

    def stat(self, path: str) -> Entry | None:
        path = as_dir(path)
        st = self._lstat(path)
        if st is None:
            return None
        is_dir = _is_dir(st)
        return Entry(path, None if is_dir else st.st_size, _modified(st), is_dir)

    # --- read ------------------------------------------------------------------------

    def open(self, path: str) -> StoredFile:
        target = self.locate(path)
        try:
            # O_NONBLOCK: a FIFO someone planted must not hang the request
            fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except (FileNotFoundError, NotADirectoryError) as e:
            raise NotFoundError(f"no file at {path!r}") from e
        except OSError as e:  # ELOOP: a link appeared since locate()
            raise refuse(path, "the path is not a regular file") from e
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            if _is_dir(st):
                raise refuse(path, "it is a directory; list it with GET /files?prefix=")
            raise refuse(path, "the path is not a regular file")
        return _LocalFile(fd, st)

    # --- write -----------------------------------------------------------------------

    def begin_upload(self) -> Upload:
        return _LocalUpload(self)

    def check_writable(self, path: str) -> None:
        self._writable(path)

    def _writable(self, path: str) -> Path:
        """Where an upload to ``path`` goes; fails early on what would fail at commit."""
        target = self.locate(path)
        current = self.root
        for part in path.split("/"):
            current = current / part
            try:
                st = os.lstat(current)
            except FileNotFoundError:
                break
            except NotADirectoryError as e:
                raise ConflictError(f"a parent of {path!r} is a file") from e
            if current != target and not _is_dir(st):
                raise ConflictError(f"a parent of {path!r} is a file, not a directory")
            if current == target and _is_dir(st):
                raise ConflictError(f"{path!r} is a directory")
        return target

    # --- list ------------------------------------------------------------------------

    def list_dir(
        self, prefix: str, *, recursive: bool, limit: int, after: str | None = None
    ) -> tuple[list[Entry], bool]:
        # Symbolic links and names a client could not address are left out.
        directory, rel = self.root, ""
        prefix = as_dir(prefix)
        if prefix:
            directory, rel = self.locate(prefix), prefix + "/"
            st = self._lstat(prefix)
            if st is None:
                return [], False
            if not _is_dir(st):
                raise refuse(prefix, "the prefix names a file, not a directory")
        found = list(itertools.islice(self._walk(directory, rel, recursive, after), limit + 1))
        return found[:limit], len(found) > limit

    def _walk(
        self, directory: Path, rel: str, recursive: bool, after: str | None
    ) -> Iterator[Entry]:
        children = []
        try:
            with os.scandir(directory) as it:
                for e in it:
                    if e.is_symlink() or segment_problem(e.name) or (not rel and e.name == TMP_DIR):
                        continue
                    is_dir = e.is_dir(follow_symlinks=False)
                    if is_dir or e.is_file(follow_symlinks=False):
                        children.append((e.name, is_dir))
        except (FileNotFoundError, NotADirectoryError):
            return  # removed while listing
        # A directory walked into sorts as "name/": its files come in global path order.
        children.sort(key=lambda c: c[0] + "/" if c[1] and recursive else c[0])
        for name, is_dir in children:
            path = rel + name
            if is_dir and recursive:
                sub = path + "/"
                # skip subtrees that lie wholly before the cursor
                if after is None or after < sub or after.startswith(sub):
                    yield from self._walk(directory / name, sub, recursive, after)
            elif after is None or path > after:
                try:
                    st = os.lstat(directory / name)
                except FileNotFoundError:
                    continue
                yield Entry(
                    path=path,
                    size=None if is_dir else st.st_size,
                    modified=_modified(st),
                    is_dir=is_dir,
                )

    # --- delete ----------------------------------------------------------------------

    def delete(self, path: str, *, recursive: bool) -> None:
        path = as_dir(path)
        target = self.locate(path)
        st = self._lstat(path)
        if st is None:
            raise NotFoundError(f"no file or directory at {path!r}")
        if not _is_dir(st):
            target.unlink(missing_ok=True)
        elif recursive:
            self._remove_tree(target)
        else:
            try:
                target.rmdir()
            except FileNotFoundError:
                pass
            except OSError as e:
                raise ConflictError(
                    f"the directory {path!r} is not empty; delete it with recursive=true"
                ) from e

    def _remove_tree(self, target: Path) -> None:
        # Moved aside first so that it disappears at once, not file by file.
        doomed = self.tmp / f"{uuid.uuid4().hex}.deleting"
        try:
            os.rename(target, doomed)
        except FileNotFoundError:
            return
        shutil.rmtree(doomed, ignore_errors=True)  # never follows links inside the tree

    def delete_paths(self, paths: list[str], keep: Collection[str] = ()) -> None:
        kept = frozenset(keep)
        for p in paths:
            p = as_dir(p)
            try:
                target = self.locate(p)
                if os.path.isdir(target) and not os.path.islink(target):
                    inside = {k for k in kept if k.startswith(p + "/")}
                    if inside:
                        self._prune(target, p, inside)
                    else:
                        self._remove_tree(target)
                elif p not in kept:
                    target.unlink(missing_ok=True)
            except ValidationError:
                log.warning("not deleting %r: not a safe store path", p)
            except OSError:
                log.warning("could not delete %r from the file store", p, exc_info=True)

    @staticmethod
    def _prune(target: Path, path: str, keep: set[str]) -> None:
        """Delete everything under the directory ``target`` (store path ``path``) but ``keep``."""
        for directory, subdirs, files in os.walk(target, topdown=False):
            rel = Path(directory).relative_to(target).as_posix()
            base = path if rel == "." else f"{path}/{rel}"
            for name in files:
                if f"{base}/{name}" not in keep:
                    (Path(directory) / name).unlink(missing_ok=True)
            for name in subdirs:
                sub = Path(directory) / name
                if sub.is_symlink():
                    sub.unlink(missing_ok=True)
                else:
                    with contextlib.suppress(OSError):
                        sub.rmdir()  # only once empty
        with contextlib.suppress(OSError):
            target.rmdir()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


class _LocalFile(StoredFile):
    """An open descriptor: reads keep the version opened, even once it is replaced."""

    def __init__(self, fd: int, st: os.stat_result) -> None:
        self.fd: int | None = fd
        self.info = FileInfo(
            size=st.st_size,
            modified=_modified(st),
            etag=f"{st.st_ino:x}-{st.st_size:x}-{st.st_mtime_ns:x}",
        )

    def read(self, start: int, size: int) -> bytes:
        if self.fd is None:
            raise ValueError("read from a closed file")
        return os.pread(self.fd, size, start)

    def close(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)


class _LocalUpload(Upload):
    """Written to ``<root>/.tmp``, then moved into place with ``os.replace``."""

    def __init__(self, store: LocalFileStore) -> None:
        super().__init__(store.max_file_bytes)
        self.store = store
        with _disk_full_is_507():
            fd, name = tempfile.mkstemp(dir=store.tmp, suffix=".part")
        self.temp = Path(name)
        self.file = os.fdopen(fd, "wb")
        #: moved into place or removed: the temporary name may belong to another upload now
        self.done = False

    def _write(self, data: bytes | bytearray) -> None:
        with _disk_full_is_507():
            self.file.write(data)

    def _close(self) -> None:
        with _disk_full_is_507():
            self.file.close()

    def _place(self, path: str) -> bool:
        target = self.store._writable(path)
        try:
            with _disk_full_is_507():
                target.parent.mkdir(parents=True, exist_ok=True)
            created = not os.path.lexists(target)
            os.replace(self.temp, target)
            self.done = True
        except (FileExistsError, NotADirectoryError, IsADirectoryError) as e:
            raise ConflictError(f"cannot store {path!r}: {e.strerror}") from e
        except FileNotFoundError as e:  # a parent deleted meanwhile
            raise ConflictError(f"{path!r} changed while it was stored; retry") from e
        return created

    def discard(self) -> None:
        with contextlib.suppress(OSError):  # a full disk fails the flush of a close again
            self.file.close()
        if not self.done:
            self.done = True
            self.temp.unlink(missing_ok=True)


@contextlib.contextmanager
def _disk_full_is_507() -> Iterator[None]:
    """A full disk (or quota) while storing becomes a 507 that says what to do."""
    try:
        yield
    except OSError as e:
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise InsufficientStorageError(
                "the hub's disk is full; nothing was stored. Free space on the hub "
                "(or ask its administrator to), then retry"
            ) from e
        raise
