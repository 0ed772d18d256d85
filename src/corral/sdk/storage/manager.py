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

from corral.errors import NotFoundError, ServerUnavailableError, ValidationError
from corral.sdk.storage import backends, transfers
from corral.sdk.storage.backends import base_name, join_uri
from corral.sdk.storage.cache import StorageCache
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
        *,
        wait_for_upload: bool = True,
        retries: int = RETRIES,
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
        *,
        match_wildcard: str | None = None,
        retries: int = RETRIES,
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
        *,
        overwrite: bool = False,
        retries: int = RETRIES,
    ) -> str:
        """Download a file into ``local_folder`` (default: the current folder).

        An existing local file of that name is kept unless ``overwrite``. Returns its path.

        Example::

            path = StorageManager.download_file("s3://bucket/data/train.csv", "data/")
        """
        dest = Path(local_folder or os.getcwd()).expanduser() / _file_name(remote_url)
        if dest.exists() and not overwrite:
            return str(dest)
        backend = backend_for(remote_url)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with TransferBar(f"download {dest.name}") as bar:
            transfers.download(backend, remote_url, dest, retries, bar.file())
        return str(dest)

    @staticmethod
    def download_folder(
        remote_url: str,
        local_folder: PathLike | None = None,
        *,
        match_wildcard: str | None = None,
        overwrite: bool = False,
        retries: int = RETRIES,
    ) -> str:
        """Download every file below ``remote_url`` into ``local_folder``, keeping relative paths.

        ``local_folder`` defaults to ``./<name of the remote folder>``. Existing
        files are kept unless ``overwrite``. Returns the local folder.

        Raises:
            NotFoundError: there is no file below ``remote_url``.
            ValidationError: a remote name would land outside ``local_folder``.

        Example::

            StorageManager.download_folder("hub://tasks/abc/outputs/", "outputs")
        """
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
            transfers.run_all(jobs)
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder)

    @staticmethod
    def get_local_copy(
        remote_url: str, *, extract_archive: bool = False, force_download: bool = False
    ) -> str:
        """A local copy of ``remote_url``, from the cache while the remote is unchanged.

        A local file is returned as it is. With ``extract_archive`` a ``.zip`` or
        ``.tar(.gz)`` is extracted (safely) into a cached folder, whose path is
        returned. When the remote cannot be reached the last cached copy is used.

        Raises:
            NotFoundError: no file at ``remote_url``.
            ServerUnavailableError: out of reach, and nothing cached.

        Example::

            images = StorageManager.get_local_copy("s3://b/images.zip", extract_archive=True)
        """
        backend = backend_for(remote_url)
        cache = StorageCache()
        name = _file_name(remote_url)
        try:
            info = backend.info(remote_url)
        except ServerUnavailableError:
            cached = cache.latest(remote_url, name, extract=extract_archive)
            if cached is None:
                raise
            log.warning("%s is out of reach; using the copy cached earlier", remote_url)
            return str(cached)
        if info is None:
            raise NotFoundError(f"no file at {remote_url}")
        local = backend.local_path(remote_url)
        if local is not None and not extract_archive:
            return str(local)

        def fetch(dest: Path) -> None:
            with TransferBar(f"download {name}") as bar:
                transfers.download(backend, remote_url, dest, RETRIES, bar.file())

        path = cache.get(
            remote_url,
            info.version,
            name,
            fetch,
            source=local,
            extract=extract_archive,
            force=force_download,
        )
        return str(path)

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
    def get_file_size_bytes(remote_url: str) -> int | None:
        """The size of the file at ``remote_url``; ``None`` if there is none.

        Example::

            StorageManager.get_file_size_bytes("hub://tasks/abc/model.pt")  # 52311
        """
        info = backend_for(remote_url).info(remote_url)
        return None if info is None else info.size

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
