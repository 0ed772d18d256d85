"""The SDK's modules depend one way: ``Task`` is a facade no helper imports, and no import
cycle runs through the SDK - not even through imports inside functions or for typing."""

from __future__ import annotations

import ast
from pathlib import Path

import corral

SRC = Path(corral.__file__).resolve().parent.parent
#: the storage package has its own layering (its backends and manager), outside this check
OUTSIDE = ("corral.sdk.storage",)


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every corral module an SDK module imports, wherever the import statement is."""
    files = {_module(p): p for p in (SRC / "corral" / "sdk").rglob("*.py")}
    known = set(files) | {"corral"}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{parent}.{base}" if base else parent
                targets = [base, *(f"{base}.{a.name}" for a in node.names)]
            for target in targets:
                while target and target not in known:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    found.add(target)
        graph[name] = found
    return graph


def test_no_sdk_module_imports_the_task_facade() -> None:
    importers = sorted(m for m, deps in _imports().items() if "corral.sdk.task" in deps)
    assert importers == []


def test_no_import_cycle_runs_through_the_sdk() -> None:
    imports = _imports()
    graph = {
        m: {d for d in deps if d in imports and not d.startswith(OUTSIDE)}
        for m, deps in imports.items()
        if not m.startswith(OUTSIDE)
    }
    cycles: list[list[str]] = []
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycles.append([*path[path.index(node) :], node])
            return
        if node in done:
            return
        for dep in sorted(graph.get(node, ())):
            visit(dep, [*path, node])
        done.add(node)

    for module in sorted(graph):
        visit(module, [])
    assert cycles == []
