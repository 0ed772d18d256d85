"""Find the packages the user's code needs: a static import scan and ``pip freeze``.

:func:`scan_imports` reads the entry script's syntax tree (nothing is executed) and
follows the imports of local modules, so that a project's ``requirements`` name
what the code imports rather than everything in the environment.
:func:`requirements` turns import names into pinned distributions and
:func:`freeze` lists the whole environment, as ``pip freeze`` would.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import json
import logging
import os
import re
import sys
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger("corral.sdk.capture")

#: local files parsed at most, so a huge project cannot stall the capture
MAX_FILES = 2000
#: the agent installs its own copy of the SDK
SELF_DISTRIBUTION = "corral"
_IGNORED = frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names)
_IGNORED |= {"__future__", "__main__"}


def _normalize(name: str) -> str:
    """PEP 503 normalized distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


class _Scanner:
    """Walks local modules breadth-first, collecting external top-level imports."""

    def __init__(self, search: list[Path]) -> None:
        self.search = search  # the folders a local import resolves from
        self.found: set[str] = set()
        self.local: set[str] = set()
        self.external: set[str] = set()
        self.queue: list[Path] = []
        self.seen: set[Path] = set()

    def is_local(self, top: str) -> bool:
        for folder in self.search:
            package = folder / top
            if (folder / f"{top}.py").is_file() or (package / "__init__.py").is_file():
                return True
            if package.is_dir() and any(package.glob("*.py")):  # namespace package
                return True
        return False

    def enqueue(self, base: Path, dotted: str) -> None:
        """Queue the files that ``import dotted`` executes when found under ``base``."""
        folder = base
        for part in [p for p in dotted.split(".") if p]:
            for candidate in (folder / part / "__init__.py", folder / f"{part}.py"):
                self.add(candidate)
            folder = folder / part

    def add(self, path: Path) -> None:
        if not path.is_file():
            return
        path = path.resolve()
        if path in self.seen or not any(path.is_relative_to(f) for f in self.search):
            return
        self.seen.add(path)
        self.queue.append(path)

    def absolute(self, dotted: str, names: list[str]) -> None:
        top = dotted.split(".")[0]
        if not top or top in _IGNORED:
            return
        if top in self.external:
            return
        if top in self.local or self.is_local(top):
            self.local.add(top)
            for folder in self.search:
                self.enqueue(folder, dotted)
                for name in names:
                    self.enqueue(folder, f"{dotted}.{name}")
        else:
            self.external.add(top)
            self.found.add(top)

    def relative(self, file: Path, level: int, dotted: str, names: list[str]) -> None:
        base = file.parent
        for _ in range(level - 1):
            base = base.parent
        self.enqueue(base, dotted)
        prefix = f"{dotted}." if dotted else ""
        for name in names:
            self.enqueue(base, f"{prefix}{name}")

    def visit(self, tree: ast.AST, file: Path | None) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.absolute(alias.name, [])
            elif isinstance(node, ast.ImportFrom):
                names = [a.name for a in node.names if a.name != "*"]
                if node.level == 0:
                    self.absolute(node.module or "", names)
                elif file is not None:
                    self.relative(file, node.level, node.module or "", names)
            elif isinstance(node, ast.Call):
                dynamic = _dynamic_import(node)
                if dynamic:
                    self.absolute(dynamic, [])


def _dynamic_import(node: ast.Call) -> str | None:
    """The module of ``importlib.import_module("x")`` or ``__import__("x")``."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in ("import_module", "__import__") or not node.args:
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value if not arg.value.startswith(".") else None
    return None


def _parse(source: str, filename: str) -> ast.AST | None:
    try:
        with warnings.catch_warnings():
            # invalid escapes in the user's strings must not surface as warnings here
            warnings.simplefilter("ignore")
            return ast.parse(source, filename=filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        log.debug("cannot parse %s: %s", filename, e)
        return None


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return None


def scan_imports(entry: Path | None, code: str | None = None, root: Path | None = None) -> set[str]:
    """Top-level names of the non-stdlib, non-local modules the code imports.

    The entry script (or ``code``, when given) is parsed, then every local module it
    imports that lives under ``root``, recursively. Imports anywhere count: inside
    functions, ``try`` blocks, ``if`` branches. Files that do not parse are skipped.

    Args:
        entry: the entry script, or ``None`` when only ``code`` is known.
        code: the entry's source (a notebook's converted code); read from ``entry``
            when ``None``.
        root: the project folder whose modules are local; the entry's folder by
            default (the cwd without an entry).

    Returns:
        Import names such as ``{"numpy", "sklearn", "PIL"}``; ``set()`` on failure.

    Example:
        >>> sorted(scan_imports(None, code="import os\\nimport numpy.linalg"))
        ['numpy']
    """
    try:
        return _scan(entry, code, root)
    except Exception as e:  # never raise into the user's program
        log.debug("import scan failed: %s", e, exc_info=True)
        return set()


def _scan(entry: Path | None, code: str | None, root: Path | None) -> set[str]:
    entry = entry.resolve() if entry is not None else None
    if root is None:
        root = entry.parent if entry is not None else Path.cwd()
    root = root.resolve()
    search = [entry.parent] if entry is not None else []
    search += [root] if root not in search else []
    scanner = _Scanner(search)
    source = code if code is not None else (_read(entry) if entry is not None else None)
    if source is not None:
        tree = _parse(source, str(entry or "<code>"))
        if tree is not None:
            scanner.visit(tree, entry)
    if entry is not None:
        scanner.seen.add(entry)
    parsed = 0
    while scanner.queue and parsed < MAX_FILES:
        path = scanner.queue.pop(0)
        parsed += 1
        text = _read(path)
        tree = _parse(text, str(path)) if text is not None else None
        if tree is not None:
            scanner.visit(tree, path)
    return scanner.found - scanner.local


def _distribution_name(dist: metadata.Distribution) -> str | None:
    try:
        name = dist.metadata["Name"]
    except Exception:  # a broken install without METADATA
        return None
    return str(name) if name else None


def requirements(modules: set[str]) -> str:
    """Pinned ``name==version`` lines for the distributions providing ``modules``.

    Import names map to distributions through the installed metadata (``sklearn``
    -> ``scikit-learn``, ``PIL`` -> ``pillow``); modules that no installed
    distribution provides are left out, as is the ``corral`` SDK itself.

    Args:
        modules: top-level import names, e.g. from :func:`scan_imports`.

    Returns:
        One requirement per line, sorted case-insensitively, ending with a newline
        (``""`` when there is none).

    Example:
        >>> print(requirements({"numpy", "yaml"}))  # doctest: +SKIP
        numpy==2.1.0
        PyYAML==6.0.2
    """
    env = environment()
    provided: dict[str, list[str]] = env["provided"]
    versions: dict[str, list[str]] = env["versions"]
    lines: dict[str, tuple[str, str]] = {}  # normalized name -> (name, line)
    for module in modules:
        for dist_name in provided.get(module) or [module]:
            key = _normalize(dist_name)
            if key == SELF_DISTRIBUTION or key in lines or key not in versions:
                continue
            name, version = versions[key]
            lines[key] = (name, f"{name}=={version}")
    return _sorted_lines(lines.values())


def _sorted_lines(lines: Iterable[tuple[str, str]]) -> str:
    """The lines, sorted by distribution name case-insensitively, as pip does."""
    return "".join(f"{line}\n" for _, line in sorted(lines, key=lambda nl: nl[0].lower()))


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
        if not name or _normalize(name) in seen:
            continue
        seen.add(_normalize(name))
        yield name, dist


def _freeze() -> str:
    """Every installed distribution, as ``pip freeze`` lists them (without a subprocess).

    A distribution installed from a folder, an archive URL or a VCS (PEP 610) is
    written ``name @ url``; every other one ``name==version``.

    Returns:
        One line per distribution, sorted case-insensitively, ending with a newline.

    Example:
        >>> "numpy==" in freeze()  # doctest: +SKIP
        True
    """
    lines: list[tuple[str, str]] = []
    try:
        for name, dist in _installed():
            url = _direct_url(dist)
            lines.append((name, f"{name} @ {url}" if url else f"{name}=={dist.version}"))
    except Exception as e:  # a broken distribution must not lose the rest silently
        log.debug("freeze failed: %s", e, exc_info=True)
    return _sorted_lines(lines)


def freeze() -> str:
    """Every installed distribution, as ``pip freeze`` lists them (cached, see :func:`environment`)."""
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
            versions[_normalize(name)] = [name, dist.version]
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
    """The installed distributions: import name -> distributions, versions, the freeze.

    Reading every distribution's metadata takes a few hundred milliseconds, so the
    result is kept in ``~/.corral/cache/environment-*.json`` and used again while the
    folders on ``sys.path`` are unchanged (installing or removing a package changes
    them).
    """
    import hashlib

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
