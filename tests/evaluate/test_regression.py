"""Regression metrics: agreement with sklearn/scipy, NaN for undefined scores, input checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import mean_squared_error, r2_score

from regflow.errors import RegflowError
from regflow.evaluate.regression import regression_metrics


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_sklearn_and_scipy_on_random_data(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.normal(size=50)
    y_pred = 0.6 * y_true + rng.normal(scale=0.8, size=50) + 0.3
    y_pred[:5] = y_pred[5]  # ties, so Spearman's rank averaging matters
    m = regression_metrics(y_true, y_pred)
    assert m["n"] == 50
    assert m["r2"] == pytest.approx(r2_score(y_true, y_pred))
    assert m["pearson"] == pytest.approx(pearsonr(y_true, y_pred).statistic)
    assert m["spearman"] == pytest.approx(spearmanr(y_true, y_pred).statistic)
    assert m["mse"] == pytest.approx(mean_squared_error(y_true, y_pred))


def test_r2_is_not_squared_pearson():
    y_true = np.array([1.0, 2.0, 3.0, 4.0])
    y_pred = 2 * y_true + 10  # perfectly correlated, badly off
    m = regression_metrics(y_true, y_pred)
    assert m["pearson"] == pytest.approx(1.0)
    assert m["spearman"] == pytest.approx(1.0)
    assert m["r2"] == pytest.approx(r2_score(y_true, y_pred))
    assert m["r2"] < 0


def test_perfect_and_anticorrelated_predictions():
    y = np.array([3.0, 1.0, 2.0, 5.0])
    perfect = regression_metrics(y, y)
    assert perfect["r2"] == 1.0 and perfect["mse"] == 0.0 and perfect["pearson"] == 1.0
    assert regression_metrics(y, -y)["spearman"] == pytest.approx(-1.0)


def test_integer_inputs_accepted_and_inputs_not_mutated():
    y_true = np.array([1, 2, 3, 4])
    y_pred = np.array([1, 3, 2, 4])
    before = (y_true.copy(), y_pred.copy())
    m = regression_metrics(y_true, y_pred)
    assert m["mse"] == pytest.approx(0.5)
    np.testing.assert_array_equal(y_true, before[0])
    np.testing.assert_array_equal(y_pred, before[1])


@pytest.mark.parametrize(
    ("y_true", "y_pred", "r2_nan"),
    [
        ([0.1, 0.1, 0.1], [1.0, 2.0, 3.0], True),  # constant truth (0.1: mean not exact)
        ([1.0, 2.0, 3.0], [0.1, 0.1, 0.1], False),  # constant prediction: R^2 still defined
        ([2.0], [1.0], True),  # n = 1
    ],
)
def test_undefined_correlations_are_nan_without_warnings(y_true, y_pred, r2_nan):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = regression_metrics(np.array(y_true), np.array(y_pred))
    assert np.isnan(m["pearson"]) and np.isnan(m["spearman"])
    assert np.isnan(m["r2"]) == r2_nan
    assert m["mse"] == pytest.approx(np.mean((np.array(y_true) - np.array(y_pred)) ** 2))


def test_constant_prediction_r2_matches_sklearn():
    m = regression_metrics(np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0, 0.0]))
    assert m["r2"] == pytest.approx(r2_score([1.0, 2.0, 3.0], [0.0, 0.0, 0.0]))


def test_empty_gives_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = regression_metrics(np.array([]), np.array([]))
    assert m["n"] == 0
    assert all(np.isnan(m[k]) for k in ("r2", "pearson", "spearman", "mse"))


@pytest.mark.parametrize(
    ("y_true", "y_pred", "match"),
    [
        (np.zeros(3), np.zeros(4), "same length"),
        (np.zeros((3, 2)), np.zeros((3, 2)), "1-D"),
        (np.array([1.0, np.nan]), np.zeros(2), "y_true holds 1 NaN/inf"),
        (np.zeros(2), np.array([np.inf, 1.0]), "y_pred holds 1 NaN/inf"),
    ],
)
def test_bad_inputs_raise(y_true, y_pred, match):
    with pytest.raises(RegflowError, match=match):
        regression_metrics(y_true, y_pred)
