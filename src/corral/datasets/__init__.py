"""Datasets: versioned, content-addressed data (``from corral import Dataset``).

``Dataset`` is imported on first use, so that the modules of this package (the local
copy's cache, the index) can be used without loading the facade.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from corral.datasets.dataset import Dataset, FileEntry

__all__ = ["Dataset", "FileEntry"]


def __getattr__(name: str) -> Any:
    if name in ("Dataset", "FileEntry"):
        from corral.datasets import dataset

        value = getattr(dataset, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'corral.datasets' has no attribute {name!r}")
