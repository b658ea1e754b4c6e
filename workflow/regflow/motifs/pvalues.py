"""Exact score distributions of integer-scaled PWMs and the score thresholds of p-values.

As in FIMO (Grant et al. 2011), log-odds scores are put on an integer grid (``resolution``
steps per bit) and the distribution of a random sequence's score, bases drawn independently
from the background, is computed exactly by dynamic programming over the positions. The
scanner scores sequences with the same integer matrices, so the p-value of every reported
score is exact for that score.
"""

from __future__ import annotations

import numpy as np


def integer_matrix(log_odds: np.ndarray, resolution: int) -> np.ndarray:
    """``(length, 4)`` log-odds (bits) rounded to ``1 / resolution`` bit, as int64 steps."""
    return np.rint(np.asarray(log_odds, float) * resolution).astype(np.int64)


def score_distribution(scores: np.ndarray, background: np.ndarray) -> tuple[int, np.ndarray]:
    """Exact distribution of the integer score of one random window.

    Parameters
    ----------
    scores
        ``(length, 4)`` integer score matrix.
    background
        ``(4,)`` base probabilities.

    Returns
    -------
    lowest : int
        The smallest reachable score.
    pmf : numpy.ndarray
        ``(highest - lowest + 1,)`` probability of each score ``lowest + k``.
    """
    scores = np.asarray(scores, np.int64)
    background = np.asarray(background, float)
    lows = scores.min(axis=1)
    spans = scores.max(axis=1) - lows
    pmf = np.ones(1)
    for row, low, span in zip(scores, lows, spans, strict=True):
        grown = np.zeros(pmf.size + span)
        for b in range(4):
            shift = row[b] - low
            grown[shift : shift + pmf.size] += background[b] * pmf
        pmf = grown
    return int(lows.sum()), pmf


def survival(pmf: np.ndarray) -> np.ndarray:
    """``sf[k]`` = probability of a score >= ``lowest + k`` (summed from the top)."""
    return np.cumsum(pmf[::-1])[::-1]


def score_threshold(lowest: int, sf: np.ndarray, pvalue: float) -> int:
    """The smallest integer score whose p-value is below ``pvalue`` (one past the maximum when
    no score is that rare)."""
    below = np.flatnonzero(sf < pvalue)
    return lowest + int(below[0] if below.size else sf.size)
