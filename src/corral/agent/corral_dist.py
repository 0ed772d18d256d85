"""Give a task's environment the very corral the agent runs.

A task's requirements may name ``corral`` (the SDK captured itself), but installing
that name from an index could bring a different project that happens to share it,
or another version than the hub speaks. So the agent never installs corral: it
builds an *overlay* folder once per corral version and location::

    <agent root>/corral/0.1.0-1a2b3c4d5e6f/
        corral -> /path/to/the/agent's/corral        (a symlink)
        corral-0.1.0.dist-info/METADATA, INSTALLER   (so importlib.metadata finds it)

and puts that folder in front of the task environment's ``sys.path`` (a ``.pth``
file in venv mode, ``PYTHONPATH`` in docker mode). Only corral's own runtime
requirements are installed in the task's environment.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata as metadata
import os
import re
import shutil
import sys
from pathlib import Path

from corral._version import __version__
from corral.system.packages import normalize_name

#: the name of the ``.pth`` file that puts the overlay on a venv's ``sys.path``
PTH_NAME = "_corral_agent.pth"
_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_EGG = re.compile(r"#egg=([A-Za-z0-9._-]+)")


def package_dir() -> Path:
    """The folder of the ``corral`` package the agent imported (the symlink's target)."""
    # this module is corral/agent/corral_dist.py; the package is two levels up
    return Path(__file__).resolve().parent.parent


def version() -> str:
    """The version of the running corral (from its source, not from install metadata)."""
    return __version__


@functools.cache
def identity() -> str:
    """``<version>-<hash>``: which corral a task environment gets (part of the venv key).

    The hash covers the package's location and the modification time of its
    ``_version.py``, so another checkout or a version bump gives another identity.

    Example:
        >>> identity()  # doctest: +SKIP
        '0.1.0-1a2b3c4d5e6f'
    """
    pkg = package_dir()
    try:
        mtime = (pkg / "_version.py").stat().st_mtime_ns
    except OSError:
        mtime = 0
    digest = hashlib.sha256(f"{pkg}\0{mtime}".encode()).hexdigest()[:12]
    return f"{version()}-{digest}"


def overlay_dir(root: Path) -> Path:
    """The overlay folder for this corral under the agent's ``root``, built on first use.

    Safe with several agents sharing ``root``: the folder is assembled under a
    temporary name and renamed into place; the loser of a race uses the winner's.

    Example:
        >>> overlay_dir(Path.home() / ".corral/agent")  # doctest: +SKIP
        PosixPath('/home/me/.corral/agent/corral/0.1.0-1a2b3c4d5e6f')
    """
    target = root / "corral" / identity()
    if (target / "corral").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.parent / f".{target.name}.{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    (partial / "corral").symlink_to(package_dir(), target_is_directory=True)
    info = partial / f"corral-{version()}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(_metadata_text(), encoding="utf-8")
    (info / "INSTALLER").write_text("corral-agent\n", encoding="utf-8")
    try:
        partial.rename(target)
    except OSError:
        # another agent renamed its copy first (or a stale, broken one is in the way)
        if not (target / "corral").exists():
            shutil.rmtree(target, ignore_errors=True)
            partial.rename(target)
    shutil.rmtree(partial, ignore_errors=True)
    return target


def _metadata_text() -> str:
    """The installed METADATA with the running version (an editable install can lag)."""
    try:
        text = metadata.distribution("corral").read_text("METADATA") or ""
    except metadata.PackageNotFoundError:
        text = ""
    if not text:
        lines = ["Metadata-Version: 2.1", "Name: corral", f"Version: {version()}"]
        lines += [f"Requires-Dist: {r}" for r in runtime_requirements()]
        return "\n".join(lines) + "\n"
    return re.sub(r"(?m)^Version: .*$", f"Version: {version()}", text, count=1)


@functools.cache
def _requires() -> tuple[str, ...]:
    try:
        return tuple(metadata.requires("corral") or ())
    except metadata.PackageNotFoundError:
        pass
    # run from a source checkout (PYTHONPATH=src): read the project file instead
    pyproject = package_dir().parent.parent / "pyproject.toml"
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, ValueError):
        return ()
    return tuple(str(r) for r in project.get("dependencies", []))


#: corral's requirements that only the agent itself uses: a task's environment skips them
AGENT_ONLY = frozenset({"uv"})


def runtime_requirements() -> list[str]:
    """corral's own requirements, without those of its extras (server, s3...) and the agent's.

    Example:
        >>> "httpx>=0.27" in runtime_requirements()  # doctest: +SKIP
        True
    """
    out: list[str] = []
    for line in _requires():
        _, _, marker = line.partition(";")
        if re.search(r"\bextra\b", marker):
            continue
        name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
        if name and normalize_name(name.group(1)) in AGENT_ONLY:
            continue
        out.append(line.strip())
    return out


def is_corral_requirement(line: str) -> bool:
    """Whether a requirements line installs corral (any spelling, extras, URL or pin).

    Example:
        >>> [is_corral_requirement(x) for x in ("corral==0.1", "Corral[s3]", "corral-x")]
        [True, True, False]
    """
    text = line.strip()
    if not text or text.startswith("#"):
        return False
    egg = _EGG.search(text)
    if egg and normalize_name(egg.group(1)) == "corral":
        return True
    if text.startswith("-"):
        return False
    match = _NAME.match(text)
    return match is not None and normalize_name(match.group(1)) == "corral"


def with_corral(pip_text: str) -> list[str]:
    """The task's requirement lines without corral, plus corral's runtime requirements.

    Example:
        >>> with_corral("numpy==2.1.0\\ncorral==0.1.0")[0]
        'numpy==2.1.0'
    """
    lines = [ln.strip() for ln in pip_text.splitlines()]
    kept = [ln for ln in lines if ln and not ln.startswith("#") and not is_corral_requirement(ln)]
    return kept + [r for r in runtime_requirements() if r not in kept]


def write_pth(site_packages: Path, overlay: Path) -> Path:
    """Write ``_corral_agent.pth`` so the overlay comes first on ``sys.path``.

    A plain path line would be appended after ``site-packages``, where a package
    called ``corral`` installed from an index would win; an ``import`` line runs at
    startup and puts the overlay in front instead.

    Example:
        >>> write_pth(venv / "lib/python3.12/site-packages", overlay)  # doctest: +SKIP
    """
    entry = repr(str(overlay))
    line = f"import sys; {entry} in sys.path or sys.path.insert(0, {entry})\n"
    path = site_packages / PTH_NAME
    path.write_text(line, encoding="utf-8")
    return path
