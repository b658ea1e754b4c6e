"""Regression scores of predicted against measured values (expression, accessibility): R^2,
Pearson, Spearman and MSE, NaN where a score is undefined rather than a warning."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from regflow.errors import RegflowError


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of two 1-D arrays; NaN when either is constant or shorter than 2.

    Constancy is tested on the values (min == max), not on a variance that rounding can leave
    slightly above zero, so constant inputs give NaN and never a spurious +/-1.
    """
    if x.size < 2 or x.min() == x.max() or y.min() == y.max():
        return float("nan")
    xc, yc = x - x.mean(), y - y.mean()
    r = np.dot(xc, yc) / np.sqrt(np.dot(xc, xc) * np.dot(yc, yc))
    return float(np.clip(r, -1.0, 1.0))


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Agreement of predictions with the truth.

    Parameters
    ----------
    y_true, y_pred
        Shape ``(n,)``, finite numbers; score one output (e.g. one strand) at a time.

    Returns
    -------
    dict
        ``n``: number of values (int); ``r2``: coefficient of determination
        ``1 - SS_res / SS_tot`` (as :func:`sklearn.metrics.r2_score`, not squared Pearson; can
        be negative; NaN when ``y_true`` is constant, where it is undefined); ``pearson`` and
        ``spearman``: NaN when either side is constant or ``n < 2``; ``mse``: mean squared
        error, NaN when ``n == 0``.

    Raises
    ------
    RegflowError
        When the arrays are not 1-D of the same length or hold NaN or infinite values.
    """
    true = np.asarray(y_true, dtype=np.float64)
    pred = np.asarray(y_pred, dtype=np.float64)
    if true.ndim != 1 or pred.shape != true.shape:
        raise RegflowError(
            f"y_true and y_pred must be 1-D of the same length, got shapes {true.shape} and "
            f"{pred.shape}"
        )
    for name, values in (("y_true", true), ("y_pred", pred)):
        if not np.isfinite(values).all():
            raise RegflowError(f"{name} holds {int((~np.isfinite(values)).sum())} NaN/inf values")
    n = true.size
    if n == 0:
        nan = float("nan")
        return {"n": 0, "r2": nan, "pearson": nan, "spearman": nan, "mse": nan}
    ss_res = float(np.sum((true - pred) ** 2))
    ss_tot = float(np.sum((true - true.mean()) ** 2))
    constant = true.min() == true.max() or ss_tot == 0.0  # second: tiny spreads underflow
    return {
        "n": n,
        "r2": float("nan") if constant else 1.0 - ss_res / ss_tot,
        "pearson": _pearson(true, pred),
        "spearman": _pearson(rankdata(true), rankdata(pred)),
        "mse": ss_res / n,
    }
