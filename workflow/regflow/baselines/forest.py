"""Random-forest baseline for the GET-style task (the GET paper's baseline): expression of both
strands from region features, one forest of 10 trees of depth at most 10 per output."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.multioutput import MultiOutputRegressor

from regflow.errors import RegflowError


def fit_predict_forest(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    seed: int,
    n_estimators: int = 10,
    max_depth: int = 10,
) -> np.ndarray:
    """Fit one random forest per output column on the training set and predict the test set.

    ``MultiOutputRegressor`` as in the paper: the outputs (the two strands) get separate
    forests rather than one forest with shared splits.

    Parameters
    ----------
    x_train
        Shape ``(n, n_features)``.
    y_train
        Shape ``(n, n_outputs)``, ``n_outputs`` = 2 (the two strands) in the GET task.
    x_test
        Shape ``(m, n_features)``.
    seed
        ``random_state`` of every forest; same seed, same predictions.
    n_estimators, max_depth
        Trees per forest and their maximum depth.

    Returns
    -------
    numpy.ndarray
        Shape ``(m, n_outputs)``, float64.

    Raises
    ------
    RegflowError
        When the shapes disagree, values are not finite or there are no training rows.
    """
    x_train = np.asarray(x_train, dtype=np.float64)
    y_train = np.asarray(y_train, dtype=np.float64)
    x_test = np.asarray(x_test, dtype=np.float64)
    if x_train.ndim != 2 or x_test.ndim != 2 or x_test.shape[1] != x_train.shape[1]:
        raise RegflowError(
            "x_train and x_test must be (rows, n_features) with the same features, got "
            f"{x_train.shape} and {x_test.shape}"
        )
    if y_train.ndim != 2 or y_train.shape[0] != x_train.shape[0] or y_train.shape[1] < 1:
        raise RegflowError(
            f"y_train must be ({x_train.shape[0]}, n_outputs) like x_train's rows, "
            f"got {y_train.shape}"
        )
    if x_train.shape[0] == 0:
        raise RegflowError("x_train has no rows")
    for name, values in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test)):
        if not np.isfinite(values).all():
            raise RegflowError(f"{name} holds NaN/inf values")

    forest = RandomForestRegressor(
        n_estimators=n_estimators, max_depth=max_depth, random_state=seed, n_jobs=1
    )
    model = MultiOutputRegressor(forest).fit(x_train, y_train)
    return model.predict(x_test)
