"""Corral: two lines of code turn a training script into a tracked, re-runnable task.

The public API is imported lazily so that ``import corral`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from corral import _httpx_cli  # noqa: F401  (before anything imports httpx)
from corral._version import __version__

__all__ = [
    "Dataset",
    "InputModel",
    "Logger",
    "Model",
    "OutputModel",
    "PipelineController",
    "PipelineDecorator",
    "StorageManager",
    "Task",
    "__version__",
]

# name -> module that defines it
_LAZY: dict[str, str] = {
    "Dataset": "corral.datasets",
    "Task": "corral.sdk.task",
    "Logger": "corral.sdk.logger",
    "Model": "corral.sdk.model",
    "InputModel": "corral.sdk.model",
    "OutputModel": "corral.sdk.model",
    "PipelineController": "corral.pipelines",
    "PipelineDecorator": "corral.pipelines",
    "StorageManager": "corral.sdk.storage",
}

if TYPE_CHECKING:  # pragma: no cover
    from corral.datasets import Dataset
    from corral.pipelines import PipelineController, PipelineDecorator
    from corral.sdk.logger import Logger
    from corral.sdk.model import InputModel, Model, OutputModel
    from corral.sdk.storage import StorageManager
    from corral.sdk.task import Task


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'corral' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
