"""Filter MACS3 peaks: known contigs only, clipped to chromosome ends, off the blacklist."""

from __future__ import annotations

import numpy as np
import pandas as pd

from regflow.peaks.intervals import overlaps_any


def filter_peaks(
    peaks: pd.DataFrame, chrom_sizes: dict[str, int], blacklist: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Drop peaks on unknown contigs or overlapping the blacklist; clip the rest to bounds.

    Clipping keeps the summit inside the peak (moved to the nearest base that is left).

    Parameters
    ----------
    peaks
        narrowPeak table (:func:`regflow.peaks.io.read_narrowpeak`).
    chrom_sizes
        Chromosome lengths.
    blacklist
        Columns ``chrom``, ``start``, ``end``; a peak overlapping any record by >= 1 bp goes.

    Returns
    -------
    kept : pandas.DataFrame
        The surviving peaks, same columns, input order, fresh index.
    dropped : dict
        Peaks dropped as ``unknown_contig``, ``outside_chromosome`` and ``blacklist``.
    """
    known = peaks["chrom"].isin(list(chrom_sizes)).to_numpy()
    out = peaks[known].copy()
    size = out["chrom"].map(chrom_sizes).to_numpy(dtype=np.int64)
    old_start = out["start"].to_numpy()
    start = np.clip(old_start, 0, size)
    end = np.clip(out["end"].to_numpy(), 0, size)
    summit = out["summit"].to_numpy()
    inside = end > start
    moved = np.clip(old_start + summit, start, np.maximum(end - 1, start)) - start
    out["start"], out["end"] = start, end
    out["summit"] = np.where(summit >= 0, moved, -1)
    out = out[inside]
    listed = overlaps_any(out, blacklist) if blacklist is not None else np.zeros(len(out), bool)
    dropped = {
        "unknown_contig": int((~known).sum()),
        "outside_chromosome": int((~inside).sum()),
        "blacklist": int(listed.sum()),
    }
    return out[~listed].reset_index(drop=True), dropped
