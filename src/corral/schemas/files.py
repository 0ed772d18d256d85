"""Files of the hub's store on the wire (``/api/v1/files``)."""

from __future__ import annotations

from datetime import datetime

from corral.schemas.common import Output


class FileOut(Output):
    """A stored file, as an upload answers it."""

    path: str
    size: int
    sha256: str
    #: ``hub://<path>``: how artifacts and models refer to it
    uri: str


class FileEntry(Output):
    """One entry of a listing."""

    path: str
    #: None for a directory
    size: int | None
    modified: datetime
    is_dir: bool
