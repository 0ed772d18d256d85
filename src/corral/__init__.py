"""Corral: two lines of code turn a training script into a tracked, re-runnable task.

The public API is imported lazily so that ``import corral`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from corral._version import __version__

__all__ = ["__version__"]

# name -> module that defines it; filled in as the SDK grows.
_LAZY: dict[str, str] = {}

if TYPE_CHECKING:  # pragma: no cover
    pass


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'corral' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
