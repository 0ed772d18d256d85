"""``Dataset``'s verbs against a real hub: versions, the index, lookups, and bad input."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from corral import Dataset
from corral.errors import ConflictError, NotFoundError, ValidationError
from tests.agents import console
from tests.datasets.conftest import sha, write_tree
from tests.factories import unique


def _final(name: str, project: str, folder: Path, **kw: Any) -> Dataset:
    ds = Dataset.create(dataset_name=name, dataset_project=project, **kw)
    ds.add_files(folder)
    ds.upload(show_progress=False)
    ds.finalize()
    return ds


def test_create_then_child_bumps_the_version(ds: object, project: str, tmp_path: Path) -> None:
    src = write_tree(tmp_path / "a", {"x.txt": b"x"})
    first = _final("bump", project, src)
    assert first.version == "1.0.0"
    assert first.is_final() and first.state == "final"
    child = Dataset.create(parent_datasets=[first])  # name and project from the parent
    assert (child.name, child.project, child.version) == ("bump", project, "1.0.1")
    assert child.parents == [first.id]
    assert child.list_files() == ["x.txt"]  # starts with its parent's files
    major = Dataset.create("bump", project, dataset_version="2.1")
    assert major.version == "2.1.0"
    assert Dataset.create("bump", project).version == "2.1.1"
    major.version = "3"  # a draft may change its version
    assert major.version == "3.0.0" and major.reload().version == "3.0.0"
    with pytest.raises(ConflictError):
        first.version = "9.0.0"  # a final one may not
    with pytest.raises(ConflictError):
        major.version = "1.0.0"  # taken
    with pytest.raises(ValidationError):
        Dataset.create("bump", project, dataset_version="one")


def test_add_remove_sync_and_change_lists(ds: object, project: str, tmp_path: Path) -> None:
    src = write_tree(
        tmp_path / "v1",
        {"a.txt": b"a", "b.txt": b"b", "sub/c.csv": b"c", "sub/deep/d.csv": b"d", "e.jpg": b"e"},
    )
    parent = _final("changes", project, src)
    assert parent.list_files() == ["a.txt", "b.txt", "e.jpg", "sub/c.csv", "sub/deep/d.csv"]
    assert parent.list_files("sub", recursive=False) == ["sub/c.csv"]
    assert parent.list_files("*.csv") == ["sub/c.csv", "sub/deep/d.csv"]
    assert parent.list_files("sub/deep/d.csv") == ["sub/deep/d.csv"]

    child = Dataset.create("changes", project, parent_datasets=[parent.id])
    assert child.add_files(write_tree(tmp_path / "new", {"f.txt": b"f"}), dataset_path="more") == 1
    assert child.add_files(write_tree(tmp_path / "mod", {"a.txt": b"A!"})) == 0  # modified
    assert child.remove_files("b.txt") == 1
    assert child.remove_files("sub/deep") == 1  # a folder: everything under it
    assert child.remove_files("*.jpg") == 1
    assert sorted(child.list_added_files()) == ["more/f.txt"]
    assert child.list_modified_files() == ["a.txt"]
    assert sorted(child.list_removed_files()) == ["b.txt", "e.jpg", "sub/deep/d.csv"]
    assert child.list_files() == ["a.txt", "more/f.txt", "sub/c.csv"]
    stats = child.stats
    assert (stats["added"], stats["modified"], stats["removed"]) == (1, 1, 3)
    assert stats["file_count"] == 3

    # sync: the folder becomes exactly what is on disk
    mirror = write_tree(tmp_path / "mirror", {"c.csv": b"C2", "g.txt": b"g"})
    removed, added, modified = child.sync_folder(mirror, dataset_path="sub")
    assert (removed, added, modified) == (0, 1, 1)
    write_tree(mirror, {"h.txt": b"h"})
    (mirror / "g.txt").unlink()
    assert child.sync_folder(mirror, dataset_path="sub") == (1, 1, 0)
    assert child.list_files() == ["a.txt", "more/f.txt", "sub/c.csv", "sub/h.txt"]
    entries = {e.relative_path: e for e in child.file_entries}
    assert entries["sub/c.csv"].hash == sha(b"C2") and entries["sub/c.csv"].size == 2


def test_add_files_wildcards_base_folder_and_not_recursive(
    ds: object, project: str, tmp_path: Path
) -> None:
    src = write_tree(
        tmp_path / "w", {"a.csv": b"1", "b.txt": b"2", "s/c.csv": b"3", "s/d.txt": b"4"}
    )
    d = Dataset.create("wild", project)
    assert d.add_files(src, wildcard=["*.csv"]) == 2
    assert d.add_files(src, wildcard="*.txt", recursive=False) == 1
    assert d.add_files(src / "s" / "d.txt", local_base_folder=src, dataset_path="x") == 1
    assert d.list_files() == ["a.csv", "b.txt", "s/c.csv", "x/s/d.txt"]


def test_file_entries_are_paged(ds: object, project: str, tmp_path: Path) -> None:
    files = {f"f{i:03d}.bin": bytes([i]) * i for i in range(23)}
    d = Dataset.create("paged", project)
    d.add_files(write_tree(tmp_path / "p", files))
    rows = list(d.iter_files(page_size=5))
    assert [r.relative_path for r in rows] == sorted(files)
    assert all(r.blob_id is None and r.local_path for r in rows)  # pending until uploaded
    assert [r.relative_path for r in d.iter_files(pending=True, page_size=7)] == sorted(files)


def test_tags_description_metadata_and_logger(
    ds: object, ds_api: httpx.Client, project: str, tmp_path: Path
) -> None:
    d = Dataset.create("meta", project, dataset_tags=["raw"], description="first cut")
    assert d.tags == ["raw"] and d.description == "first cut"
    d.add_tags(["clean", "raw"])
    assert d.tags == ["raw", "clean"]
    d.set_description("second cut")
    assert Dataset.get(d.id, only_completed=False).description == "second cut"
    d.set_metadata({"classes": ["cat", "dog"], "n": 2})
    assert d.get_metadata() == {"classes": ["cat", "dog"], "n": 2}
    assert d.get_metadata("nothing") is None
    logger = d.get_logger()
    logger.report_text("hello from the dataset")
    assert logger.flush(wait=True)
    assert any("hello from the dataset" in line for line in console(ds_api, d.id))


def test_get_by_id_name_version_tags(ds: object, project: str, tmp_path: Path) -> None:
    src = write_tree(tmp_path / "g", {"a": b"a"})
    v1 = _final("getme", project, src, dataset_tags=["gold"])
    v2 = Dataset.create("getme", project, parent_datasets=[v1.id], dataset_tags=["draft"])
    assert Dataset.get(v1.id).id == v1.id
    # only_completed (the default) leaves the draft out
    assert Dataset.get(dataset_project=project, dataset_name="getme").id == v1.id
    latest = Dataset.get(dataset_project=project, dataset_name="getme", only_completed=False)
    assert latest.id == v2.id
    assert (
        Dataset.get(dataset_name="getme", dataset_project=project, dataset_version="1.0.0").id
        == v1.id
    )
    assert Dataset.get(dataset_project=project, dataset_tags=["gold"]).id == v1.id
    with pytest.raises(ConflictError, match="not final"):
        Dataset.get(v2.id)
    assert Dataset.get(v2.id, only_completed=False).state == "draft"
    copy = Dataset.get(v1.id, writable_copy=True)
    assert copy.parents == [v1.id] and copy.state == "draft" and copy.version == "1.0.2"
    made = Dataset.get(dataset_project=project, dataset_name="fresh", auto_create=True)
    assert made.state == "draft" and made.version == "1.0.0"


def test_get_unknown_is_not_found(ds: object, project: str) -> None:
    with pytest.raises(NotFoundError):
        Dataset.get("0" * 32)
    with pytest.raises(NotFoundError, match="nothing-here"):
        Dataset.get(dataset_project=project, dataset_name="nothing-here")
    Dataset.create("known", project)
    with pytest.raises(NotFoundError, match=r"9\.9\.9"):
        Dataset.get(dataset_project=project, dataset_name="known", dataset_version="9.9.9")
    with pytest.raises(NotFoundError):
        Dataset.get(dataset_project=project, dataset_name="nothing", alias="train")
    with pytest.raises(ValueError):
        Dataset.get()
    with pytest.raises(ValueError):
        Dataset.get(dataset_id="0" * 32, dataset_name="x")


def test_list_datasets_filters(ds: object, project: str, tmp_path: Path) -> None:
    src = write_tree(tmp_path / "l", {"a": b"a"})
    a = _final("alpha-set", project, src, dataset_tags=["t1"])
    b = Dataset.create("beta-set", project, dataset_tags=["t2"])
    sub = Dataset.create("gamma", f"{project}/sub")
    everything = Dataset.list_datasets(dataset_project=project)
    assert {r["id"] for r in everything} == {a.id, b.id, sub.id}
    assert {"name", "project", "id", "version", "tags", "created"} <= set(everything[0])
    top = Dataset.list_datasets(dataset_project=project, recursive_project_search=False)
    assert {r["id"] for r in top} == {a.id, b.id}
    assert [r["id"] for r in Dataset.list_datasets(project, only_completed=True)] == [a.id]
    assert [r["id"] for r in Dataset.list_datasets(project, partial_name="beta")] == [b.id]
    assert [r["id"] for r in Dataset.list_datasets(project, tags=["t1"])] == [a.id]
    assert [r["id"] for r in Dataset.list_datasets(ids=[b.id])] == [b.id]


def test_squash_merges_without_uploading(ds: object, project: str, tmp_path: Path) -> None:
    one = _final("sq", project, write_tree(tmp_path / "1", {"a": b"1", "b": b"1"}))
    two = _final("sq2", project, write_tree(tmp_path / "2", {"b": b"2", "c": b"2"}))
    merged = Dataset.squash("squashed", dataset_ids=[one, two.id])
    assert merged.state == "final" and merged.parents == []
    assert merged.list_files() == ["a", "b", "c"]
    by_path = {e.relative_path: e.hash for e in merged.file_entries}
    assert by_path["b"] == sha(b"2")  # later versions win
    assert all(e.blob_id for e in merged.file_entries)  # the blobs are shared
    with pytest.raises(ValueError):
        Dataset.squash("x", dataset_ids=[one.id])


def test_delete_and_move_to_project(ds: object, project: str, tmp_path: Path) -> None:
    v1 = _final("gone", project, write_tree(tmp_path / "d", {"a": b"a"}))
    v2 = Dataset.create("gone", project, parent_datasets=[v1.id])
    with pytest.raises(ConflictError):
        Dataset.delete(v1.id)  # a parent of v2
    with pytest.raises(ValidationError, match="entire_dataset"):
        Dataset.delete(dataset_project=project, dataset_name="gone")
    other = unique("moved")
    Dataset.move_to_project(other, dataset_project=project, dataset_name="gone")
    assert {d.project for d in (v1.reload(), v2.reload())} == {other}
    deleted = Dataset.delete(
        dataset_project=other, dataset_name="gone", entire_dataset=True, force=True
    )
    assert set(deleted) == {v1.id, v2.id}
    with pytest.raises(NotFoundError):
        Dataset.get(v1.id)


def test_bad_input_is_refused_and_changes_nothing(ds: object, project: str, tmp_path: Path) -> None:
    src = write_tree(tmp_path / "b", {"a.txt": b"a"})
    draft = Dataset.create("bad", project)
    with pytest.raises(ValidationError, match="dataset"):
        draft.add_files(src, dataset_path="../x")
    assert draft.list_files() == []
    draft.add_files(src)
    with pytest.raises(ConflictError, match="upload"):
        draft.finalize()  # files not uploaded
    assert draft.finalize(raise_on_error=False) is False
    assert not draft.is_final()
    with pytest.raises(ConflictError):
        Dataset.create("bad", project, parent_datasets=[draft.id])  # parent not final
    assert draft.finalize(auto_upload=True) is True
    with pytest.raises(ConflictError):
        draft.finalize()  # twice
    with pytest.raises(ConflictError):
        draft.add_files(write_tree(tmp_path / "c", {"z": b"z"}))
    with pytest.raises(ConflictError):
        draft.remove_files("a.txt")
    assert draft.list_files() == ["a.txt"]
    with pytest.raises(NotFoundError):
        Dataset.create("bad", project, parent_datasets=["0" * 32])
    with pytest.raises(ConflictError):
        Dataset.create("bad", project, dataset_version="1.0.0")  # exists


def test_symlinks_followed_and_loops_refused(ds: object, project: str, tmp_path: Path) -> None:
    src = write_tree(tmp_path / "s", {"real/a.txt": b"a"})
    os.symlink(src / "real" / "a.txt", src / "link.txt")
    os.symlink(src / "real", src / "alias")
    d = Dataset.create("links", project)
    d.add_files(src)
    assert d.list_files() == ["alias/a.txt", "link.txt", "real/a.txt"]
    os.symlink(src, src / "real" / "loop")
    d2 = Dataset.create("loops", project)
    with pytest.raises(ValidationError, match="loop"):
        d2.add_files(src)
    assert d2.list_files() == []


def test_publish_after_finalize(ds: object, ds_api: httpx.Client, project: str) -> None:
    d = Dataset.create("pub", project)
    with pytest.raises(ConflictError, match="finalize"):
        d.publish()
    assert d.publish(raise_on_error=False) is False
    d.finalize()
    assert d.publish() is True
    assert ds_api.get(f"/tasks/{d.id}").json()["status"] == "published"
    assert Dataset.get(d.id).is_final()


def test_remote_routes_agree_with_sdk(
    ds: object, ds_api: httpx.Client, project: str, tmp_path: Path
) -> None:
    d = _final("routes", project, write_tree(tmp_path / "r", {"a": b"a"}))
    answer = ds_api.get(f"/datasets/{d.id}").json()
    assert answer["state"] == "final" and answer["stats"]["file_count"] == 1
    task = ds_api.get(f"/tasks/{d.id}").json()
    assert task["type"] == "data_processing" and task["status"] == "completed"


def test_dataframe_metadata_has_a_preview_and_a_table(
    ds: object, ds_api: httpx.Client, project: str
) -> None:
    import pandas as pd

    frame = pd.DataFrame({"label": ["cat", "dog"], "count": [3, 5]})
    d = Dataset.create("frame", project)
    d.set_metadata(frame, metadata_name="labels")
    back = d.get_metadata("labels")
    assert back.to_dict("list") == {"label": ["cat", "dog"], "count": [3, 5]}
    artifacts = {a["name"]: a for a in ds_api.get(f"/tasks/{d.id}/artifacts").json()}
    assert "cat" in (artifacts["labels"].get("preview") or "")
    plots = ds_api.get(f"/tasks/{d.id}/plots").json()["items"]
    assert [(p["metric"], p["variant"]) for p in plots] == [
        ("Dataset Metadata", "Dataset Metadata")
    ]


def test_import_corral_does_not_import_datasets() -> None:
    import subprocess
    import sys

    code = "import corral, sys; assert 'corral.datasets' not in sys.modules; corral.Dataset"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_bad_path_late_in_a_big_folder_changes_nothing(
    ds: object, project: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from corral.datasets import index

    monkeypatch.setattr(index, "FILES_PER_BATCH", 2)  # many batches from a small folder
    src = write_tree(tmp_path / "big", {"a": b"a", "b": b"b", "c": b"c", "d": b"d"})
    (src / "z\\bad").write_bytes(b"a backslash in a file name")
    d = Dataset.create("late", project)
    with pytest.raises(ValidationError, match="backslash"):
        d.add_files(src)
    assert d.list_files() == []
    (src / "z\\bad").unlink()
    os.symlink(src, src / "zz-loop")
    with pytest.raises(ValidationError, match="loop"):
        d.add_files(src)
    assert d.list_files() == []
    (src / "zz-loop").unlink()
    assert d.add_files(src) == 4
    (src / "z\\bad").write_bytes(b"again")
    (src / "a").unlink()
    with pytest.raises(ValidationError):
        d.sync_folder(src)
    assert d.list_files() == ["a", "b", "c", "d"]  # not even the removal happened


def test_sync_sends_only_what_changed(
    ds: object, project: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from corral.client.datasets import Datasets

    src = write_tree(tmp_path / "s", {f"f{i:02d}": bytes([i]) * 100 for i in range(30)})
    parent = _final("sync-delta", project, src)
    sent: list[str] = []
    real_add = Datasets.add_files

    def counting_add(self: Datasets, dataset_id: str, files: Any) -> Any:
        sent.extend(f["path"] for f in files)
        return real_add(self, dataset_id, files)

    monkeypatch.setattr(Datasets, "add_files", counting_add)
    child = Dataset.create("sync-delta", project, parent_datasets=[parent])
    assert child.sync_folder(src) == (0, 0, 0)
    assert sent == []  # nothing changed: nothing sent
    (src / "f07").write_bytes(b"new")
    (src / "f99").write_bytes(b"added")
    (src / "f00").unlink()
    assert child.sync_folder(src) == (1, 1, 1)
    assert sent == ["f07", "f99"]
    assert child.list_modified_files() == ["f07"]


def test_add_files_over_a_parent_sends_only_what_changed(
    ds: object, project: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from corral.client.datasets import Datasets

    src = write_tree(tmp_path / "a", {f"d/f{i:03d}": i.to_bytes(2, "big") * 50 for i in range(150)})
    parent = _final("add-delta", project, src)
    sent: list[str] = []
    real_add = Datasets.add_files

    def counting_add(self: Datasets, dataset_id: str, files: Any) -> Any:
        sent.extend(f["path"] for f in files)
        return real_add(self, dataset_id, files)

    monkeypatch.setattr(Datasets, "add_files", counting_add)
    child = Dataset.create("add-delta", project, parent_datasets=[parent])
    (src / "d" / "f007").write_bytes(b"changed")
    (src / "d" / "new").write_bytes(b"new")
    assert child.add_files(src) == 1
    assert sent == ["d/f007", "d/new"]
    assert child.list_modified_files() == ["d/f007"]
    assert child.stats["file_count"] == 151 and child.stats["pending_count"] == 2
    # a few files into a big version: the hub compares (nothing is listed here)
    sent.clear()
    few = write_tree(tmp_path / "few", {"d/f001": (1).to_bytes(2, "big") * 50})
    assert child.add_files(few) == 0
    assert sent == ["d/f001"]
