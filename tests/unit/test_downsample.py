"""Downsampling maths: bucket edges, the mean and envelope of each bucket, merging chunks."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from corral.core.downsample import bucket_edges, downsample, merge_sorted


def _naive(values: list[float], max_points: int) -> list[tuple[int, float, float, float]]:
    """Per bucket (last index, mean, min, max) of the finite values, by plain Python."""
    n = len(values)
    buckets = min(n, max_points)
    starts = [b * n // buckets for b in range(buckets)] + [n]
    out = []
    for a, b in itertools.pairwise(starts):
        known = [v for v in values[a:b] if not math.isnan(v)]
        if known:
            out.append((b - 1, sum(known) / len(known), min(known), max(known)))
        else:
            out.append((b - 1, math.nan, math.nan, math.nan))
    return out


def _series(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return np.arange(n, dtype=np.int64) * 2, rng.normal(size=n), np.arange(n, dtype=float) + 1e9


@pytest.mark.parametrize(
    ("n", "max_points", "expected"),
    [(10, 2, [0, 5]), (10, 3, [0, 3, 6]), (3, 10, [0, 1, 2]), (7, 7, list(range(7))), (0, 5, [])],
)
def test_bucket_edges(n: int, max_points: int, expected: list[int]) -> None:
    assert bucket_edges(n, max_points).tolist() == expected


def test_bucket_edges_need_at_least_one_point() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        bucket_edges(10, 0)


def test_a_series_that_fits_is_returned_as_it_is() -> None:
    its, vals, times = _series(50)
    s = downsample(its, vals, times, 50)
    assert len(s) == 50
    assert s.iterations is its and s.values is vals and s.times is times
    assert s.min is vals and s.max is vals


@pytest.mark.parametrize(("n", "max_points"), [(11, 2), (1000, 7), (1001, 1000), (12345, 100)])
def test_buckets_match_a_naive_computation(n: int, max_points: int) -> None:
    its, vals, times = _series(n, seed=n)
    s = downsample(its, vals, times, max_points)
    expected = _naive(vals.tolist(), max_points)
    assert len(s) == max_points
    assert s.iterations.tolist() == [int(its[last]) for last, *_ in expected]
    assert s.times.tolist() == [float(times[last]) for last, *_ in expected]
    np.testing.assert_allclose(s.values, [e[1] for e in expected])
    assert s.min.tolist() == [e[2] for e in expected]
    assert s.max.tolist() == [e[3] for e in expected]


def test_the_envelope_keeps_a_single_spike() -> None:
    its, vals, times = _series(1_000_000)
    vals[654_321] = 1e6
    vals[123] = -1e6
    s = downsample(its, vals, times, 1000)
    assert len(s) == 1000
    assert s.max.max() == 1e6 and s.min.min() == -1e6
    assert s.values.max() < 1e6  # the mean alone would hide it
    assert s.iterations[-1] == its[-1]


def test_one_bucket_spans_the_whole_series() -> None:
    its, vals, times = _series(100)
    s = downsample(its, vals, times, 1)
    assert s.iterations.tolist() == [198]
    assert s.min.tolist() == [vals.min()] and s.max.tolist() == [vals.max()]
    assert s.values.tolist() == pytest.approx([vals.mean()])


def test_nan_is_left_out_of_its_bucket_and_an_all_nan_bucket_is_nan() -> None:
    its = np.arange(6, dtype=np.int64)
    vals = np.array([1.0, np.nan, 3.0, np.nan, np.nan, 5.0])
    s = downsample(its, vals, np.zeros(6), 3)
    assert s.values.tolist()[0] == 1.0 and s.min.tolist()[0] == 1.0 and s.max.tolist()[0] == 1.0
    assert s.values.tolist()[1] == 3.0
    assert s.values.tolist()[2] == 5.0
    vals[4:6] = np.nan
    s = downsample(its, vals, np.zeros(6), 3)
    assert math.isnan(s.values[2]) and math.isnan(s.min[2]) and math.isnan(s.max[2])
    assert not np.isnan(s.values[:2]).any()


def test_nan_buckets_match_a_naive_computation() -> None:
    its, vals, times = _series(5000, seed=3)
    vals[np.random.default_rng(4).random(5000) < 0.3] = np.nan
    vals[1000:1200] = np.nan  # whole buckets of nothing
    s = downsample(its, vals, times, 97)
    expected = _naive(vals.tolist(), 97)
    np.testing.assert_allclose(s.values, [e[1] for e in expected])
    np.testing.assert_array_equal(s.min, [e[2] for e in expected])
    np.testing.assert_array_equal(s.max, [e[3] for e in expected])


def _chunk(its: list[int], vals: list[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.array(its, dtype=np.int64), np.array(vals), np.array(vals) * 10


def test_merge_of_nothing_is_empty() -> None:
    its, vals, times = merge_sorted([])
    assert (len(its), len(vals), len(times)) == (0, 0, 0)
    assert its.dtype == np.int64 and vals.dtype == np.float64


def test_merge_of_ordered_chunks_concatenates() -> None:
    its, vals, times = merge_sorted([_chunk([0, 1], [1.0, 2.0]), _chunk([2, 5], [3.0, 4.0])])
    assert its.tolist() == [0, 1, 2, 5]
    assert vals.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert times.tolist() == [10.0, 20.0, 30.0, 40.0]


def test_merge_puts_chunks_in_order_and_keeps_ties_in_arrival_order() -> None:
    chunks = [_chunk([5, 6], [1.0, 2.0]), _chunk([3, 5], [3.0, 4.0]), _chunk([0], [5.0])]
    its, vals, times = merge_sorted(chunks)
    assert its.tolist() == [0, 3, 5, 5, 6]
    assert vals.tolist() == [5.0, 3.0, 1.0, 4.0, 2.0]
    assert times.tolist() == [50.0, 30.0, 10.0, 40.0, 20.0]


def test_merge_then_downsample_of_shuffled_chunks_equals_the_sorted_series() -> None:
    its, vals, times = _series(10_000, seed=9)
    pieces = [
        (its[a : a + 500], vals[a : a + 500], times[a : a + 500]) for a in range(0, 10_000, 500)
    ]
    order = np.random.default_rng(1).permutation(len(pieces))
    merged = merge_sorted([pieces[i] for i in order])
    np.testing.assert_array_equal(merged[0], its)
    a = downsample(*merged, 321)
    b = downsample(its, vals, times, 321)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.min, b.min)
