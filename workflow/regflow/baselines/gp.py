"""Gaussian-process regression baseline: expression from a handful of summary features (the
chromatin-transformers paper's baseline), an ARD RBF kernel plus noise."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

from regflow.errors import RegflowError


def fit_predict_gp(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    seed: int,
    max_train: int = 2000,
    restarts: int = 0,
) -> np.ndarray:
    """Fit a Gaussian process on the training set and predict the test set.

    Features are standardised with the training mean and standard deviation (constant features
    are only centred) so one starting length scale suits them all; the kernel is
    ``ConstantKernel * RBF(one length scale per feature) + WhiteKernel``, targets normalised,
    hyperparameters by marginal likelihood (plus ``restarts`` random restarts). Exact GP
    fitting is O(n^3), so more than ``max_train`` training rows are subsampled without
    replacement.

    Parameters
    ----------
    x_train
        Shape ``(n, n_features)``.
    y_train
        Shape ``(n,)``.
    x_test
        Shape ``(m, n_features)``.
    seed
        Seeds the subsample and the optimiser's restarts; same seed, same predictions.
    max_train
        Most training rows used.
    restarts
        Extra optimiser runs from random hyperparameters (each costs a full fit).

    Returns
    -------
    numpy.ndarray
        Shape ``(m,)``, float64, the posterior mean at ``x_test``.

    Raises
    ------
    RegflowError
        When the shapes disagree, values are not finite, there are fewer than 2 training rows
        or ``max_train < 2``.
    """
    x_train = np.asarray(x_train, dtype=np.float64)
    y_train = np.asarray(y_train, dtype=np.float64)
    x_test = np.asarray(x_test, dtype=np.float64)
    if x_train.ndim != 2 or x_test.ndim != 2 or x_test.shape[1] != x_train.shape[1]:
        raise RegflowError(
            "x_train and x_test must be (rows, n_features) with the same features, got "
            f"{x_train.shape} and {x_test.shape}"
        )
    if y_train.shape != (x_train.shape[0],):
        raise RegflowError(
            f"y_train must be ({x_train.shape[0]},) like x_train's rows, got {y_train.shape}"
        )
    for name, values in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test)):
        if not np.isfinite(values).all():
            raise RegflowError(f"{name} holds NaN/inf values")
    if x_train.shape[0] < 2 or max_train < 2:
        raise RegflowError(
            f"a Gaussian process needs at least 2 training rows, got {x_train.shape[0]} "
            f"(max_train {max_train})"
        )

    if x_train.shape[0] > max_train:
        keep = np.sort(
            np.random.default_rng(seed).choice(x_train.shape[0], max_train, replace=False)
        )
        x_train, y_train = x_train[keep], y_train[keep]
    mean = x_train.mean(axis=0)
    scale = x_train.std(axis=0)
    scale[scale == 0] = 1.0

    kernel = ConstantKernel(1.0) * RBF(length_scale=np.ones(x_train.shape[1])) + WhiteKernel(1.0)
    model = GaussianProcessRegressor(
        kernel=kernel, normalize_y=True, n_restarts_optimizer=restarts, random_state=seed
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # hyperparameters at their bounds
        model.fit((x_train - mean) / scale, y_train)
    return model.predict((x_test - mean) / scale)
