"""Downsampling of scalar series for charts.

A series of any length is cut into at most ``max_points`` buckets of
consecutive points. Each bucket reports the iteration and time of its last
point, the mean of its values and the true minimum and maximum (the
envelope), so a spike never disappears from a chart however far it is zoomed
out. A series that already fits is returned as it is (min == max == value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


@dataclass
class Series:
    iterations: np.ndarray  # int64
    values: np.ndarray  # float64
    times: np.ndarray  # float64, seconds since the epoch
    min: np.ndarray
    max: np.ndarray

    def __len__(self) -> int:
        return len(self.iterations)


def bucket_edges(n: int, max_points: int) -> np.ndarray:
    """Start index of each bucket when ``n`` points are cut into ``max_points`` buckets."""
    import numpy as np

    if max_points < 1:
        raise ValueError("max_points must be at least 1")
    buckets = min(n, max_points)
    return (np.arange(buckets, dtype=np.int64) * n) // buckets


def downsample(
    iterations: np.ndarray, values: np.ndarray, times: np.ndarray, max_points: int
) -> Series:
    """Reduce a series (sorted by iteration) to at most ``max_points`` points.

    >>> import numpy as np
    >>> s = downsample(np.arange(10), np.arange(10.0), np.zeros(10), 2)
    >>> s.iterations.tolist(), s.values.tolist(), s.min.tolist(), s.max.tolist()
    ([4, 9], [2.0, 7.0], [0.0, 5.0], [4.0, 9.0])
    """
    import numpy as np

    n = len(iterations)
    if n <= max_points:
        return Series(iterations, values, times, values, values)
    starts = bucket_edges(n, max_points)
    ends = np.append(starts[1:], n) - 1
    counts = np.diff(np.append(starts, n))
    # NaN would poison the envelope; treat it as missing within its bucket.
    finite = np.isfinite(values)
    if finite.all():
        sums = np.add.reduceat(values, starts)
        mins = np.minimum.reduceat(values, starts)
        maxs = np.maximum.reduceat(values, starts)
        means = sums / counts
    else:
        clean = np.where(finite, values, 0.0)
        sums = np.add.reduceat(clean, starts)
        good = np.add.reduceat(finite.astype(np.int64), starts)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(good > 0, sums / np.maximum(good, 1), np.nan)
        mins = np.minimum.reduceat(np.where(finite, values, np.inf), starts)
        maxs = np.maximum.reduceat(np.where(finite, values, -np.inf), starts)
        mins = np.where(good > 0, mins, np.nan)
        maxs = np.where(good > 0, maxs, np.nan)
    return Series(iterations[ends], means, times[ends], mins, maxs)


def merge_sorted(
    chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Concatenate chunks of (iterations, values, times) into one series sorted by iteration.

    Chunks usually arrive in order, in which case nothing is sorted; reports
    that went back in iterations are put in order with a stable sort so that
    points reported later for the same iteration stay after earlier ones.
    """
    import numpy as np

    if not chunks:
        empty_i = np.empty(0, dtype=np.int64)
        empty_f = np.empty(0, dtype=np.float64)
        return empty_i, empty_f, empty_f
    its = np.concatenate([c[0] for c in chunks])
    vals = np.concatenate([c[1] for c in chunks])
    tms = np.concatenate([c[2] for c in chunks])
    if len(its) > 1 and bool((its[1:] < its[:-1]).any()):
        order = np.argsort(its, kind="stable")
        its, vals, tms = its[order], vals[order], tms[order]
    return its, vals, tms
