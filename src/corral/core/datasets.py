"""Datasets' pure rules, shared by the hub and the SDK: paths, versions, patterns, compression.

* :func:`check_dataset_path`: a path inside a dataset is relative, ``/``-separated,
  without empty, ``.`` or ``..`` segments, backslashes or NUL; anything else could
  leave the dataset's folder when the version is fetched, so it is refused.
* Versions are semantic (``1.0.0``; ``2`` and ``2.1`` are ``2.0.0`` and ``2.1.0``):
  :func:`parse_version`, :func:`bump_version` (the last part), :func:`version_key`
  (a string that sorts like the version, for an index).
* :func:`glob_to_like`: a ``*``/``?`` glob as an SQL ``LIKE`` pattern (escape ``\\``).
* :func:`is_compressed_name`: files that are compressed already (images, archives,
  media, columnar formats) are stored as they are, never deflated again.
* :func:`is_blob_member`: an archive member name is a blob content id (64 hex), never a
  path, so extracting a chunk can write nothing but content-addressed files.
"""

from __future__ import annotations

import posixpath
import re

from corral.errors import ValidationError

__all__ = [
    "COMPRESSED_SUFFIXES",
    "bump_version",
    "check_dataset_path",
    "format_version",
    "glob_to_like",
    "is_blob_member",
    "is_compressed_name",
    "join_dataset_path",
    "parse_version",
    "version_key",
]

PATH_MAX = 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_VERSION = re.compile(r"^\d{1,6}(\.\d{1,6}){0,2}$")

#: suffixes of formats that are compressed already: deflating them again costs time, saves nothing
COMPRESSED_SUFFIXES = frozenset(
    {
        ".7z", ".avi", ".avif", ".br", ".bz2", ".flac", ".gif", ".gz", ".heic", ".jpeg",
        ".jpg", ".lz4", ".m4a", ".mkv", ".mov", ".mp3", ".mp4", ".npz", ".ogg", ".orc",
        ".parquet", ".pdf", ".png", ".pt", ".rar", ".tfrecord", ".tgz", ".webm", ".webp",
        ".xz", ".zip", ".zst",
    }
)  # fmt: skip


def check_dataset_path(path: str) -> str:
    """``path`` when it is a valid path inside a dataset, else :class:`ValidationError`.

    Example::

        check_dataset_path("images/cat.jpg")   # 'images/cat.jpg'
        check_dataset_path("../etc/passwd")    # ValidationError
    """
    if not isinstance(path, str) or not path:
        raise ValidationError("a dataset path may not be empty")
    if len(path) > PATH_MAX:
        raise ValidationError(f"dataset path longer than {PATH_MAX} characters: {path[:80]!r}...")
    if "\\" in path or "\x00" in path:
        raise ValidationError(
            f"dataset path {path!r} has a backslash or NUL: use '/' between folders"
        )
    if path.startswith("/"):
        raise ValidationError(
            f"dataset path {path!r} is absolute: give it relative to the dataset root"
        )
    if any(part in ("", ".", "..") for part in path.split("/")):
        raise ValidationError(
            f"dataset path {path!r} has an empty, '.' or '..' part: it must stay inside the dataset"
        )
    return path


def join_dataset_path(folder: str | None, relative: str) -> str:
    """``folder/relative`` (``folder`` may be empty or ``None``), checked."""
    folder = (folder or "").strip("/")
    joined = posixpath.join(folder, relative) if folder else relative
    return check_dataset_path(joined)


def parse_version(text: str) -> tuple[int, int, int]:
    """``"1.2"`` -> ``(1, 2, 0)``; :class:`ValidationError` for anything else."""
    text = (text or "").strip()
    if not _VERSION.match(text):
        raise ValidationError(
            f"version {text!r} is not a semantic version: give it as MAJOR.MINOR.PATCH, e.g. 1.0.0"
        )
    parts = [int(p) for p in text.split(".")] + [0, 0]
    return parts[0], parts[1], parts[2]


def format_version(parts: tuple[int, int, int]) -> str:
    return ".".join(str(p) for p in parts)


def bump_version(text: str | None) -> str:
    """The version after ``text`` (its patch part + 1); ``1.0.0`` when there is none."""
    if not text:
        return "1.0.0"
    major, minor, patch = parse_version(text)
    return format_version((major, minor, patch + 1))


def version_key(text: str) -> str:
    """A string that sorts as the version does (``1.10.0`` after ``1.9.0``)."""
    return ".".join(f"{p:06d}" for p in parse_version(text))


def glob_to_like(pattern: str) -> str:
    """A ``*``/``?`` glob (matched on the whole path) as an SQL LIKE pattern, escape ``\\``.

    ``[...]`` classes are refused: SQL ``LIKE`` has no such thing.
    """
    if "[" in pattern or "]" in pattern:
        raise ValidationError(
            f"pattern {pattern!r}: only '*' and '?' are supported, not [...] classes"
        )
    out = []
    for ch in pattern:
        if ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        elif ch in "%_\\":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def is_compressed_name(name: str) -> bool:
    """Is ``name`` (a path) a format that is compressed already?"""
    return posixpath.splitext(name.lower())[1] in COMPRESSED_SUFFIXES


def is_blob_member(name: str) -> bool:
    """May an archive member be called ``name``? Only a content id (64 lowercase hex)."""
    return bool(_HEX64.match(name))
