"""``corral dataset add|remove|sync``: change a draft version's file index.

``add`` and ``sync`` hash local files (the SDK's ``index``); on a terminal a Rich bar
counts the files and bytes hashed and sent to the hub. The SDK sends the index in
batches of up to 10,000 entries, and the bar moves as each batch is accepted: the CLI
hands the SDK a client whose ``datasets.add_files`` advances it (no hook in the SDK
needed, and nothing drawn when stderr is not a terminal).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.markup import escape

from corral.cli.client import fail
from corral.cli.datasets_ref import (
    IdOpt,
    WorkersOpt,
    count_files,
    dataset_errors,
    label,
    named,
    open_writable,
    report_pending,
    sdk,
)
from corral.cli.output import out

if TYPE_CHECKING:
    from corral.client.http import HubClient
    from corral.datasets.progress import DatasetProgress


class _CountingDatasets:
    """``client.datasets`` whose ``add_files`` advances a progress bar per batch."""

    def __init__(self, inner: Any, bar: DatasetProgress) -> None:
        self._inner = inner
        self._bar = bar

    def add_files(self, dataset_id: str, files: Sequence[dict[str, Any]]) -> Any:
        answer = self._inner.add_files(dataset_id, files)
        self._bar.advance(files=len(files), nbytes=sum(int(f.get("size", 0)) for f in files))
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _CountingClient:
    def __init__(self, inner: HubClient, bar: DatasetProgress) -> None:
        self._inner = inner
        self.datasets = _CountingDatasets(inner.datasets, bar)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@contextmanager
def hashing_bar(
    what: str, sources: Sequence[Source], recursive: bool
) -> Iterator[HubClient | None]:
    """A client for the SDK that draws a bar while files are hashed and indexed; ``None``
    (the SDK's own client) when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from corral.datasets.index import local_files
    from corral.datasets.progress import DatasetProgress
    from corral.sdk.session import hub_client

    files = nbytes = 0
    for source, wildcard in sources:  # a first walk, for the totals: a stat per file
        for found in local_files(source, wildcard=wildcard, recursive=recursive):
            files += 1
            nbytes += found.source.stat().st_size
    with DatasetProgress(what, files=files, nbytes=nbytes) as bar:
        yield cast("HubClient", _CountingClient(hub_client(), bar))


Source = tuple[Path, list[str] | None]
_GLOB = re.compile(r"[*?[]")


def _source(arg: str, wildcard: list[str] | None) -> Source:
    """A local path to add and its wildcards: ``data/*.jpg`` (quoted, as clearml-data
    takes it) is the folder ``data`` with the wildcard ``*.jpg``."""
    path = Path(arg).expanduser()
    if path.exists():
        return path, wildcard or None
    if _GLOB.search(path.name) and path.parent.is_dir() and not _GLOB.search(str(path.parent)):
        return path.parent, [path.name]
    raise fail(f"no file or folder {path}: nothing was added")


def add(
    files: Annotated[
        list[str],
        typer.Option(
            "--files",
            "-f",
            metavar="PATH...",
            help="Local files or folders to add; a quoted glob ('data/*.jpg') too.",
        ),
    ],
    dataset_id: IdOpt = None,
    wildcard: Annotated[
        list[str] | None,
        typer.Option("--wildcard", "-w", metavar="GLOB...", help="Only names matching (*.jpg)."),
    ] = None,
    dataset_folder: Annotated[
        str | None, typer.Option("--dataset-folder", help="Put them under this dataset folder.")
    ] = None,
    non_recursive: Annotated[
        bool, typer.Option("--non-recursive", help="Do not go into subfolders.")
    ] = False,
    max_workers: WorkersOpt = None,
) -> None:
    """Add local files or folders (hashed here; the bytes go with `upload` or `close`).

    Hashing shows a progress bar on a terminal. A file already in the version (or a
    parent) with the same content changes nothing, and the same content under a new
    name is never uploaded again. Example:
    corral dataset add --files ~/data/images labels.csv --wildcard '*.jpg' '*.csv'
    """
    with dataset_errors():
        sources = [_source(p, wildcard) for p in files]
        version, ds = open_writable(dataset_id)
        with hashing_bar(f"hash {label(version)}", sources, not non_recursive) as client:
            ds = sdk()(version, client=client) if client else ds
            count = sum(
                ds.add_files(
                    path,
                    wildcard=patterns,
                    dataset_path=dataset_folder,
                    recursive=not non_recursive,
                    max_workers=max_workers,
                )
                for path, patterns in sources
            )
        report_pending(version["id"], f"{count_files(count)} new in {named(version)}")


def remove(
    files: Annotated[
        list[str],
        typer.Option(
            "--files", "-f", metavar="PATH...", help="Dataset paths, folders or globs (a/*.jpg)."
        ),
    ],
    dataset_id: IdOpt = None,
    non_recursive: Annotated[
        bool, typer.Option("--non-recursive", help="A glob matches at its own depth only.")
    ] = False,
) -> None:
    """Remove files from the version (paths inside the dataset, not local paths).

    A folder takes everything under it; `*` and `?` match anywhere in the path.
    Example: corral dataset remove --files images/old 'labels/*.tmp'
    """
    with dataset_errors():
        version, ds = open_writable(dataset_id)
        removed = sum(
            ds.remove_files(dataset_path=pattern, recursive=not non_recursive) for pattern in files
        )
        if not removed:
            raise fail(
                f"no file of {label(version)} matches {' '.join(files)} "
                f"(see `corral dataset show {version['id']} --files`)"
            )
    out.print(f"removed {count_files(removed)} from {escape(named(version))}", highlight=False)


def sync(
    folder: Annotated[
        Path, typer.Option("--folder", help="The local folder the dataset should mirror.")
    ],
    dataset_id: IdOpt = None,
    dataset_folder: Annotated[
        str | None, typer.Option("--dataset-folder", help="Mirror it under this dataset folder.")
    ] = None,
) -> None:
    """Make the version mirror a local folder (prints removed/added/modified).

    New files are added, changed ones replaced, files the folder lacks removed; a bar
    shows the hashing on a terminal. Example: corral dataset sync --folder ~/data/parking
    """
    with dataset_errors():
        local = folder.expanduser()
        if not local.is_dir():
            raise fail(f"no folder {local}: nothing was changed")
        version, ds = open_writable(dataset_id)
        with hashing_bar(f"sync {label(version)}", [(local, None)], True) as client:
            ds = sdk()(version, client=client) if client else ds
            removed, added, modified = ds.sync_folder(local, dataset_path=dataset_folder)
        report_pending(
            version["id"],
            f"{named(version)}: {removed} removed, {added} added, {modified} modified",
        )
