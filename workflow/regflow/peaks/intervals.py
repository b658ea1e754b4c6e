"""Interval overlaps with pyranges, keeping the caller's row order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyranges as pr


def overlaps_any(query: pd.DataFrame, subject: pd.DataFrame) -> np.ndarray:
    """Whether each query interval overlaps at least one subject interval (by >= 1 bp).

    Parameters
    ----------
    query, subject
        Columns ``chrom``, ``start``, ``end`` (0-based half-open); any row order.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(query),)``, bool, in the query's row order.
    """
    hit = np.zeros(len(query), dtype=bool)
    if len(query) == 0 or len(subject) == 0:
        return hit
    counted = _ranges(query, np.arange(len(query))).count_overlaps(_ranges(subject)).df
    hit[counted["row"].to_numpy()] = counted["NumberOverlaps"].to_numpy() > 0
    return hit


def _ranges(frame: pd.DataFrame, row: np.ndarray | None = None) -> pr.PyRanges:
    columns = {
        "Chromosome": frame["chrom"].astype(str).to_numpy(),
        "Start": frame["start"].to_numpy(dtype=np.int64),
        "End": frame["end"].to_numpy(dtype=np.int64),
    }
    if row is not None:
        columns["row"] = row
    return pr.PyRanges(pd.DataFrame(columns))


def region_names(frame: pd.DataFrame) -> np.ndarray:
    """``chr:start-end`` name of each row of a frame with ``chrom``, ``start``, ``end``."""
    return (
        frame["chrom"].astype(str)
        + ":"
        + frame["start"].astype(str)
        + "-"
        + frame["end"].astype(str)
    ).to_numpy(dtype=object)
