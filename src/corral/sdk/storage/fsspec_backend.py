"""Every URL that is not ``hub://``, through fsspec: S3, GCS, Azure, local files.

The fsspec filesystem is built with the protocol's storage options (see
:func:`corral.sdk.storage.backends.storage_options`); fsspec keeps one instance
per set of options. Its errors become Corral's: a missing file is
``NotFoundError`` naming the URL, a refused one ``PermissionDeniedError``, a
connection failure ``ServerUnavailableError`` (retried by the manager).

Listings and ``info`` bypass fsspec's listing cache: the cache of a long-lived
process would hide files changed by another one.

Example::

    backend = FsspecBackend("s3", {"endpoint_url": "http://127.0.0.1:9000"})
    backend.upload(Path("x.csv"), "s3://bucket/data/x.csv")
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from corral.errors import (
    ConflictError,
    CorralError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    ServerUnavailableError,
    ValidationError,
)
from corral.sdk.storage.backends import (
    EXTRAS,
    LOCAL_PROTOCOLS,
    RemoteFile,
    StorageBackend,
    base_name,
)
from corral.sdk.storage.progress import ProgressFn

#: info() keys that change with the content, best first (S3, Azure, GCS)
VERSION_KEYS = ("ETag", "etag", "generation", "md5Hash")
#: info() keys of the modification time, by backend
MODIFIED_KEYS = ("mtime", "LastModified", "last_modified", "updated", "modified")


def filesystem(protocol: str, options: dict[str, Any]) -> Any:
    """The fsspec filesystem of ``protocol``, built with ``options``.

    Raises:
        ValidationError: an unknown protocol, a backend package that is not
            installed, or options the backend does not take.
    """
    import fsspec

    try:
        cls = fsspec.get_filesystem_class(protocol)
    except ValueError as e:
        raise ValidationError(
            f"unsupported storage URL scheme {protocol}:// "
            "(use hub://, s3://, gs://, az://, file:// or a local path)"
        ) from e
    except ImportError as e:
        extra = EXTRAS.get(protocol)
        hint = f"pip install 'corral[{extra}]'" if extra else str(e)
        raise ValidationError(f"{protocol}:// URLs need a package that is missing: {hint}") from e
    try:
        fs = cls(**options)
    except TypeError as e:
        # the message names the option, never its value
        raise ValidationError(
            f"invalid storage options for {protocol}:// in [storage.{protocol}]: {e}"
        ) from e
    if getattr(fs, "async_impl", False):
        _prepare_loop(fs.loop)
    return fs


class _ExitSafeExecutor(ThreadPoolExecutor):
    """The default executor of fsspec's event loop (``asyncio.to_thread``, DNS look-ups).

    The task's last uploads run from an ``atexit`` hook, after ``concurrent.futures``
    has stopped taking work: every ``ThreadPoolExecutor.submit`` then raises (and
    Python 3.12 starts no new thread). aiobotocore needs the executor for each new
    connection, so an S3 upload at exit would fail. Then this one runs the call
    right away in the loop's thread: it blocks the loop for a moment (an SSL context,
    a DNS look-up), which the last uploads of a process can afford.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        try:
            return super().submit(fn, *args, **kwargs)
        except RuntimeError:  # "cannot schedule new futures after (interpreter) shutdown"
            future: Future[Any] = Future()
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as e:
                future.set_exception(e)
            return future


_prepared_loops: weakref.WeakSet[Any] = weakref.WeakSet()
_prepared_lock = threading.Lock()


def _prepare_loop(loop: Any) -> None:
    """Give fsspec's event loop an :class:`_ExitSafeExecutor` (once per loop)."""
    with _prepared_lock:
        if loop in _prepared_loops:
            return
        _prepared_loops.add(loop)
    executor = _ExitSafeExecutor(thread_name_prefix="corral-fsspec")
    # set in the loop's own thread, before any coroutine submitted after this call
    loop.call_soon_threadsafe(loop.set_default_executor, executor)


def _callback(progress: ProgressFn | None) -> Any:
    from fsspec.callbacks import Callback, NoOpCallback

    if progress is None:
        return NoOpCallback()
    report: ProgressFn = progress

    class Report(Callback):  # type: ignore[misc]  # fsspec is untyped
        def call(self, *args: Any, **kwargs: Any) -> None:
            report(self.value, self.size)

    return Report()


def _modified(info: dict[str, Any]) -> float | None:
    for key in MODIFIED_KEYS:
        value = info.get(key)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return None


def _version(info: dict[str, Any]) -> str:
    for key in VERSION_KEYS:
        if info.get(key):
            return str(info[key])
    # local files: any change of content changes the size or the mtime (ns precision)
    return f"{info.get('size')}:{_modified(info)}:{info.get('ino', '')}"


def _looks_like_connection_error(e: BaseException) -> bool:
    # botocore's and aiohttp's connection errors do not derive from the builtin ones
    name = type(e).__name__
    return "Connect" in name or "Timeout" in name or "DNS" in name


def _chain(e: BaseException) -> Iterator[BaseException]:
    """``e`` and the exceptions it was raised from (fsspec's HTTP backend turns every
    failure into ``FileNotFoundError``, raised from the real one)."""
    seen: set[int] = set()
    current: BaseException | None = e
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _network_cause(e: BaseException) -> BaseException | None:
    """The connection failure behind ``e`` (refused, DNS, timeout, reset), if any."""
    for cause in _chain(e):
        if isinstance(cause, FileNotFoundError):
            continue
        if isinstance(cause, (ConnectionError, TimeoutError, socket.gaierror)):
            return cause
        if _looks_like_connection_error(cause) or "ServerDisconnected" in type(cause).__name__:
            return cause
    return None


def _http_status(e: BaseException) -> int | None:
    """The HTTP status behind ``e`` (an answer of an http(s) server), if any."""
    for cause in _chain(e):
        status = getattr(cause, "status", None)
        if isinstance(status, int) and 100 <= status < 600:
            return status
    return None


def network_error(url: str, cause: BaseException) -> NetworkError:
    """A clear error for a URL that cannot be reached."""
    reason = str(cause) or type(cause).__name__
    return NetworkError(
        f"network error: cannot reach {url} ({type(cause).__name__}: {reason}); "
        "check the address, the network and that the server is running"
    )


def _missing_or_raise(url: str, e: FileNotFoundError) -> None:
    """Return when ``e`` really means "no such file"; else raise what it means."""
    cause = _network_cause(e)
    if cause is not None:
        raise network_error(url, cause) from e
    status = _http_status(e)
    if status in (401, 403):
        raise PermissionDeniedError(f"{url}: access denied (HTTP {status})") from e
    if status is not None and (status >= 500 or status == 429):
        raise ServerUnavailableError(f"{url}: the server answered HTTP {status}") from e
    if status is not None and status not in (404, 410):
        raise ValidationError(f"{url}: the server answered HTTP {status}") from e


class FsspecBackend(StorageBackend):
    """A URL served by fsspec (``s3://``, ``gs://``, ``az://``, ``file://``, local paths).

    Args:
        protocol: the URL's scheme (``"file"`` for a plain path).
        options: storage options for the fsspec filesystem.
    """

    def __init__(self, protocol: str, options: dict[str, Any]) -> None:
        self.protocol = protocol
        self.local = protocol in LOCAL_PROTOCOLS
        self.fs = filesystem(protocol, options)

    def _path(self, url: str) -> str:
        if "://" not in url:  # a plain local path
            return os.path.abspath(os.path.expanduser(url))
        path: str = self.fs._strip_protocol(url)  # fsspec's own parser of its URLs
        return path

    def local_path(self, url: str) -> Path | None:
        return Path(self._path(url)) if self.local else None

    @contextlib.contextmanager
    def _errors(self, url: str) -> Iterator[None]:
        try:
            yield
        except CorralError:
            raise  # already Corral's (a missing file told apart inside the block)
        except FileNotFoundError as e:
            _missing_or_raise(url, e)
            raise NotFoundError(f"no file at {url}") from e
        except PermissionError as e:
            raise PermissionDeniedError(f"{url}: access denied ({e})") from e
        except (ConnectionError, TimeoutError, socket.gaierror) as e:
            raise network_error(url, e) from e
        except Exception as e:
            cause = _network_cause(e)
            if cause is not None:
                raise network_error(url, cause) from e
            status = _http_status(e) if not self.local else None
            if status is not None and (status >= 500 or status == 429):
                raise ServerUnavailableError(f"{url}: the server answered HTTP {status}") from e
            if status in (401, 403):
                raise PermissionDeniedError(f"{url}: access denied (HTTP {status})") from e
            raise

    def upload(self, local: Path, url: str, progress: ProgressFn | None = None) -> None:
        path = self._path(url)
        with self._errors(url):
            if not self.local:
                self.fs.put_file(str(local), path, callback=_callback(progress))
                return
            # locally: copy aside, then rename, so that readers never see a part
            os.makedirs(os.path.dirname(path), exist_ok=True)
            part = f"{path}.{uuid.uuid4().hex[:8]}.part"
            try:
                self.fs.put_file(str(local), part, callback=_callback(progress))
                os.replace(part, path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(part)

    def download(self, url: str, dest: Path, progress: ProgressFn | None = None) -> None:
        path = self._path(url)
        part = dest.with_name(f"{dest.name}.{uuid.uuid4().hex[:8]}.part")
        with self._errors(url):
            try:
                if self.fs.isdir(path):
                    raise ValidationError(f"{url} is a folder: use download_folder")
                self.fs.get_file(path, str(part), callback=_callback(progress))
                os.replace(part, dest)
            finally:
                part.unlink(missing_ok=True)

    def info(self, url: str) -> RemoteFile | None:
        path = self._path(url)
        with self._errors(url):
            self.fs.invalidate_cache(path)
            try:
                info = self.fs.info(path)
            except FileNotFoundError as e:
                _missing_or_raise(url, e)
                return None
        if info.get("type") != "file":
            return None
        return RemoteFile(base_name(url), info.get("size"), _modified(info), _version(info))

    def list(self, url: str) -> list[RemoteFile]:
        base = self._path(url).rstrip("/")
        with self._errors(url):
            self.fs.invalidate_cache(base)
            found: dict[str, dict[str, Any]] = self.fs.find(base, detail=True)
        files = []
        for path, info in sorted(found.items()):
            if info.get("type", "file") != "file":
                continue
            name = path[len(base) + 1 :] if path.startswith(base + "/") else base_name(path)
            files.append(RemoteFile(name, info.get("size"), _modified(info), _version(info)))
        return files

    def delete(self, url: str, recursive: bool = False) -> None:
        path = self._path(url).rstrip("/")
        with self._errors(url):
            self.fs.invalidate_cache(path)
            info = self.fs.info(path)
            if info.get("type") == "directory" and not recursive:
                raise ConflictError(f"{url} is a folder: pass recursive=True to delete all in it")
            self.fs.rm(path, recursive=recursive)
