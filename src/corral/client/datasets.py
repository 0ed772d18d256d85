"""``client.datasets``: the hub's ``/datasets`` endpoints (docs/api.md, "Datasets").

Answers are the JSON of ``corral.schemas.datasets`` (plain dicts). Listing the files
or a diff of a million-file version is paged: :meth:`Datasets.iter_files` and
:meth:`Datasets.iter_diff` fetch pages of ``page_size`` rows lazily, so a caller
holds one page at a time.

Example::

    with HubClient.from_config() as client:
        v = client.datasets.create(name="parking", project="data", parents=[parent_id])
        client.datasets.add_files(v["id"], [{"path": "a.csv", "size": 3, "sha256": h}])
        for row in client.datasets.iter_files(v["id"], pending=True):
            ...
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from typing import Any, Protocol, cast

#: rows per page of the file and diff listings (the hub allows up to 10,000)
FILES_PAGE = 5000


class Requester(Protocol):
    def request(self, method: str, path: str, **kwargs: Any) -> Any: ...


def _params(params: dict[str, Any]) -> dict[str, Any] | None:
    return {k: v for k, v in params.items() if v is not None} or None


class Datasets:
    """``/datasets``: versions, their file index, blobs, diffs, lineage."""

    def __init__(self, client: Requester) -> None:
        self._client = client

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        return cast("dict[str, Any]", self._client.request(method, path, **kwargs))

    # --- versions ------------------------------------------------------------------------

    def create(self, **body: Any) -> dict[str, Any]:
        """``POST /datasets`` (``name``, ``project``, ``parents``, ``version``, ``tags``...)."""
        return self._call("POST", "datasets", json={k: v for k, v in body.items() if v is not None})

    def get(self, dataset_id: str) -> dict[str, Any]:
        return self._call("GET", f"datasets/{dataset_id}")

    def list(self, **params: Any) -> dict[str, Any]:
        """One page of versions (``project``, ``project_id``, ``name``, ``partial_name``,
        ``version``, ``tag``, ``state``, ``id``, ``sort``, ``limit``, ``cursor``)."""
        return self._call("GET", "datasets", params=_params(params))

    def iter(self, *, limit: int | None = None, **params: Any) -> Iterator[dict[str, Any]]:
        """Every matching version across pages, at most ``limit``."""
        seen, cursor = 0, None
        while True:
            size = min(500, limit - seen) if limit else 500
            page = self.list(**params, limit=size, cursor=cursor)
            for row in page["items"]:
                yield row
                seen += 1
            cursor = page.get("next_cursor")
            if not cursor or (limit and seen >= limit):
                return

    def names(self, **params: Any) -> dict[str, Any]:
        """``GET /datasets/names``: datasets (not versions), newest first (``project_id``)."""
        return self._call("GET", "datasets/names", params=_params(params))

    def update(self, dataset_id: str, **fields: Any) -> dict[str, Any]:
        return self._call("PATCH", f"datasets/{dataset_id}", json=fields)

    def delete(self, dataset_id: str, *, force: bool = False) -> dict[str, Any]:
        """``DELETE /datasets/{id}``: ``{deleted, freed_blobs, freed_bytes, external_uris}``."""
        return self._call(
            "DELETE", f"datasets/{dataset_id}", params={"force": "true"} if force else None
        )

    def finalize(self, dataset_id: str) -> dict[str, Any]:
        return self._call("POST", f"datasets/{dataset_id}:finalize")

    def move(self, dataset_id: str, project: str) -> dict[str, Any]:
        return self._call("POST", f"datasets/{dataset_id}:move", json={"project": project})

    def squash(self, **body: Any) -> dict[str, Any]:
        """``POST /datasets:squash`` (``name``, ``ids``, ``project``, ``version``, ``tags``)."""
        return self._call(
            "POST", "datasets:squash", json={k: v for k, v in body.items() if v is not None}
        )

    def graph(self, dataset_id: str) -> dict[str, Any]:
        return self._call("GET", f"datasets/{dataset_id}/graph")

    # --- the file index --------------------------------------------------------------------

    def add_files(self, dataset_id: str, files: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """``POST /datasets/{id}/files`` (at most 10,000 entries a call)."""
        return self._call("POST", f"datasets/{dataset_id}/files", json={"files": list(files)})

    def remove_files(
        self, dataset_id: str, *, paths: Sequence[str] = (), pattern: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"paths": list(paths)}
        if pattern is not None:
            body["pattern"] = pattern
        return self._call("POST", f"datasets/{dataset_id}/files:remove", json=body)

    def files(self, dataset_id: str, **params: Any) -> dict[str, Any]:
        """One page of the index (``prefix``, ``search``, ``pending``, ``change``,
        ``limit``, ``cursor``)."""
        return self._call("GET", f"datasets/{dataset_id}/files", params=_params(params))

    def iter_files(
        self, dataset_id: str, *, page_size: int = FILES_PAGE, **params: Any
    ) -> Iterator[dict[str, Any]]:
        """Every row of the index, sorted by path, one page in memory at a time."""
        cursor = None
        while True:
            page = self.files(dataset_id, **params, limit=page_size, cursor=cursor)
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def diff(self, dataset_id: str, **params: Any) -> dict[str, Any]:
        """One page of ``GET /datasets/{id}/diff`` (``against``, ``change``, ``prefix``...)."""
        return self._call("GET", f"datasets/{dataset_id}/diff", params=_params(params))

    def iter_diff(
        self, dataset_id: str, *, page_size: int = FILES_PAGE, **params: Any
    ) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            page = self.diff(dataset_id, **params, limit=page_size, cursor=cursor)
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def diff_summary(self, dataset_id: str, against: str | None = None) -> dict[str, Any]:
        return self._call(
            "GET", f"datasets/{dataset_id}/diff/summary", params=_params({"against": against})
        )

    # --- blobs -----------------------------------------------------------------------------

    def put_blob(
        self,
        dataset_id: str,
        blob_id: str,
        content: Any,
        *,
        size: int,
        kind: str,
        compression: str = "none",
    ) -> dict[str, Any]:
        """``PUT /datasets/{id}/blobs/{blob_id}``: store a blob in the hub's store.

        ``content`` is bytes or an iterator of bytes (streamed). The hub checks the
        SHA-256, reads a chunk's member names and links this version's files to it.
        """
        return self._call(
            "PUT",
            f"datasets/{dataset_id}/blobs/{blob_id}",
            params={"kind": kind, "compression": compression},
            content=content,
            headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
        )

    def register_blob(self, dataset_id: str, **body: Any) -> dict[str, Any]:
        """``POST /datasets/{id}/blobs``: a blob stored in outside storage (``s3://``...)."""
        return self._call("POST", f"datasets/{dataset_id}/blobs", json=body)

    def blob_url(self, dataset_id: str, blob_id: str) -> str:
        """The API path to stream a hub-stored blob from (``GET``, ``Range`` allowed)."""
        return f"/api/v1/datasets/{dataset_id}/blobs/{blob_id}"

    # --- lineage ---------------------------------------------------------------------------

    def record_usage(self, dataset_id: str, task_id: str, alias: str) -> dict[str, Any]:
        return self._call(
            "POST", f"datasets/{dataset_id}/usages", json={"task_id": task_id, "alias": alias}
        )

    def usages(self, dataset_id: str, **params: Any) -> dict[str, Any]:
        return self._call("GET", f"datasets/{dataset_id}/usages", params=_params(params))

    def of_task(self, task_id: str) -> builtins.list[dict[str, Any]]:
        """``GET /tasks/{id}/datasets``: the versions a task used, by alias."""
        answer = self._client.request("GET", f"tasks/{task_id}/datasets")
        return cast("builtins.list[dict[str, Any]]", answer)


__all__ = ["FILES_PAGE", "Datasets"]
