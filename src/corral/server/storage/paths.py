"""The path policy of every file store: which store paths exist, so none can leave the store.

Clients name files with store paths such as ``tasks/<task id>/artifacts/data.csv``
(``hub://`` URIs, see ``uris.py``). Every path from outside goes through
:func:`check_path` before a store touches anything. A path is relative,
``/``-separated, without ``.``/``..``/empty segments, backslashes, control
characters, ``%XX`` escapes (no second decoding can turn it into something else)
or a drive letter; segments are at most 255 bytes, the path at most 1024
characters; the top-level ``.tmp`` directory is the store's own.

What depends on the medium (symbolic links on a disk) is checked by the
implementation on top of this (``LocalFileStore.locate``).
"""

from __future__ import annotations

import re

from corral.errors import ValidationError

__all__ = [
    "PATH_MAX",
    "SEGMENT_MAX",
    "TMP_DIR",
    "as_dir",
    "check_path",
    "refuse",
    "segment_problem",
]

#: the longest store path, in characters
PATH_MAX = 1024
#: the longest path segment (file or directory name), in UTF-8 bytes
SEGMENT_MAX = 255
#: the store's private top-level directory (uploads in progress, trees being deleted)
TMP_DIR = ".tmp"

_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_DRIVE = re.compile(r"^[A-Za-z]:(/|$)")


def refuse(path: str, why: str) -> ValidationError:
    """The 422 for a path the store will not use (the path is shortened in the message)."""
    shown = path if len(path) <= 200 else path[:200] + "..."
    return ValidationError(
        f"invalid file path {shown!r}: {why}",
        errors=[{"loc": ["path", "path"], "msg": why, "type": "value_error"}],
    )


def segment_problem(segment: str) -> str | None:
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

    Example::

        check_path("tasks/abc/artifacts/data.csv")  # -> the same string
        check_path("tasks/../../etc/passwd")        # ValidationError
    """
    if not path:
        raise refuse(path, "the path is empty")
    if len(path) > PATH_MAX:
        raise refuse(path, f"the path is longer than {PATH_MAX} characters")
    if path.startswith("/") or _DRIVE.match(path):
        raise refuse(path, "the path must be relative to the store")
    segments = path.split("/")
    for segment in segments:
        problem = segment_problem(segment)
        if problem:
            raise refuse(path, problem)
    if segments[0].lower() == TMP_DIR:
        raise refuse(path, f"'{TMP_DIR}' is the store's private directory")
    return path


def as_dir(path: str) -> str:
    """``path`` without the one trailing ``/`` that may mark a directory ("/" stays)."""
    return path[:-1] if len(path) > 1 and path.endswith("/") else path
