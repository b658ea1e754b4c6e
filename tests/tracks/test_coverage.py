"""Binned signal, smoothing, length filter and CPM on tiny arrays with hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from regflow.tracks.coverage import (
    BinnedSignal,
    binned_signal,
    cpm_scale,
    cpm_signal,
    length_mask,
    n_bins,
    smooth_signal,
    smoothing_kernel,
)

# chromosome of 20 bp in bins of 5: [0,5) [5,10) [10,15) [15,20)
# A = [2, 8) x1 (length 6), B = [5, 6) x2 (length 1), C = [9, 20) x1 (length 11)
STARTS = np.array([2, 5, 9])
ENDS = np.array([8, 6, 20])
COUNTS = np.array([1, 2, 1])


def test_n_bins_truncates_last_bin():
    assert n_bins(20, 5) == 4
    assert n_bins(22, 5) == 5
    assert n_bins(1, 10) == 1
    assert n_bins(0, 10) == 0


def test_cutsites_both_ends_weighted_by_count():
    # A: 2 -> bin 0, 7 -> bin 1; B: 5 and 5 -> bin 1, twice each; C: 9 -> bin 1, 19 -> bin 3
    got = binned_signal(STARTS, ENDS, COUNTS, 20, 5, "cutsites")
    np.testing.assert_array_equal(got, [1, 6, 0, 1])
    assert got.sum() == 2 * COUNTS.sum()


def test_midpoints_floor():
    # A: (2+8)//2 = 5 -> bin 1; B: (5+6)//2 = 5 -> bin 1 (x2); C: (9+20)//2 = 14 -> bin 2
    got = binned_signal(STARTS, ENDS, COUNTS, 20, 5, "midpoints")
    np.testing.assert_array_equal(got, [0, 3, 1, 0])


def test_coverage_counts_fragments_overlapping_each_bin():
    # A overlaps bins 0-1, B bin 1 (x2), C bins 1-3
    got = binned_signal(STARTS, ENDS, COUNTS, 20, 5, "coverage")
    np.testing.assert_array_equal(got, [1, 4, 1, 1])


def test_coverage_bin_1_is_per_base_coverage():
    got = binned_signal(STARTS, ENDS, COUNTS, 20, 1, "coverage")
    expected = np.zeros(20)
    for s, e, c in zip(STARTS, ENDS, COUNTS, strict=True):
        expected[s:e] += c
    np.testing.assert_array_equal(got, expected)


def test_coverage_bin_edges_and_truncated_last_bin():
    # [0, 5) ends on a bin edge: bin 0 only; [4, 6) touches bins 0 and 1;
    # chromosome of 22 bp: bin 4 is [20, 22)
    got = binned_signal([0, 4, 20], [5, 6, 22], None, 22, 5, "coverage")
    np.testing.assert_array_equal(got, [2, 1, 0, 0, 1])


def test_batches_accumulate_like_one_call():
    acc = BinnedSignal(20, 5, "coverage")
    acc.add(STARTS[:1], ENDS[:1], COUNTS[:1])
    acc.add(STARTS[1:], ENDS[1:], COUNTS[1:])
    np.testing.assert_array_equal(
        acc.values(), binned_signal(STARTS, ENDS, COUNTS, 20, 5, "coverage")
    )


@pytest.mark.parametrize("start,end", [(-1, 3), (18, 21), (4, 4), (6, 5)])
def test_fragment_outside_chromosome_or_empty_rejected(start, end):
    with pytest.raises(ValueError, match="outside the chromosome"):
        binned_signal([start], [end], None, 20, 5, "coverage")


def test_bad_mode_and_bin_size():
    with pytest.raises(ValueError, match="mode"):
        BinnedSignal(20, 5, "reads")
    with pytest.raises(ValueError, match="bin_size"):
        BinnedSignal(20, 0, "coverage")


def test_length_mask_inclusive_bounds():
    # lengths 6, 1, 11
    np.testing.assert_array_equal(length_mask(STARTS, ENDS, 2, 6), [True, False, False])
    np.testing.assert_array_equal(length_mask(STARTS, ENDS, 6, 6), [True, False, False])
    np.testing.assert_array_equal(length_mask(STARTS, ENDS, 1, None), [True, True, True])
    np.testing.assert_array_equal(length_mask(STARTS, ENDS, 7), [False, False, True])


def test_cpm_scale():
    assert cpm_scale(4) == 250_000.0
    with pytest.raises(ValueError):
        cpm_scale(0)


def test_cpm_signal_per_million_fragments():
    # two chromosomes: fragments A, B, C on chr 0 (20 bp), D = [0, 3) on chr 1 (7 bp)
    chroms = np.array([0, 0, 0, 1])
    starts = np.append(STARTS, 0)
    ends = np.append(ENDS, 3)
    counts = np.append(COUNTS, 1)
    signals, n = cpm_signal(chroms, starts, ends, counts, [20, 7], "cutsites", 5)
    assert n == 5
    np.testing.assert_allclose(signals[0], np.array([1, 6, 0, 1]) * 2e5)
    np.testing.assert_allclose(signals[1], np.array([2, 0]) * 2e5)  # 0 and 2 both in bin 0
    # cut sites: per million fragments, two insertions each
    assert sum(s.sum() for s in signals) == pytest.approx(2e6)


def test_cpm_signal_length_filter_changes_denominator():
    chroms = np.zeros(3, dtype=int)
    # keep only A (length 6): N = 1
    signals, n = cpm_signal(
        chroms, STARTS, ENDS, COUNTS, [20], "coverage", 5, min_length=2, max_length=6
    )
    assert n == 1
    np.testing.assert_allclose(signals[0], [1e6, 1e6, 0, 0])
    with pytest.raises(ValueError, match="at least one fragment"):
        cpm_signal(chroms, STARTS, ENDS, COUNTS, [20], "coverage", 5, min_length=100)


def test_cpm_signal_does_not_mutate_inputs():
    starts = STARTS.copy()
    cpm_signal(np.zeros(3, dtype=int), starts, ENDS, COUNTS, [20], "coverage", 5, smooth=10)
    np.testing.assert_array_equal(starts, STARTS)


def test_smoothing_kernels():
    np.testing.assert_array_equal(smoothing_kernel(10, 0), [1.0])
    # boxcar: h = smooth // (2 * bin_size) bins each side
    np.testing.assert_allclose(smoothing_kernel(5, 15, "boxcar"), np.full(3, 1 / 3))
    np.testing.assert_allclose(smoothing_kernel(10, 50, "boxcar"), np.full(5, 1 / 5))
    np.testing.assert_allclose(smoothing_kernel(10, 9, "boxcar"), [1.0])
    # gaussian: sd = smooth / bin_size bins, truncated at 4 sd
    k = smoothing_kernel(5, 5, "gaussian")
    assert k.size == 9
    x = np.arange(-4, 5)
    np.testing.assert_allclose(k, np.exp(-(x**2) / 2) / np.exp(-(x**2) / 2).sum())


def test_boxcar_smoothing_by_hand():
    # window of 3 bins; beyond the ends counts as 0
    got = smooth_signal([0, 3, 0, 0, 0, 6], 5, 15, "boxcar")
    np.testing.assert_allclose(got, [1, 1, 1, 0, 2, 2])


def test_gaussian_smoothing_spreads_and_preserves_mass():
    x = np.zeros(41)
    x[20] = 2.0
    got = smooth_signal(x, 5, 5, "gaussian")
    np.testing.assert_allclose(got[16:25], 2 * smoothing_kernel(5, 5, "gaussian"))
    assert got.sum() == pytest.approx(2.0)
    assert (got[:16] == 0).all() and (got[25:] == 0).all()


def test_long_gaussian_fft_matches_direct_and_keeps_exact_zeros():
    rng = np.random.default_rng(0)
    x = np.zeros(200_000)
    x[rng.integers(1000, 100_000, 300)] = rng.integers(1, 5, 300)
    k = smoothing_kernel(1, 100, "gaussian")
    assert k.size == 801  # FFT path
    got = smooth_signal(x, 1, 100, "gaussian")
    np.testing.assert_allclose(got, np.convolve(x, k, mode="same"), atol=1e-12)
    assert (got[: 1000 - 400] == 0).all() and (got[100_000 + 400 :] == 0).all()
    assert (got >= 0).all()


def test_smoothing_returns_new_array():
    x = np.array([0.0, 3.0, 0.0])
    y = smooth_signal(x, 1, 0)
    y[1] = 9
    assert x[1] == 3.0
