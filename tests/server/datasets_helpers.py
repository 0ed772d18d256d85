"""Helpers of the dataset API tests: make files, chunks, versions."""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any

import httpx

from tests import factories as f


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry(path: str, data: bytes, **extra: Any) -> dict[str, Any]:
    return {"path": path, "size": len(data), "sha256": sha(data), **extra}


def chunk(contents: list[bytes], names: list[str] | None = None) -> bytes:
    """A chunk archive: members named by their SHA-256 (or by ``names``).

    The same contents make the same bytes (fixed member times), so the same blob id.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i, data in enumerate(contents):
            info = zipfile.ZipInfo(names[i] if names else sha(data), (2020, 1, 1, 0, 0, 0))
            z.writestr(info, data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def create(api: httpx.Client, project: str | None = None, **body: Any) -> dict[str, Any]:
    body.setdefault("name", f.unique("ds"))
    body.setdefault("project", project or f.unique("dsproj"))
    return f.ok(api.post("/datasets", json=body), 201)


def put_chunk(api: httpx.Client, version_id: str, contents: list[bytes]) -> dict[str, Any]:
    data = chunk(contents)
    r = api.put(f"/datasets/{version_id}/blobs/{sha(data)}", params={"kind": "chunk"}, content=data)
    return f.ok(r)


def add(api: httpx.Client, version_id: str, files: dict[str, bytes]) -> dict[str, Any]:
    body = {"files": [entry(p, d) for p, d in files.items()]}
    return f.ok(api.post(f"/datasets/{version_id}/files", json=body))


def publish(
    api: httpx.Client, files: dict[str, bytes], project: str | None = None, **body: Any
) -> dict[str, Any]:
    """A final version holding ``files`` (uploaded as one chunk)."""
    v = create(api, project, **body)
    add(api, v["id"], files)
    pending = [r["sha256"] for r in all_files(api, v["id"], pending="true")]
    by_sha = {sha(d): d for d in files.values()}
    if pending:
        put_chunk(api, v["id"], [by_sha[h] for h in dict.fromkeys(pending)])
    return f.ok(api.post(f"/datasets/{v['id']}:finalize"))


def all_files(api: httpx.Client, version_id: str, **params: Any) -> list[dict[str, Any]]:
    out, cursor = [], None
    while True:
        page = f.ok(
            api.get(
                f"/datasets/{version_id}/files",
                params={**params, "cursor": cursor} if cursor else params,
            )
        )
        out += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return out


def problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, f"{r.status_code}: {r.text}"
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()
