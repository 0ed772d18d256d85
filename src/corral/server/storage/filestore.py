"""The hub's own file store: files under ``<data dir>/files``, addressed by relative paths.

Clients name files with store paths such as ``tasks/<task id>/artifacts/data.csv``
(``hub://`` URIs, see ``uris.py``). Every path from outside goes through
:func:`check_path` (its shape) and :meth:`FileStore.locate` (where it lands on disk)
before a byte is read or written, so no path can reach outside the store:

* a path is relative, ``/``-separated, without ``.``/``..``/empty segments,
  backslashes, control characters, ``%XX`` escapes (no second decoding can turn
  it into something else) or a drive letter; segments are at most 255 bytes,
  the path at most 1024 characters;
* the top-level ``.tmp`` directory is the store's own (uploads in progress);
* no existing component may be a symbolic link, so a link planted in the store
  (the store never creates one) cannot lead a read, write, listing or deletion
  out of it; files are also opened with ``O_NOFOLLOW``.

Uploads are written to a temporary file under ``.tmp`` (same file system) and
moved into place with ``os.replace``: readers see the old file or the new one,
never a partial one, and a failed upload leaves nothing behind.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import itertools
import logging
import os
import re
import shutil
import stat
import tempfile
import time
import uuid
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

from corral.errors import ConflictError, NotFoundError, PayloadTooLargeError, ValidationError

__all__ = [
    "PATH_MAX",
    "SEGMENT_MAX",
    "TMP_DIR",
    "Entry",
    "FileStore",
    "Upload",
    "check_path",
    "decode_cursor",
    "encode_cursor",
]

log = logging.getLogger("corral.server.files")

#: the longest store path, in characters
PATH_MAX = 1024
#: the longest path segment (file or directory name), in UTF-8 bytes
SEGMENT_MAX = 255
#: the store's private directory for uploads in progress (and trees being deleted)
TMP_DIR = ".tmp"
#: leftovers in TMP_DIR older than this (a crashed upload) go when a store opens
TMP_MAX_AGE = 24 * 3600

_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_DRIVE = re.compile(r"^[A-Za-z]:(/|$)")


def _refuse(path: str, why: str) -> ValidationError:
    shown = path if len(path) <= 200 else path[:200] + "..."
    return ValidationError(
        f"invalid file path {shown!r}: {why}",
        errors=[{"loc": ["path", "path"], "msg": why, "type": "value_error"}],
    )


def _segment_problem(segment: str) -> str | None:
    """Why ``segment`` cannot be a file or directory name, or None if it can."""
    if segment == "":
        return "empty segments ('//', a leading or trailing '/') are not allowed"
    if segment in (".", ".."):
        return "'.' and '..' segments are not allowed"
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in segment):
        return "control characters are not allowed"
    if "\\" in segment:
        return "backslashes are not allowed; separate segments with '/'"
    if _ESCAPE.search(segment):
        return "percent-escapes ('%2e') are not allowed in a decoded path"
    try:
        size = len(segment.encode("utf-8"))
    except UnicodeEncodeError:
        return "the path is not valid UTF-8"
    if size > SEGMENT_MAX:
        return f"a segment is longer than {SEGMENT_MAX} bytes"
    return None


def check_path(path: str) -> str:
    """Return ``path`` if it is a safe store path, else raise ``ValidationError`` (422).

    Only the shape is checked here; :meth:`FileStore.locate` checks where it lands.

    Example::

        check_path("tasks/abc/artifacts/data.csv")  # -> the same string
        check_path("tasks/../../etc/passwd")        # ValidationError
    """
    if not path:
        raise _refuse(path, "the path is empty")
    if len(path) > PATH_MAX:
        raise _refuse(path, f"the path is longer than {PATH_MAX} characters")
    if path.startswith("/") or _DRIVE.match(path):
        raise _refuse(path, "the path must be relative to the store")
    segments = path.split("/")
    for segment in segments:
        problem = _segment_problem(segment)
        if problem:
            raise _refuse(path, problem)
    if segments[0].lower() == TMP_DIR:
        raise _refuse(path, f"'{TMP_DIR}' is the store's private directory")
    return path


def _as_dir(path: str) -> str:
    """``path`` without the one trailing ``/`` that may mark a directory ("/" stays)."""
    return path[:-1] if len(path) > 1 and path.endswith("/") else path


def _is_dir(st: os.stat_result) -> bool:
    return stat.S_ISDIR(st.st_mode)


@dataclass(frozen=True)
class Entry:
    """One file or directory of a listing."""

    path: str
    size: int | None
    modified: datetime
    is_dir: bool


def encode_cursor(path: str) -> str:
    return base64.urlsafe_b64encode(path.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The path a listing stopped at (the cursor is opaque to clients)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, ValueError) as e:
        raise ValidationError("invalid cursor; pass back next_cursor exactly as received") from e


class FileStore:
    """Files under ``root``; every method takes store paths and is synchronous.

    Example::

        store = FileStore(Path("/data/files"), max_file_bytes=2**30)
        upload = store.begin_upload()
        upload.write(b"a,b\\n1,2\\n")
        created = upload.commit("tasks/abc/data.csv")
    """

    def __init__(self, root: Path, *, max_file_bytes: int) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root.resolve()
        self.max_file_bytes = max_file_bytes
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
                raise _refuse(path, "the path goes through a symbolic link")
        target = self.root.joinpath(*parts)
        if not target.resolve().is_relative_to(self.root):
            raise _refuse(path, "the path leads outside the store")
        return target

    def stat(self, path: str) -> os.stat_result | None:
        try:
            return os.lstat(self.locate(path))
        except (FileNotFoundError, NotADirectoryError):
            return None

    # --- read ------------------------------------------------------------------------

    def open(self, path: str) -> tuple[BinaryIO, os.stat_result]:
        """Open a file for reading. Returns (file, its stat).

        Raises:
            NotFoundError: no such file.
            ValidationError: a bad path, or a directory.
        """
        target = self.locate(path)
        try:
            # O_NONBLOCK: a FIFO someone planted must not hang the request
            fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except (FileNotFoundError, NotADirectoryError) as e:
            raise NotFoundError(f"no file at {path!r}") from e
        except OSError as e:  # ELOOP: a link appeared since locate()
            raise _refuse(path, "the path is not a regular file") from e
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            if _is_dir(st):
                raise _refuse(path, "it is a directory; list it with GET /files?prefix=")
            raise _refuse(path, "the path is not a regular file")
        f = os.fdopen(fd, "rb")
        return f, st

    # --- write -----------------------------------------------------------------------

    def begin_upload(self) -> Upload:
        return Upload(self)

    def check_writable(self, path: str) -> Path:
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
        """Entries under the directory ``prefix`` ("" for the root) in path order.

        Without ``recursive``: its files and directories; with it: every file below
        it (directories are implied by their files). Entries sort by path as strings,
        so ``after`` (a path from the previous page) resumes exactly. Symbolic links
        and names a client could not address are left out. Returns (entries, more).

        Raises:
            ValidationError: a bad prefix, or one naming a file.
        """
        directory, rel = self.root, ""
        prefix = _as_dir(prefix)
        if prefix:
            directory, rel = self.locate(prefix), prefix + "/"
            st = self.stat(prefix)
            if st is None:
                return [], False
            if not _is_dir(st):
                raise _refuse(prefix, "the prefix names a file, not a directory")
        found = list(itertools.islice(self._walk(directory, rel, recursive, after), limit + 1))
        return found[:limit], len(found) > limit

    def _walk(
        self, directory: Path, rel: str, recursive: bool, after: str | None
    ) -> Iterator[Entry]:
        children = []
        try:
            with os.scandir(directory) as it:
                for e in it:
                    if (
                        e.is_symlink()
                        or _segment_problem(e.name)
                        or (not rel and e.name == TMP_DIR)
                    ):
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
                    modified=datetime.fromtimestamp(st.st_mtime, tz=timezone.utc),
                    is_dir=is_dir,
                )

    # --- delete ----------------------------------------------------------------------

    def delete(self, path: str, *, recursive: bool) -> None:
        """Delete a file, an empty directory, or with ``recursive`` a whole directory.

        Raises:
            NotFoundError: nothing at ``path``.
            ConflictError: a non-empty directory without ``recursive``.
            ValidationError: a bad path (the root included: ``""`` is refused).
        """
        path = _as_dir(path)
        target = self.locate(path)
        st = self.stat(path)
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
        """Remove files or directory trees (``tasks/<id>/``) after a commit; never raises.

        Files named in ``keep`` stay, with the directories that hold them. Missing
        paths are ignored; unsafe ones are logged and skipped.
        """
        kept = frozenset(keep)
        for p in paths:
            p = _as_dir(p)
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


class Upload:
    """A file being received: written to ``<root>/.tmp``, hashed and counted on the way.

    ``write`` the bytes, then ``commit`` to move the file into place, or ``discard``.
    """

    def __init__(self, store: FileStore) -> None:
        self.store = store
        self.size = 0
        self.sha256 = hashlib.sha256()
        fd, name = tempfile.mkstemp(dir=store.tmp, suffix=".part")
        self.temp = Path(name)
        self.file = os.fdopen(fd, "wb")
        #: moved into place or removed: the temporary name may belong to another upload now
        self.done = False

    def write(self, data: bytes | bytearray) -> None:
        """Append ``data``; raises ``PayloadTooLargeError`` (413) past the store's limit."""
        if self.size + len(data) > self.store.max_file_bytes:
            raise PayloadTooLargeError(
                f"the file exceeds the limit of {self.store.max_file_bytes} bytes"
            )
        self.sha256.update(data)
        self.file.write(data)
        self.size += len(data)

    def commit(self, path: str, expected_sha256: str | None = None) -> bool:
        """Move the file to ``path`` (replacing a file there). Returns True if it is new.

        The temporary file is removed whatever happens.

        Raises:
            ValidationError: ``expected_sha256`` does not match, or a bad path.
            ConflictError: ``path`` is a directory or has a file as a parent.
        """
        try:
            self.file.close()
            digest = self.sha256.hexdigest()
            if expected_sha256 is not None and expected_sha256.lower() != digest:
                raise ValidationError(
                    f"the content's SHA-256 is {digest}, not {expected_sha256} as announced; "
                    "nothing was stored"
                )
            target = self.store.check_writable(path)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                created = not os.path.lexists(target)
                os.replace(self.temp, target)
                self.done = True
            except (FileExistsError, NotADirectoryError, IsADirectoryError) as e:
                raise ConflictError(f"cannot store {path!r}: {e.strerror}") from e
            except FileNotFoundError as e:  # a parent deleted meanwhile
                raise ConflictError(f"{path!r} changed while it was stored; retry") from e
            return created
        finally:
            self.discard()

    def discard(self) -> None:
        """Drop the temporary file unless it was committed; safe to call again."""
        self.file.close()
        if not self.done:
            self.done = True
            self.temp.unlink(missing_ok=True)
