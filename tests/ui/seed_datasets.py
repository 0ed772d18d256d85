"""A dataset with three versions for the UI tests, made through the hub's real API.

``seed_datasets`` builds, in a fresh project, dataset ``images``:

* ``1.0.0`` (final): 150 files under ``data/``, ``labels/train.csv``, ``readme.txt``
  (in a chunk) and ``models/weights.bin`` (a ``file`` blob: stored whole);
* ``1.0.1`` (final, child of 1.0.0): ``data/new.bin`` added, ``readme.txt`` modified,
  ``labels/train.csv`` removed; a ``metadata`` artifact; used by a task as ``train``;
* ``1.0.2`` (draft, child of 1.0.1): one file added and not uploaded.

Bytes go up as a real chunk: a zip whose members are named by their SHA-256.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from typing import Any

import httpx

from tests.factories import ok, task, unique

#: files of the first version under data/ (more than one page of the file browser)
DATA_FILES = 150
METADATA_PREVIEW = "label,count\ncat,75\ndog,75\n"
LABELS = b"path,label\nimg_000,cat\n"
WEIGHTS = bytes(range(256)) * 40


@dataclass
class SeededDataset:
    project: str
    name: str
    #: version string -> the version as the API returned it
    versions: dict[str, dict[str, Any]]
    #: the task that used 1.0.1
    user_task: dict[str, Any]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chunk(contents: list[bytes]) -> bytes:
    """A chunk blob: a zip archive of ``contents``, each member named by its SHA-256."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for data in {sha256(c): c for c in contents}.values():
            archive.writestr(sha256(data), data)
    return buffer.getvalue()


def add_files(api: httpx.Client, version_id: str, files: dict[str, bytes]) -> Any:
    body = [{"path": p, "size": len(b), "sha256": sha256(b)} for p, b in files.items()]
    return ok(api.post(f"/datasets/{version_id}/files", json={"files": body}))


def upload(api: httpx.Client, version_id: str, contents: list[bytes], kind: str = "chunk") -> Any:
    """One blob: a chunk of ``contents``, or (``kind="file"``) the one file stored whole."""
    blob = chunk(contents) if kind == "chunk" else contents[0]
    return ok(
        api.put(
            f"/datasets/{version_id}/blobs/{sha256(blob)}",
            params={"kind": kind, "compression": "none"},
            content=blob,
            headers={"content-type": "application/octet-stream"},
        )
    )


def create(api: httpx.Client, **body: Any) -> Any:
    return ok(api.post("/datasets", json=body), 201)


def finalize(api: httpx.Client, version_id: str) -> Any:
    return ok(api.post(f"/datasets/{version_id}:finalize", json={}))


def seed_datasets(api: httpx.Client) -> SeededDataset:
    project, name = unique("ds-ui"), "images"
    first_files = {f"data/img_{i:03d}.bin": f"image {i}".encode() for i in range(DATA_FILES)}
    first_files["labels/train.csv"] = LABELS
    first_files["readme.txt"] = b"first\n"
    v1 = create(
        api, name=name, project=project, version="1.0.0", tags=["raw"], description="the raw images"
    )
    add_files(api, v1["id"], {**first_files, "models/weights.bin": WEIGHTS})
    upload(api, v1["id"], [WEIGHTS], kind="file")
    upload(api, v1["id"], list(first_files.values()))
    v1 = finalize(api, v1["id"])

    v2 = create(api, name=name, project=project, parents=[v1["id"]], version="1.0.1")
    changed = {"data/new.bin": b"a new image", "readme.txt": b"second, longer\n"}
    add_files(api, v2["id"], changed)
    ok(api.post(f"/datasets/{v2['id']}/files:remove", json={"paths": ["labels/train.csv"]}))
    upload(api, v2["id"], list(changed.values()))
    artifact = {"name": "metadata", "type": "dataframe", "preview": METADATA_PREVIEW}
    ok(api.post(f"/tasks/{v2['id']}/artifacts", json=artifact))
    v2 = finalize(api, v2["id"])

    v3 = create(api, name=name, project=project, parents=[v2["id"]], version="1.0.2")
    add_files(api, v3["id"], {"data/pending.bin": b"not uploaded yet"})
    v3 = ok(api.get(f"/datasets/{v3['id']}"))

    user_task = task(api, project, name=unique("train"))
    usage = {"task_id": user_task["id"], "alias": "train"}
    ok(api.post(f"/datasets/{v2['id']}/usages", json=usage))
    versions = {"1.0.0": v1, "1.0.1": v2, "1.0.2": v3}
    return SeededDataset(project=project, name=name, versions=versions, user_task=user_task)
