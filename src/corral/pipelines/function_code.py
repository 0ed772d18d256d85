"""A Python function turned into a standalone step script.

The script holds the helper functions' and the function's source and a ``__main__``
that hands over to :func:`corral.pipelines.step_main.run_function_step`, which reads
the arguments from the step task, calls the function and stores what it returns as
artifacts. The function must stand alone: every name it uses is an argument, a local,
an import inside it, a builtin or a helper function given with it; a lambda, a closure
over local state or a global (a module imported at the top of the file) is refused
with the name that is missing.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

from corral.errors import ValidationError

_BUILTINS = frozenset(dir(builtins)) | {"__name__", "__file__"}


def source_of(fn: Callable[..., Any], what: str = "function") -> str:
    """The dedented source of ``fn`` without its decorators."""
    name = getattr(fn, "__name__", repr(fn))
    if not inspect.isfunction(fn):
        raise ValidationError(f"{what} {name!r} is not a plain Python function")
    if name == "<lambda>":
        raise ValidationError(
            f"a lambda cannot be a pipeline {what}: define it with 'def' so that its "
            "source can run on its own"
        )
    try:
        text = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError) as e:
        raise ValidationError(
            f"the source of {what} {name!r} cannot be read ({e}): define it in a file "
            "or a notebook cell"
        ) from e
    tree = ast.parse(text)
    node = tree.body[0]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.decorator_list:
        first = node.decorator_list[0].lineno - 1
        text = "\n".join(text.splitlines()[node.lineno - 1 - first :]) + "\n"
        text = textwrap.dedent(text)
    return text if text.endswith("\n") else text + "\n"


def _bound_names(tree: ast.AST) -> set[str]:
    """Every name the function binds anywhere (arguments, assignments, imports, defs...)."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bound.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.ExceptHandler)
        ):
            if node.name:
                bound.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
        elif isinstance(node, ast.MatchAs) and node.name:
            bound.add(node.name)
    return bound


def missing_names(source: str, known: Sequence[str] = ()) -> list[str]:
    """The names ``source`` (one function) reads that nothing in it or ``known`` binds.

    Example:
        >>> missing_names("def f(x):\\n    import math\\n    return math.sqrt(x) + y\\n")
        ['y']
    """
    tree = ast.parse(source)
    bound = _bound_names(tree) | set(known) | _BUILTINS
    used = [
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    ]
    return sorted({n for n in used if n not in bound})


def step_script(
    fn: Callable[..., Any],
    helpers: Sequence[Callable[..., Any]] = (),
    *,
    returns: Sequence[str] = (),
    step: str = "",
) -> str:
    """The standalone script of a function step (checked to stand alone).

    Raises:
        ValidationError: a lambda, a closure, a source that cannot be read, or a name the
            function uses that is neither its own nor a helper's nor a builtin.
    """
    name = getattr(fn, "__name__", "function")
    closure = getattr(fn, "__code__", None)
    if closure is not None and closure.co_freevars:
        raise ValidationError(
            f"function {name!r} of step {step!r} is a closure over "
            f"{', '.join(closure.co_freevars)}: pass those as arguments instead"
        )
    helper_sources = [source_of(h, "helper function") for h in helpers]
    helper_names = [h.__name__ for h in helpers]
    own = source_of(fn)
    # names the function declares global (and binds) are there for its helpers to read
    shared = [n for node in ast.walk(ast.parse(own)) if isinstance(node, ast.Global)
              for n in node.names]  # fmt: skip
    for source, label, known in [(own, f"function {name!r}", [])] + [
        (s, f"helper {n!r}", shared) for s, n in zip(helper_sources, helper_names, strict=True)
    ]:
        missing = missing_names(source, [*helper_names, name, *known])
        if missing:
            raise ValidationError(
                f"{label} of step {step!r} cannot stand alone: it uses "
                f"{', '.join(repr(m) for m in missing)}, defined outside it. Import modules "
                "inside the function, pass values as arguments, and give other functions "
                "it calls in helper_functions"
            )
    parts = [
        f'"""Step {step!r} of a Corral pipeline: {name}() as a standalone script."""\n',
        *helper_sources,
        own,
        "\n"
        'if __name__ == "__main__":\n'
        "    from corral.pipelines.step_main import run_function_step\n\n"
        f"    run_function_step({name}, returns={list(returns)!r})\n",
    ]
    return "\n\n".join(p.rstrip("\n") + "\n" for p in parts)
