"""Publishing dataset versions straight through ``client.datasets`` (no SDK), for the
tests of fetching: each small file goes into one zip chunk per call (members named by
their SHA-256), each "big" one into a whole-file blob; then the version is finalized.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from corral.client.config import HubCredentials
from corral.client.http import HubClient
from corral.testing.hub import Hub


def hub_client(hub: Hub) -> HubClient:
    return HubClient(HubCredentials(hub.url, hub.access_key, hub.secret_key), timeout=60)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chunk(contents: Collection[bytes]) -> bytes:
    """A zip whose members are the contents, named by their SHA-256 (deflated)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for data in {sha(d): d for d in contents}.values():
            zf.writestr(sha(data), data)
    return out.getvalue()


def publish(
    client: HubClient,
    project: str,
    name: str,
    files: Mapping[str, bytes],
    *,
    parents: Sequence[str] = (),
    remove: Sequence[str] = (),
    big: Collection[str] = (),
    chunks: int = 1,
    final: bool = True,
) -> dict[str, Any]:
    """A new version of ``project/name``: the parents' files, ``remove``d, plus ``files``.

    Files in ``big`` are whole-file blobs; the others are spread over ``chunks`` zips.
    Contents the hub has in an ancestor already are not sent again.
    """
    ds = client.datasets
    version = ds.create(name=name, project=project, parents=list(parents))
    vid = version["id"]
    if remove:
        ds.remove_files(vid, paths=list(remove))
    if files:
        rows = [{"path": p, "size": len(d), "sha256": sha(d)} for p, d in files.items()]
        ds.add_files(vid, rows)
    pending = {row["sha256"] for row in ds.iter_files(vid, pending=True)}
    small = [d for p, d in sorted(files.items()) if p not in big and sha(d) in pending]
    for i in range(chunks):
        part = small[i::chunks]
        if part:
            body = chunk(part)
            ds.put_blob(vid, sha(body), body, size=len(body), kind="chunk", compression="deflate")
    for path in sorted(big):
        data = files[path]
        if sha(data) in pending:
            ds.put_blob(vid, sha(data), data, size=len(data), kind="file")
    return ds.finalize(vid) if final else ds.get(vid)
