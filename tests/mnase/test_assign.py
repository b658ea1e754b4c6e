"""Window assignment: every (midpoint, window) pair, overlapping windows, both strands."""

from __future__ import annotations

import numpy as np

from regflow.mnase.assign import genome_windows, midpoints2, relative2, window_hits


def test_window_hits_matches_brute_force(rng):
    points = rng.integers(0, 5000, 3000)
    starts = rng.integers(-200, 5000, 40)  # overlapping, unsorted, some off the left end
    width = 600
    point, window = window_hits(points, starts, width)
    got = set(zip(point.tolist(), window.tolist(), strict=True))
    inside = (starts[None, :] <= points[:, None]) & (points[:, None] < starts[None, :] + width)
    expected = set(zip(*np.nonzero(inside), strict=True))
    assert got == {(int(p), int(w)) for p, w in expected}
    assert len(got) == point.size  # no pair twice


def test_window_hits_empty():
    point, window = window_hits(np.zeros(0, np.int64), np.array([0, 10]), 5)
    assert point.size == window.size == 0
    point, window = window_hits(np.array([3, 4]), np.zeros(0, np.int64), 5)
    assert point.size == window.size == 0


def test_windows_are_strand_symmetric():
    tss = np.array([1000, 1000])
    sign = np.array([1, -1])
    lo2, width2 = -20, 60  # relative half-bp window [-20, 40): -10 bp .. +20 bp
    first = genome_windows(tss, sign, lo2, width2)
    for g in range(2):
        c2 = np.arange(first[g], first[g] + width2)
        d2 = relative2(c2, np.full(c2.size, tss[g]), np.full(c2.size, sign[g]))
        assert sorted(d2.tolist()) == list(range(lo2, lo2 + width2))


def test_midpoints_are_exact_centres():
    start = np.array([10, 10])
    end = np.array([20, 21])  # even length: centre between bases 14 and 15; odd: base 15
    np.testing.assert_array_equal(midpoints2(start, end), [29, 30])
