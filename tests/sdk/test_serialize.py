"""Artifact serialization round trips."""

from __future__ import annotations

import gzip
import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from corral.sdk import serialize as ser
from corral.sdk.serialize import Serialized, deserialize, file_size, serialize, sha256_file


class Point:
    """A user's class, pickled by reference to this module."""

    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)

    def __repr__(self) -> str:
        return f"Point({self.x}, {self.y})"


def round_trip(obj: Any, workdir: Path, name: str = "thing") -> tuple[Serialized, Any]:
    s = serialize(obj, name, workdir)
    assert s.path.is_file()
    json.dumps(s.metadata, allow_nan=False)  # metadata goes to the hub as JSON
    return s, deserialize(s.path, s.type, s.metadata)


def ordinary_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "count": [1, 2, 3],
            "score": [0.5, np.nan, 1.25],
            "label": ["a", "b", "c"],
            "ok": [True, False, True],
            "when": pd.to_datetime(["2024-01-01 00:00", "2024-02-01 12:30", "2024-03-01 08:00"]),
        },
        index=pd.Index([10, 20, 30], name="run"),
    )


def test_dataframe_round_trips_through_parquet(tmp_path: Path) -> None:
    frame = ordinary_frame()
    s, back = round_trip(frame, tmp_path, "results")
    assert (s.type, s.path.name, s.metadata["format"]) == (
        "dataframe",
        "results.parquet",
        "parquet",
    )
    assert s.temporary
    assert s.metadata["rows"] == 3
    assert s.metadata["columns"] == ["count", "score", "label", "ok", "when"]
    assert s.metadata["dtypes"]["count"] == "int64"
    assert s.preview == frame.head(10).to_string()
    assert back.equals(frame)
    assert back.index.name == "run"


def test_dataframe_round_trips_through_csv_without_pyarrow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ser, "_parquet_available", lambda: False)
    frame = ordinary_frame()
    s, back = round_trip(frame, tmp_path, "results")
    assert (s.path.name, s.metadata["format"], s.content_type) == (
        "results.csv.gz",
        "csv.gz",
        "application/gzip",
    )
    assert gzip.decompress(s.path.read_bytes()).startswith(b"run,count,")
    assert back.equals(frame)


def test_array_round_trips_with_its_dtype(tmp_path: Path) -> None:
    array = np.arange(12, dtype=np.int16).reshape(3, 4)
    s, back = round_trip(array, tmp_path, "weights")
    assert (s.type, s.path.name) == ("numpy", "weights.npy")
    assert s.metadata == {"shape": [3, 4], "dtype": "int16"}
    assert s.preview.startswith("[[ 0  1  2  3]")
    assert back.dtype == array.dtype
    assert np.array_equal(back, array)


def test_object_array_is_pickled(tmp_path: Path) -> None:
    array = np.array([{"a": 1}, None], dtype=object)
    s, back = round_trip(array, tmp_path)
    assert s.type == "pickle"
    assert s.metadata == {"python_type": "numpy.ndarray"}
    assert back.tolist() == array.tolist()


@pytest.mark.parametrize(
    "value",
    [
        {"lr": 0.1, "layers": [64, 32], "name": "ünï"},
        [1, "two", None, True],
        3.5,
        None,
        "plain words",
    ],
)
def test_json_values_round_trip(tmp_path: Path, value: Any) -> None:
    s, back = round_trip(value, tmp_path, "params")
    assert (s.type, s.path.name, s.content_type) == ("json", "params.json", "application/json")
    assert back == value
    assert s.preview == s.path.read_text(encoding="utf-8")


def test_tuples_come_back_as_lists(tmp_path: Path) -> None:
    _, back = round_trip({"shape": (3, 4)}, tmp_path)
    assert back == {"shape": [3, 4]}


@pytest.mark.parametrize("value", [{"x": float("nan")}, {1: "int key"}, {"s": {1, 2}}])
def test_values_json_would_change_are_pickled(tmp_path: Path, value: Any) -> None:
    s, back = round_trip(value, tmp_path)
    assert s.type == "pickle"
    assert repr(back) == repr(value)


def test_image_round_trips_with_same_pixels(tmp_path: Path) -> None:
    pixels = np.random.default_rng(2).integers(0, 256, (5, 7, 4), dtype=np.uint8)
    image = Image.fromarray(pixels)
    s, back = round_trip(image, tmp_path, "sample")
    assert (s.type, s.path.name, s.content_type) == ("image", "sample.png", "image/png")
    assert s.metadata == {"width": 7, "height": 5, "mode": "RGBA"}
    assert isinstance(back, Image.Image)
    assert back.mode == "RGBA"
    assert np.array_equal(np.asarray(back), pixels)


def test_custom_object_is_pickled(tmp_path: Path) -> None:
    s, back = round_trip(Point(1, 2), tmp_path, "point")
    assert (s.type, s.path.name) == ("pickle", "point.pkl")
    assert s.metadata == {"python_type": f"{__name__}.Point"}
    assert s.preview == "Point(1, 2)"
    assert back == Point(1, 2)


def test_unpicklable_object_is_a_type_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="not picklable"):
        serialize(lambda: 1, "fn", tmp_path)


def test_existing_file_is_used_in_place(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text("a,b\n1,2\n")
    for source in (path, str(path)):
        s, back = round_trip(source, tmp_path / "work")
        assert (s.path, s.type, s.temporary) == (path, "file", False)
        assert s.content_type == "text/csv"
        assert s.preview == "file: report.csv, 8 bytes"
        assert back == path
    assert not (tmp_path / "work").exists() or not any((tmp_path / "work").iterdir())


def test_missing_path_object_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        serialize(tmp_path / "missing.txt", "x", tmp_path)


def make_tree(root: Path) -> dict[str, bytes]:
    files = {
        "config.yaml": b"lr: 0.1\n",
        "weights/layer1.bin": bytes(range(256)) * 40,
        "weights/deep/layer2.bin": b"\x00" * 1000,
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (root / "empty").mkdir()
    return files


def test_folder_round_trips_through_zip(tmp_path: Path) -> None:
    source = tmp_path / "model"
    files = make_tree(source)
    s, back = round_trip(source, tmp_path / "work", "my model")
    assert (s.type, s.path.name, s.content_type) == ("folder", "my_model.zip", "application/zip")
    assert s.metadata == {"archive": "zip", "files": 3, "bytes": sum(map(len, files.values()))}
    assert s.preview.splitlines() == sorted(files)
    with zipfile.ZipFile(s.path) as zf:
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist() if not i.is_dir())
    assert back == tmp_path / "work" / "my_model"
    extracted = {
        p.relative_to(back).as_posix(): p.read_bytes() for p in back.rglob("*") if p.is_file()
    }
    assert extracted == files
    assert (back / "empty").is_dir()
    assert deserialize(s.path, "folder", s.metadata) == back  # idempotent


def test_folder_archive_inside_the_folder_is_not_archived_into_itself(tmp_path: Path) -> None:
    make_tree(tmp_path)
    s = serialize(tmp_path, "self", tmp_path)
    with zipfile.ZipFile(s.path) as zf:
        assert "self.zip" not in zf.namelist()


def test_folder_preview_lists_fifty_names(tmp_path: Path) -> None:
    source = tmp_path / "many"
    source.mkdir()
    for i in range(60):
        (source / f"f{i:02d}.txt").write_text("x")
    s = serialize(source, "many", tmp_path / "work")
    lines = s.preview.splitlines()
    assert lines[:2] == ["f00.txt", "f01.txt"]
    assert len(lines) == 51 and lines[-1] == "... and 10 more files"


@pytest.mark.parametrize("member", ["../evil.txt", "/etc/evil.txt", "ok/../../evil.txt"])
def test_zip_slip_is_refused(tmp_path: Path, member: str) -> None:
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("fine.txt", "ok")
        zf.writestr(member, "owned")
    with pytest.raises(ValueError, match="unsafe member"):
        deserialize(archive, "folder", {})
    assert not (tmp_path / "bad").exists()
    assert not (tmp_path / "evil.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.zip"]


def test_names_are_made_filesystem_safe(tmp_path: Path) -> None:
    s = serialize({"a": 1}, "../my run/é?", tmp_path)
    assert s.path == tmp_path / "_my_run___.json"
    assert ser.safe_name("...") == "artifact"


def test_unknown_type_gives_the_path(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(b"x")
    assert deserialize(path, "custom", {}) == path


def test_sha256_and_size_of_a_file_larger_than_a_chunk(tmp_path: Path) -> None:
    data = bytes(range(256)) * 5000  # 1.28 MB: more than one 1 MiB chunk
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
    assert file_size(path) == len(data)


# --- ClearML's formats and file patterns ---------------------------------------------


@pytest.mark.parametrize("extension", [".csv.gz", ".parquet", ".feather", ".pickle"])
def test_dataframe_round_trips_in_each_format(tmp_path: Path, extension: str) -> None:
    frame = ordinary_frame()
    s = serialize(frame, "table", tmp_path / "out", extension=extension)
    assert s.path.name == "table" + extension
    assert s.metadata["format"] == extension.lstrip(".")
    back = deserialize(s.path, s.type, s.metadata)
    assert back.equals(frame) and back.index.name == "run"


@pytest.mark.parametrize("extension", ["npz", ".csv.gz", ".NPY"])
def test_array_round_trips_in_each_format(tmp_path: Path, extension: str) -> None:
    array = np.arange(12, dtype=np.int16).reshape(3, 4)
    s = serialize(array, "weights", tmp_path, extension=extension)
    back = deserialize(s.path, s.type, s.metadata)
    assert back.dtype == array.dtype and np.array_equal(back, array)


def test_a_3d_array_cannot_be_csv(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="1-D or 2-D"):
        serialize(np.zeros((2, 2, 2)), "cube", tmp_path, extension=".csv.gz")


def test_dict_as_yaml_with_sorted_keys(tmp_path: Path) -> None:
    s = serialize(
        {"b": 1, "a": {"z": None, "y": [1, 2]}}, "cfg", tmp_path, extension=".yaml", sort_keys=True
    )
    assert (s.path.name, s.content_type) == ("cfg.yaml", "application/yaml")
    assert s.path.read_text().startswith("a:")
    assert deserialize(s.path, s.type, s.metadata) == {"a": {"z": None, "y": [1, 2]}, "b": 1}


def test_image_in_another_format(tmp_path: Path) -> None:
    image = Image.new("RGBA", (5, 4), (10, 20, 30, 255))
    s = serialize(image, "pic", tmp_path, extension=".jpg")
    assert (s.path.name, s.content_type) == ("pic.jpg", "image/jpeg")
    assert deserialize(s.path, s.type, s.metadata).size == (5, 4)


def test_pkl_extension_pickles_anything_and_a_wrong_one_is_refused(tmp_path: Path) -> None:
    s = serialize({"a": 1}, "d", tmp_path, extension=".pkl")
    assert s.type == "pickle" and deserialize(s.path, s.type, s.metadata) == {"a": 1}
    with pytest.raises(ValueError, match=r"\.json, \.yaml"):
        serialize({"a": 1}, "d", tmp_path, extension=".parquet")
    with pytest.raises(ValueError, match=r"'\.pkl'"):
        serialize(Point(1, 2), "p", tmp_path, extension=".json")


def test_serialization_function_writes_the_file(tmp_path: Path) -> None:
    s = serialize(
        Point(1, 2), "p", tmp_path, serializer=lambda p: b"%d,%d" % (p.x, p.y), extension=".txt"
    )
    assert (s.type, s.path.name, s.path.read_bytes()) == ("custom", "p.txt", b"1,2")
    with pytest.raises(TypeError, match="must return bytes"):
        serialize(Point(1, 2), "p", tmp_path, serializer=lambda p: "text")  # type: ignore[arg-type,return-value]


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("images/*.jpg", True),
        ("*.csv", True),
        ("out/run?.log", True),
        ("a/[ab].txt", True),
        ("what is this?", False),
        ("plain text", False),
        ("two\nlines*", False),
    ],
)
def test_which_strings_are_file_patterns(text: str, pattern: bool) -> None:
    assert ser.is_glob(text) is pattern


def _tree(root: Path) -> None:
    for rel in ("a.jpg", "b.jpg", "notes.txt", "sub/c.jpg"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)


def test_a_pattern_archives_the_matching_files_relative_to_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    s = serialize("data/*.jpg", "jpgs", tmp_path / "out")
    assert (s.type, s.content_type, s.metadata["files"]) == ("folder", "application/zip", 2)
    with zipfile.ZipFile(s.path) as zf:
        assert sorted(zf.namelist()) == ["a.jpg", "b.jpg"]
    s = serialize(Path("data/**/*.jpg"), "all", tmp_path / "out")
    with zipfile.ZipFile(s.path) as zf:
        assert sorted(zf.namelist()) == ["a.jpg", "b.jpg", "sub/c.jpg"]
    with pytest.raises(ValueError, match=r"no file matches 'data/\*\.gif'"):
        serialize("data/*.gif", "none", tmp_path / "out")


def test_a_list_of_paths_is_archived_relative_to_their_common_folder(tmp_path: Path) -> None:
    _tree(tmp_path)
    s = serialize([tmp_path / "a.jpg", tmp_path / "sub"], "some", tmp_path / "out")
    with zipfile.ZipFile(s.path) as zf:
        assert sorted(zf.namelist()) == ["a.jpg", "sub/c.jpg"]
    with pytest.raises(FileNotFoundError, match="missing"):
        serialize([tmp_path / "missing"], "none", tmp_path / "out")
