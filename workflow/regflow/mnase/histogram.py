"""Bin fragments into per-gene images, normalise them per sample and sum replicates.

A fragment's column is its midpoint's position in the gene's frame (strand-oriented, so
downstream is to the right for both strands), its row the row of its length
(:meth:`~regflow.mnase.layout.ImageLayout.row_lookup`). Midpoints exactly on a column edge go
to the column on their right (columns are half-open).
"""

from __future__ import annotations

import numpy as np

from regflow.mnase.assign import genome_windows, relative2, window_hits
from regflow.mnase.layout import ImageLayout


def bin_fragments(
    c2: np.ndarray,
    length: np.ndarray,
    count: np.ndarray,
    tss: np.ndarray,
    sign: np.ndarray,
    origin2: np.ndarray,
    layout: ImageLayout,
) -> np.ndarray:
    """Fragment counts per gene, row and column for one sample and chromosome.

    Parameters
    ----------
    c2
        Shape ``(n_fragments,)``, int64, doubled midpoints ``start + end - 1``.
    length, count
        Shape ``(n_fragments,)``, int64.
    tss, sign
        Shape ``(n_genes,)``, int64, TSS bases and strands (+1/-1).
    origin2
        Shape ``(n_genes,)``, int64, each frame's origin in half-bp relative to the TSS.
    layout
        Rows, columns and window.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_genes, layout.n_rows, layout.columns)``, float64, summed ``count``.
    """
    lookup = layout.row_lookup()  # (max_length,)
    inside = length < lookup.size
    row = np.full(length.shape, -1, dtype=np.int64)
    row[inside] = lookup[length[inside]]
    keep = row >= 0
    c2, row, count = c2[keep], row[keep], count[keep]

    width2 = 2 * layout.window
    lo2 = origin2 - layout.window  # (n_genes,) relative window start: origin - window / 2 bp
    point, gene = window_hits(c2, genome_windows(tss, sign, lo2, width2), width2)
    d2 = relative2(c2[point], tss[gene], sign[gene])  # (n_pairs,) in [lo2, lo2 + width2)
    column = (d2 - lo2[gene]) // (2 * layout.bin_bp)
    n_rows, n_columns = layout.n_rows, layout.columns
    flat = (gene * n_rows + row[point]) * n_columns + column
    images = np.bincount(flat, weights=count[point], minlength=tss.size * n_rows * n_columns)
    return images.reshape(tss.size, n_rows, n_columns)


def normalise_and_sum(
    raw: np.ndarray, totals: np.ndarray, condition: np.ndarray, n_conditions: int
) -> np.ndarray:
    """Counts per million fragments of each sample, summed over the samples of a condition.

    Parameters
    ----------
    raw
        Shape ``(n_genes, n_samples, n_rows, n_columns)``, counts per sample (any float dtype).
    totals
        Shape ``(n_samples,)``, each sample's fragment total (all > 0).
    condition
        Shape ``(n_samples,)``, int64, each sample's condition index.
    n_conditions
        Number of conditions.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_genes, n_conditions, n_rows, n_columns)``, float64.
    """
    weights = np.zeros((totals.size, n_conditions))  # (n_samples, n_conditions)
    weights[np.arange(totals.size), condition] = 1e6 / totals
    summed = np.moveaxis(raw, 1, -1) @ weights  # (n_genes, n_rows, n_columns, n_conditions)
    return np.ascontiguousarray(np.moveaxis(summed, -1, 1))
