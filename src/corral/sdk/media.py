"""What a debug sample is made of: a file, a stream's bytes, or a URL recorded as it is.

:func:`media_source` checks the arguments of ``Logger.report_media`` and
``Logger.report_image`` (exactly one source) and says what to upload, or which URL
to record; :func:`read_stream` reads a stream (binary or text) to bytes.
"""

from __future__ import annotations

import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["MediaSource", "content_type_of", "media_source", "normal_extension", "read_stream"]


@dataclass(frozen=True)
class MediaSource:
    """One sample's content: exactly one of ``path``, ``data``, ``url`` is set.

    Attributes:
        path: a local file to upload.
        data: bytes to upload (a stream's content).
        url: a URL recorded as it is (nothing is uploaded).
        ext: the file extension of the stored file (``".mp4"``), ``""`` when unknown.
    """

    path: Path | None = None
    data: bytes | None = None
    url: str | None = None
    ext: str = ""


def normal_extension(ext: str | None) -> str:
    """``"mp4"``, ``".mp4"`` -> ``".mp4"``; ``None`` or ``""`` -> ``""``.

    Example:
        >>> normal_extension("wav")
        '.wav'
    """
    if not ext:
        return ""
    ext = str(ext).strip()
    return ext if ext.startswith(".") else f".{ext}"


def content_type_of(name: str) -> str:
    """The content type guessed from a file name or URL path ("application/octet-stream").

    Example:
        >>> content_type_of("https://example.com/clip.mp4?x=1")
        'video/mp4'
    """
    path = name.split("?", 1)[0].split("#", 1)[0]
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


def read_stream(stream: Any) -> bytes:
    """All that is left in ``stream`` (a binary or text file object), as bytes.

    Raises:
        TypeError: ``stream`` has no ``read()`` or gives neither bytes nor text.
    """
    read = getattr(stream, "read", None)
    if not callable(read):
        raise TypeError(
            f"stream must be a file object (io.BytesIO, open(..., 'rb')), not {type(stream).__name__}"
        )
    content = read()
    if isinstance(content, str):
        return content.encode("utf-8")
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content)
    raise TypeError(f"stream.read() gave {type(content).__name__}, not bytes or text")


def media_source(
    what: str,
    *,
    local_path: str | os.PathLike[str] | None = None,
    stream: Any = None,
    url: str | None = None,
    file_extension: str | None = None,
) -> MediaSource:
    """Check that exactly one source is given and describe it.

    Args:
        what: the calling method, for messages (``"report_media"``).
        local_path: a file to upload.
        stream: a file object to read and upload; ``file_extension`` is required when
            the stream has no file name (``io.BytesIO``).
        url: a URL to record as it is.
        file_extension: the extension of the stored file (overrides the file's own).

    Raises:
        ValueError: no source or several; a stream with no name and no ``file_extension``.
        FileNotFoundError: ``local_path`` does not exist.

    Example:
        >>> media_source("report_media", url="https://example.com/a.mp4").url
        'https://example.com/a.mp4'
    """
    given = [
        n
        for n, v in (("local_path", local_path), ("stream", stream), ("url", url))
        if v is not None
    ]
    if len(given) != 1:
        got = f"got {', '.join(given)}" if given else "got none"
        raise ValueError(f"{what} needs exactly one of local_path=, stream= or url= ({got})")
    ext = normal_extension(file_extension)
    if url is not None:
        if not isinstance(url, str) or not url.strip():
            raise ValueError(f"{what}: url must be a non-empty string")
        return MediaSource(url=url, ext=ext)
    if local_path is not None:
        path = Path(local_path).absolute()  # an upload may be replayed from another folder
        if not path.is_file():
            raise FileNotFoundError(f"{what}: no file at {path}")
        return MediaSource(path=path, ext=ext or path.suffix)
    name = getattr(stream, "name", None)
    if not ext and isinstance(name, str):
        ext = Path(name).suffix
    if not ext:
        raise ValueError(
            f"{what}: a stream without a file name needs file_extension= (e.g. '.mp4')"
        )
    return MediaSource(data=read_stream(stream), ext=ext)
