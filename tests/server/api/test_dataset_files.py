"""A version's file index over HTTP: add, dedup, remove, list and page, diff."""

from __future__ import annotations

import httpx
import pytest

from tests import factories as f
from tests.server.datasets_helpers import (
    add,
    all_files,
    create,
    entry,
    problem,
    publish,
    put_chunk,
    sha,
)


def _paths(rows: list[dict]) -> list[str]:
    return [r["path"] for r in rows]


def _diff(api: httpx.Client, version_id: str, **params: object) -> list[dict]:
    out, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = f.ok(api.get(f"/datasets/{version_id}/diff", params=query))
        out += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return out


def test_child_inherits_and_records_changes(api: httpx.Client) -> None:
    parent = publish(api, {"keep": b"k", "edit": b"old", "drop": b"d", "dir/x": b"x"})
    child = create(api, parents=[parent["id"]])
    assert child["stats"]["file_count"] == 4 and child["stats"]["pending_count"] == 0
    got = add(api, child["id"], {"edit": b"new", "keep": b"k", "fresh": b"f"})
    assert got == {"added": 1, "modified": 1, "unchanged": 1, "pending": 2}
    removed = f.ok(
        api.post(f"/datasets/{child['id']}/files:remove", json={"paths": ["drop", "dir"]})
    )
    assert removed == {"removed": 2}
    rows = {r["path"]: r for r in all_files(api, child["id"])}
    assert sorted(rows) == ["edit", "fresh", "keep"]
    assert rows["edit"]["change"] == "modified" and rows["edit"]["blob_id"] is None
    assert rows["keep"]["change"] == "unchanged" and rows["keep"]["blob_id"]
    stats = f.ok(api.get(f"/datasets/{child['id']}"))["stats"]
    assert (stats["added"], stats["modified"], stats["removed"]) == (1, 1, 2)
    assert stats["removed_bytes"] == 2 and stats["modified_bytes"] == 3
    diff = _diff(api, child["id"])
    assert [(d["path"], d["change"]) for d in diff] == [
        ("dir/x", "removed"),
        ("drop", "removed"),
        ("edit", "modified"),
        ("fresh", "added"),
    ]
    assert _diff(api, child["id"], against=parent["id"]) == diff
    edit = diff[2]
    assert edit["old_sha256"] == sha(b"old") and edit["sha256"] == sha(b"new")
    assert edit["old_size"] == 3
    summary = f.ok(api.get(f"/datasets/{child['id']}/diff/summary"))
    assert summary["added"] == 1 and summary["removed"] == 2 and summary["modified"] == 1
    # the same against any version: the other direction swaps added and removed
    back = f.ok(api.get(f"/datasets/{parent['id']}/diff/summary", params={"against": child["id"]}))
    assert (back["added"], back["removed"], back["modified"]) == (2, 1, 1)
    assert back["added_bytes"] == 2 and back["modified_bytes"] == 3


def test_changing_back_and_re_adding_a_removed_file_is_unchanged(api: httpx.Client) -> None:
    parent = publish(api, {"a": b"one", "b": b"two"})
    child = create(api, parents=[parent["id"]])
    add(api, child["id"], {"a": b"changed"})
    assert add(api, child["id"], {"a": b"one"})["pending"] == 0
    f.ok(api.post(f"/datasets/{child['id']}/files:remove", json={"paths": ["b"]}))
    assert add(api, child["id"], {"b": b"two"}) == {
        "added": 1,
        "modified": 0,
        "unchanged": 0,
        "pending": 0,
    }
    assert _diff(api, child["id"]) == []
    stats = f.ok(api.get(f"/datasets/{child['id']}"))["stats"]
    assert stats["added"] == stats["modified"] == stats["removed"] == 0


def test_dedup_rename_and_unchanged_upload_nothing(api: httpx.Client) -> None:
    parent = publish(api, {"img/a.jpg": b"A" * 100, "img/b.jpg": b"B" * 100})
    child = create(api, parents=[parent["id"]])
    f.ok(api.post(f"/datasets/{child['id']}/files:remove", json={"paths": ["img/a.jpg"]}))
    got = add(api, child["id"], {"renamed/a.jpg": b"A" * 100, "img/b.jpg": b"B" * 100})
    assert got["pending"] == 0 and got["added"] == 1 and got["unchanged"] == 1
    assert add(api, child["id"], {"img/b.jpg": b"changed"})["pending"] == 1
    pending = all_files(api, child["id"], pending="true")
    assert _paths(pending) == ["img/b.jpg"]


def test_grandparent_content_is_found_after_the_parent_removed_it(api: httpx.Client) -> None:
    one = publish(api, {"x": b"ancient"})
    two = create(api, parents=[one["id"]])
    f.ok(api.post(f"/datasets/{two['id']}/files:remove", json={"paths": ["x"]}))
    f.ok(api.post(f"/datasets/{two['id']}:finalize"))
    three = create(api, parents=[two["id"]])
    assert add(api, three["id"], {"y": b"ancient"})["pending"] == 0


def test_later_parents_win_at_the_same_path(api: httpx.Client) -> None:
    left = publish(api, {"same": b"left", "l": b"1"})
    right = publish(api, {"same": b"right", "r": b"2"})
    merged = create(api, parents=[left["id"], right["id"]])
    rows = {r["path"]: r["sha256"] for r in all_files(api, merged["id"])}
    assert rows == {"same": sha(b"right"), "l": sha(b"1"), "r": sha(b"2")}
    flipped = create(api, parents=[right["id"], left["id"]])
    assert {r["path"]: r["sha256"] for r in all_files(api, flipped["id"])}["same"] == sha(b"left")


def test_remove_by_pattern_is_case_sensitive(api: httpx.Client) -> None:
    v = create(api)
    add(api, v["id"], {"a/x.txt": b"1", "a/Y.TXT": b"2", "b/z.txt": b"3", "c.csv": b"4"})
    r = api.post(f"/datasets/{v['id']}/files:remove", json={"pattern": "*.txt"})
    assert f.ok(r) == {"removed": 2}
    assert _paths(all_files(api, v["id"])) == ["a/Y.TXT", "c.csv"]
    problem(api.post(f"/datasets/{v['id']}/files:remove", json={}), 422)
    problem(api.post(f"/datasets/{v['id']}/files:remove", json={"pattern": "[ab]*"}), 422)


@pytest.mark.parametrize(
    "bad", ["../etc/passwd", "/abs/path", "a\\b", "a//b", "a/./b", "a/../b", "dir/"]
)
def test_bad_paths_are_refused_and_change_nothing(api: httpx.Client, bad: str) -> None:
    v = create(api)
    body = {"files": [entry("fine.txt", b"1"), entry(bad, b"2")]}
    problem(api.post(f"/datasets/{v['id']}/files", json=body), 422)
    assert all_files(api, v["id"]) == []


def test_a_final_version_refuses_changes(api: httpx.Client) -> None:
    v = publish(api, {"a": b"1"})
    problem(api.post(f"/datasets/{v['id']}/files:remove", json={"paths": ["a"]}), 409)
    problem(api.post(f"/datasets/{v['id']}/files", json={"files": [entry("b", b"2")]}), 409)
    assert _paths(all_files(api, v["id"])) == ["a"]


def test_a_path_twice_in_one_batch_is_refused(api: httpx.Client) -> None:
    v = create(api)
    body = {"files": [entry("a", b"1"), entry("a", b"2")]}
    problem(api.post(f"/datasets/{v['id']}/files", json=body), 422)
    too_many = {"files": [entry(f"f{i}", b"") for i in range(10_001)]}
    problem(api.post(f"/datasets/{v['id']}/files", json=too_many), 422)


def test_listing_filters_prefix_search_change_and_total(api: httpx.Client) -> None:
    parent = publish(api, {"data/a.csv": b"1", "data/b.csv": b"2", "readme.md": b"r"})
    v = create(api, parents=[parent["id"]])
    add(api, v["id"], {"data/c.CSV": b"3"})
    assert _paths(all_files(api, v["id"], prefix="data/")) == [
        "data/a.csv",
        "data/b.csv",
        "data/c.CSV",
    ]
    assert _paths(all_files(api, v["id"], search="C.cs")) == ["data/c.CSV"]
    assert _paths(all_files(api, v["id"], change="added")) == ["data/c.CSV"]
    page = f.ok(api.get(f"/datasets/{v['id']}/files", params={"limit": 2, "with_total": "true"}))
    assert page["total"] == 4 and len(page["items"]) == 2 and page["next_cursor"]
    row = page["items"][0]
    assert row["blob_uri"].startswith("hub://datasets/blobs/") and row["blob_kind"] == "chunk"
    problem(api.get(f"/datasets/{v['id']}/files", params={"cursor": "garbage!"}), 422)
    problem(api.get(f"/datasets/{v['id']}/files", params={"limit": 10_001}), 422)


def test_source_is_kept_until_finalize(api: httpx.Client) -> None:
    v = create(api)
    body = {"files": [entry("a", b"1", source="/home/me/a")]}
    f.ok(api.post(f"/datasets/{v['id']}/files", json=body))
    assert all_files(api, v["id"])[0]["source"] == "/home/me/a"
    put_chunk(api, v["id"], [b"1"])
    f.ok(api.post(f"/datasets/{v['id']}:finalize"))
    assert all_files(api, v["id"])[0]["source"] is None


def test_external_files_are_not_pending(api: httpx.Client) -> None:
    v = create(api)
    body = {"files": [entry("remote.bin", b"r", external_url="https://example.com/r.bin")]}
    assert f.ok(api.post(f"/datasets/{v['id']}/files", json=body))["pending"] == 0
    final = f.ok(api.post(f"/datasets/{v['id']}:finalize"))
    assert final["stats"]["external_count"] == 1
    assert all_files(api, v["id"])[0]["external_url"] == "https://example.com/r.bin"


def test_diff_against_any_version_pages_in_path_order(api: httpx.Client) -> None:
    old = {f"f{i:03d}": f"v{i}".encode() for i in range(0, 300)}
    new = {f"f{i:03d}": (f"w{i}" if i % 3 == 0 else f"v{i}").encode() for i in range(100, 400)}
    a = publish(api, old)
    b = publish(api, new)
    entries = _diff(api, b["id"], against=a["id"], limit=37)
    assert _paths(entries) == sorted(_paths(entries)) and len(set(_paths(entries))) == len(entries)
    kinds = {e["path"]: e["change"] for e in entries}
    assert sum(1 for k in kinds.values() if k == "removed") == 100
    assert sum(1 for k in kinds.values() if k == "added") == 100
    assert sum(1 for k in kinds.values() if k == "modified") == len(
        [i for i in range(100, 300) if i % 3 == 0]
    )
    only = _diff(api, b["id"], against=a["id"], change="modified", prefix="f1")
    assert {e["change"] for e in only} == {"modified"} and all(
        e["path"].startswith("f1") for e in only
    )
    summary = f.ok(api.get(f"/datasets/{b['id']}/diff/summary", params={"against": a["id"]}))
    assert (summary["added"], summary["removed"]) == (100, 100)
    assert summary["modified"] == len(only) + len([i for i in range(200, 300) if i % 3 == 0])
    problem(api.get(f"/datasets/{b['id']}/diff", params={"against": "0" * 32}), 404)


def test_paging_thousands_of_files_returns_each_once_in_byte_order(api: httpx.Client) -> None:
    """On PostgreSQL too: paths sort as bytes (collation "C"), not by the locale."""
    names = [f"{p}{i}" for i in range(1000) for p in ("a", "B", "_", "é", "a-", "a.")]
    v = create(api)
    for start in range(0, len(names), 3000):
        batch = {"files": [entry(n, b"") for n in names[start : start + 3000]]}
        f.ok(api.post(f"/datasets/{v['id']}/files", json=batch))
    got = _paths(all_files(api, v["id"], limit=777))
    assert got == sorted(names, key=lambda n: n.encode())
