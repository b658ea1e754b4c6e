"""Random-forest baseline: learns a nonlinear two-output function, seeded, checks shapes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import r2_score

from regflow.baselines.forest import fit_predict_forest
from regflow.errors import RegflowError


def two_strand_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two outputs driven by different features, each nonlinear, plus a noise feature."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=(n, 4))
    y = np.column_stack(
        [
            np.where(x[:, 0] > 0, 2.0, -1.0) + x[:, 1] ** 2,
            np.abs(x[:, 2]) * 2 - x[:, 1],
        ]
    ) + rng.normal(scale=0.1, size=(n, 2))
    return x, y


def test_learns_a_nonlinear_two_output_function():
    x, y = two_strand_data(600, seed=0)
    pred = fit_predict_forest(x[:500], y[:500], x[500:], seed=0)
    assert pred.shape == (100, 2)
    for k in range(2):
        assert r2_score(y[500:, k], pred[:, k]) > 0.7


def test_deterministic_for_a_seed():
    x, y = two_strand_data(200, seed=2)
    a = fit_predict_forest(x[:150], y[:150], x[150:], seed=7)
    b = fit_predict_forest(x[:150], y[:150], x[150:], seed=7)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, fit_predict_forest(x[:150], y[:150], x[150:], seed=8))


def test_depth_limit_is_applied():
    # one tree of depth 1 makes at most 2 distinct predictions
    x, y = two_strand_data(300, seed=3)
    stumps = fit_predict_forest(x, y, x, seed=0, n_estimators=1, max_depth=1)
    assert len(np.unique(stumps[:, 0])) <= 2


@pytest.mark.parametrize(
    ("x_train", "y_train", "x_test", "match"),
    [
        (np.zeros((5, 2)), np.zeros((5, 2)), np.zeros((3, 3)), "same features"),
        (np.zeros((5, 2)), np.zeros(5), np.zeros((3, 2)), "y_train must be"),
        (np.zeros((5, 2)), np.zeros((4, 2)), np.zeros((3, 2)), "y_train must be"),
        (np.zeros((0, 2)), np.zeros((0, 2)), np.zeros((3, 2)), "no rows"),
        (np.full((5, 2), np.inf), np.zeros((5, 2)), np.zeros((3, 2)), "x_train holds"),
    ],
)
def test_bad_inputs_raise(x_train, y_train, x_test, match):
    with pytest.raises(RegflowError, match=match):
        fit_predict_forest(x_train, y_train, x_test, seed=0)
