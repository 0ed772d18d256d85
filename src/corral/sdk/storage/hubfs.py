"""The hub's file store over HTTP (``/api/v1/files/<path>``), for ``hub://<path>`` URLs.

Functions take store paths (``tasks/<id>/artifacts/x.csv``, no ``hub://``) and use
the SDK's process-wide client (:func:`corral.sdk.session.hub_client`).

* :func:`hub_put` hashes the file in one pass, then streams it with
  ``X-Content-SHA256``: the hub stores nothing unless every byte arrived intact.
* :func:`hub_get` streams into ``<dest>.part`` and moves it into place when whole.
  A ``.part`` left by an interrupted download is resumed with ``Range``, guarded by
  ``If-Range`` with the ETag kept in ``<dest>.part.etag``: if the file changed
  meanwhile the hub sends all of it again and the stale part is dropped.
* Errors: a missing file is ``NotFoundError`` naming ``hub://<path>``; the hub out
  of reach (or cut off mid-transfer) is ``ServerUnavailableError``.

Example::

    hub_put(Path("preds.csv"), "tasks/abc/artifacts/preds.csv")
    hub_get("tasks/abc/artifacts/preds.csv", Path("/tmp/preds.csv"))
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from corral.errors import (
    AuthError,
    NotFoundError,
    ServerUnavailableError,
    ValidationError,
    error_for_status,
)
from corral.sdk.session import hub_client
from corral.sdk.storage.backends import HUB, RemoteFile, StorageBackend
from corral.sdk.storage.progress import ProgressFn

FILES = "/api/v1/files"
#: bytes per read and per request chunk
CHUNK = 1024 * 1024


def _url(path: str) -> str:
    # the hub refuses these too (422); checked here so that a 422 to HEAD means "a folder"
    segments = path.split("/")
    if not path or any(s in ("", ".", "..") for s in segments) or "\\" in path:
        raise ValidationError(
            f"invalid hub path {path!r}: use relative, /-separated names "
            "without empty, '.' or '..' segments, as in hub://tasks/<id>/file.csv"
        )
    return FILES + "/" + "/".join(quote(segment, safe="") for segment in path.split("/"))


def _uri(path: str) -> str:
    return f"{HUB}://{path}"


def _error(response: httpx.Response, path: str) -> Exception:
    if response.status_code == 404:
        return NotFoundError(f"no file at {_uri(path)}")
    try:
        body = response.json()
        detail = body.get("detail") or body.get("title") or response.reason_phrase
        errors = body.get("errors") or []
    except ValueError:  # HEAD, or not problem+json
        detail, errors = response.text[:500] or response.reason_phrase, []
    if response.status_code == 401:
        return AuthError(f"{_uri(path)}: {detail} (run `corral login` to store credentials)")
    return error_for_status(response.status_code, f"{_uri(path)}: {detail}", errors)


def _unreachable(e: httpx.TransportError, path: str) -> ServerUnavailableError:
    where = hub_client().creds.url
    return ServerUnavailableError(f"cannot reach the hub at {where} for {_uri(path)}: {e}")


def _send(method: str, path: str, **kwargs: Any) -> httpx.Response:
    try:
        response = hub_client().http.request(method, _url(path), **kwargs)
    except httpx.TransportError as e:
        raise _unreachable(e, path) from e
    if response.status_code >= 400:
        raise _error(response, path)
    return response


@contextmanager
def _stream(path: str, headers: dict[str, str]) -> Iterator[httpx.Response]:
    try:
        with hub_client().http.stream("GET", _url(path), headers=headers) as response:
            yield response
    except httpx.TransportError as e:
        raise _unreachable(e, path) from e


def sha256_of(local: Path) -> str:
    """The SHA-256 of a local file, read in chunks."""
    digest = hashlib.sha256()
    with local.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def hub_put(local: Path, path: str, *, progress: ProgressFn | None = None) -> dict[str, Any]:
    """Upload ``local`` to the hub at ``path``, streamed.

    Returns:
        The hub's answer: ``{"path", "size", "sha256", "uri"}``.

    Raises:
        ValidationError: the file changed while it was sent (checksum mismatch).

    Example::

        hub_put(Path("model.pt"), "tasks/abc/models/model.pt")["uri"]
    """
    size = local.stat().st_size
    digest = sha256_of(local)

    def body() -> Iterator[bytes]:
        done = 0
        if progress:
            progress(0, size)
        with local.open("rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk
                done += len(chunk)
                if progress:
                    progress(done, size)

    headers = {
        "Content-Length": str(size),
        "Content-Type": "application/octet-stream",
        "X-Content-SHA256": digest,
    }
    result: dict[str, Any] = _send("PUT", path, content=body(), headers=headers).json()
    return result


def hub_get(path: str, dest: Path, *, progress: ProgressFn | None = None) -> dict[str, Any]:
    """Download the hub's file at ``path`` into ``dest``, resuming a ``<dest>.part``.

    Returns:
        ``{"path", "size", "etag", "resumed_from"}`` (``resumed_from``: bytes already there).

    Example::

        hub_get("tasks/abc/artifacts/preds.csv", Path("preds.csv"))
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    tag_file = dest.with_name(dest.name + ".part.etag")
    offset = part.stat().st_size if part.exists() else 0
    etag = tag_file.read_text().strip() if offset and tag_file.exists() else ""
    headers = {"Range": f"bytes={offset}-", "If-Range": etag} if offset and etag else {}
    with _stream(path, headers) as response:
        if response.status_code == 416:  # the part is not a prefix of the file any more
            response.close()
            part.unlink(missing_ok=True)
            tag_file.unlink(missing_ok=True)
            return hub_get(path, dest, progress=progress)
        if response.status_code >= 400:
            response.read()
            raise _error(response, path)
        if response.status_code != 206 or not response.headers.get("content-range", "").startswith(
            f"bytes {offset}-"
        ):
            offset = 0  # the whole file came: start over
        etag = response.headers.get("etag", "")
        tag_file.write_text(etag)
        total = offset + int(response.headers.get("content-length", "0"))
        done = offset
        with part.open("r+b" if offset else "wb") as f:
            f.seek(offset)
            f.truncate()
            if progress:
                progress(done, total)
            try:
                for chunk in response.iter_bytes(CHUNK):
                    f.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
            except httpx.TransportError as e:
                raise _unreachable(e, path) from e
    if done != total:
        raise ServerUnavailableError(f"{_uri(path)}: the download ended at {done} of {total} bytes")
    os.replace(part, dest)
    tag_file.unlink(missing_ok=True)
    return {"path": path, "size": total, "etag": etag, "resumed_from": offset}


def hub_head(path: str) -> dict[str, Any] | None:
    """The file's ``{"path", "size", "etag", "modified"}``, or ``None`` when there is no file.

    ``modified`` is in seconds since the epoch (from ``Last-Modified``). A folder
    is no file either (the hub answers 422 to it; malformed paths never get sent).

    Example::

        if hub_head("tasks/abc/data.csv") is None: ...
    """
    _url(path)  # a malformed path is an error, not "no file"
    try:
        headers = _send("HEAD", path).headers
    except (NotFoundError, ValidationError):
        return None
    modified = None
    if "last-modified" in headers:
        modified = parsedate_to_datetime(headers["last-modified"]).timestamp()
    return {
        "path": path,
        "size": int(headers.get("content-length", "0")),
        "etag": headers.get("etag"),
        "modified": modified,
    }


def hub_list(prefix: str, recursive: bool = True) -> list[dict[str, Any]]:
    """The entries below the folder ``prefix`` (``""``: the root), every page of them.

    With ``recursive`` every file below it; otherwise its files and subfolders.
    Items are ``{"path", "size", "modified", "is_dir"}``; a missing folder lists nothing.

    Example::

        [e["path"] for e in hub_list("tasks/abc/")]
    """
    prefix = prefix.strip("/")
    params: dict[str, str] = {"prefix": prefix + "/" if prefix else "", "recursive": "true"}
    if not recursive:
        params["recursive"] = "false"
    items: list[dict[str, Any]] = []
    while True:
        try:
            response = hub_client().http.get(FILES, params=params)
        except httpx.TransportError as e:
            raise _unreachable(e, prefix) from e
        if response.status_code >= 400:
            raise _error(response, prefix)
        page = response.json()
        items.extend(page["items"])
        if not page.get("next_cursor"):
            return items
        params["cursor"] = page["next_cursor"]


def hub_delete(path: str, recursive: bool = False) -> None:
    """Delete a file, an empty folder, or with ``recursive`` a folder and all in it.

    Example::

        hub_delete("tasks/abc/tmp", recursive=True)
    """
    _send("DELETE", path, params={"recursive": "true"} if recursive else None)


def _timestamp(iso: str) -> float:
    # Python 3.10's fromisoformat does not take the "Z" pydantic writes
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class HubBackend(StorageBackend):
    """``hub://<path>`` URLs: the hub's file store, with the SDK's credentials."""

    @staticmethod
    def path_of(url: str) -> str:
        """The store path of a ``hub://`` URL (no leading or trailing slash)."""
        _, _, rest = url.partition("://")
        return rest.strip("/")

    def upload(self, local: Path, url: str, progress: ProgressFn | None = None) -> None:
        hub_put(local, self.path_of(url), progress=progress)

    def download(self, url: str, dest: Path, progress: ProgressFn | None = None) -> None:
        hub_get(self.path_of(url), dest, progress=progress)

    def info(self, url: str) -> RemoteFile | None:
        head = hub_head(self.path_of(url))
        if head is None:
            return None
        name = head["path"].rsplit("/", 1)[-1]
        return RemoteFile(name, head["size"], head["modified"], head["etag"])

    def list(self, url: str) -> list[RemoteFile]:
        prefix = self.path_of(url)
        skip = len(prefix) + 1 if prefix else 0
        return [
            RemoteFile(
                item["path"][skip:],
                item["size"],
                _timestamp(item["modified"]),
                f"{item['size']}:{item['modified']}",
            )
            for item in hub_list(prefix, recursive=True)
            if not item["is_dir"]
        ]

    def delete(self, url: str, recursive: bool = False) -> None:
        hub_delete(self.path_of(url), recursive=recursive)
