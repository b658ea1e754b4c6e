"""Binning into images: exact pixels on both strands, class stacking, normalisation."""

from __future__ import annotations

import numpy as np

from regflow.mnase.assign import midpoints2
from regflow.mnase.histogram import bin_fragments, normalise_and_sum
from regflow.mnase.layout import PRESETS

LAYOUT = PRESETS["classes"]


def _bin(rows, tss, sign, origin2):
    start = np.array([r[0] for r in rows])
    end = np.array([r[1] for r in rows])
    count = np.array([r[2] if len(r) > 2 else 1 for r in rows])
    return bin_fragments(
        midpoints2(start, end),
        end - start,
        count,
        np.asarray(tss),
        np.asarray(sign),
        np.asarray(origin2),
        LAYOUT,
    )


def test_exact_pixels_plus_and_minus_strand():
    # midpoint +100.5 bp downstream of each TSS, length 150 (row 16 + (150-140)*8//61 = 17)
    plus = (1025, 1175)  # centre (1025 + 1174) / 2 = 1099.5 = TSS 999 + 100.5
    minus = (4824, 4974)  # centre 4898.5 = TSS 4999 - 100.5
    images = _bin([plus, minus], [999, 4999], [1, -1], [0, 0])
    assert images.shape == (2, 24, 128)
    column = (100 + 512) // 8  # 100.5 bp lies in [96, 104): column 76
    for g in range(2):
        assert images[g, 17, column] == 1
        assert images[g].sum() == 1


def test_minus_strand_is_flipped():
    # upstream fragments (-200 bp) land left of the TSS on both strands
    images = _bin([(775, 825), (5175, 5225)], [1000, 5000], [1, -1], [0, 0])
    # plus: centre 799.5 -> -200.5 bp; minus: centre 5199.5 -> -199.5 bp
    assert images[0, :, (512 - 208) // 8].sum() == 1  # [-208, -200): column 38
    assert images[1, :, (512 - 200) // 8].sum() == 1  # [-200, -192): column 39


def test_class_stacking():
    rows = [(1000 - L // 2, 1000 - L // 2 + L) for L in (50, 100, 150, 300, 30)]
    images = _bin(rows, [1000], [1], [0])[0]
    per_class = images.reshape(3, 8, 128).sum(axis=(1, 2))
    np.testing.assert_array_equal(per_class, [1, 1, 1])  # 300 and 30 bp are outside
    assert images[:8].sum() == 1 and images[8:16].sum() == 1 and images[16:].sum() == 1


def test_frame_origin_shifts_columns():
    fragment = [(1000 + 80 - 75, 1000 + 80 + 75)]  # centre 1079.5: +79.5 bp
    tss_frame = _bin(fragment, [1000], [1], [0])[0]
    aligned = _bin(fragment, [1000], [1], [2 * 48])[0]  # origin +48 bp: +1 at 80 -> 32
    assert tss_frame[:, (79 + 512) // 8].sum() == 1
    assert aligned[:, (31 + 512) // 8].sum() == 1


def test_overlapping_windows_count_in_both_genes():
    images = _bin([(1300, 1450, 3)], [1000, 1600], [1, 1], [0, 0])
    assert images[0].sum() == 3 and images[1].sum() == 3


def test_normalise_and_sum_replicates():
    raw = np.zeros((1, 3, 2, 2))
    raw[0, 0, 0, 0] = 2  # sample 0 (condition 0) of 4 fragments
    raw[0, 1, 0, 0] = 1  # sample 1 (condition 0) of 2 fragments
    raw[0, 2, 1, 1] = 5  # sample 2 (condition 1) of 10 fragments
    out = normalise_and_sum(raw, np.array([4.0, 2.0, 10.0]), np.array([0, 0, 1]), 2)
    assert out.shape == (1, 2, 2, 2)
    assert out[0, 0, 0, 0] == 2 * 1e6 / 4 + 1 * 1e6 / 2
    assert out[0, 1, 1, 1] == 5 * 1e6 / 10
    assert out.sum() == out[0, 0, 0, 0] + out[0, 1, 1, 1]
