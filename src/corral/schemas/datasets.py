"""Datasets on the wire: versions (tasks of type ``data_processing``), file index, blobs, diffs.

A dataset is a ``(project, name)``; each *version* of it is a task with a semantic
version (``1.0.0``), parents (a DAG), a state (``draft`` -> ``uploading`` ->
``final``) and a file index: one row per file (path, size, sha256, and the blob that
holds its bytes). A version's index holds its parents' files merged (later parents
win) plus its own changes, so a version lists, diffs and downloads on its own.

Blobs are addressed by the SHA-256 of their bytes: a *chunk* is a zip archive of small
files whose member names are the files' SHA-256 (content addressed, so a file
present in any ancestor is never uploaded again and a rename costs nothing); a
*file* blob is one large file stored whole (its id is the file's own SHA-256).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from corral.schemas.common import PROJECT_NAME_MAX, Id, Input, Name, NewId, Output, Tags, Text

#: most entries in one ``POST /datasets/{id}/files`` or ``files:remove`` body
FILES_PER_BATCH = 10_000
#: largest ``limit`` of the file listing and diff endpoints (independent of the page size)
FILES_PAGE_MAX = 10_000
#: most ids in ``contents`` of one blob registration
CONTENTS_MAX = 200_000
#: longest path inside a dataset
DATASET_PATH_MAX = 1024
#: longest URL of an external file or blob
URL_MAX = 4096

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
DatasetPath = Annotated[str, StringConstraints(min_length=1, max_length=DATASET_PATH_MAX)]
Version = Annotated[
    str, StringConstraints(pattern=r"^\d{1,6}(\.\d{1,6}){0,2}$", strip_whitespace=True)
]
Url = Annotated[str, StringConstraints(min_length=1, max_length=URL_MAX)]
ProjectRef = Annotated[str, StringConstraints(min_length=1, max_length=PROJECT_NAME_MAX)]

State = Literal["draft", "uploading", "final"]
BlobKind = Literal["chunk", "file"]
#: how the members of a chunk (or a whole file) are stored
Compression = Literal["none", "deflate"]
#: a row of a version's index against its parents
Change = Literal["unchanged", "added", "modified"]
DiffChange = Literal["added", "removed", "modified"]


class DatasetCreate(Input):
    """Create a dataset version (a new task of type ``data_processing``).

    ``version`` defaults to the highest version of the same ``(project, name)`` with
    its last part bumped (``1.0.3`` -> ``1.0.4``), ``1.0.0`` for the first. Parents
    must be ``final`` (409) and readable (404); the new version starts with their
    files merged (a later parent's file wins over an earlier one's at the same path).
    """

    id: NewId | None = None
    name: Name
    project: ProjectRef | None = None
    project_id: Id | None = None
    version: Version | None = None
    parents: Annotated[list[Id], Field(max_length=100)] = []
    tags: Tags = []
    description: Text = ""
    #: where ``upload`` stores the blobs (``s3://bucket/prefix``...); empty: the hub
    output_uri: Annotated[str, StringConstraints(max_length=URL_MAX)] = ""


class DatasetUpdate(Input):
    """Fields to change; a ``final`` version accepts ``tags`` and ``description`` only."""

    description: Text | None = None
    tags: Tags | None = None
    version: Version | None = None
    output_uri: Annotated[str | None, StringConstraints(max_length=URL_MAX)] = None


class DatasetMove(Input):
    """``POST /datasets/{id}:move``: every version of the dataset moves to ``project``."""

    project: ProjectRef


class DatasetSquash(Input):
    """``POST /datasets:squash``: one new ``final`` version, the given versions merged.

    Later ids win at the same path; nothing is uploaded (the blobs are shared).
    """

    name: Name
    project: ProjectRef | None = None
    ids: Annotated[list[Id], Field(min_length=2, max_length=100)]
    version: Version | None = None
    tags: Tags = []


class DatasetStats(Output):
    """Counts of a version; ``added``/``modified``/``removed`` are against its parents."""

    file_count: int = 0
    total_size: int = 0
    added: int = 0
    modified: int = 0
    removed: int = 0
    added_bytes: int = 0
    modified_bytes: int = 0
    removed_bytes: int = 0
    #: files whose bytes are not stored yet (``upload`` sends them)
    pending_count: int = 0
    pending_bytes: int = 0
    #: files that are links to outside storage (``add_external_files``)
    external_count: int = 0


class DatasetVersion(Output):
    id: str
    name: str
    project_id: str
    project: str = ""
    version: str
    state: State
    #: the task's status (``created`` while a draft, ``completed`` once final)
    status: str
    description: str = ""
    tags: list[str] = []
    parents: list[str] = []
    user_id: str | None = None
    user: str = ""
    output_uri: str = ""
    created_at: datetime
    last_update: datetime | None = None
    finalized_at: datetime | None = None
    stats: DatasetStats = Field(default_factory=DatasetStats)


class DatasetName(Output):
    """A dataset (all versions of one ``(project, name)``), for listings by project."""

    project_id: str
    project: str
    name: str
    versions: int
    #: the highest version, and its id
    latest_version: str
    latest_id: str
    last_update: datetime | None = None


class DatasetDeleted(Output):
    """What ``DELETE /datasets/{id}`` removed.

    Blobs in the hub's store are removed by the hub; ``external_uris`` are blobs in
    outside storage (``s3://``...) that no version uses any more: the client that
    asked for the delete removes them with its own credentials.
    """

    deleted: list[str]
    freed_blobs: int = 0
    freed_bytes: int = 0
    external_uris: list[str] = []


class FileIn(Input):
    """One file of ``POST /datasets/{id}/files``.

    ``source`` is where the bytes are on the adding machine (kept until the version is
    final so that an interrupted ``upload`` can resume from another process);
    ``external_url`` makes the entry a link that is never uploaded.
    """

    path: DatasetPath
    size: Annotated[int, Field(ge=0)]
    sha256: Sha256
    source: Annotated[str | None, StringConstraints(max_length=URL_MAX)] = None
    external_url: Url | None = None


class FilesIn(Input):
    files: Annotated[list[FileIn], Field(min_length=1, max_length=FILES_PER_BATCH)]


class FilesAdded(Output):
    """What one batch did: new paths, changed paths, paths already so; and how many of
    them still need their bytes uploaded (no blob in this version or its ancestors)."""

    added: int = 0
    modified: int = 0
    unchanged: int = 0
    pending: int = 0


class FilesRemove(Input):
    """``POST /datasets/{id}/files:remove``: exact ``paths`` (a folder takes everything
    under it), or one glob ``pattern`` (``*`` and ``?``, matched on the whole path)."""

    paths: Annotated[list[DatasetPath], Field(max_length=FILES_PER_BATCH)] = []
    pattern: DatasetPath | None = None


class FilesRemoved(Output):
    removed: int


class DatasetFile(Output):
    """One row of a version's index. ``blob_uri`` is ``hub://...`` for blobs in the
    hub's store (read them through ``GET /datasets/{id}/blobs/{blob_id}``) or the
    outside URL of the blob; both are empty while the file is pending."""

    path: str
    size: int
    sha256: str
    change: Change = "unchanged"
    blob_id: str | None = None
    blob_uri: str = ""
    blob_kind: BlobKind | None = None
    compression: Compression | None = None
    external_url: str | None = None
    #: only while the version is not final
    source: str | None = None


class BlobIn(Input):
    """``POST /datasets/{id}/blobs``: a blob the client stored in *outside* storage.

    Links every file of this version whose ``sha256`` is in ``contents`` and that has
    no blob yet. ``uri`` may not be ``hub://`` (blobs in the hub's store are sent with
    ``PUT /datasets/{id}/blobs/{blob_id}``, which reads the contents itself).
    """

    id: Sha256
    uri: Url
    size: Annotated[int, Field(ge=0)]
    kind: BlobKind
    compression: Compression = "none"
    contents: Annotated[list[Sha256], Field(max_length=CONTENTS_MAX)] = []


class BlobOut(Output):
    id: str
    uri: str
    size: int
    kind: BlobKind
    compression: Compression
    #: files of this version that this call linked to the blob
    linked: int = 0


class DiffEntry(Output):
    """One path that differs; ``old_*`` are the other side's (``against``)."""

    path: str
    change: DiffChange
    size: int | None = None
    sha256: str | None = None
    old_size: int | None = None
    old_sha256: str | None = None


class DiffSummary(Output):
    added: int = 0
    removed: int = 0
    modified: int = 0
    added_bytes: int = 0
    removed_bytes: int = 0
    modified_bytes: int = 0


class DatasetGraphNode(Output):
    id: str
    name: str
    project_id: str
    version: str
    state: State
    parents: list[str] = []
    created_at: datetime
    file_count: int = 0
    total_size: int = 0


class DatasetGraph(Output):
    """The versions of one dataset and all their ancestors (at most 500 nodes)."""

    nodes: list[DatasetGraphNode]
    truncated: bool = False


class UsageIn(Input):
    """``POST /datasets/{id}/usages``: task ``task_id`` uses this version under ``alias``."""

    task_id: Id
    alias: Name


class DatasetUsage(Output):
    task_id: str
    task_name: str
    project_id: str
    status: str
    alias: str
    dataset_id: str
    used_at: datetime
