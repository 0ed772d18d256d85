"""Pipelines: DAGs of tasks and functions run by a controller task
(``from corral import PipelineController, PipelineDecorator``).

The facade is imported on first use, so that ``import corral`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from corral.pipelines.controller import PipelineController
    from corral.pipelines.decorator import PipelineDecorator, StepFuture
    from corral.pipelines.nodes import Node

__all__ = ["Node", "PipelineController", "PipelineDecorator", "StepFuture"]

_LAZY = {
    "PipelineController": "controller",
    "PipelineDecorator": "decorator",
    "StepFuture": "decorator",
    "Node": "nodes",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'corral.pipelines' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"corral.pipelines.{module}"), name)
    globals()[name] = value
    return value
