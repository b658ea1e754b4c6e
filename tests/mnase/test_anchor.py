"""+1 nucleosome anchors: the peak of pooled nucleosomal midpoints near the TSS."""

from __future__ import annotations

import numpy as np

from regflow.mnase.anchor import (
    ANCHOR_SEARCH,
    ANCHOR_SIGMA,
    anchor_profiles,
    plus1_anchors,
    profile_half_width2,
)
from regflow.mnase.assign import midpoints2


def _fragments(tss, sign, rel, length):
    """Start/end of fragments whose midpoints sit ``rel`` bp (strand-oriented) from ``tss``."""
    c2 = 2 * tss + sign * np.round(2 * np.asarray(rel)).astype(np.int64)
    start = (c2 + 1 - length) // 2
    return start, start + length


def test_anchor_is_peak_on_both_strands(rng):
    tss = np.array([5000, 9000])
    sign = np.array([1, -1])
    half_width2 = profile_half_width2()
    c2, length = [], []
    for g in range(2):
        rel = np.r_[rng.normal(70, 8, 60), rng.uniform(-160, 160, 30)]
        size = rng.choice([147, 150, 160], rel.size)
        start, end = _fragments(tss[g], sign[g], rel, size)
        c2.append(midpoints2(start, end))
        length.append(end - start)
    # sub-nucleosomal fragments do not count: a pile at -100 is ignored
    start, end = _fragments(tss[0], 1, np.full(200, -100.0), 60)
    c2.append(midpoints2(start, end))
    length.append(end - start)
    c2, length = np.concatenate(c2), np.concatenate(length)
    profiles = anchor_profiles(c2, length, np.ones_like(c2), tss, sign, half_width2)
    assert profiles.shape == (2, 2 * half_width2 + 1)
    anchor2, found = plus1_anchors(profiles, ANCHOR_SEARCH, ANCHOR_SIGMA)
    assert found.all()
    assert np.all(np.abs(anchor2 / 2 - 70) <= 6)


def test_no_nucleosomal_midpoint_means_not_found():
    tss, sign = np.array([5000]), np.array([1])
    start, end = _fragments(5000, 1, np.array([180.0, -300.0]), 150)  # outside +/-160 bp
    profiles = anchor_profiles(
        midpoints2(start, end), end - start, np.ones(2, np.int64), tss, sign, profile_half_width2()
    )
    anchor2, found = plus1_anchors(profiles)
    assert not found[0] and anchor2[0] == 0
