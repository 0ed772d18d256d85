"""``Dataset``: versioned, content-addressed data with ClearML's verbs.

Example::

    from corral import Dataset

    ds = Dataset.create(dataset_name="parking", dataset_project="data")
    ds.add_files("images/")
    ds.upload()
    ds.finalize()

    child = Dataset.create("parking", "data", parent_datasets=[ds.id])  # version 1.0.1
    child.sync_folder("images/")          # only what changed is pending
    child.finalize(auto_upload=True)

    folder = Dataset.get(dataset_project="data", dataset_name="parking").get_local_copy()

A version is a task (type ``data_processing``) with a file index on the hub; this
class is a facade over :mod:`.index` (walk and hash), :mod:`.upload` (chunks and
blobs), :mod:`.lookup` (finding versions) and :mod:`.fetch` (the local copy).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.datasets import files, index, lookup
from corral.datasets.files import FileEntry
from corral.errors import ConflictError, CorralError, NotFoundError, ValidationError
from corral.sdk.session import hub_client

if TYPE_CHECKING:
    from corral.client.http import HubClient
    from corral.datasets.upload import UploadStats
    from corral.sdk.logger import Logger
    from corral.sdk.task import Task

log = logging.getLogger("corral.datasets")


def _ids(parents: Sequence[str | Dataset] | None) -> list[str]:
    return [p.id if isinstance(p, Dataset) else str(p) for p in parents or []]


class Dataset:
    """A dataset version on the hub. Make one with :meth:`create`, find one with :meth:`get`."""

    def __init__(self, data: Mapping[str, Any], *, client: HubClient | None = None) -> None:
        self._data = dict(data)
        self._client = client
        self.last_upload: UploadStats | None = None
        self._logger: Logger | None = None

    # --- what it is ---------------------------------------------------------------------

    @property
    def client(self) -> HubClient:
        return self._client or hub_client()

    @property
    def id(self) -> str:
        return str(self._data["id"])

    @property
    def name(self) -> str:
        return str(self._data["name"])

    @property
    def project(self) -> str:
        return str(self._data.get("project") or "")

    @property
    def version(self) -> str:
        return str(self._data["version"])

    @version.setter
    def version(self, value: str) -> None:
        self._data = self.client.datasets.update(self.id, version=value)

    @property
    def state(self) -> str:
        """``draft``, ``uploading`` or ``final``."""
        return str(self._data["state"])

    @property
    def description(self) -> str:
        return str(self._data.get("description") or "")

    def set_description(self, description: str) -> None:
        self._data = self.client.datasets.update(self.id, description=description)

    @property
    def tags(self) -> list[str]:
        return list(self._data.get("tags") or [])

    @tags.setter
    def tags(self, values: Sequence[str]) -> None:
        self._data = self.client.datasets.update(self.id, tags=list(values))

    def add_tags(self, tags: str | Sequence[str]) -> None:
        new = [tags] if isinstance(tags, str) else list(tags)
        self.tags = list(dict.fromkeys([*self.tags, *new]))

    @property
    def parents(self) -> list[str]:
        return list(self._data.get("parents") or [])

    @property
    def stats(self) -> dict[str, int]:
        """File count, total size, added/modified/removed, pending (from the hub)."""
        return dict(self._data.get("stats") or {})

    @property
    def data(self) -> dict[str, Any]:
        """The version as the hub last returned it (``DatasetVersion``)."""
        return dict(self._data)

    def reload(self) -> Dataset:
        self._data = self.client.datasets.get(self.id)
        return self

    def is_final(self) -> bool:
        """``True`` once finalized (read from the hub)."""
        return self.reload().state == "final"

    def get_default_storage(self) -> str:
        return str(self._data.get("output_uri") or "hub://")

    def __repr__(self) -> str:
        return f"<Dataset {self.id} {self.project}/{self.name} {self.version} {self.state}>"

    # --- create -------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        dataset_name: str | None = None,
        dataset_project: str | None = None,
        dataset_tags: Sequence[str] | None = None,
        parent_datasets: Sequence[str | Dataset] | None = None,
        use_current_task: bool = False,
        dataset_version: str | None = None,
        output_uri: str | None = None,
        description: str | None = None,
    ) -> Dataset:
        """A new draft version; its files start as its parents' (later parents win).

        Args:
            dataset_name: the dataset's name (default: the first parent's).
            dataset_project: its project (default: the first parent's).
            dataset_tags: tags of the version.
            parent_datasets: final versions (ids or ``Dataset``) it extends.
            use_current_task: not supported (a version is always a task of its own).
            dataset_version: ``1.2.0``; default: the highest version of this
                ``(project, name)`` with its last part bumped, ``1.0.0`` for the first.
            output_uri: where ``upload`` stores the blobs (``s3://bucket/prefix``...);
                default: the hub.
            description: the version's description.

        Raises:
            NotFoundError: a parent or the project does not exist.
            ConflictError: a parent is not final; the version exists already.
        """
        if use_current_task:
            raise ValidationError(
                "use_current_task=True is not supported: a dataset version is a task of its own"
            )
        client = hub_client()
        parents = _ids(parent_datasets)
        if (not dataset_name or not dataset_project) and parents:
            first = client.datasets.get(parents[0])
            dataset_name = dataset_name or first["name"]
            dataset_project = dataset_project or first.get("project") or None
        if not dataset_name:
            raise ValidationError("Dataset.create needs dataset_name (or a parent to take it from)")
        data = client.datasets.create(
            name=dataset_name,
            project=dataset_project,
            parents=parents,
            version=dataset_version,
            tags=list(dataset_tags) if dataset_tags else None,
            description=description,
            output_uri=output_uri,
        )
        return cls(data)

    # --- the file index -----------------------------------------------------------------

    def add_files(
        self,
        path: str | os.PathLike[str],
        wildcard: str | Sequence[str] | None = None,
        local_base_folder: str | os.PathLike[str] | None = None,
        dataset_path: str | None = None,
        recursive: bool = True,
        verbose: bool = False,
        max_workers: int | None = None,
    ) -> int:
        """Hash a file or a folder's files and add them; returns how many are new paths.

        Files whose content is in this version or an ancestor already (a rename, an
        unchanged file) are linked to the stored bytes at once: ``upload`` sends
        only new content.

        Raises:
            ConflictError: the version is final.
            ValidationError: ``dataset_path`` leaves the dataset (``..``, absolute), a
                directory symlink loop.
        """
        totals = index.add_local(
            self.client,
            self.id,
            path,
            wildcard=wildcard,
            local_base_folder=local_base_folder,
            dataset_path=dataset_path,
            recursive=recursive,
            max_workers=max_workers,
        )
        if verbose:
            print(
                f"dataset {self.name} {self.version}: {totals.added} added, "
                f"{totals.modified} modified, {totals.unchanged} unchanged, "
                f"{totals.pending} to upload"
            )
        self.reload()
        return totals.added

    def add_external_files(
        self,
        source_url: str | Sequence[str],
        wildcard: str | Sequence[str] | None = None,
        dataset_path: str | None = None,
        recursive: bool = True,
        verbose: bool = False,
        max_workers: int | None = None,
    ) -> int:
        """Add links to files in outside storage (``s3://``, ``gs://``, ``https://``, a path).

        Each file is read once to record its size and SHA-256; nothing is copied, and
        ``get_local_copy`` downloads it from its URL. Returns how many are new paths.
        """
        totals = index.add_external(
            self.client,
            self.id,
            source_url,
            wildcard=wildcard,
            dataset_path=dataset_path,
            recursive=recursive,
            max_workers=max_workers,
        )
        if verbose:
            print(f"dataset {self.name} {self.version}: {totals.added} links added")
        self.reload()
        return totals.added

    def remove_files(
        self, dataset_path: str | None = None, recursive: bool = True, verbose: bool = False
    ) -> int:
        """Remove a file, a folder (everything under it) or a ``*``/``?`` pattern.

        With ``recursive=False`` a pattern matches files at its own depth only.
        Returns how many files were removed.

        Raises:
            ConflictError: the version is final.
        """
        removed = files.remove(self.client, self.id, dataset_path, recursive)
        if verbose:
            print(f"dataset {self.name} {self.version}: {removed} files removed")
        self.reload()
        return removed

    def sync_folder(
        self,
        local_path: str | os.PathLike[str],
        dataset_path: str | None = None,
        verbose: bool = False,
    ) -> tuple[int, int, int]:
        """Make the dataset's folder match a local folder: ``(removed, added, modified)``."""
        removed, totals = index.sync_local(
            self.client, self.id, local_path, dataset_path=dataset_path
        )
        if verbose:
            print(
                f"dataset {self.name} {self.version}: {removed} removed, "
                f"{totals.added} added, {totals.modified} modified"
            )
        self.reload()
        return removed, totals.added, totals.modified

    def iter_files(self, **params: Any) -> Iterator[FileEntry]:
        """Every file (``prefix``, ``search``, ``pending``, ``change`` filters), paged."""
        for row in self.client.datasets.iter_files(self.id, **params):
            yield FileEntry.of(row)

    @property
    def file_entries(self) -> Iterator[FileEntry]:
        """The files of the version, sorted by path, fetched a page at a time."""
        return self.iter_files()

    def list_files(
        self,
        dataset_path: str | None = None,
        recursive: bool = True,
        dataset_id: str | None = None,
    ) -> list[str]:
        """Paths of the version (or of ``dataset_id``): all, under a folder, or matching
        a ``*``/``?`` pattern; sorted. ``recursive=False``: not below that level."""
        return list(files.list_paths(self.client, dataset_id or self.id, dataset_path, recursive))

    def _changes(self, change: str, dataset_id: str | None) -> list[str]:
        return [
            row["path"]
            for row in self.client.datasets.iter_diff(self.id, against=dataset_id, change=change)
        ]

    def list_added_files(self, dataset_id: str | None = None) -> list[str]:
        """Paths added against ``dataset_id`` (default: against the parents)."""
        return self._changes("added", dataset_id)

    def list_modified_files(self, dataset_id: str | None = None) -> list[str]:
        """Paths whose content differs from ``dataset_id`` (default: the parents)."""
        return self._changes("modified", dataset_id)

    def list_removed_files(self, dataset_id: str | None = None) -> list[str]:
        """Paths of ``dataset_id`` (default: the parents) that this version lacks."""
        return self._changes("removed", dataset_id)

    def get_dependency_graph(self) -> dict[str, list[str]]:
        """``{version id: [parent ids]}`` for this version and its ancestors."""
        graph = self.client.datasets.graph(self.id)
        return {node["id"]: list(node.get("parents") or []) for node in graph["nodes"]}

    # --- upload and finalize ----------------------------------------------------------

    def upload(
        self,
        show_progress: bool = True,
        verbose: bool = False,
        output_url: str | None = None,
        compression: Any = None,
        chunk_size: int | None = None,
        max_workers: int | None = None,
        retries: int = 3,
        preview: bool = True,
    ) -> UploadStats:
        """Send the pending files (resumable: a later call sends only what is left).

        Args:
            show_progress: a progress bar (files, bytes, rate, ETA) on a terminal.
            verbose: print what was sent.
            output_url: store the blobs there (``s3://``...) instead of the version's
                ``output_uri`` or the hub.
            compression: ``None``/``"deflate"``/``zipfile.ZIP_DEFLATED`` (default),
                ``"none"``/``zipfile.ZIP_STORED``. Already compressed formats are
                always stored as they are.
            chunk_size: MiB per chunk of small files (default 32).
            max_workers: threads packing and sending (default: 2 per core, at most 8).
            retries: attempts per blob after a network error.
            preview: accepted for ClearML's signature.

        Returns:
            What was sent (``files``, ``bytes_sent``, ``blobs``).
        """
        from corral.datasets.upload import upload_version

        self.reload()
        stats = upload_version(
            self.client,
            self._data,
            output_url=output_url,
            compression=compression,
            chunk_size=chunk_size,
            max_workers=max_workers,
            show_progress=show_progress,
            retries=retries,
        )
        self.last_upload = stats
        if verbose:
            print(
                f"dataset {self.name} {self.version}: {stats.files} files "
                f"in {stats.blobs} blobs, {stats.bytes_sent} bytes sent"
            )
        self.reload()
        return stats

    def finalize(
        self, verbose: bool = False, raise_on_error: bool = True, auto_upload: bool = False
    ) -> bool:
        """Close the version: no more changes; its task completes.

        Raises (with ``raise_on_error``; else a warning is logged and ``False`` returned):
            ConflictError: final already, or files not uploaded (``auto_upload=True``
                uploads them first).
            FileChangedError: ``auto_upload`` met a file changed since it was added.
        """
        try:
            if auto_upload and self.reload().stats.get("pending_count"):
                self.upload(show_progress=verbose)
            self._data = self.client.datasets.finalize(self.id)
        except CorralError as e:
            if raise_on_error:
                raise
            log.warning("dataset %s %s not finalized: %s", self.name, self.version, e)
            return False
        if verbose:
            print(f"dataset {self.name} {self.version} is final")
        return True

    def publish(self, raise_on_error: bool = True) -> bool:
        """Publish the version's task (after ``finalize``): its status becomes ``published``.

        Raises (with ``raise_on_error``; else returns ``False``):
            ConflictError: the version is not final.
        """
        try:
            if not self.is_final():
                raise ConflictError(
                    f"dataset {self.name} {self.version} is not final: finalize it first"
                )
            self.client.request("POST", f"tasks/{self.id}:publish", json={})
        except CorralError:
            if raise_on_error:
                raise
            return False
        return True

    # --- task-side extras ---------------------------------------------------------------

    def _task(self) -> Task:
        from corral.sdk.task import Task

        return Task.get_task(task_id=self.id)

    def get_logger(self) -> Logger:
        """A ``Logger`` reporting into the version's task (scalars, plots, tables, text).

        Its reports are sent in the background like a running task's, and flushed at
        the latest when the process exits.
        """
        if self._logger is None:
            from corral.datasets.reporting import logger_of

            self._logger = logger_of(self.client, self.id)
        return self._logger

    def set_metadata(
        self, metadata: Any, metadata_name: str = "metadata", ui_visible: bool = True
    ) -> None:
        """Attach metadata (a DataFrame, array, dict...) as an artifact of the version's task.

        A DataFrame is also reported as a table (``ui_visible``), and its artifact has a
        preview the UI shows.
        """
        task = self._task()
        task.upload_artifact(metadata_name, metadata, wait_on_upload=True)
        if ui_visible and type(metadata).__name__ == "DataFrame":
            logger = self.get_logger()
            logger.report_table("Dataset Metadata", "Dataset Metadata", table_plot=metadata)
            logger.flush(wait=True)

    def get_metadata(self, metadata_name: str = "metadata") -> Any:
        """The metadata set with :meth:`set_metadata`, or ``None`` when there is none."""
        artifacts = self._task().artifacts
        try:
            artifact = artifacts[metadata_name]
        except KeyError:
            return None
        return artifact.get()

    # --- the local copy ---------------------------------------------------------------

    def get_local_copy(
        self,
        use_soft_links: bool | None = None,
        part: int | None = None,
        num_parts: int | None = None,
        raise_on_error: bool = True,
        max_workers: int | None = None,
        verify: bool = False,
    ) -> str:
        """A read-only folder with the version's files, from the machine's shared cache.

        A cached copy is checked cheaply (size and mtime of each file; a damaged file
        is fetched again); ``verify=True`` (not in ClearML) checks every SHA-256 too.
        """
        from corral.datasets.fetch import local_copy

        path = local_copy(
            self.client,
            self.id,
            use_soft_links=use_soft_links,
            part=part,
            num_parts=num_parts,
            max_workers=max_workers,
            verify=verify,
            raise_on_error=raise_on_error,
        )
        return str(path)

    def get_mutable_local_copy(
        self,
        target_folder: str | os.PathLike[str],
        overwrite: bool = False,
        part: int | None = None,
        num_parts: int | None = None,
        raise_on_error: bool = True,
        max_workers: int | None = None,
    ) -> str:
        """The version's files copied into ``target_folder`` (yours to change)."""
        from corral.datasets.fetch import mutable_copy

        path = mutable_copy(
            self.client,
            self.id,
            Path(target_folder),
            overwrite=overwrite,
            part=part,
            num_parts=num_parts,
            max_workers=max_workers,
            raise_on_error=raise_on_error,
        )
        return str(path)

    # --- finding versions ---------------------------------------------------------------

    @classmethod
    def get(
        cls,
        dataset_id: str | None = None,
        dataset_project: str | None = None,
        dataset_name: str | None = None,
        dataset_tags: Sequence[str] | None = None,
        only_completed: bool = True,
        only_published: bool = False,
        include_archived: bool = False,
        auto_create: bool = False,
        writable_copy: bool = False,
        dataset_version: str | None = None,
        alias: str | None = None,
        overridable: bool = False,
        shallow_search: bool = False,
        **kwargs: Any,
    ) -> Dataset:
        """A version by id, or the highest version matching project/name/version/tags.

        Args:
            dataset_id: the version's id (then project/name are not allowed).
            dataset_project: the project (exactly).
            dataset_name: the dataset's name.
            dataset_tags: tags it must all have.
            only_completed: only final versions (Corral's default; ClearML's is False).
            only_published: accepted for ClearML's signature (final = published here).
            include_archived: accepted for ClearML's signature.
            auto_create: create the dataset when nothing matches.
            writable_copy: a new draft child of the version found, to add files to.
            dataset_version: the exact version (``1.0.2``).
            alias: record the version on the current task: parameter
                ``Datasets/<alias>`` = id, and a lineage edge. When the current task has
                that parameter set already (a clone edited in the UI), that id is used.
            overridable: accepted for ClearML's signature (an edited alias always wins).
            shallow_search: accepted for ClearML's signature.

        Raises:
            ValueError: no criteria, or both an id and a project/name.
            NotFoundError: nothing matches (and not ``auto_create``).
            ConflictError: ``only_completed`` and the version with that id is a draft.
        """
        unknown = [k for k in kwargs if not k.startswith("_")]
        if unknown:
            raise ValueError(f"unknown Dataset.get arguments: {unknown}")
        if not any([dataset_id, dataset_project, dataset_name, dataset_tags]):
            raise ValueError("Dataset.get needs dataset_id, or dataset_project/name/tags")
        if dataset_id and (dataset_project or dataset_name):
            raise ValueError("Dataset.get takes dataset_id or dataset_project/name, not both")
        client = hub_client()
        if alias and dataset_id:
            dataset_id = lookup.aliased_id(alias, dataset_id)
        data = lookup.resolve(
            client,
            dataset_id=dataset_id,
            project=dataset_project,
            name=dataset_name,
            version=dataset_version,
            tags=dataset_tags,
            only_completed=only_completed or only_published,
        )
        if data is not None and alias and not dataset_id:
            chosen = lookup.aliased_id(alias, data["id"])
            if chosen != data["id"]:
                data = client.datasets.get(chosen)
        if data is None:
            if not auto_create:
                raise lookup.not_found(
                    dataset_project, dataset_name, dataset_version, dataset_tags, only_completed
                )
            found = cls.create(dataset_name, dataset_project, dataset_tags=dataset_tags)
        else:
            found = cls(data)
        if writable_copy:
            found = cls.create(
                found.name, found.project, dataset_tags=found.tags, parent_datasets=[found.id]
            )
        if alias:
            lookup.record_alias(alias, found.id)
        return found

    @classmethod
    def list_datasets(
        cls,
        dataset_project: str | None = None,
        partial_name: str | None = None,
        tags: Sequence[str] | None = None,
        ids: Sequence[str] | None = None,
        only_completed: bool = False,
        recursive_project_search: bool = True,
        include_archived: bool = True,
    ) -> list[dict[str, Any]]:
        """Versions as dicts: ``name``, ``project``, ``id``, ``version``, ``tags``,
        ``created``, ``state``; highest version first.

        ``recursive_project_search=False`` leaves out the subprojects' datasets.
        """
        client = hub_client()
        criteria: dict[str, Any] = {
            "partial_name": partial_name,
            "tags": tags,
            "ids": ids,
            "only_final": only_completed,
        }
        rows = list(lookup.find_all(client, project=dataset_project, **criteria))
        if dataset_project and recursive_project_search:
            for project_id in lookup.subproject_ids(client, dataset_project):
                rows += lookup.find_all(client, project_id=project_id, **criteria)
        out = []
        for row in rows:
            out.append(
                {
                    "name": row["name"],
                    "project": row.get("project", ""),
                    "id": row["id"],
                    "version": row["version"],
                    "tags": row.get("tags", []),
                    "created": row.get("created_at"),
                    "state": row["state"],
                }
            )
        return out

    @classmethod
    def squash(
        cls,
        dataset_name: str,
        dataset_ids: Sequence[str | Dataset] | None = None,
        dataset_project_name_pairs: Sequence[tuple[str, str]] | None = None,
        output_url: str | None = None,
    ) -> Dataset:
        """One new final version (no parents) with the given versions merged, later win.

        Nothing is uploaded: the new version shares the blobs of the versions given.
        """
        if bool(dataset_ids) == bool(dataset_project_name_pairs):
            raise ValueError("squash takes dataset_ids or dataset_project_name_pairs (one)")
        client = hub_client()
        ids = _ids(dataset_ids)
        for project, name in dataset_project_name_pairs or []:
            ids.append(cls.get(dataset_project=project, dataset_name=name).id)
        if len(ids) < 2:
            raise ValueError("squash needs at least two versions")
        first = client.datasets.get(ids[0])
        data = client.datasets.squash(name=dataset_name, project=first.get("project"), ids=ids)
        return cls(data)

    @classmethod
    def delete(
        cls,
        dataset_id: str | None = None,
        dataset_project: str | None = None,
        dataset_name: str | None = None,
        force: bool = False,
        dataset_version: str | None = None,
        entire_dataset: bool = False,
        shallow_search: bool = False,
        delete_files: bool = True,
        delete_external_files: bool = False,
    ) -> list[str]:
        """Delete versions; blobs no other version uses are freed. Returns the ids deleted.

        A version that is a parent or was used by a task is kept unless ``force``.
        Blobs the hub stores are removed by the hub; blobs in outside storage
        (``output_uri``) are removed here with ``delete_files`` (the default).
        Files added as links (``add_external_files``) are never removed.
        """
        client = hub_client()
        targets = lookup.ids_to_delete(
            client,
            dataset_id=dataset_id,
            project=dataset_project,
            name=dataset_name,
            version=dataset_version,
            entire_dataset=entire_dataset,
            force=force,
        )
        deleted: list[str] = []
        for target in targets:
            answer = client.datasets.delete(target, force=force)
            deleted.extend(answer.get("deleted", []))
            if delete_files:
                _delete_uris(answer.get("external_uris") or [])
        return deleted

    @classmethod
    def move_to_project(
        cls, new_dataset_project: str, dataset_project: str, dataset_name: str
    ) -> None:
        """Move every version of ``dataset_project/dataset_name`` to another project."""
        client = hub_client()
        row = lookup.find_one(
            client,
            project=dataset_project,
            name=dataset_name,
            version=None,
            tags=None,
            only_final=False,
        )
        if row is None:
            raise NotFoundError(f"no dataset {dataset_name!r} in project {dataset_project!r}")
        client.datasets.move(row["id"], new_dataset_project)


def _delete_uris(uris: Sequence[str]) -> None:
    """Delete freed blobs in outside storage (best effort: the index is gone already)."""
    from corral.sdk.storage import backend_for

    for uri in uris:
        try:
            backend_for(uri).delete(uri)
        except Exception as e:  # a blob that stays behind costs storage, never correctness
            log.warning("could not delete %s: %s", uri, e)


__all__ = ["Dataset", "FileEntry"]
