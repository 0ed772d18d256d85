"""``StorageManager``: upload, download, cache and list files at any storage URL.

The names follow ClearML's ``StorageManager``. URLs are ``hub://<path>`` (the
hub's file store), ``s3://``, ``gs://``, ``az://``/``abfs://``, ``file://`` or
plain local paths (see :mod:`.backends`).

* Transient failures (the service out of reach, 5xx answers) are retried
  ``retries`` times with a doubling pause (0.25 s, 0.5 s, 1 s...) by the upload and
  download methods; other errors are raised at once (see :mod:`.transfers`).
* ``upload_file(..., wait_for_upload=False)`` returns at once and uploads in a
  background thread; :meth:`StorageManager.wait_for_uploads` waits and reports.
  The interpreter waits for unfinished ones at exit.
* Transfers of 10 MiB or more show a progress bar on stderr when it is a terminal.

Example::

    from corral.sdk.storage import StorageManager

    url = StorageManager.upload_file("preds.csv", "hub://tasks/abc/artifacts/preds.csv")
    path = StorageManager.get_local_copy(url)
"""

from __future__ import annotations

import builtins
import logging
import os
import posixpath
from collections.abc import Callable
from fnmatch import fnmatch
from functools import partial
from pathlib import Path
from typing import Any, Literal, overload

from corral.errors import CorralError, NotFoundError, ServerUnavailableError, ValidationError
from corral.sdk.storage import backends, transfers
from corral.sdk.storage.backends import base_name, join_uri
from corral.sdk.storage.cache import StorageCache, set_file_limit
from corral.sdk.storage.progress import TransferBar
from corral.sdk.storage.registry import backend_for

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]
#: retries of transient failures, by default
RETRIES = 3


def _file_name(url: str) -> str:
    name = base_name(url)
    if name in ("", ".", ".."):
        raise ValidationError(f"{url} names a folder, not a file (use the *_folder methods)")
    return name


def _cache_name(name: str) -> str:
    if not isinstance(name, str) or name in ("", ".", "..") or "/" in name or "\\" in name:
        raise ValidationError(
            f"name={name!r}: give a plain file name (no folders) for the cached copy"
        )
    return name


def _download_folder(
    remote_url: str,
    local_folder: PathLike | None,
    match_wildcard: str | None,
    overwrite: bool,
    retries: int,
    max_workers: int | None,
) -> str:
    backend = backend_for(remote_url)
    folder = Path(local_folder).expanduser() if local_folder else None
    folder = folder or Path.cwd() / (base_name(remote_url.rstrip("/")) or "download")
    listing = backend.list(remote_url)
    if not listing:
        raise NotFoundError(f"no files below {remote_url}")
    root = folder.resolve()
    wanted = []
    for remote in listing:
        dest = folder / remote.name
        if ".." in remote.name.split("/") or not dest.resolve().is_relative_to(root):
            raise ValidationError(f"{remote_url}: {remote.name!r} would land outside {folder}")
        if _matches(remote.name, match_wildcard) and (overwrite or not dest.exists()):
            wanted.append((join_uri(remote_url, remote.name), dest, remote.size or 0))
    with TransferBar(f"download {folder.name}/", sum(size for *_, size in wanted)) as bar:
        jobs: builtins.list[Callable[[], object]] = []
        for url, dest, _ in wanted:
            dest.parent.mkdir(parents=True, exist_ok=True)
            jobs.append(partial(transfers.download, backend, url, dest, retries, bar.file()))
        transfers.run_all(jobs, max_workers)
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder)


def _matches(name: str, wildcard: str | None) -> bool:
    return (
        wildcard is None or fnmatch(name, wildcard) or fnmatch(posixpath.basename(name), wildcard)
    )


class StorageManager:
    """Files at storage URLs: upload, download, cache, list, delete (ClearML's names).

    Example::

        StorageManager.upload_folder("out/", "s3://bucket/runs/42/", match_wildcard="*.csv")
        local = StorageManager.get_local_copy("hub://datasets/imgs.zip", extract_archive=True)
    """

    @staticmethod
    def set_options(protocol: str, **options: Any) -> None:
        """Storage options of ``protocol`` for this process, over ``[storage.<protocol>]``.

        Called without options it drops the override. Example::

            StorageManager.set_options("s3", endpoint_url="http://127.0.0.1:9000")
        """
        backends.set_options(protocol, **options)

    @staticmethod
    def upload_file(
        local_file: PathLike,
        remote_url: str,
        wait_for_upload: bool = True,
        retries: int | None = None,
    ) -> str:
        """Upload a local file to ``remote_url`` (ending in ``/``: into that folder).

        With ``wait_for_upload=False`` the upload runs in a background thread and
        this returns at once; the file must stay until it is done (see
        :meth:`wait_for_uploads`). Returns the file's URL.

        Raises:
            NotFoundError: no such local file (at once, even in the background).

        Example::

            StorageManager.upload_file("model.pt", "s3://bucket/models/", wait_for_upload=False)
        """
        local = Path(local_file).expanduser()
        if not local.is_file():
            raise NotFoundError(f"no local file {local}")
        retries = RETRIES if retries is None else retries
        if remote_url.endswith("/"):
            remote_url = join_uri(remote_url, local.name)
        backend = backend_for(remote_url)
        if not wait_for_upload:
            transfers.background.submit(
                partial(transfers.upload, backend, local, remote_url, retries, None)
            )
            return remote_url
        with TransferBar(f"upload {local.name}") as bar:
            return transfers.upload(backend, local, remote_url, retries, bar.file())

    @staticmethod
    def wait_for_uploads(timeout: float | None = None) -> builtins.list[str]:
        """Wait for the background uploads; returns their URLs.

        Raises:
            CorralError: the first upload that failed (the others are logged).
            TimeoutError: some are still running after ``timeout`` seconds.

        Example::

            urls = StorageManager.wait_for_uploads(timeout=600)
        """
        return transfers.background.wait(timeout)

    @staticmethod
    def upload_folder(
        local_folder: PathLike,
        remote_url: str,
        match_wildcard: str | None = None,
        retries: int | None = None,
    ) -> str:
        """Upload every file below ``local_folder`` to ``remote_url``, keeping relative paths.

        ``match_wildcard`` (``"*.csv"``) keeps the files whose relative path or
        name matches. Returns ``remote_url``.

        Example::

            StorageManager.upload_folder("outputs", "hub://tasks/abc/outputs", match_wildcard="*.png")
        """
        root = Path(local_folder).expanduser()
        if not root.is_dir():
            raise NotFoundError(f"no local folder {root}")
        retries = RETRIES if retries is None else retries
        files = [
            (path, path.relative_to(root).as_posix())
            for path in sorted(root.rglob("*"))
            if path.is_file()
        ]
        files = [(path, rel) for path, rel in files if _matches(rel, match_wildcard)]
        backend = backend_for(remote_url)
        total = sum(path.stat().st_size for path, _ in files)
        with TransferBar(f"upload {root.name}/", total) as bar:
            transfers.run_all(
                [
                    partial(
                        transfers.upload,
                        backend,
                        path,
                        join_uri(remote_url, rel),
                        retries,
                        bar.file(),
                    )
                    for path, rel in files
                ]
            )
        return remote_url

    @staticmethod
    def download_file(
        remote_url: str,
        local_folder: PathLike | None = None,
        overwrite: bool = False,
        skip_zero_size_check: bool = False,
        silence_errors: bool = False,
        *,
        retries: int = RETRIES,
    ) -> str | None:
        """Download a file into ``local_folder`` (default: the current folder).

        An existing local file of that name is kept unless ``overwrite``. Returns its
        path; with ``silence_errors`` a failure is logged and ``None`` returned.
        ``skip_zero_size_check`` is accepted for ClearML's scripts: an empty remote
        file is downloaded as an empty file either way.

        Example::

            path = StorageManager.download_file("s3://bucket/data/train.csv", "data/")
        """
        try:
            dest = Path(local_folder or os.getcwd()).expanduser() / _file_name(remote_url)
            if dest.exists() and not overwrite:
                return str(dest)
            backend = backend_for(remote_url)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with TransferBar(f"download {dest.name}") as bar:
                transfers.download(backend, remote_url, dest, retries, bar.file())
            return str(dest)
        except CorralError as e:
            if not silence_errors:
                raise
            log.warning("download of %s failed: %s", remote_url, e)
            return None

    @staticmethod
    def download_folder(
        remote_url: str,
        local_folder: PathLike | None = None,
        match_wildcard: str | None = None,
        overwrite: bool = False,
        skip_zero_size_check: bool = False,
        silence_errors: bool = False,
        max_workers: int | None = None,
        *,
        retries: int = RETRIES,
    ) -> str | None:
        """Download every file below ``remote_url`` into ``local_folder``, keeping relative paths.

        ``local_folder`` defaults to ``./<name of the remote folder>``. Existing
        files are kept unless ``overwrite``. Returns the local folder; with
        ``silence_errors`` a failure is logged and ``None`` returned. ``max_workers``
        bounds the files fetched at once (default 8).

        Raises:
            NotFoundError: there is no file below ``remote_url``.
            ValidationError: a remote name would land outside ``local_folder``.

        Example::

            StorageManager.download_folder("hub://tasks/abc/outputs/", "outputs")
        """
        try:
            return _download_folder(
                remote_url, local_folder, match_wildcard, overwrite, retries, max_workers
            )
        except CorralError as e:
            if not silence_errors:
                raise
            log.warning("download of %s failed: %s", remote_url, e)
            return None

    @staticmethod
    def get_local_copy(
        remote_url: str,
        cache_context: str | None = None,
        extract_archive: bool = True,
        name: str | None = None,
        force_download: bool = False,
    ) -> str:
        """A local copy of ``remote_url``, from the cache while the remote is unchanged.

        A local file is returned as it is (unless ``name`` asks for a cached copy).
        With ``extract_archive`` (the default) a ``.zip`` or ``.tar(.gz)`` is
        extracted (safely) into a cached folder, whose path is returned. When the
        remote cannot be reached the last cached copy is used.

        Args:
            remote_url: ``hub://``, ``s3://``, ``gs://``, ``az://``, ``http(s)://``,
                ``file://`` or a local path.
            cache_context: a separate cache (its own folder and limits); default ``global``.
            extract_archive: extract an archive and return its folder.
            name: the file's name in the cache (default: the URL's last segment).
            force_download: fetch again even when the cached copy is current.

        Raises:
            NotFoundError: no file at ``remote_url`` (the server answered 404).
            NetworkError: the URL cannot be reached (connection refused, DNS, timeout),
                and nothing is cached.
            ServerUnavailableError: the server answered 5xx, and nothing is cached.

        Example::

            images = StorageManager.get_local_copy("s3://b/images.zip")
            weights = StorageManager.get_local_copy("https://x.org/dl?id=7", name="resnet.pt")
        """
        backend = backend_for(remote_url)
        cache = StorageCache(context=cache_context)
        file_name = _cache_name(name) if name is not None else _file_name(remote_url)
        try:
            info = backend.info(remote_url)
        except ServerUnavailableError:
            cached = cache.latest(remote_url, file_name, extract=extract_archive)
            if cached is None:
                raise
            log.warning("%s is out of reach; using the copy cached earlier", remote_url)
            return str(cached)
        if info is None:
            raise NotFoundError(f"no file at {remote_url}")
        local = backend.local_path(remote_url)
        if local is not None and not extract_archive and name is None:
            return str(local)

        def fetch(dest: Path) -> None:
            with TransferBar(f"download {file_name}") as bar:
                transfers.download(backend, remote_url, dest, RETRIES, bar.file())

        path = cache.get(
            remote_url,
            info.version,
            file_name,
            fetch,
            source=local if name is None else None,
            extract=extract_archive,
            force=force_download,
        )
        return str(path)

    @staticmethod
    def set_cache_file_limit(cache_file_limit: int, cache_context: str | None = None) -> int:
        """Keep at most ``cache_file_limit`` cached files in ``cache_context`` (this
        process; least recently used go first). Returns the limit.

        The size bound (``CORRAL_CACHE_MAX_GB``) holds as well.

        Example::

            StorageManager.set_cache_file_limit(100)
        """
        return set_file_limit(int(cache_file_limit), cache_context)

    @overload
    @staticmethod
    def list(
        remote_url: str, *, return_full_path: bool = ..., with_metadata: Literal[False] = ...
    ) -> builtins.list[str]: ...

    @overload
    @staticmethod
    def list(
        remote_url: str, *, return_full_path: bool = ..., with_metadata: Literal[True]
    ) -> builtins.list[dict[str, Any]]: ...

    @staticmethod
    def list(
        remote_url: str, *, return_full_path: bool = False, with_metadata: bool = False
    ) -> builtins.list[str] | builtins.list[dict[str, Any]]:
        """Every file below the folder ``remote_url`` (recursive), sorted.

        Names are relative to ``remote_url`` unless ``return_full_path``. With
        ``with_metadata``: ``{"name", "size", "last_modified"}`` dicts (epoch seconds).
        A missing folder lists nothing.

        Example::

            StorageManager.list("hub://tasks/abc/")  # ["artifacts/preds.csv", ...]
        """
        files = sorted(backend_for(remote_url).list(remote_url), key=lambda f: f.name)
        names = [join_uri(remote_url, f.name) if return_full_path else f.name for f in files]
        if not with_metadata:
            return names
        return [
            {"name": name, "size": f.size, "last_modified": f.modified}
            for name, f in zip(names, files, strict=True)
        ]

    @staticmethod
    def exists_file(remote_url: str) -> bool:
        """Whether a file (not a folder) is at ``remote_url``.

        Example::

            if not StorageManager.exists_file("s3://bucket/x.csv"): ...
        """
        return backend_for(remote_url).info(remote_url) is not None

    @staticmethod
    def get_file_size_bytes(remote_url: str, silence_errors: bool = False) -> int | None:
        """The size of the file at ``remote_url``; ``None`` if there is none (or, with
        ``silence_errors``, if it cannot be read).

        Example::

            StorageManager.get_file_size_bytes("hub://tasks/abc/model.pt")  # 52311
        """
        try:
            info = backend_for(remote_url).info(remote_url)
        except CorralError:
            if silence_errors:
                return None
            raise
        return None if info is None else info.size

    @staticmethod
    def get_metadata(remote_url: str, return_full_path: bool = False) -> dict[str, Any] | None:
        """``{"name", "size", "last_modified"}`` of the file at ``remote_url`` (epoch
        seconds); ``None`` if there is none. ``name`` is the base name unless
        ``return_full_path``.

        Example::

            StorageManager.get_metadata("s3://bucket/x.csv")  # {"name": "x.csv", "size": 12, ...}
        """
        info = backend_for(remote_url).info(remote_url)
        if info is None:
            return None
        return {
            "name": remote_url if return_full_path else info.name,
            "size": info.size,
            "last_modified": info.modified,
        }

    @staticmethod
    def delete(remote_url: str, recursive: bool = False) -> None:
        """Delete the file at ``remote_url``, or with ``recursive`` a folder and all below it.

        Raises:
            NotFoundError: nothing there.
            ConflictError: a folder, without ``recursive``.

        Example::

            StorageManager.delete("s3://bucket/tmp/", recursive=True)
        """
        backend_for(remote_url).delete(remote_url, recursive=recursive)
