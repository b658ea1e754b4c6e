"""Gaussian-process baseline: learns a smooth function, not noise; subsampling is seeded."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import r2_score

from regflow.baselines.gp import fit_predict_gp
from regflow.errors import RegflowError


def smooth_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``y = sin(x0) + 0.5 x1 + noise``, with an irrelevant feature on another scale."""
    rng = np.random.default_rng(seed)
    x = np.column_stack(
        [rng.uniform(-3, 3, n), rng.uniform(-2, 2, n), rng.normal(scale=100.0, size=n)]
    )
    y = np.sin(x[:, 0]) + 0.5 * x[:, 1] + rng.normal(scale=0.1, size=n)
    return x, y


def test_learns_a_smooth_function():
    x, y = smooth_data(150, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # convergence noise stays inside
        pred = fit_predict_gp(x[:100], y[:100], x[100:], seed=0)
    assert pred.shape == (50,)
    assert r2_score(y[100:], pred) > 0.8


def test_does_not_fit_noise():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(150, 3))
    y = rng.normal(size=150)
    pred = fit_predict_gp(x[:100], y[:100], x[100:], seed=0)
    assert r2_score(y[100:], pred) <= 0.1


def test_subsampling_is_deterministic_and_used():
    x, y = smooth_data(120, seed=2)
    a = fit_predict_gp(x[:100], y[:100], x[100:], seed=3, max_train=30)
    b = fit_predict_gp(x[:100], y[:100], x[100:], seed=3, max_train=30)
    np.testing.assert_array_equal(a, b)
    other = fit_predict_gp(x[:100], y[:100], x[100:], seed=4, max_train=30)
    assert not np.allclose(a, other)  # another seed, another subsample
    full = fit_predict_gp(x[:100], y[:100], x[100:], seed=3)
    assert not np.allclose(a, full)


def test_inputs_not_mutated():
    x, y = smooth_data(40, seed=5)
    copies = (x.copy(), y.copy())
    fit_predict_gp(x[:30], y[:30], x[30:], seed=0)
    np.testing.assert_array_equal(x, copies[0])
    np.testing.assert_array_equal(y, copies[1])


@pytest.mark.parametrize(
    ("x_train", "y_train", "x_test", "match"),
    [
        (np.zeros((5, 2)), np.zeros(5), np.zeros((3, 3)), "same features"),
        (np.zeros(5), np.zeros(5), np.zeros((3, 1)), "same features"),
        (np.zeros((5, 2)), np.zeros(4), np.zeros((3, 2)), "y_train must be"),
        (np.zeros((5, 2)), np.full(5, np.nan), np.zeros((3, 2)), "y_train holds"),
        (np.zeros((1, 2)), np.zeros(1), np.zeros((3, 2)), "at least 2"),
    ],
)
def test_bad_inputs_raise(x_train, y_train, x_test, match):
    with pytest.raises(RegflowError, match=match):
        fit_predict_gp(x_train, y_train, x_test, seed=0)
