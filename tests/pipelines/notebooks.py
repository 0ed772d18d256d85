"""Notebooks built in code (nbformat 4 JSON as dicts), for the converter's tests and benchmark."""

from __future__ import annotations

from typing import Any


def cell(source: str, *tags: str, kind: str = "code") -> dict[str, Any]:
    """A cell with ``tags`` in ``metadata.tags``, as JupyterLab's tag editor writes them."""
    out: dict[str, Any] = {
        "cell_type": kind,
        "metadata": {"tags": list(tags)} if tags else {},
        "source": source.splitlines(keepends=True),
    }
    if kind == "code":
        out.update(execution_count=None, outputs=[])
    return out


def markdown(source: str) -> dict[str, Any]:
    return cell(source, kind="markdown")


def notebook(*cells: dict[str, Any]) -> dict[str, Any]:
    return {
        "cells": list(cells),
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def make_notebook(cells: int) -> dict[str, Any]:
    """A valid notebook of ``cells`` cells (5 at least): imports, functions, parameters, then
    steps of a few cells each (each reads the two before it), markdown between them, a last
    step and a metrics cell. Its metric is ``last``."""
    if cells < 5:
        raise ValueError("a notebook has 5 cells at least")
    out = [
        cell("import math\n%matplotlib inline", "imports"),
        cell("def grow(x, k):\n    return x * k + math.sqrt(abs(x))", "functions"),
        cell("k = 2\nstart: float = 1.0", "pipeline-parameters"),
    ]
    steps = 0
    for i in range(cells - 5):
        if i % 5 == 4:
            out.append(markdown(f"## Part {i // 5}"))
        elif i % 5 == 0:
            one = f"v{steps - 1}" if steps else "start"
            two = f"v{steps - 2}" if steps > 1 else "start"
            out.append(cell(f"v{steps} = grow({one}, k) + {two} / 10", f"step:s{steps}"))
            steps += 1
        else:
            out.append(cell(f"v{steps - 1} = v{steps - 1} - {i % 5}\nprint(v{steps - 1})"))
    out.append(cell(f"last = {f'v{steps - 1}' if steps else 'start'} * 1.0", "step:last"))
    out.append(cell("last", "pipeline-metrics"))
    return notebook(*out)
