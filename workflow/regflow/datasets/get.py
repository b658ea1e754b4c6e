"""The GET-style dataset: windows of consecutive peaks, each a motif-cluster + accessibility vector,
with per-strand expression labels at TSS peaks (Fu et al., GET).

Splits are by condition (held-out conditions test generalisation to a new cell state) and by
chromosome (validation and test chromosomes), recorded per (condition, chromosome).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regflow.errors import RegflowError

STRANDS = ("+", "-")


def assign_tss_peaks(peaks: pd.DataFrame, tss: pd.DataFrame, max_distance: int) -> pd.DataFrame:
    """Match each TSS to its nearest peak on the same chromosome, if within ``max_distance`` bp.

    Parameters
    ----------
    peaks : columns ``chrom``, ``start``, ``end`` (0-based half-open), in dataset order.
    tss : columns ``chrom``, ``position`` (0-based), ``strand``, ``name`` (gene id).
    max_distance : largest distance (bp) from the TSS to the peak interval (0 inside it).

    Returns
    -------
    pandas.DataFrame
        One row per matched TSS: ``name``, ``strand``, ``peak`` (row index into ``peaks``),
        ``distance``.
    """
    rows = []
    for chrom, group in tss.groupby("chrom", sort=False):
        on_chrom = np.flatnonzero(peaks["chrom"].to_numpy() == chrom)
        if on_chrom.size == 0:
            continue
        starts = peaks["start"].to_numpy()[on_chrom]
        ends = peaks["end"].to_numpy()[on_chrom]
        pos = group["position"].to_numpy()[:, None]  # (n_tss, 1)
        distance = np.maximum(np.maximum(starts - pos, pos - (ends - 1)), 0)  # (n_tss, n_peaks)
        nearest = distance.argmin(axis=1)
        best = distance[np.arange(len(group)), nearest]
        for name, strand, peak, d in zip(
            group["name"], group["strand"], on_chrom[nearest], best, strict=True
        ):
            if d <= max_distance:
                rows.append((name, strand, int(peak), int(d)))
    return pd.DataFrame(rows, columns=["name", "strand", "peak", "distance"]).astype(
        {"peak": np.int64, "distance": np.int64}
    )


def tss_labels(
    matches: pd.DataFrame, n_peaks: int, tpm: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Per-peak, per-strand labels log10(TPM + 1), TPM summed over the genes starting there.

    Parameters
    ----------
    matches : from :func:`assign_tss_peaks`.
    n_peaks : number of peaks.
    tpm : genes x conditions TPM (index gene ids); every matched gene must be present.

    Returns
    -------
    labels : (n_conditions, n_peaks, 2) float32, 0 at peaks with no TSS on that strand.
    is_tss : (n_peaks, 2) bool, where a TSS was matched.
    """
    missing = sorted(set(matches["name"]) - set(tpm.index))
    if missing:
        raise RegflowError(
            f"{len(missing)} genes with a TSS peak have no TPM (e.g. {', '.join(missing[:3])})"
        )
    summed = np.zeros((tpm.shape[1], n_peaks, 2))
    is_tss = np.zeros((n_peaks, 2), dtype=bool)
    values = tpm.loc[matches["name"]].to_numpy(dtype=np.float64).T  # (n_cond, n_matches)
    strand = matches["strand"].map({s: i for i, s in enumerate(STRANDS)}).to_numpy()
    peak = matches["peak"].to_numpy()
    np.add.at(summed, (slice(None), peak, strand), values)
    is_tss[peak, strand] = True
    return np.log10(summed + 1.0).astype(np.float32), is_tss


def accessibility_feature(logcpm: np.ndarray, mode: str, threshold: float) -> np.ndarray:
    """The accessibility column per condition and peak, from (n_conditions, n_peaks) logCPM.

    ``scaled``: logCPM divided by its maximum over all peaks and conditions (so a fixed
    scale across conditions), clipped to [0, 1]; ``binary``: 1 where logCPM > ``threshold``.
    """
    if mode == "binary":
        return (logcpm > threshold).astype(np.float32)
    if mode == "scaled":
        top = float(np.max(logcpm))
        if top <= 0:
            raise RegflowError("every peak has logCPM 0: no accessibility to scale")
        return np.clip(logcpm / top, 0.0, 1.0).astype(np.float32)
    raise RegflowError(f"unknown accessibility mode {mode!r} (use 'scaled' or 'binary')")


def peak_windows(chroms: np.ndarray, size: int, stride: int) -> np.ndarray:
    """Windows of ``size`` consecutive peaks on one chromosome, as peak indices.

    Starts step by ``stride``; the last window of a chromosome ends on its last peak, so every
    peak is covered. A chromosome with fewer than ``size`` peaks gives one window padded with
    -1. Peaks of a chromosome must be contiguous (sorted input).

    Returns
    -------
    (n_windows, size) int64 peak indices, -1 for padding.
    """
    if size < 1 or stride < 1:
        raise RegflowError(f"window size and stride must be >= 1, got {size} and {stride}")
    windows = []
    seen: set[str] = set()
    for chrom in pd.unique(chroms):
        idx = np.flatnonzero(chroms == chrom)
        if chrom in seen or np.any(np.diff(idx) != 1):
            raise RegflowError(f"peaks of {chrom} are not contiguous: sort the peaks by position")
        seen.add(chrom)
        n = idx.size
        if n <= size:
            row = np.full(size, -1, dtype=np.int64)
            row[:n] = idx
            windows.append(row)
            continue
        starts = list(range(0, n - size + 1, stride))
        if starts[-1] != n - size:
            starts.append(n - size)
        windows.extend(idx[s : s + size] for s in starts)
    return np.stack(windows).astype(np.int64)


def chromosome_splits(
    chroms: list[str],
    conditions: list[str],
    val_chromosomes: list[str],
    test_chromosomes: list[str],
    heldout_conditions: list[str],
) -> pd.DataFrame:
    """The split of every (condition, chromosome): ``train``, ``val``, ``test_chrom`` for the
    training conditions; ``test_condition`` for every chromosome of a held-out condition."""
    for names, what, known in (
        (val_chromosomes + test_chromosomes, "chromosome", chroms),
        (heldout_conditions, "condition", conditions),
    ):
        unknown = sorted(set(names) - set(known))
        if unknown:
            raise RegflowError(
                f"held-out {what}s {', '.join(unknown)} are not in the data "
                f"(it has: {', '.join(known)})"
            )
    both = sorted(set(val_chromosomes) & set(test_chromosomes))
    if both:
        raise RegflowError(f"chromosomes both validation and test: {', '.join(both)}")
    train_conditions = [c for c in conditions if c not in heldout_conditions]
    if not train_conditions:
        raise RegflowError("every condition is held out: none is left to train on")
    if not set(chroms) - set(val_chromosomes) - set(test_chromosomes):
        raise RegflowError("every chromosome is held out: none is left to train on")
    rows = []
    for condition in conditions:
        for chrom in chroms:
            if condition in heldout_conditions:
                split = "test_condition"
            elif chrom in val_chromosomes:
                split = "val"
            elif chrom in test_chromosomes:
                split = "test_chrom"
            else:
                split = "train"
            rows.append((condition, chrom, split))
    return pd.DataFrame(rows, columns=["condition", "chrom", "split"])
