"""Find the packages the user's code needs: a static import scan, pinned requirements.

:func:`scan_imports` reads the entry script's syntax tree (nothing is executed) and
follows the imports of local modules, so that a project's ``requirements`` name
what the code imports rather than everything in the environment.
:func:`requirements` turns import names into pinned distributions, read from the
installed environment (:mod:`corral.system.packages`, which also gives the whole
environment's ``freeze``).
"""

from __future__ import annotations

import ast
import logging
import sys
import warnings
from pathlib import Path

from corral.system.packages import environment, normalize_name, sorted_lines

log = logging.getLogger("corral.sdk.capture")

#: local files parsed at most, so a huge project cannot stall the capture
MAX_FILES = 2000
#: the agent installs its own copy of the SDK
SELF_DISTRIBUTION = "corral"
_IGNORED = frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names)
_IGNORED |= {"__future__", "__main__"}


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
            key = normalize_name(dist_name)
            if key == SELF_DISTRIBUTION or key in lines or key not in versions:
                continue
            name, version = versions[key]
            lines[key] = (name, f"{name}=={version}")
    return sorted_lines(lines.values())
