"""Artifacts to files and back.

:func:`serialize` writes a Python object to a file fit for upload and says what
it wrote (a :class:`Serialized`); :func:`deserialize` turns the downloaded file
back into the object. Types, by the first rule that matches:

==========================  ==========  ===========================================
object                      type        file
==========================  ==========  ===========================================
path of an existing file    file        that file, as it is (not copied)
path of an existing folder  folder      ``.zip`` (deflated, relative names)
pandas DataFrame            dataframe   ``.parquet`` (pyarrow) or ``.csv.gz``
numpy array (not object)    numpy       ``.npy``
plain JSON value            json        ``.json`` (UTF-8); other strings land here
PIL image                   image       ``.png``
anything else               pickle      ``.pkl`` (protocol 5)
==========================  ==========  ===========================================

numpy, pandas and Pillow are imported only for objects of theirs.
"""

from __future__ import annotations

import hashlib
import json
import math
import mimetypes
import os
import pickle
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

__all__ = ["Serialized", "deserialize", "file_size", "serialize", "sha256_file"]

PREVIEW_BYTES = 64 * 1024
PICKLE_PREVIEW_BYTES = 1024
_LISTED_FILES = 50  # names in a folder's preview
_LISTED_COLUMNS = 100  # columns and dtypes in a DataFrame's metadata
_CHUNK = 1024 * 1024


@dataclass
class Serialized:
    """What :func:`serialize` wrote.

    Attributes:
        path: the file to upload.
        type: "file", "folder", "dataframe", "numpy", "json", "image" or "pickle".
        content_type: its MIME type.
        preview: a short human-readable text of the content.
        metadata: facts :func:`deserialize` and the UI use (format, shape, rows...).
        temporary: ``path`` was created here: the caller deletes it after upload.
    """

    path: Path
    type: str
    content_type: str
    preview: str
    metadata: dict[str, Any] = field(default_factory=dict)
    temporary: bool = True


def safe_name(name: str) -> str:
    """``name`` as a file name: [A-Za-z0-9._-] kept, others replaced by "_".

    Example:
        >>> safe_name("my model/v1 (best)")
        'my_model_v1__best_'
    """
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".")  # no hidden file, no ".."
    return safe[:120] or "artifact"


def serialize(obj: Any, name: str, workdir: Path) -> Serialized:
    """Write ``obj`` as an artifact file in ``workdir`` (see the module's table).

    The file is ``workdir/<safe name><extension>``, overwritten if present. A
    ``str`` that names no existing path is stored as a JSON string; a ``Path``
    that names nothing is an error. Tuples are stored as JSON lists and come back
    as lists; dicts with keys that are not strings, NaN and infinities, and
    objects JSON does not know, go to pickle so that they come back as they were.

    Raises:
        FileNotFoundError: for a ``PathLike`` naming nothing.
        TypeError: for an object that cannot be pickled.

    Example:
        >>> s = serialize({"lr": 0.1}, "params", Path(tempfile.mkdtemp()))
        >>> s.type, s.path.name, s.preview
        ('json', 'params.json', '{"lr": 0.1}')
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    stem = safe_name(name)

    def out(extension: str) -> Path:
        return workdir / (stem + extension)

    if isinstance(obj, os.PathLike) or (isinstance(obj, str) and _exists(obj)):
        path = Path(obj)
        if path.is_dir():
            return _serialize_folder(path, out(".zip"))
        if not path.is_file():
            raise FileNotFoundError(f"no file or folder at {path}")
        size = path.stat().st_size
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        metadata = {"file_name": path.name, "bytes": size}
        preview = f"file: {path.name}, {size} bytes"
        return Serialized(path, "file", content_type, preview, metadata, temporary=False)
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(obj, pd.DataFrame):
        return _serialize_frame(obj, out)
    np = sys.modules.get("numpy")
    if np is not None and isinstance(obj, np.ndarray) and not obj.dtype.hasobject:
        path = out(".npy")
        np.save(path, obj, allow_pickle=False)
        preview = np.array2string(obj, threshold=200)[:PREVIEW_BYTES]
        metadata = {"shape": list(obj.shape), "dtype": str(obj.dtype)}
        return Serialized(path, "numpy", "application/x-npy", preview, metadata)
    if _is_plain_json(obj):
        path = out(".json")
        text = json.dumps(obj, ensure_ascii=False, allow_nan=False)
        path.write_text(text, encoding="utf-8")
        return Serialized(path, "json", "application/json", text[:PREVIEW_BYTES], {})
    pil = sys.modules.get("PIL.Image")
    if pil is not None and isinstance(obj, pil.Image):
        return _serialize_image(obj, out(".png"))
    return _serialize_pickle(obj, out(".pkl"))


def _exists(text: str) -> bool:
    try:
        return bool(text) and os.path.exists(text)
    except (OSError, ValueError):  # too long, NUL byte...
        return False


def _is_plain_json(obj: Any, depth: int = 0) -> bool:
    """JSON that comes back equal (but for tuples becoming lists)."""
    if depth > 200:
        return False
    if obj is None or type(obj) in (str, bool, int):
        return True
    if type(obj) is float:
        return math.isfinite(obj)
    if type(obj) in (list, tuple):
        return all(_is_plain_json(v, depth + 1) for v in obj)
    if type(obj) is dict:
        return all(type(k) is str and _is_plain_json(v, depth + 1) for k, v in obj.items())
    return False


def _serialize_folder(folder: Path, path: Path) -> Serialized:
    files: list[tuple[str, Path]] = []
    empty: list[str] = []
    for root, dirs, names in os.walk(folder):
        here = Path(root)
        if not dirs and not names and here != folder:
            empty.append(here.relative_to(folder).as_posix() + "/")
        for name in names:
            source = here / name
            if source.resolve() != path.resolve():  # the archive itself, when it is inside
                files.append((source.relative_to(folder).as_posix(), source))
    files.sort()
    total = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for directory in sorted(empty):  # kept, so the folder comes back with the same shape
            archive.writestr(directory, b"")
        for relative, source in files:
            archive.write(source, relative)
            total += source.stat().st_size
    names = [relative for relative, _ in files]
    preview = "\n".join(names[:_LISTED_FILES])
    if len(names) > _LISTED_FILES:
        preview += f"\n... and {len(names) - _LISTED_FILES} more files"
    metadata = {"archive": "zip", "files": len(names), "bytes": total}
    return Serialized(path, "folder", "application/zip", preview, metadata)


def _parquet_available() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _serialize_frame(frame: Any, out: Callable[[str], Path]) -> Serialized:
    metadata: dict[str, Any] = {
        "rows": len(frame),
        "n_columns": len(frame.columns),
        "columns": [str(c) for c in frame.columns[:_LISTED_COLUMNS]],
        "dtypes": {str(c): str(t) for c, t in list(frame.dtypes.items())[:_LISTED_COLUMNS]},
        "index_levels": frame.index.nlevels,
    }
    path = out(".parquet")
    try:
        if not _parquet_available():
            raise ImportError("pyarrow is not installed")
        frame.to_parquet(path, engine="pyarrow")
        metadata["format"] = "parquet"
        content_type = "application/vnd.apache.parquet"
    except Exception:  # no pyarrow, or a frame parquet refuses (e.g. int column names)
        path.unlink(missing_ok=True)
        path = out(".csv.gz")
        frame.to_csv(path, index=True, compression="gzip")
        metadata["format"] = "csv.gz"
        content_type = "application/gzip"
    preview = frame.head(10).to_string()[:PREVIEW_BYTES]
    return Serialized(path, "dataframe", content_type, preview, metadata)


def _serialize_image(image: Any, path: Path) -> Serialized:
    metadata = {"width": image.width, "height": image.height, "mode": image.mode}
    try:
        image.save(path, format="PNG")
    except (OSError, ValueError):  # a mode PNG cannot hold (CMYK, F...)
        image.convert("RGBA" if "A" in image.getbands() else "RGB").save(path, format="PNG")
    preview = f"image {image.width}x{image.height} {image.mode}"
    return Serialized(path, "image", "image/png", preview, metadata)


def _serialize_pickle(obj: Any, path: Path) -> Serialized:
    kind = type(obj)
    try:
        data = pickle.dumps(obj, protocol=5)
    except Exception as e:  # PicklingError, AttributeError (lambdas), TypeError (locks)...
        raise TypeError(f"cannot serialize {kind.__name__} (not picklable): {e}") from e
    path.write_bytes(data)
    metadata = {"python_type": f"{kind.__module__}.{kind.__qualname__}"}
    preview = repr(obj)[:PICKLE_PREVIEW_BYTES]
    return Serialized(path, "pickle", "application/octet-stream", preview, metadata)


def deserialize(path: Path, type: str, metadata: dict[str, Any]) -> Any:
    """The object an artifact file holds, as :func:`serialize` wrote it.

    "file" gives the path; "folder" extracts the zip into a folder next to it
    (named after it without ``.zip``; done once, later calls return the same
    folder) and gives that folder; an unknown type gives the path.

    "pickle" unpickles, which runs whatever code the file says, as pickle
    always does: load only artifacts you trust. This runs in the SDK only; the
    hub never unpickles anything.

    Raises:
        ValueError: for a zip with a member outside its folder (absolute or "..").

    Example:
        >>> s = serialize([1, 2], "pair", Path(tempfile.mkdtemp()))
        >>> deserialize(s.path, s.type, s.metadata)
        [1, 2]
    """
    path = Path(path)
    if type == "folder":
        return _extract(path)
    if type == "dataframe":
        return _read_frame(path, metadata)
    if type == "numpy":
        import numpy as np

        return np.load(path, allow_pickle=False)
    if type == "json":
        return json.loads(path.read_text(encoding="utf-8"))
    if type == "image":
        from PIL import Image

        with Image.open(path) as image:
            image.load()
        return image
    if type == "pickle":
        return pickle.loads(path.read_bytes())
    return path  # "file", or a type this SDK does not know


def _read_frame(path: Path, metadata: dict[str, Any]) -> Any:
    import pandas as pd

    fmt = metadata.get("format") or ("csv.gz" if path.name.endswith(".csv.gz") else "parquet")
    if fmt == "parquet":
        return pd.read_parquet(path)
    levels = int(metadata.get("index_levels", 1))
    frame = pd.read_csv(path, index_col=list(range(levels)), compression="gzip")
    for column, dtype in metadata.get("dtypes", {}).items():
        if column not in frame.columns or str(frame[column].dtype) == dtype:
            continue
        try:
            if dtype.startswith("datetime64"):
                frame[column] = pd.to_datetime(frame[column]).astype(dtype)
            else:
                frame[column] = frame[column].astype(dtype)
        except (TypeError, ValueError):  # keep what CSV gave rather than fail
            pass
    return frame


def _extract(archive: Path) -> Path:
    """Extract ``archive`` once into the folder named after it; refuse zip-slip."""
    if archive.suffix == ".zip":
        target = archive.with_suffix("")
    else:
        target = archive.with_name(archive.name + ".d")
    if target.is_dir():
        return target
    with zipfile.ZipFile(archive) as zf:
        for member in zf.namelist():
            pure = PurePosixPath(member.replace("\\", "/"))
            if pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", member):
                raise ValueError(f"refusing to extract {archive.name}: unsafe member {member!r}")
        # into a fresh folder first, renamed at the end: a crash never leaves half a folder
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=archive.parent))
        try:
            zf.extractall(staging)
            staging.rename(target)
        except OSError:
            if not target.is_dir():  # not lost to a concurrent extraction of the same zip
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks.

    Example:
        >>> p = Path(tempfile.mkdtemp()) / "x"
        >>> _ = p.write_bytes(b"abc")
        >>> sha256_file(p)[:16]
        'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_size(path: str | os.PathLike[str]) -> int:
    """Size of a file in bytes.

    Example:
        >>> p = Path(tempfile.mkdtemp()) / "x"
        >>> _ = p.write_bytes(b"abc")
        >>> file_size(p)
        3
    """
    return os.stat(path).st_size
