"""Base-resolution profile and total-count scores of BPNet-style predictions: Jensen-Shannon
distance of profile shapes (raw and normalised against a flat profile) and correlation of
log counts."""

from __future__ import annotations

import numpy as np
from scipy.special import rel_entr

from regflow.evaluate.regression import regression_metrics


def softmax_profile(logits: np.ndarray) -> np.ndarray:
    """Probabilities ``(..., L)`` from profile logits ``(..., L)`` (softmax over the last axis)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)  # stable: the largest logit becomes 0
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _check_profiles(observed: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both as float64 ``(N, L)``; ``ValueError`` for mismatched shapes or negative values."""
    obs = np.asarray(observed, dtype=np.float64)
    pred = np.asarray(predicted, dtype=np.float64)
    if obs.ndim != 2 or pred.shape != obs.shape:
        raise ValueError(
            f"observed and predicted profiles must both be (N, L), got {obs.shape} and {pred.shape}"
        )
    for name, values in (("observed", obs), ("predicted", pred)):
        if not np.isfinite(values).all() or (values < 0).any():
            raise ValueError(f"{name} profiles must be finite and non-negative")
    if (pred.sum(axis=1) == 0).any():
        raise ValueError("predicted profiles must not be all zero")
    return obs, pred


def profile_jsd(observed_counts: np.ndarray, predicted_probs: np.ndarray) -> np.ndarray:
    """Jensen-Shannon distance per region between observed and predicted profile shapes.

    Each row of both arrays is normalised to sum 1 (as
    ``scipy.spatial.distance.jensenshannon``); the distance is the square root of the
    divergence in base 2, so it lies in [0, 1] (0 = identical shapes).

    Parameters
    ----------
    observed_counts
        ``(N, L)`` non-negative counts per base.
    predicted_probs
        ``(N, L)`` non-negative predicted probabilities (e.g. :func:`softmax_profile`).

    Returns
    -------
    np.ndarray
        ``(N,)``; NaN for regions with no observed counts (no shape to compare).
    """
    obs, pred = _check_profiles(observed_counts, predicted_probs)
    obs_total = obs.sum(axis=1, keepdims=True)  # (N, 1)
    empty = obs_total[:, 0] == 0
    p = obs / np.where(obs_total == 0, 1.0, obs_total)  # (N, L); empty rows stay 0
    q = pred / pred.sum(axis=1, keepdims=True)  # (N, L)
    m = 0.5 * (p + q)
    divergence = 0.5 * (rel_entr(p, m).sum(axis=1) + rel_entr(q, m).sum(axis=1)) / np.log(2)
    jsd = np.sqrt(np.clip(divergence, 0.0, 1.0))  # rounding can leave it just outside [0, 1]
    jsd[empty] = np.nan
    return jsd


def normalised_jsd(observed_counts: np.ndarray, predicted_probs: np.ndarray) -> np.ndarray:
    """Per region ``(jsd_flat - jsd_pred) / jsd_flat``: 1 = perfect, 0 = no better than flat.

    ``jsd_flat`` is the distance of the observed profile from a flat profile. A raw JSD
    depends on how many reads a region has (sparse profiles are far from any smooth
    prediction), so the ChromBPNet paper rescales it between a flat-profile baseline and the
    best attainable distance; the best attainable needs replicate data, so here it is taken as
    0. Negative values mean worse than a flat prediction.

    Parameters
    ----------
    observed_counts, predicted_probs
        ``(N, L)``, as in :func:`profile_jsd`.

    Returns
    -------
    np.ndarray
        ``(N,)``; NaN for regions with no counts or an exactly flat observed profile.
    """
    obs = np.asarray(observed_counts, dtype=np.float64)
    jsd_pred = profile_jsd(obs, predicted_probs)
    jsd_flat = profile_jsd(obs, np.ones_like(obs))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(jsd_flat > 0, (jsd_flat - jsd_pred) / jsd_flat, np.nan)


def _nanmedian(values: np.ndarray) -> float:
    """Median of the finite values; NaN (and no warning) when there are none."""
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("nan")


def profile_metrics(observed_counts: np.ndarray, predicted_probs: np.ndarray) -> dict[str, float]:
    """Median raw and normalised JSD over regions.

    Parameters
    ----------
    observed_counts, predicted_probs
        ``(N, L)``, as in :func:`profile_jsd`.

    Returns
    -------
    dict
        ``median_jsd``, ``median_norm_jsd`` (medians over the regions where each is defined)
        and ``n``, the number of regions with observed counts (int).
    """
    jsd = profile_jsd(observed_counts, predicted_probs)
    norm = normalised_jsd(observed_counts, predicted_probs)
    return {
        "median_jsd": _nanmedian(jsd),
        "median_norm_jsd": _nanmedian(norm),
        "n": int(np.isfinite(jsd).sum()),
    }


def count_metrics(observed_total: np.ndarray, predicted_log_counts: np.ndarray) -> dict[str, float]:
    """Agreement of predicted ``log(1 + total)`` with the observed totals.

    Parameters
    ----------
    observed_total
        ``(N,)`` observed counts per region (non-negative).
    predicted_log_counts
        ``(N,)`` predicted ``log(1 + total counts)``.

    Returns
    -------
    dict
        ``pearson``, ``spearman`` and ``mse`` of ``log1p(observed_total)`` against the
        prediction (NaN where undefined, see
        :func:`regflow.evaluate.regression.regression_metrics`) and ``n`` (int).

    Raises
    ------
    ValueError
        For negative observed totals.
    RegflowError
        For arrays that are not 1-D of one length or that hold NaN/inf (from
        :func:`~regflow.evaluate.regression.regression_metrics`).
    """
    total = np.asarray(observed_total, dtype=np.float64)
    if (total < 0).any():
        raise ValueError("observed_total must be non-negative")
    m = regression_metrics(np.log1p(total), np.asarray(predicted_log_counts, dtype=np.float64))
    return {"pearson": m["pearson"], "spearman": m["spearman"], "mse": m["mse"], "n": m["n"]}
