"""TF footprints in simulated ATAC-seq: insertions beside bound sites, none inside them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from regflow.simulate.atac import flank_distance, tf_footprints


def sites(*rows):
    return pd.DataFrame(rows, columns=["region", "start", "end", "occupancy"])


def uniform_cuts(rng, n, lo, hi, region=0):
    return rng.integers(lo, hi, n), np.full(n, region)


def test_flank_distances_are_positive_with_the_configured_mean():
    d = flank_distance(np.random.default_rng(0), 200_000, 20.0)
    assert d.min() >= 1
    assert abs(d.mean() - 21.0) < 0.3  # 1 + a geometric draw of mean 20


def test_unbound_sites_and_share_zero_leave_insertions_in_place():
    rng = np.random.default_rng(1)
    cut, pick = uniform_cuts(rng, 5000, 0, 300)
    out = tf_footprints(rng, cut, pick, sites((0, 100, 120, 0.0)), share=1.0, flank=20)
    assert np.array_equal(out, cut)


def test_a_fully_bound_site_is_protected_and_its_flanks_gain_insertions():
    rng = np.random.default_rng(2)
    cut, pick = uniform_cuts(rng, 20_000, 0, 300)
    out = tf_footprints(rng, cut, pick, sites((0, 140, 160, 1.0)), share=0.5, flank=15)
    assert not ((out >= 140) & (out < 160)).any()
    flank_before = ((cut >= 110) & (cut < 140)).sum() + ((cut >= 160) & (cut < 190)).sum()
    flank_after = ((out >= 110) & (out < 140)).sum() + ((out >= 160) & (out < 190)).sum()
    assert flank_after > 2.5 * flank_before
    # half the insertions move beside the site, and so do the other half's inside it (20 of
    # 300 bp); they split evenly between the two sides
    moved = out != cut
    assert abs(moved.mean() - (0.5 + 0.5 * 20 / 300)) < 0.015
    left = (out[moved] < 140).mean()
    assert abs(left - 0.5) < 0.03


def test_protection_alone_moves_only_insertions_inside_the_site():
    rng = np.random.default_rng(3)
    cut, pick = uniform_cuts(rng, 10_000, 0, 300)
    out = tf_footprints(rng, cut, pick, sites((0, 100, 110, 1.0)), share=0.0, flank=20)
    inside = (cut >= 100) & (cut < 110)
    assert np.array_equal(out[~inside], cut[~inside])
    assert not ((out >= 100) & (out < 110)).any()


def test_partial_occupancy_protects_in_proportion():
    rng = np.random.default_rng(4)
    cut = np.full(20_000, 105)
    out = tf_footprints(rng, cut, np.zeros_like(cut), sites((0, 100, 110, 0.3)), 0.0, 20)
    assert abs((out != cut).mean() - 0.3) < 0.02


def test_sites_are_chosen_in_proportion_to_occupancy_within_the_region():
    rng = np.random.default_rng(5)
    cut, pick = uniform_cuts(rng, 40_000, 0, 2000)
    table = sites((0, 500, 510, 0.75), (0, 1500, 1510, 0.25))
    out = tf_footprints(rng, cut, pick, table, share=1.0, flank=5)
    moved = out != cut
    # total occupancy 1: every insertion moves, three of four beside the stronger site
    near_first = (np.abs(out[moved] - 505) < 60).mean()
    assert abs(near_first - 0.75) < 0.02


def test_a_region_only_feels_its_own_sites():
    rng = np.random.default_rng(6)
    cut_a, pick_a = uniform_cuts(rng, 5000, 0, 300, region=0)
    cut_b, pick_b = uniform_cuts(rng, 5000, 0, 300, region=1)
    cut, pick = np.concatenate([cut_a, cut_b]), np.concatenate([pick_a, pick_b])
    out = tf_footprints(rng, cut, pick, sites((1, 100, 120, 1.0)), share=0.5, flank=10)
    assert np.array_equal(out[pick == 0], cut_a)
    assert not ((out[pick == 1] >= 100) & (out[pick == 1] < 120)).any()
