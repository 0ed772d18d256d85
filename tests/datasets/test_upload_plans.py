"""The upload's local decisions, without a hub: how files are grouped into blobs, which
members are deflated, which compression spellings are accepted."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator

import pytest

from corral.datasets.upload import (
    CHUNK_MEMBERS,
    FILE_THRESHOLD,
    _Compressibility,
    _Item,
    _plans,
    normalize_compression,
)
from corral.errors import ValidationError


def _items(sizes: list[int]) -> list[_Item]:
    return [_Item(f"{i:064x}", size, f"/src/{i}", f"f{i}") for i, size in enumerate(sizes)]


def test_large_files_go_alone_and_small_ones_fill_chunks() -> None:
    items = _items([10, FILE_THRESHOLD, 600, 500, FILE_THRESHOLD + 1, 7])
    groups = [[i.path for i in g] for g in _plans(iter(items), chunk_bytes=1000)]
    assert groups == [["f1"], ["f0", "f2", "f3"], ["f4"], ["f5"]]


def test_a_chunk_holds_at_most_chunk_members_files() -> None:
    items = _items([1] * (2 * CHUNK_MEMBERS + 5))
    sizes = [len(g) for g in _plans(iter(items), chunk_bytes=1 << 30)]
    assert sizes == [CHUNK_MEMBERS, CHUNK_MEMBERS, 5]


def test_compressibility_is_judged_once_per_suffix() -> None:
    judge = _Compressibility()
    assert not judge.deflate("a/photo.JPG", b"x" * 10_000)  # compressed formats by name
    assert not judge.deflate("noise.bin", os.urandom(10_000))  # a sample that does not shrink
    assert not judge.deflate("text.bin", b"a" * 10_000)  # .bin is judged already
    assert judge.deflate("text.txt", b"a" * 10_000)
    assert judge.deflate("tiny.dat", b"ab")  # too small to judge: deflated, not remembered
    assert not judge.deflate("more.dat", os.urandom(10_000))


@pytest.mark.parametrize(
    ("given", "mode"),
    [
        (None, "deflate"),
        ("deflate", "deflate"),
        (zipfile.ZIP_DEFLATED, "deflate"),
        ("none", "none"),
        (zipfile.ZIP_STORED, "none"),
    ],
)
def test_compression_spellings(given: object, mode: str) -> None:
    assert normalize_compression(given) == mode


def test_unknown_compression_is_refused() -> None:
    with pytest.raises(ValidationError, match="compression"):
        normalize_compression(zipfile.ZIP_LZMA)


def test_plans_stream() -> None:
    """The grouping pulls files as it needs them (a million-file upload is streamed)."""
    pulled = []

    def source() -> Iterator[_Item]:
        for item in _items([400] * 10):
            pulled.append(item.path)
            yield item

    first = next(_plans(source(), chunk_bytes=1000))
    assert len(first) == 3 and len(pulled) == 3
