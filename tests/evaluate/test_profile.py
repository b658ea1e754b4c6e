"""Profile and count metrics: JSD against scipy, the flat-normalised JSD's anchors, NaN for
empty profiles, count metrics on known arrays."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.special import softmax
from scipy.stats import pearsonr, spearmanr

from regflow.evaluate.profile import (
    count_metrics,
    normalised_jsd,
    profile_jsd,
    profile_metrics,
    softmax_profile,
)


def test_softmax_profile_matches_scipy_and_is_stable():
    logits = np.random.default_rng(0).normal(size=(3, 7)) * 5
    np.testing.assert_allclose(softmax_profile(logits), softmax(logits, axis=-1))
    big = softmax_profile(np.array([[1000.0, 1000.0]]))
    np.testing.assert_allclose(big, [[0.5, 0.5]])


@pytest.mark.parametrize("seed", [0, 1])
def test_jsd_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    obs = rng.poisson(1.5, size=(6, 30)).astype(float)
    obs[0, :] = 0
    obs[0, 3] = 4  # a single-position profile
    pred = softmax_profile(rng.normal(size=(6, 30)))
    pred[1, :5] = 0  # zeros on the predicted side too
    pred[1] /= pred[1].sum()
    expected = np.array([jensenshannon(o, p, base=2) for o, p in zip(obs, pred, strict=True)])
    np.testing.assert_allclose(profile_jsd(obs, pred), expected, atol=1e-7)


def test_jsd_range_and_empty_rows():
    obs = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [2.0, 2.0, 2.0]])
    pred = np.array([[0.2, 0.3, 0.5], [0.0, 0.0, 1.0], [1 / 3, 1 / 3, 1 / 3]])
    jsd = profile_jsd(obs, pred)
    assert np.isnan(jsd[0])
    assert jsd[1] == pytest.approx(1.0)  # disjoint supports
    assert jsd[2] == pytest.approx(0.0, abs=1e-7)


def test_normalised_jsd_anchors():
    rng = np.random.default_rng(3)
    obs = rng.poisson(3.0, size=(5, 20)).astype(float)
    perfect = obs / obs.sum(axis=1, keepdims=True)
    flat = np.full_like(obs, 1 / 20)
    np.testing.assert_allclose(normalised_jsd(obs, perfect), 1.0, atol=1e-6)
    np.testing.assert_allclose(normalised_jsd(obs, flat), 0.0, atol=1e-12)
    worse = np.zeros_like(obs)
    worse[np.arange(5), obs.argmin(axis=1)] = 1.0  # all mass on the least-covered base
    assert (normalised_jsd(obs, worse) < 0).all()


def test_normalised_jsd_nan_for_empty_and_flat_observations():
    obs = np.array([[0.0, 0.0, 0.0, 0.0], [3.0, 3.0, 3.0, 3.0], [1.0, 0.0, 4.0, 0.0]])
    pred = np.full((3, 4), 0.25)
    norm = normalised_jsd(obs, pred)
    assert np.isnan(norm[0]) and np.isnan(norm[1])
    assert norm[2] == pytest.approx(0.0)


def test_profile_metrics():
    obs = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [3.0, 1.0]])
    pred = np.array([[0.5, 0.5], [1.0, 0.0], [0.5, 0.5], [0.5, 0.5]])
    m = profile_metrics(obs, pred)
    assert m["n"] == 3
    jsd = profile_jsd(obs, pred)
    assert m["median_jsd"] == pytest.approx(np.median(jsd[1:]))
    assert m["median_norm_jsd"] == pytest.approx(np.median([1.0, 0.0]))  # row 2 is flat: NaN
    empty = profile_metrics(np.zeros((2, 3)), np.ones((2, 3)))
    assert empty["n"] == 0 and np.isnan(empty["median_jsd"])


def test_profile_input_checks():
    with pytest.raises(ValueError, match="shape|\\(N, L\\)"):
        profile_jsd(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="non-negative"):
        profile_jsd(-np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="all zero"):
        profile_jsd(np.ones((2, 3)), np.zeros((2, 3)))


def test_count_metrics_on_known_arrays():
    total = np.array([0.0, 9.0, 99.0, 999.0, 3.0])
    log_obs = np.log1p(total)
    pred = np.array([0.5, 2.0, 4.0, 7.5, 1.0])
    m = count_metrics(total, pred)
    assert m["n"] == 5
    assert m["pearson"] == pytest.approx(pearsonr(log_obs, pred).statistic)
    assert m["spearman"] == pytest.approx(1.0)
    assert m["spearman"] == pytest.approx(spearmanr(log_obs, pred).statistic)
    assert m["mse"] == pytest.approx(np.mean((log_obs - pred) ** 2))
    exact = count_metrics(total, log_obs)
    assert exact["pearson"] == pytest.approx(1.0) and exact["mse"] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="non-negative"):
        count_metrics(np.array([-1.0, 2.0]), np.array([0.0, 1.0]))
