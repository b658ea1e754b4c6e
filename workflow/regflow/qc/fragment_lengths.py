"""Fragment-length histogram and nucleosome-ladder metrics of one sample.

Definitions (lengths are ``end - start`` of a fragments-file row, every row weighted by its
``count``):

- ``fraction_nucleosome_free``: fragments shorter than 100 bp over all fragments;
- ``fraction_mononucleosomal``: fragments of 180-247 bp (both inclusive) over all fragments;
- ``fragment_length_median``: the median over all fragments (the mean of the two middle ones
  when the total is even, as :func:`numpy.median` on the expanded lengths);
- ``nfr_peak``, ``mononucleosome_peak``, ``dinucleosome_peak``: the highest local maximum of the
  histogram smoothed by a centred moving average (default 21 bp, wide enough to flatten the
  10-bp helical ripple of Tn5 cuts) within [1, 140), [140, 300) and [300, 480) bp; ``None``
  (JSON null) when the range holds no local maximum, e.g. a monotone tail.

All metrics use every fragment, also those longer than the histogram's ``max_length``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from regflow.errors import RegflowError
from regflow.qc.io import iter_fragment_chunks
from regflow.qc.smoothing import moving_average

#: Half-open length ranges searched for the ladder's modes.
LADDER_RANGES: dict[str, tuple[int, int]] = {
    "nfr_peak": (1, 140),
    "mononucleosome_peak": (140, 300),
    "dinucleosome_peak": (300, 480),
}
NFR_MAX = 100  # nucleosome-free: length < 100
MONO_RANGE = (180, 247)  # mono-nucleosomal: 180 <= length <= 247


def length_counts(lengths: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Count fragments by length.

    Parameters
    ----------
    lengths
        Shape ``(n,)``, positive integers.
    weights
        Shape ``(n,)``, non-negative integer counts.

    Returns
    -------
    numpy.ndarray
        Shape ``(max(lengths) + 1,)``, int64; element ``L`` is the summed weight of length ``L``.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    weights = np.asarray(weights, dtype=np.int64)
    if lengths.size == 0:
        return np.zeros(1, dtype=np.int64)
    return np.bincount(lengths, weights=weights).round().astype(np.int64)


def count_fragment_lengths(path: Path) -> np.ndarray:
    """Length counts of a whole fragments file, read in blocks (see :func:`length_counts`)."""
    total = np.zeros(1, dtype=np.int64)
    for chunk in iter_fragment_chunks(path):
        counts = length_counts(
            chunk["end"].to_numpy() - chunk["start"].to_numpy(), chunk["count"].to_numpy()
        )
        if counts.size > total.size:
            counts[: total.size] += total
            total = counts
        else:
            total[: counts.size] += counts
    return total


def histogram_table(counts: np.ndarray, max_length: int = 1000) -> pd.DataFrame:
    """The histogram as a table with one row per length 1..``max_length``.

    Parameters
    ----------
    counts
        Shape ``(L,)``, counts per length from :func:`length_counts` (any ``L``).
    max_length
        Longest length listed; longer fragments are left out of the table.

    Returns
    -------
    pandas.DataFrame
        Columns ``length`` and ``count``, ``max_length`` rows.
    """
    if max_length < 1:
        raise RegflowError(f"max_length must be at least 1, got {max_length}")
    padded = np.zeros(max_length + 1, dtype=np.int64)  # (max_length + 1,), index = length
    n = min(counts.size, max_length + 1)
    padded[:n] = counts[:n]
    return pd.DataFrame({"length": np.arange(1, max_length + 1), "count": padded[1:]})


def ladder_peaks(counts: np.ndarray, smooth: int = 21) -> dict[str, int | None]:
    """Positions of the NFR, mono- and di-nucleosome modes of a length histogram.

    Parameters
    ----------
    counts
        Shape ``(L,)``, counts per length (index = length).
    smooth
        Width of the centred moving average applied first (odd).

    Returns
    -------
    dict
        ``nfr_peak``, ``mononucleosome_peak``, ``dinucleosome_peak``: the length of the highest
        local maximum of the smoothed histogram in each range of :data:`LADDER_RANGES`, or
        ``None`` when there is none.
    """
    hi = max(r[1] for r in LADDER_RANGES.values())
    # (max(L, hi + 1),), index = length; longer lengths kept so smoothing near `hi` sees them
    padded = np.zeros(max(counts.size, hi + 1), dtype=np.float64)
    padded[: counts.size] = counts
    smoothed = moving_average(padded, smooth)
    left = np.concatenate([[-np.inf], smoothed[:-1]])
    right = np.concatenate([smoothed[1:], [-np.inf]])
    is_max = (smoothed >= left) & (smoothed >= right) & (smoothed > 0)
    peaks: dict[str, int | None] = {}
    for key, (lo, up) in LADDER_RANGES.items():
        candidates = np.flatnonzero(is_max[lo:up]) + lo
        if candidates.size == 0:
            peaks[key] = None
        else:
            peaks[key] = int(candidates[np.argmax(smoothed[candidates])])
    return peaks


def weighted_median(counts: np.ndarray) -> float:
    """Median length of a histogram, as :func:`numpy.median` of the expanded lengths."""
    total = int(counts.sum())
    if total == 0:
        return float("nan")
    cumulative = np.cumsum(counts)
    lower = int(np.searchsorted(cumulative, (total + 1) // 2))  # the ceil(total/2)-th value
    upper = int(np.searchsorted(cumulative, total // 2 + 1))  # the (total/2 + 1)-th value
    return float(lower) if total % 2 else (lower + upper) / 2


def length_metrics(counts: np.ndarray, smooth: int = 21) -> dict[str, float | int | None]:
    """Summary metrics of a length histogram (definitions in the module docstring).

    Parameters
    ----------
    counts
        Shape ``(L,)``, counts per length (index = length), e.g. :func:`length_counts`.
    smooth
        Moving-average width for the ladder peaks.

    Returns
    -------
    dict
        ``fragments``, ``fragment_length_median``, ``fraction_nucleosome_free``,
        ``fraction_mononucleosomal``, ``nfr_peak``, ``mononucleosome_peak``,
        ``dinucleosome_peak``.
    """
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        raise RegflowError("no fragments to compute fragment-length metrics from")
    lo, hi = MONO_RANGE
    return {
        "fragments": total,
        "fragment_length_median": weighted_median(counts),
        "fraction_nucleosome_free": float(counts[:NFR_MAX].sum() / total),
        "fraction_mononucleosomal": float(counts[lo : hi + 1].sum() / total),
        **ladder_peaks(counts, smooth),
    }
