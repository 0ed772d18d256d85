"""The hub's file store over HTTP: upload and download throughput of one large file.

A ``--size-mib`` file (1 GiB by default) is uploaded with ``PUT /api/v1/files/...``
(streamed in 1 MiB chunks, the hub hashing it on the way) and downloaded with a
streamed ``GET`` into a local file, both on this machine.

Baseline, in the same run: the same file copied on the local disk with
``shutil.copyfile`` (the kernel's own copy, no hashing, no HTTP): what moving the
bytes from one file to another costs here at best. The store does not depend on
the database, so one SQLite hub is enough. The client is httpx, as in the SDK, and
its share of the time is part of the figures (on 2 cores it bounds the download).

    .venv/bin/python benchmarks/files.py [--size-mib 1024]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from _common import Timer, emit, running_hub, say

MiB = 1024 * 1024


def _make_file(path: Path, size: int) -> str:
    """Write ``size`` bytes that do not compress; returns their SHA-256."""
    block = os.urandom(16 * MiB)
    digest = hashlib.sha256()
    with path.open("wb") as f:
        left = size
        while left:
            part = block[: min(left, len(block))]
            f.write(part)
            digest.update(part)
            left -= len(part)
    return digest.hexdigest()


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while block := f.read(MiB):
            yield block


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    for block in _chunks(path):
        digest.update(block)
    return digest.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mib", type=int, default=1024)
    args = ap.parse_args()
    size = args.size_mib * MiB

    with tempfile.TemporaryDirectory(prefix="corral-bench-files-") as tmp:
        source = Path(tmp) / "source.bin"
        say(f"writing a {args.size_mib} MiB file ...")
        digest = _make_file(source, size)

        with Timer() as base:
            shutil.copyfile(source, Path(tmp) / "copy.bin")
        (Path(tmp) / "copy.bin").unlink()
        base_rate = size / MiB / base.seconds
        say(f"baseline, local copy: {base.seconds:.2f} s = {base_rate:,.0f} MiB/s")

        with running_hub("sqlite") as hub, hub.client() as api:
            path = "benchmarks/large.bin"
            with Timer() as up:
                r = api.put(
                    f"/files/{path}",
                    content=_chunks(source),
                    headers={"Content-Length": str(size)},
                )
            r.raise_for_status()
            if r.json()["sha256"] != digest:
                raise SystemExit("the hub stored different bytes")
            up_rate = size / MiB / up.seconds
            say(f"upload:   {up.seconds:.2f} s = {up_rate:,.0f} MiB/s")

            target = Path(tmp) / "downloaded.bin"
            with Timer() as down, api.stream("GET", f"/files/{path}") as r, target.open("wb") as f:
                r.raise_for_status()
                for block in r.iter_raw(MiB):
                    f.write(block)
            if _sha256(target) != digest:
                raise SystemExit("the download differs from the upload")
            down_rate = size / MiB / down.seconds
            say(f"download: {down.seconds:.2f} s = {down_rate:,.0f} MiB/s")

    say(
        f"upload / baseline = {up_rate / base_rate:.2f}; "
        f"download / baseline = {down_rate / base_rate:.2f}"
    )
    emit(
        {
            "benchmark": "files",
            "size_mib": args.size_mib,
            "upload_mib_per_s": round(up_rate, 1),
            "download_mib_per_s": round(down_rate, 1),
            "baseline_copy_mib_per_s": round(base_rate, 1),
            "upload_ratio_to_baseline": round(up_rate / base_rate, 3),
            "download_ratio_to_baseline": round(down_rate / base_rate, 3),
        }
    )


if __name__ == "__main__":
    main()
