"""The installed Python distributions: names, versions, import names, ``pip freeze``.

Read from the installed metadata (``importlib.metadata``), without a subprocess.
Reading every distribution takes a few hundred milliseconds, so :func:`environment`
keeps its answer in ``~/.corral/cache/environment-*.json`` (``CORRAL_CACHE_DIR``)
while the folders on ``sys.path`` are unchanged.

Example:
    >>> "pytest==" in freeze()  # doctest: +SKIP
    True
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import json
import logging
import os
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger("corral.system")


def normalize_name(name: str) -> str:
    """PEP 503 normalized distribution name.

    Example:
        >>> normalize_name("Zope.Interface_x")
        'zope-interface-x'
    """
    return re.sub(r"[-_.]+", "-", name).lower()


def sorted_lines(lines: Iterable[tuple[str, str]]) -> str:
    """``(name, line)`` pairs as text, sorted by name case-insensitively as pip does.

    Example:
        >>> sorted_lines([("six", "six==1"), ("Flask", "Flask==3")])
        'Flask==3\\nsix==1\\n'
    """
    return "".join(f"{line}\n" for _, line in sorted(lines, key=lambda nl: nl[0].lower()))


def _distribution_name(dist: metadata.Distribution) -> str | None:
    try:
        name = dist.metadata["Name"]
    except Exception:  # a broken install without METADATA
        return None
    return str(name) if name else None


def _direct_url(dist: metadata.Distribution) -> str | None:
    """The PEP 610 URL of a distribution installed from a folder, archive or VCS."""
    try:
        text = dist.read_text("direct_url.json")
        if not text:
            return None
        data = json.loads(text)
        url = data.get("url")
        if not isinstance(url, str) or not url:
            return None
        vcs = data.get("vcs_info")
        if isinstance(vcs, dict) and vcs.get("vcs"):
            url = f"{vcs['vcs']}+{url}"
            if vcs.get("commit_id"):
                url = f"{url}@{vcs['commit_id']}"
        return url
    except (OSError, ValueError, AttributeError) as e:
        log.debug("bad direct_url.json: %s", e)
        return None


def _installed() -> Iterator[tuple[str, metadata.Distribution]]:
    """Installed distributions, the first on ``sys.path`` winning for each name."""
    seen: set[str] = set()
    for dist in metadata.distributions():
        name = _distribution_name(dist)
        if not name or normalize_name(name) in seen:
            continue
        seen.add(normalize_name(name))
        yield name, dist


def _freeze() -> str:
    """Every installed distribution as ``pip freeze`` lists them: ``name @ url`` for one
    installed from a folder, an archive URL or a VCS (PEP 610), else ``name==version``."""
    lines: list[tuple[str, str]] = []
    try:
        for name, dist in _installed():
            url = _direct_url(dist)
            lines.append((name, f"{name} @ {url}" if url else f"{name}=={dist.version}"))
    except Exception as e:  # a broken distribution must not lose the rest silently
        log.debug("freeze failed: %s", e, exc_info=True)
    return sorted_lines(lines)


def freeze() -> str:
    """Every installed distribution, as ``pip freeze`` lists them.

    Returns:
        One line per distribution, sorted case-insensitively, ending with a newline
        (cached, see :func:`environment`).

    Example:
        >>> "numpy==" in freeze()  # doctest: +SKIP
        True
    """
    return str(environment()["freeze"])


def _scan_environment() -> dict[str, Any]:
    try:
        provided = {k: list(v) for k, v in metadata.packages_distributions().items()}
    except Exception as e:
        log.debug("packages_distributions failed: %s", e)
        provided = {}
    versions: dict[str, list[str]] = {}
    for name, dist in _installed():
        if dist.version:
            versions[normalize_name(name)] = [name, dist.version]
    return {"provided": provided, "versions": versions, "freeze": _freeze()}


def _fingerprint() -> list[Any]:
    """What changes when a package is installed, upgraded or removed: the folders on
    ``sys.path`` and their modification times."""
    marks: list[Any] = [sys.executable, sys.version]
    for entry in sys.path:
        try:
            marks.append([entry, os.stat(entry or ".").st_mtime_ns])
        except OSError:
            marks.append([entry, None])
    return marks


def environment() -> dict[str, Any]:
    """The installed distributions.

    Returns:
        ``provided`` (import name -> distribution names), ``versions`` (normalized
        name -> ``[name, version]``) and ``freeze`` (see :func:`freeze`), read again
        only when the folders on ``sys.path`` changed (installing or removing a
        package changes them).
    """
    marks = _fingerprint()
    key = hashlib.sha1(json.dumps(marks[:2] + [m[0] for m in marks[2:]]).encode()).hexdigest()
    root = Path(os.environ.get("CORRAL_CACHE_DIR") or Path.home() / ".corral" / "cache")
    path = root / f"environment-{key[:16]}.json"
    try:
        cached = json.loads(path.read_text())
        if cached.get("fingerprint") == marks:
            return dict(cached)
    except (OSError, ValueError):
        pass
    env = _scan_environment()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({**env, "fingerprint": marks}))
        os.replace(tmp, path)
    except OSError:
        pass
    return env
