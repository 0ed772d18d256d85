"""Pipelines without I/O: the DAG's order, ``${...}`` references, and step cache keys.

A pipeline is named steps with parents. :func:`order` puts them in an order where
every parent comes first, or names the cycle that forbids one. A step's overrides and
function arguments may hold references, resolved when the step is launched:

==================================== ==============================================
``${pipeline.NAME}``                 the pipeline's parameter ``NAME``
``${STEP.id}``                       the id of the step's task
``${STEP.parameters.SECTION/NAME}``  a hyperparameter of the step's task
``${STEP.artifacts.NAME.url}``       the URL of an artifact of the step's task
``${STEP.models.output.-1.id}``      an output model of the step's task (an index)
``${STEP.NAME}``                     (function steps) the return value ``NAME``
==================================== ==============================================

:func:`cache_key` is the SHA-256 of what decides a step's outputs: its code, its
environment, its resolved parameters and configuration, and the content hashes of
the artifacts it consumes (never their ids, so a re-run that produced the same bytes
keeps its children cached).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from corral.errors import ValidationError

#: a step's name: what a reference can spell and a task name can show
STEP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,99}$")
_REF = re.compile(r"\$\{([^{}]*)\}")
#: the keyword of the pipeline's own parameters in a reference
PIPELINE = "pipeline"


@dataclass(frozen=True)
class Ref:
    """One ``${...}``: ``step`` is ``pipeline`` for a parameter; ``path`` the rest."""

    text: str
    step: str
    path: tuple[str, ...]


def check_step_name(name: str) -> None:
    """A step's name is an identifier-like word (``-`` allowed), not ``pipeline``."""
    if not isinstance(name, str) or not STEP_NAME.match(name) or name == PIPELINE:
        raise ValidationError(
            f"bad step name {name!r}: use letters, digits, '_' and '-' (not starting with "
            f"a digit or '-'; at most 100), and not {PIPELINE!r}"
        )


def refs_in(value: Any) -> list[Ref]:
    """Every reference in ``value`` (strings, and lists/dicts of them, searched deeply).

    Example:
        >>> [r.step for r in refs_in({"a": "${prep.id}", "b": ["${pipeline.lr}"]})]
        ['prep', 'pipeline']
    """
    found: list[Ref] = []
    if isinstance(value, str):
        for m in _REF.finditer(value):
            parts = tuple(p for p in m[1].strip().split("."))
            if len(parts) < 2 or not all(parts):
                raise ValidationError(
                    f"bad reference {m[0]!r}: write ${{pipeline.NAME}} or ${{STEP.FIELD}} "
                    "(id, parameters.SECTION/NAME, artifacts.NAME.url, models.output.-1.id, "
                    "or a function step's return name)"
                )
            found.append(Ref(m[0], parts[0], parts[1:]))
    elif isinstance(value, Mapping):
        for v in value.values():
            found += refs_in(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            found += refs_in(v)
    return found


def substitute(value: Any, resolve: Any) -> Any:
    """``value`` with each reference replaced by ``resolve(ref)``.

    A string that is one reference alone becomes the resolved value itself (any type);
    references inside a longer string are replaced by their text.
    """
    if isinstance(value, str):
        whole = _REF.fullmatch(value.strip())
        if whole:
            return resolve(refs_in(value.strip())[0])
        return _REF.sub(lambda m: str(resolve(refs_in(m[0])[0])), value)
    if isinstance(value, Mapping):
        return {k: substitute(v, resolve) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, resolve) for v in value]
    if isinstance(value, tuple):
        return tuple(substitute(v, resolve) for v in value)
    return value


def order(parents: Mapping[str, Iterable[str]]) -> list[str]:
    """The steps, each after its parents (ties in the order given).

    Raises:
        ValidationError: an unknown parent, or a cycle (named: ``a -> b -> a``).

    Example:
        >>> order({"train": ["prep"], "prep": [], "eval": ["train", "prep"]})
        ['prep', 'train', 'eval']
    """
    graph = {name: list(dict.fromkeys(ps)) for name, ps in parents.items()}
    for name, ps in graph.items():
        for p in ps:
            if p not in graph:
                raise ValidationError(f"step {name!r} has an unknown parent {p!r}")
    done: list[str] = []
    state: dict[str, int] = {}  # 1: on the path, 2: placed

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = [*path[path.index(name) :], name]
            raise ValidationError(f"the pipeline has a cycle: {' -> '.join(cycle)}")
        state[name] = 1
        for p in graph[name]:
            visit(p, [*path, name])
        state[name] = 2
        done.append(name)

    for name in graph:
        visit(name, [])
    return done


def cache_key(
    *,
    code: str,
    environment: Mapping[str, Any],
    parameters: Mapping[str, Any],
    configuration: Mapping[str, Any],
    inputs: Mapping[str, str],
) -> str:
    """The SHA-256 (hex) of what decides a step's outputs; ``inputs`` maps each consumed
    artifact to its content hash.

    Example:
        >>> a = cache_key(code="x", environment={}, parameters={"n": 1}, configuration={},
        ...               inputs={})
        >>> a == cache_key(code="x", environment={}, parameters={"n": 2}, configuration={},
        ...                inputs={})
        False
    """
    body = {
        "code": code,
        "environment": environment,
        "parameters": parameters,
        "configuration": configuration,
        "inputs": inputs,
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
