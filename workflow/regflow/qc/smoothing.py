"""Centred moving average shared by the fragment-length and TSS-enrichment metrics."""

from __future__ import annotations

import numpy as np

from regflow.errors import RegflowError


def moving_average(values: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average; near the ends the mean is over the values that exist.

    Parameters
    ----------
    values
        Shape ``(n,)``.
    width
        Odd window width in elements (1 leaves the values unchanged), so that element ``i`` of
        the result is centred on element ``i`` of the input.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``, float64.
    """
    if width < 1 or width % 2 == 0:
        raise RegflowError(f"smoothing width must be a positive odd number, got {width}")
    values = np.asarray(values, dtype=np.float64)
    if width == 1 or values.size == 0:
        return values.copy()
    half = width // 2
    cumulative = np.concatenate([[0.0], np.cumsum(values)])  # (n + 1,)
    index = np.arange(values.size)
    lo = np.maximum(index - half, 0)  # (n,)
    hi = np.minimum(index + half + 1, values.size)  # (n,)
    return (cumulative[hi] - cumulative[lo]) / (hi - lo)
