"""Regions to scan: promoter windows around TSSs, checks against the genome, base codes.

Coordinates are 0-based half-open. A region table has columns ``chrom``, ``start``, ``end``
and ``name``, one row per region in the order the matrices' rows will have.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regflow.errors import RegflowError

_CODES = np.full(256, 4, dtype=np.uint8)  # byte -> base code
_CODES[np.frombuffer(b"ACGTacgt", np.uint8)] = [0, 1, 2, 3, 0, 1, 2, 3]


def encode_bases(sequence: bytes) -> np.ndarray:
    """Base codes of a sequence: A, C, G, T (either case) -> 0..3, anything else (N) -> 4."""
    return _CODES[np.frombuffer(sequence, dtype=np.uint8)]


def symmetric_background(base_counts: np.ndarray) -> np.ndarray:
    """``(4,)`` base frequencies of both strands: A and T share their mean, as do C and G."""
    freqs = np.asarray(base_counts, float) / np.sum(base_counts)
    return (freqs + freqs[::-1]) / 2


def promoter_windows(
    tss: pd.DataFrame, upstream: int, downstream: int, chrom_sizes: dict[str, int]
) -> tuple[pd.DataFrame, int]:
    """One strand-aware window per TSS: ``upstream`` bp before it to ``downstream`` bp after.

    A ``+`` TSS at ``p`` gives ``[p - upstream, p + downstream)``, a ``-`` TSS
    ``[p - downstream + 1, p + upstream + 1)``. Windows reaching past a chromosome end are
    clipped to it.

    Parameters
    ----------
    tss
        Columns ``chrom``, ``position`` (0-based), ``strand``, ``name``, as
        :func:`regflow.qc.io.read_tss_gtf` returns them.
    upstream, downstream
        Window extent (bp) either side of the TSS.
    chrom_sizes
        Length of every chromosome.

    Returns
    -------
    regions : pandas.DataFrame
        ``chrom``, ``start``, ``end``, ``name`` (gene_id), in the order of ``tss``.
    clipped : int
        How many windows were clipped.
    """
    position = tss["position"].to_numpy(np.int64)
    plus = tss["strand"].to_numpy() == "+"
    start = np.where(plus, position - upstream, position - downstream + 1)
    end = start + upstream + downstream
    unknown = ~tss["chrom"].isin(list(chrom_sizes))
    if unknown.any():
        row = tss.loc[unknown].iloc[0]
        raise RegflowError(f"TSS of {row['name']} is on {row['chrom']}, which the genome lacks")
    size = tss["chrom"].map(chrom_sizes).to_numpy(np.int64)
    clipped_start, clipped_end = np.maximum(start, 0), np.minimum(end, size)
    regions = pd.DataFrame(
        {
            "chrom": tss["chrom"].to_numpy(),
            "start": clipped_start,
            "end": clipped_end,
            "name": tss["name"].to_numpy(),
        }
    )
    clipped = int(((clipped_start != start) | (clipped_end != end)).sum())
    return regions, clipped


def check_regions(regions: pd.DataFrame, chrom_sizes: dict[str, int], source: str) -> None:
    """Raise naming the first region on an unknown chromosome or past a chromosome's end,
    and the first repeated name (the names label the matrices' rows)."""
    size = regions["chrom"].map(chrom_sizes)
    unknown = size.isna().to_numpy()
    if unknown.any():
        row = regions.loc[unknown].iloc[0]
        raise RegflowError(
            f"{source}: region {row['name']} is on {row['chrom']}, which the genome lacks"
        )
    beyond = regions["end"].to_numpy() > size.to_numpy()
    if beyond.any():
        row = regions.loc[beyond].iloc[0]
        raise RegflowError(
            f"{source}: region {row['name']} ({row['chrom']}:{row['start']}-{row['end']}) "
            f"runs past the end of {row['chrom']} ({chrom_sizes[row['chrom']]:,} bp)"
        )
    repeated = regions["name"].duplicated()
    if repeated.any():
        raise RegflowError(
            f"{source}: region name {regions['name'][repeated].iloc[0]} is used twice "
            "(names label the matrices' rows and must be unique)"
        )
