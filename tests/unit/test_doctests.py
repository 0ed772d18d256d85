"""The examples in the docstrings of the pure modules run and say what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "corral.core.downsample",
    "corral.core.task_status",
    "corral.client.retry",
    "corral.core.pipelines",
    "corral.pipelines.function_code",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no docstring examples to run"
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"
