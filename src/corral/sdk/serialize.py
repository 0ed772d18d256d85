"""Artifacts to files and back.

:func:`serialize` writes a Python object to a file fit for upload and says what
it wrote (a :class:`Serialized`); :func:`deserialize` turns the downloaded file
back into the object. Types, by the first rule that matches:

==========================  ==========  ===========================================
object                      type        file
==========================  ==========  ===========================================
path of an existing file    file        that file, as it is (not copied)
path of an existing folder  folder      ``.zip`` (deflated, relative names)
glob pattern (``a/*.jpg``)  folder      ``.zip`` of the matching files
list of ``Path`` objects    folder      ``.zip`` of those files
pandas DataFrame            dataframe   ``.parquet`` (pyarrow) or ``.csv.gz``
numpy array (not object)    numpy       ``.npy``
plain JSON value            json        ``.json`` (UTF-8); other strings land here
PIL image                   image       ``.png``
anything else               pickle      ``.pkl`` (protocol 5)
==========================  ==========  ===========================================

``extension`` picks another format where the type has one (:data:`FORMATS`):
a DataFrame as ``.csv.gz``, ``.parquet``, ``.feather`` or ``.pickle``; an array
as ``.npy``, ``.npz`` or ``.csv.gz``; a JSON value as ``.json`` or ``.yaml``; an
image in any format Pillow writes; ``.pkl`` pickles any object. A
``serializer(obj) -> bytes`` replaces all of this (type ``custom``).

numpy, pandas, Pillow and PyYAML are imported only for objects of theirs.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import math
import mimetypes
import os
import pickle
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

log = logging.getLogger("corral.sdk")

__all__ = [
    "FORMATS",
    "Serialized",
    "deserialize",
    "file_size",
    "is_glob",
    "serialize",
    "sha256_file",
]

PREVIEW_BYTES = 64 * 1024
PICKLE_PREVIEW_BYTES = 1024
_LISTED_FILES = 50  # names in a folder's preview
_LISTED_COLUMNS = 100  # columns and dtypes in a DataFrame's metadata
_CHUNK = 1024 * 1024
#: the formats ``extension`` may pick, by type (the first is the default)
FORMATS: dict[str, tuple[str, ...]] = {
    "dataframe": (".parquet", ".csv.gz", ".feather", ".pickle"),
    "numpy": (".npy", ".npz", ".csv.gz"),
    "json": (".json", ".yaml", ".yml"),
}


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


def serialize(
    obj: Any,
    name: str,
    workdir: Path,
    *,
    extension: str | None = None,
    serializer: Callable[[Any], bytes | bytearray] | None = None,
    sort_keys: bool = False,
) -> Serialized:
    """Write ``obj`` as an artifact file in ``workdir`` (see the module's table).

    The file is ``workdir/<safe name><extension>``, overwritten if present. A
    ``str`` that names no existing path is stored as a JSON string, unless it is a
    glob pattern (see :func:`is_glob`): the matching files are then archived, with
    their paths relative to the pattern's folder. A ``Path`` that names nothing is
    an error. Tuples are stored as JSON lists and come back as lists; dicts with keys
    that are not strings, NaN and infinities, and objects JSON does not know, go to
    pickle so that they come back as they were.

    Args:
        obj: what to store.
        name: the artifact's name (the file's stem, made safe).
        workdir: where to write the file.
        extension: the format, for the types that have several (:data:`FORMATS`,
            any image format Pillow writes, or ``.pkl`` to pickle anything).
            Ignored for files, folders and patterns.
        serializer: ``serializer(obj) -> bytes`` writes the file instead (type
            ``custom``, named ``<name><extension>``).
        sort_keys: write the keys of JSON and YAML objects sorted.

    Raises:
        FileNotFoundError: for a ``PathLike`` naming nothing.
        ValueError: for a glob pattern no file matches, or an ``extension`` the
            object's type cannot be written as.
        TypeError: for an object that cannot be pickled, or a ``serializer``
            that returns no bytes.

    Example:
        >>> s = serialize({"lr": 0.1}, "params", Path(tempfile.mkdtemp()))
        >>> s.type, s.path.name, s.preview
        ('json', 'params.json', '{"lr": 0.1}')
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    stem = safe_name(name)
    ext = _normalize_extension(extension)

    def out(extension: str) -> Path:
        return workdir / (stem + extension)

    if serializer is not None:
        return _serialize_custom(obj, serializer, out(ext or ""))
    if isinstance(obj, os.PathLike) or (isinstance(obj, str) and _exists(obj)):
        path = Path(obj)
        if path.is_dir():
            return _serialize_folder(path, out(".zip"))
        if not path.is_file():
            if is_glob(str(obj)):
                return _serialize_glob(str(obj), out(".zip"))
            raise FileNotFoundError(f"no file or folder at {path}")
        size = path.stat().st_size
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        metadata = {"file_name": path.name, "bytes": size}
        preview = f"file: {path.name}, {size} bytes"
        return Serialized(path, "file", content_type, preview, metadata, temporary=False)
    if isinstance(obj, str) and is_glob(obj):
        return _serialize_glob(obj, out(".zip"))
    if _is_path_list(obj):
        return _serialize_paths([Path(p) for p in obj], out(".zip"))
    if ext == ".pkl":
        return _serialize_pickle(obj, out(".pkl"))
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(obj, pd.DataFrame):
        return _serialize_frame(obj, out, _pick(ext, "dataframe", obj))
    np = sys.modules.get("numpy")
    if np is not None and isinstance(obj, np.ndarray) and not obj.dtype.hasobject:
        return _serialize_array(obj, out, _pick(ext, "numpy", obj))
    if _is_plain_json(obj):
        if _pick(ext, "json", obj) in (".yaml", ".yml"):
            return _serialize_yaml(obj, out(ext or ".yaml"), sort_keys)
        path = out(".json")
        text = json.dumps(obj, ensure_ascii=False, allow_nan=False, sort_keys=sort_keys)
        path.write_text(text, encoding="utf-8")
        return Serialized(path, "json", "application/json", text[:PREVIEW_BYTES], {})
    pil = sys.modules.get("PIL.Image")
    if pil is not None and isinstance(obj, pil.Image):
        return _serialize_image(obj, out, ext)
    if ext:
        raise ValueError(
            f"a {type(obj).__name__} cannot be stored as {ext!r}: it is pickled; "
            "leave extension_name out, or pass '.pkl' (or a serialization_function)"
        )
    return _serialize_pickle(obj, out(".pkl"))


def is_glob(text: str) -> bool:
    """Whether a string is meant as a glob pattern of files, not as text.

    It is when it has a ``*``, or a ``?`` or ``[`` together with a path separator,
    on one line of at most 4096 characters: ``"images/*.jpg"``, ``"out/run?.log"``.

    Example:
        >>> is_glob("images/*.jpg"), is_glob("what is this?")
        (True, False)
    """
    if not text or len(text) > 4096 or "\n" in text or not glob.has_magic(text):
        return False
    return "*" in text or "/" in text or os.sep in text


def _normalize_extension(extension: str | None) -> str | None:
    if extension is None or extension == "":
        return None
    if not isinstance(extension, str):
        raise TypeError(f"extension_name is a str such as '.csv.gz', not {extension!r}")
    ext = extension.strip().lower()
    return ext if ext.startswith(".") else "." + ext


def _pick(ext: str | None, kind: str, obj: Any) -> str:
    allowed = FORMATS[kind]
    if ext is None:
        return allowed[0]
    if ext not in allowed:
        raise ValueError(
            f"a {type(obj).__name__} artifact can be stored as {', '.join(allowed)} "
            f"(or '.pkl'), not {ext!r}"
        )
    return ext


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
    return _zip(files, path, empty)


def _zip(
    files: list[tuple[str, Path]], path: Path, empty: Sequence[str] = (), **facts: Any
) -> Serialized:
    """Archive ``(name in the zip, file)`` pairs as a "folder" artifact."""
    files = sorted(files)
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
    metadata = {"archive": "zip", "files": len(names), "bytes": total, **facts}
    return Serialized(path, "folder", "application/zip", preview, metadata)


def _glob_root(pattern: str) -> Path:
    """The folder before the pattern's first wildcard: the matches' names start there."""
    parts = Path(pattern).parts
    fixed: list[str] = []
    for part in parts[:-1]:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(".")


def _serialize_glob(pattern: str, path: Path) -> Serialized:
    root = _glob_root(pattern)
    matches = sorted(
        Path(m) for m in glob.glob(os.path.expanduser(pattern), recursive=True) if Path(m).is_file()
    )
    matches = [m for m in matches if m.resolve() != path.resolve()]
    if not matches:
        raise ValueError(
            f"no file matches {pattern!r} (from {os.getcwd()}); to store the text itself, "
            "put it in a dict or list"
        )
    base = os.path.abspath(os.path.expanduser(str(root)))
    files = [(Path(os.path.relpath(os.path.abspath(m), base)).as_posix(), m) for m in matches]
    return _zip(files, path, pattern=pattern)


def _is_path_list(obj: Any) -> bool:
    return (
        isinstance(obj, (list, tuple))
        and bool(obj)
        and all(isinstance(p, os.PathLike) for p in obj)
    )


def _serialize_paths(paths: list[Path], path: Path) -> Serialized:
    """Files (and folders' files) of a list, named relative to their common folder."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"no file or folder at {', '.join(missing[:5])}")
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found.extend(f for f in p.rglob("*") if f.is_file())
        else:
            found.append(p)
    resolved = sorted({f.resolve() for f in found})
    dirs = [str(f.parent) for f in resolved] + [str(p.resolve()) for p in paths if p.is_dir()]
    base = Path(os.path.commonpath(dirs))
    return _zip([(f.relative_to(base).as_posix(), f) for f in resolved], path)


def _serialize_custom(
    obj: Any, serializer: Callable[[Any], bytes | bytearray], path: Path
) -> Serialized:
    data = serializer(obj)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(
            f"serialization_function returned a {type(data).__name__}; it must return bytes"
        )
    path.write_bytes(data)
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    try:
        preview = repr(obj)[:PICKLE_PREVIEW_BYTES]
    except Exception:  # a repr that fails is no reason to lose the artifact
        preview = ""
    metadata = {"serialization": "custom", "bytes": len(data)}
    return Serialized(path, "custom", content_type, preview, metadata)


def _parquet_available() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _frame_facts(frame: Any) -> dict[str, Any]:
    return {
        "rows": len(frame),
        "n_columns": len(frame.columns),
        "columns": [str(c) for c in frame.columns[:_LISTED_COLUMNS]],
        "dtypes": {str(c): str(t) for c, t in list(frame.dtypes.items())[:_LISTED_COLUMNS]},
        "index_levels": frame.index.nlevels,
    }


_FRAME_TYPES = {
    "parquet": "application/vnd.apache.parquet",
    "feather": "application/vnd.apache.arrow.file",
    "pickle": "application/octet-stream",
    "csv.gz": "application/gzip",
}


def _serialize_frame(frame: Any, out: Callable[[str], Path], ext: str) -> Serialized:
    metadata = _frame_facts(frame)
    fmt = ext.lstrip(".")
    path = out(ext)
    try:
        if fmt in ("parquet", "feather") and not _parquet_available():
            raise ImportError("pyarrow is not installed")
        if fmt == "parquet":
            frame.to_parquet(path, engine="pyarrow")
        elif fmt == "feather":
            # feather keeps no index: it is stored as columns and set back when read
            frame.reset_index().to_feather(path)
            metadata["index_names"] = [str(n) if n is not None else None for n in frame.index.names]
        elif fmt == "pickle":
            frame.to_pickle(path)
        else:
            frame.to_csv(path, index=True, compression="gzip")
    except Exception as e:  # no pyarrow, or a frame parquet refuses (e.g. int column names)
        log.debug("DataFrame as %s failed (%s); storing it as csv.gz", fmt, e)
        path.unlink(missing_ok=True)
        fmt, path = "csv.gz", out(".csv.gz")
        frame.to_csv(path, index=True, compression="gzip")
    metadata["format"] = fmt
    preview = frame.head(10).to_string()[:PREVIEW_BYTES]
    return Serialized(path, "dataframe", _FRAME_TYPES[fmt], preview, metadata)


def _serialize_array(array: Any, out: Callable[[str], Path], ext: str) -> Serialized:
    import numpy as np

    metadata: dict[str, Any] = {"shape": list(array.shape), "dtype": str(array.dtype)}
    path = out(ext)
    if ext == ".npz":
        np.savez_compressed(path, array=array)
        content_type = "application/x-npz"
    elif ext == ".csv.gz":
        if array.ndim > 2:
            raise ValueError(
                f"a {array.ndim}-D array cannot be stored as '.csv.gz' (1-D or 2-D only); "
                "use '.npy' or '.npz'"
            )
        np.savetxt(path, array, delimiter=",", fmt="%s" if array.dtype.kind in "USb" else "%.18g")
        content_type = "application/gzip"
    else:
        np.save(path, array, allow_pickle=False)
        content_type = "application/x-npy"
    if ext != ".npy":  # the default needs no word (and records made before formats had none)
        metadata["format"] = ext.lstrip(".")
    preview = np.array2string(array, threshold=200)[:PREVIEW_BYTES]
    return Serialized(path, "numpy", content_type, preview, metadata)


def _serialize_yaml(obj: Any, path: Path, sort_keys: bool) -> Serialized:
    try:
        import yaml
    except ImportError as e:
        raise ImportError("a '.yaml' artifact needs PyYAML: pip install pyyaml") from e
    text = yaml.safe_dump(obj, sort_keys=sort_keys, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    metadata = {"format": "yaml"}
    return Serialized(path, "json", "application/yaml", text[:PREVIEW_BYTES], metadata)


def _serialize_image(image: Any, out: Callable[[str], Path], ext: str | None) -> Serialized:
    from PIL import Image

    metadata = {"width": image.width, "height": image.height, "mode": image.mode}
    ext = ext or ".png"
    image_format = Image.registered_extensions().get(ext)
    if image_format is None or image_format not in Image.SAVE:
        raise ValueError(f"Pillow cannot write images as {ext!r}; use '.png' or '.jpg'")
    path = out(ext)
    try:
        image.save(path, format=image_format)
    except (OSError, ValueError):  # a mode the format cannot hold (CMYK as PNG, RGBA as JPEG...)
        image.convert("RGBA" if "A" in image.getbands() and ext == ".png" else "RGB").save(
            path, format=image_format
        )
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    preview = f"image {image.width}x{image.height} {image.mode}"
    return Serialized(path, "image", content_type, preview, metadata)


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
        return _read_array(path, metadata)
    if type == "json":
        if metadata.get("format") == "yaml":
            import yaml

            return yaml.safe_load(path.read_text(encoding="utf-8"))
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
    if fmt == "feather":
        frame = pd.read_feather(path)
        names = metadata.get("index_names") or [None]
        columns = list(frame.columns[: len(names)])
        frame = frame.set_index(columns)
        frame.index.names = names
        return frame
    if fmt == "pickle":
        return pd.read_pickle(path)  # like any pickle: artifacts of tasks you trust
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


def _read_array(path: Path, metadata: dict[str, Any]) -> Any:
    import numpy as np

    fmt = metadata.get("format", "npy")
    if fmt == "npz":
        with np.load(path, allow_pickle=False) as stored:
            return stored[stored.files[0]]
    if fmt == "csv.gz":
        dtype = np.dtype(metadata.get("dtype", "float64"))
        array = np.loadtxt(path, delimiter=",", dtype=dtype, ndmin=2)
        return array.reshape(metadata.get("shape", array.shape))
    return np.load(path, allow_pickle=False)


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
