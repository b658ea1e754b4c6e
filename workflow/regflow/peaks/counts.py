"""Tn5 insertions per peak and sample, their normalisation and the AnnData that holds them.

Counts are Tn5 insertions (both ends of every fragment, weighted by its count) whose position
lies in the peak. CPM divides by the sample's insertions in *all* consensus peaks (the
reads-in-peaks normalisation of Corces et al. 2018 and ArchR), so a sample's FRiP does not
scale its values; the log scale is log10(CPM + 1), GET's accessibility scaling.
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd

#: How ``cpm`` and ``logcpm`` are computed, stored in ``uns["normalization"]``.
NORMALIZATION = {
    "cpm_denominator": "Tn5 insertions in all consensus peaks (reads in peaks)",
    "cpm_scale": 1_000_000,
    "log_base": 10,
    "pseudocount": 1,
    "logcpm": "log10(cpm + 1)",
}


def count_in_intervals(
    position: np.ndarray, weight: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """Total weight of the positions inside each interval ``[start, end)``.

    Parameters
    ----------
    position
        Shape ``(n,)``, int, sorted ascending (one chromosome's insertions).
    weight
        Shape ``(n,)``, int, the weight of each position.
    start, end
        Shape ``(m,)``, int, intervals on the same chromosome; they may overlap.

    Returns
    -------
    numpy.ndarray
        Shape ``(m,)``, int64.
    """
    cum = np.concatenate([[0], np.cumsum(weight, dtype=np.int64)])  # (n + 1,)
    return (
        cum[np.searchsorted(position, end, side="left")]
        - cum[np.searchsorted(position, start, side="left")]
    )


def cpm(counts: np.ndarray) -> np.ndarray:
    """Counts per million of each column's total: ``(n_rows, n_cols)`` in, same shape out.

    Every column must have a positive total.
    """
    counts = np.asarray(counts, dtype=np.float64)
    return counts / counts.sum(axis=0, keepdims=True) * 1e6


def log_cpm(counts: np.ndarray) -> np.ndarray:
    """``log10(cpm(counts) + 1)``; shape kept."""
    return np.log10(cpm(counts) + 1.0)


def pseudobulk(counts: np.ndarray, groups: list[str]) -> tuple[np.ndarray, list[str]]:
    """Sum the columns of each group.

    Parameters
    ----------
    counts
        Shape ``(n_peaks, n_samples)``.
    groups
        Group (condition) of each sample.

    Returns
    -------
    summed : numpy.ndarray
        Shape ``(n_peaks, n_groups)``, groups in order of first appearance.
    names : list of str
        The groups.
    """
    codes, names = pd.factorize(pd.Series(groups))
    summed = np.zeros((counts.shape[0], len(names)), dtype=counts.dtype)
    for j in range(len(names)):
        summed[:, j] = counts[:, codes == j].sum(axis=1)
    return summed, list(names)


def peak_anndata(
    counts: np.ndarray, peaks: pd.DataFrame, obs: pd.DataFrame, total_insertions: np.ndarray
) -> ad.AnnData:
    """Samples x peaks AnnData with layers ``counts``, ``cpm``, ``logcpm`` (= ``X``).

    Parameters
    ----------
    counts
        Shape ``(n_peaks, n_samples)``, int; every sample has insertions in peaks.
    peaks
        Columns ``chrom``, ``start``, ``end``, ``name``, rows as ``counts``.
    obs
        One row per sample (index = sample), columns as ``counts``.
    total_insertions
        Shape ``(n_samples,)``, all insertions of each sample.

    Returns
    -------
    anndata.AnnData
        ``obs`` gains ``total_insertions``, ``insertions_in_peaks`` and ``frip``;
        ``var`` (index = peak name) has ``chrom``, ``start``, ``end``; ``uns["normalization"]``
        is :data:`NORMALIZATION`.
    """
    in_peaks = counts.sum(axis=0)
    obs = obs.assign(
        total_insertions=np.asarray(total_insertions, dtype=np.int64),
        insertions_in_peaks=in_peaks.astype(np.int64),
        frip=in_peaks / np.asarray(total_insertions, dtype=np.float64),
    )
    obs = obs.astype({c: "category" for c in obs.columns if obs[c].dtype == object})
    var = pd.DataFrame(
        {
            "chrom": pd.Categorical(peaks["chrom"].to_numpy()),
            "start": peaks["start"].to_numpy(dtype=np.int64),
            "end": peaks["end"].to_numpy(dtype=np.int64),
        },
        index=pd.Index(peaks["name"].to_numpy(dtype=str), name="peak"),
    )
    sample_counts = np.ascontiguousarray(counts.T.astype(np.int64))  # (n_samples, n_peaks)
    values = cpm(counts).T  # (n_samples, n_peaks)
    logged = np.log10(values + 1.0)
    return ad.AnnData(
        X=logged.copy(),
        obs=obs,
        var=var,
        layers={"counts": sample_counts, "cpm": values, "logcpm": logged},
        uns={"normalization": dict(NORMALIZATION)},
    )
