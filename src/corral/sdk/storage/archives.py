"""Safe extraction of ``.zip`` and ``.tar`` (``.gz``, ``.bz2``, ``.xz``) archives.

An archive is refused whole (:class:`~corral.errors.ValidationError`, nothing
extracted) when any member would land outside the target folder: an absolute
name, a ``..`` segment, a link pointing out of the folder, or a device or FIFO.
Tar files are extracted with Python's ``"data"`` filter on top of these checks.
The folder appears whole: members are extracted next to it, then renamed.

Example::

    if archive_stem("data.tar.gz"):
        extract_archive(Path("data.tar.gz"), Path("data"))
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tarfile
import uuid
import zipfile
from pathlib import Path

from corral.errors import ValidationError

TAR_SUFFIXES = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz2", ".txz", ".tar")
ZIP_SUFFIXES = (".zip",)


def archive_stem(name: str) -> str | None:
    """``name`` without its archive suffix, or ``None`` if it is not an archive's name.

    Example::

        >>> archive_stem("images.tar.gz"), archive_stem("model.pt")
        ('images', None)
    """
    lower = name.lower()
    for suffix in ZIP_SUFFIXES + TAR_SUFFIXES:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return None


def _escapes(name: str) -> bool:
    """Whether an archive member's name could land outside the folder it is extracted into."""
    parts = name.replace("\\", "/").split("/")
    absolute = name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":")
    return absolute or ".." in parts


def _check_zip(archive: zipfile.ZipFile, source: Path) -> None:
    for member in archive.infolist():
        if _escapes(member.filename):
            raise ValidationError(
                f"{source.name}: refusing to extract {member.filename!r}, "
                "which would land outside the target folder"
            )


def _check_tar(archive: tarfile.TarFile, source: Path) -> None:
    for member in archive.getmembers():
        problem = None
        if _escapes(member.name):
            problem = "would land outside the target folder"
        elif member.issym():
            # a symbolic link's target is relative to the link's folder
            target = posixpath.normpath(
                posixpath.join(posixpath.dirname(member.name), member.linkname)
            )
            if member.linkname.startswith("/") or target.split("/")[0] == "..":
                problem = f"links outside the target folder (to {member.linkname!r})"
        elif member.islnk():
            if _escapes(member.linkname):
                problem = f"links outside the target folder (to {member.linkname!r})"
        elif not (member.isfile() or member.isdir()):
            problem = "is a device or a FIFO"
        if problem:
            raise ValidationError(
                f"{source.name}: refusing to extract {member.name!r}, which {problem}"
            )


def _extract_into(archive: Path, folder: Path) -> None:
    name = archive.name.lower()
    try:
        if name.endswith(ZIP_SUFFIXES):
            with zipfile.ZipFile(archive) as zf:
                _check_zip(zf, archive)
                zf.extractall(folder)
        else:
            with tarfile.open(archive) as tf:
                _check_tar(tf, archive)
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(folder, filter="data")
                else:  # pragma: no cover - Python before 3.10.12 / 3.11.4
                    tf.extractall(folder)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as e:
        raise ValidationError(f"{archive.name} is not a readable archive: {e}") from e


def extract_archive(archive: Path, folder: Path) -> Path:
    """Extract ``archive`` into ``folder`` (which must not exist yet) and return it.

    Raises:
        ValidationError: a member would escape ``folder``, or the file is no archive.

    Example::

        extract_archive(Path("cache/ab12/data.zip"), Path("cache/ab12/data"))
    """
    if archive_stem(archive.name) is None:
        raise ValidationError(f"{archive.name} is not a .zip or .tar(.gz/.bz2/.xz) archive")
    staging = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.extracting")
    staging.mkdir(parents=True)
    try:
        _extract_into(archive, staging)
        try:
            os.replace(staging, folder)
        except OSError:
            if not folder.is_dir():  # else: another process extracted it meanwhile
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
