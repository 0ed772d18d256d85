"""A version's file index on the hub, read and changed by folder, pattern or path.

The helpers of ``Dataset.list_files``, ``Dataset.remove_files`` and ``file_entries``.
A *folder* takes everything below it; a *pattern* has ``*`` or ``?`` (``fnmatch``
rules, matched on the file name or the whole path); anything else is one path. A
leading ``/`` means the dataset's root (as in ClearML).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from corral.datasets.index import matches
from corral.errors import ValidationError
from corral.schemas.datasets import FILES_PER_BATCH

if TYPE_CHECKING:
    from corral.client.http import HubClient


@dataclass(frozen=True)
class FileEntry:
    """One file of a version (ClearML's ``FileEntry``: ``relative_path``, ``hash``, ``size``).

    Attributes:
        change: against the parents: ``unchanged``, ``added`` or ``modified``.
        blob_id: the blob holding its bytes (``None`` while pending or for a link).
        link: the outside URL of a file added with ``add_external_files``.
        local_path: where the bytes were on the adding machine (until final).
    """

    relative_path: str
    size: int
    hash: str
    change: str = "unchanged"
    blob_id: str | None = None
    link: str | None = None
    local_path: str | None = None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> FileEntry:
        return cls(
            relative_path=row["path"],
            size=int(row["size"]),
            hash=row["sha256"],
            change=row.get("change", "unchanged"),
            blob_id=row.get("blob_id"),
            link=row.get("external_url"),
            local_path=row.get("source"),
        )


def _is_pattern(text: str) -> bool:
    return "*" in text or "?" in text


def list_paths(
    client: HubClient, version_id: str, dataset_path: str | None, recursive: bool
) -> Iterator[str]:
    """Paths under a folder, matching a pattern, or all; sorted; one page at a time.

    ``recursive=False``: a folder's own files only; a pattern's matches at its depth.
    """
    pattern = (dataset_path or "").lstrip("/")
    wild = _is_pattern(pattern)
    prefix = None if wild or not pattern else pattern.rstrip("/") + "/"
    depth = pattern.count("/") if wild else 0
    found = False
    for row in client.datasets.iter_files(version_id, prefix=prefix):
        path = row["path"]
        if wild and not matches(path, [pattern]):
            continue
        rest = path[len(prefix) :] if prefix else path
        if not recursive and rest.count("/") > depth:
            continue
        found = True
        yield path
    if prefix and not found:  # not a folder: perhaps one file named exactly
        rows = client.datasets.files(version_id, prefix=pattern, limit=10).get("items", [])
        yield from (r["path"] for r in rows if r["path"] == pattern)


def remove(client: HubClient, version_id: str, dataset_path: str | None, recursive: bool) -> int:
    """Remove a path, a folder or a pattern's matches; how many files went."""
    target = (dataset_path or "").lstrip("/")
    if not target:
        raise ValidationError("remove_files needs dataset_path: a file, a folder or a pattern")
    if not _is_pattern(target):
        return int(client.datasets.remove_files(version_id, paths=[target.rstrip("/")])["removed"])
    if recursive:  # the hub matches the pattern on the whole path, '*' across folders
        return int(client.datasets.remove_files(version_id, pattern=target)["removed"])
    depth = target.count("/")
    shallow = [
        row["path"]
        for row in client.datasets.iter_files(version_id)
        if row["path"].count("/") == depth and fnmatch.fnmatchcase(row["path"], target)
    ]
    removed = 0
    for i in range(0, len(shallow), FILES_PER_BATCH):
        part = shallow[i : i + FILES_PER_BATCH]
        removed += int(client.datasets.remove_files(version_id, paths=part)["removed"])
    return removed


__all__ = ["FileEntry", "list_paths", "remove"]
