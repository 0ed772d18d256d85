"""The hub's file store: the interface every implementation keeps (local disk first).

A store holds files under store paths (``tasks/<id>/artifacts/data.csv``); every
method is synchronous (the API calls it from worker threads). The contract, run
over every implementation by ``tests/server/storage/test_contract.py``:

* **paths**: every path from outside passes :func:`paths.check_path` (422 for
  anything that could leave the store), and the implementation's own checks (a
  symbolic link on a disk); the top-level ``.tmp`` is never listed or addressed.
* **put, streamed**: :meth:`FileStore.begin_upload` then ``write`` chunks (413
  past ``max_file_bytes``) and ``commit(path, expected_sha256)``: the file appears
  whole at once (readers see the old file or the new one, never a part), replacing
  a file there; a refused or failed upload leaves nothing behind. A path onto a
  directory, or under a file, is a 409 (:meth:`FileStore.check_writable` tells
  before the bytes come).
* **read ranges**: :meth:`FileStore.open` gives a :class:`StoredFile` whose ``info``
  (size, modified, etag) and ``read(start, size)`` stay those of the version opened,
  even if the file is replaced meanwhile. A directory is a 422, nothing a 404.
* **stat** and **list**: entries sort by path as strings, one level (files and
  directories) or recursive (files only); ``after`` resumes a listing exactly.
* **delete** a file, an empty directory, or a whole tree (``recursive``), and
  **delete_paths**: remove files and trees after a commit, but the files in
  ``keep``; never raises.

Exceptions are ``corral.errors``: ``ValidationError`` (422), ``NotFoundError``
(404), ``ConflictError`` (409), ``PayloadTooLargeError`` (413).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType

from corral.errors import PayloadTooLargeError, ValidationError

__all__ = [
    "Entry",
    "FileInfo",
    "FileStore",
    "StoredFile",
    "Upload",
    "decode_cursor",
    "encode_cursor",
]


@dataclass(frozen=True)
class Entry:
    """One file or directory of a listing (``size`` is None for a directory)."""

    path: str
    size: int | None
    modified: datetime
    is_dir: bool


@dataclass(frozen=True)
class FileInfo:
    """What a download needs to know of the version of a file it opened."""

    size: int
    modified: datetime
    #: changes whenever the content may have (an HTTP entity tag, without the quotes)
    etag: str


def encode_cursor(path: str) -> str:
    return base64.urlsafe_b64encode(path.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The path a listing stopped at (the cursor is opaque to clients)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, ValueError) as e:
        raise ValidationError("invalid cursor; pass back next_cursor exactly as received") from e


class StoredFile(ABC):
    """One version of a file, open for reading (close it, or use it as a context manager)."""

    info: FileInfo

    @abstractmethod
    def read(self, start: int, size: int) -> bytes:
        """Up to ``size`` bytes from ``start``; fewer (or none) at the end."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> StoredFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Upload(ABC):
    """A file being received, counted and hashed on the way.

    ``write`` the bytes, then ``commit`` to put the file in place, or ``discard``.
    Implementations keep the bytes (``_write``) and place them (``_place``).
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.sha256 = hashlib.sha256()

    def write(self, data: bytes | bytearray) -> None:
        """Append ``data``; raises ``PayloadTooLargeError`` (413) past the store's limit."""
        if self.size + len(data) > self.max_bytes:
            raise PayloadTooLargeError(f"the file exceeds the limit of {self.max_bytes} bytes")
        self.sha256.update(data)
        self._write(data)
        self.size += len(data)

    def commit(self, path: str, expected_sha256: str | None = None) -> bool:
        """Put the file at ``path`` (replacing a file there). Returns True if it is new.

        What was received is dropped whatever happens.

        Raises:
            ValidationError: ``expected_sha256`` does not match, or a bad path.
            ConflictError: ``path`` is a directory or has a file as a parent.
        """
        try:
            self._close()
            digest = self.sha256.hexdigest()
            if expected_sha256 is not None and expected_sha256.lower() != digest:
                raise ValidationError(
                    f"the content's SHA-256 is {digest}, not {expected_sha256} as announced; "
                    "nothing was stored"
                )
            return self._place(path)
        finally:
            self.discard()

    @abstractmethod
    def _write(self, data: bytes | bytearray) -> None: ...

    @abstractmethod
    def _close(self) -> None:
        """No more bytes will come."""

    @abstractmethod
    def _place(self, path: str) -> bool:
        """Make the received bytes the file at ``path``; True if no file was there."""

    @abstractmethod
    def discard(self) -> None:
        """Drop what was received unless it was committed; safe to call again."""


class FileStore(ABC):
    """Files under store paths; see the module docstring for the contract.

    Example::

        store = LocalFileStore(Path("/data/files"), max_file_bytes=2**30)
        created = store.put("tasks/abc/data.csv", [b"a,b\\n", b"1,2\\n"])
        with store.open("tasks/abc/data.csv") as f:
            head = f.read(0, 4)
    """

    def __init__(self, *, max_file_bytes: int) -> None:
        self.max_file_bytes = max_file_bytes

    # --- write -----------------------------------------------------------------------

    @abstractmethod
    def begin_upload(self) -> Upload: ...

    @abstractmethod
    def check_writable(self, path: str) -> None:
        """Fail early on what would fail at commit (a bad path, a directory there)."""

    def put(self, path: str, chunks: Iterable[bytes], expected_sha256: str | None = None) -> bool:
        """Store ``chunks`` at ``path`` in one upload. Returns True if the file is new."""
        upload = self.begin_upload()
        try:
            for chunk in chunks:
                upload.write(chunk)
            return upload.commit(path, expected_sha256)
        finally:
            upload.discard()

    # --- read ------------------------------------------------------------------------

    @abstractmethod
    def open(self, path: str) -> StoredFile:
        """Open the file for reading.

        Raises:
            NotFoundError: no such file.
            ValidationError: a bad path, or a directory.
        """

    @abstractmethod
    def stat(self, path: str) -> Entry | None:
        """The file or directory at ``path``, or None."""

    @abstractmethod
    def list_dir(
        self, prefix: str, *, recursive: bool, limit: int, after: str | None = None
    ) -> tuple[list[Entry], bool]:
        """Entries under the directory ``prefix`` ("" for the root) in path order.

        Without ``recursive``: its files and directories; with it: every file below
        it. ``after`` (a path from the previous page) resumes exactly; a missing
        prefix lists nothing. Returns (entries, more).

        Raises:
            ValidationError: a bad prefix, or one naming a file.
        """

    # --- delete ----------------------------------------------------------------------

    @abstractmethod
    def delete(self, path: str, *, recursive: bool) -> None:
        """Delete a file, an empty directory, or with ``recursive`` a whole directory.

        Raises:
            NotFoundError: nothing at ``path``.
            ConflictError: a non-empty directory without ``recursive``.
            ValidationError: a bad path (the root included: ``""`` is refused).
        """

    @abstractmethod
    def delete_paths(self, paths: list[str], keep: Collection[str] = ()) -> None:
        """Remove files or trees (``tasks/<id>/``) after a commit; never raises.

        Files named in ``keep`` stay, with the directories that hold them. Missing
        paths are ignored; unsafe ones are logged and skipped.
        """
