"""A consensus peak set: fixed-width summit windows, iterative overlap removal, reproducibility.

Follows Corces et al. 2018 (Science 362, eaav1898; the TCGA ATAC-seq peak set) and ArchR's
``addReproduciblePeakSet``:

1. every summit of a sample becomes a ``width``-bp window centred on it, clipped to the
   chromosome;
2. within each sample, iterative overlap removal by -log10 p-value (narrowPeak column 8): the
   most significant window is kept, every window overlapping it dropped, and so on;
3. each sample's scores become a *score per million*, -log10 p / (sum of the sample's -log10 p)
   x 1e6 (Corces et al.), so samples of different depth and peak number compare;
4. the windows of all samples are pooled and step 2 repeats on the score per million;
5. a pooled window is kept if windows of at least ``min_replicates`` samples of one condition
   overlap it (all of the condition's samples when it has fewer). A sample without peaks
   still counts towards its condition's size, so a failed replicate never lowers the bar.

ArchR ranks by score quantiles instead of score per million; both make samples comparable,
the score per million also keeps how much stronger one peak is than another.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regflow.peaks.intervals import overlaps_any, region_names

_CHROM_STRIDE = np.int64(1) << 40  # larger than any chromosome: keys never cross chromosomes


def summit_windows(peaks: pd.DataFrame, width: int, chrom_sizes: dict[str, int]) -> pd.DataFrame:
    """Fixed-width windows centred on the summits, clipped to the chromosomes.

    The window is ``[summit - width // 2, summit - width // 2 + width)``; a summit offset of -1
    (unknown) means the peak's midpoint.

    Parameters
    ----------
    peaks
        narrowPeak table on contigs of ``chrom_sizes``.
    width
        Window width (bp).
    chrom_sizes
        Chromosome lengths.

    Returns
    -------
    pandas.DataFrame
        Columns ``chrom``, ``start``, ``end``, ``score`` (-log10 p), one row per summit.
    """
    start = peaks["start"].to_numpy(dtype=np.int64)
    offset = peaks["summit"].to_numpy(dtype=np.int64)
    mid = (peaks["end"].to_numpy(dtype=np.int64) - start) // 2
    summit = start + np.where(offset >= 0, offset, mid)
    size = peaks["chrom"].map(chrom_sizes).to_numpy(dtype=np.int64)
    lo = summit - width // 2
    return pd.DataFrame(
        {
            "chrom": peaks["chrom"].to_numpy(),
            "start": np.clip(lo, 0, size),
            "end": np.clip(lo + width, 0, size),
            "score": peaks["pvalue"].to_numpy(dtype=np.float64),
        }
    )


def score_per_million(score: np.ndarray) -> np.ndarray:
    """``score / score.sum() * 1e6`` (Corces et al. 2018); shape kept."""
    score = np.asarray(score, dtype=np.float64)
    return score / score.sum() * 1e6


def nonoverlapping(
    chrom: np.ndarray, start: np.ndarray, end: np.ndarray, score: np.ndarray
) -> np.ndarray:
    """Iterative overlap removal: which intervals survive, strongest first.

    Keep the highest-scoring interval, drop every interval overlapping it, repeat with the
    highest remaining one (ties go to the earlier row). The overlapping pairs come from one
    sort and ``searchsorted``; the loop then only visits intervals, so the cost is
    O(n log n + pairs) however the scores are arranged.

    Parameters
    ----------
    chrom
        Shape ``(n,)``, chromosome of each interval (any hashable labels).
    start, end
        Shape ``(n,)``, int, 0-based half-open, ``end > start``.
    score
        Shape ``(n,)``, higher is stronger.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``, bool, True for the kept intervals.
    """
    n = len(start)
    code = pd.factorize(np.asarray(chrom))[0].astype(np.int64)
    key = code * _CHROM_STRIDE + np.asarray(start, dtype=np.int64)
    order = np.argsort(key, kind="stable")  # position in start order -> row
    key = key[order]
    key_end = code[order] * _CHROM_STRIDE + np.asarray(end, dtype=np.int64)[order]
    # overlapping pairs (a, b), a < b in start order: b runs from a + 1 to the first start >= end_a
    partners = np.searchsorted(key, key_end, side="left") - np.arange(n) - 1  # (n,)
    a = np.repeat(np.arange(n), partners)  # (n_pairs,)
    b = a + 1 + np.arange(a.size) - np.repeat(np.cumsum(partners) - partners, partners)
    source = np.concatenate([a, b])  # (2 * n_pairs,) both directions
    by_source = np.argsort(source, kind="stable")
    neighbour = np.concatenate([b, a])[by_source]
    first = np.searchsorted(source[by_source], np.arange(n + 1))  # (n + 1,) CSR offsets
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    visit = position[np.argsort(-np.asarray(score, dtype=np.float64), kind="stable")]
    dropped = np.zeros(n, dtype=bool)
    kept = np.zeros(n, dtype=bool)
    for i in visit.tolist():
        if not dropped[i]:
            kept[i] = True
            dropped[neighbour[first[i] : first[i + 1]]] = True
    return kept[position]


def sample_windows(peaks: pd.DataFrame, width: int, chrom_sizes: dict[str, int]) -> pd.DataFrame:
    """One sample's non-overlapping summit windows with their score per million (steps 1-3).

    Returns
    -------
    pandas.DataFrame
        Columns ``chrom``, ``start``, ``end``, ``score`` (-log10 p), ``spm``.
    """
    windows = summit_windows(peaks, width, chrom_sizes)
    keep = nonoverlapping(
        windows["chrom"].to_numpy(),
        windows["start"].to_numpy(),
        windows["end"].to_numpy(),
        windows["score"].to_numpy(),
    )
    windows = windows[keep].reset_index(drop=True)
    windows["spm"] = score_per_million(windows["score"].to_numpy())
    return windows


def support(peaks: pd.DataFrame, windows: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Which samples have a window overlapping each peak.

    Returns
    -------
    pandas.DataFrame
        Shape ``(len(peaks), len(windows))``, bool, columns = samples.
    """
    return pd.DataFrame(
        {sample: overlaps_any(peaks, w) for sample, w in windows.items()}, index=peaks.index
    )


def reproducible(
    supported: pd.DataFrame, conditions: dict[str, str], min_replicates: int
) -> pd.DataFrame:
    """Conditions in which each peak is reproducible.

    Parameters
    ----------
    supported
        ``(n_peaks, n_samples_with_peaks)`` bool from :func:`support`.
    conditions
        Condition of every sample, including samples without peaks (they count towards the
        condition's size but support nothing).
    min_replicates
        Samples of one condition that must support a peak; a condition with fewer samples
        needs all of them.

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_peaks, n_conditions)``, bool, conditions in order of first appearance.
    """
    out = {}
    for condition in dict.fromkeys(conditions.values()):
        members = [s for s, c in conditions.items() if c == condition]
        present = [s for s in members if s in supported.columns]
        votes = supported[present].sum(axis=1).to_numpy()
        out[condition] = votes >= min(min_replicates, len(members))
    return pd.DataFrame(out, index=supported.index)


def consensus_peaks(
    windows: dict[str, pd.DataFrame],
    conditions: dict[str, str],
    min_replicates: int,
    chrom_order: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pool the samples' windows (:func:`sample_windows`) into reproducible consensus peaks.

    Parameters
    ----------
    windows
        Non-overlapping windows of every sample with peaks.
    conditions
        Condition of every sample (also those without peaks).
    min_replicates
        See :func:`reproducible`.
    chrom_order
        Chromosome sort order of the output.

    Returns
    -------
    peaks : pandas.DataFrame
        BED6 columns ``chrom``, ``start``, ``end``, ``name`` (``chr:start-end``), ``score``
        (score per million, rounded; not capped at 1000), ``strand`` (``.``), sorted by
        ``chrom_order`` then start.
    reproducible_in : pandas.DataFrame
        ``(n_peaks, n_conditions)`` bool, rows as ``peaks``.
    """
    pooled = pd.concat(list(windows.values()), ignore_index=True)
    keep = nonoverlapping(
        pooled["chrom"].to_numpy(),
        pooled["start"].to_numpy(),
        pooled["end"].to_numpy(),
        pooled["spm"].to_numpy(),
    )
    pooled = pooled[keep]
    rep = reproducible(support(pooled, windows), conditions, min_replicates)
    passed = rep.any(axis=1).to_numpy()
    pooled, rep = pooled[passed], rep[passed]
    rank = pooled["chrom"].map({c: i for i, c in enumerate(chrom_order)}).to_numpy()
    order = np.lexsort((pooled["start"].to_numpy(), rank))
    pooled, rep = pooled.iloc[order], rep.iloc[order]
    peaks = pd.DataFrame(
        {
            "chrom": pooled["chrom"].to_numpy(),
            "start": pooled["start"].to_numpy(),
            "end": pooled["end"].to_numpy(),
            "name": region_names(pooled),
            "score": np.rint(pooled["spm"].to_numpy()).astype(np.int64),
            "strand": ".",
        }
    )
    return peaks, rep.reset_index(drop=True)
