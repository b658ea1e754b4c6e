"""Assign fragment midpoints to the gene windows that contain them, without a loop over fragments.

Coordinates here are *doubled* ("half-bp") integers so that midpoints are exact: a fragment
``[start, end)`` (0-based half-open) has its centre at base ``(start + end - 1) / 2``, stored as
``c2 = start + end - 1``. Relative to a TSS at base ``t`` and oriented along the gene's strand
(downstream positive), the midpoint sits at ``d2 = sign * (c2 - 2 t)`` half-bp, i.e.
``d2 / 2`` bp, the same number of bp either side for the two strands.

Every gene window of one call has the same width, so sorted by start the windows are also
sorted by end and the windows containing a point form one contiguous run in that order: two
``searchsorted`` calls give each point's run, and the runs are expanded into (point, window)
pairs with ``repeat`` / ``cumsum``. Overlapping windows (neighbouring genes) are handled
exactly: a midpoint in two windows gives two pairs.
"""

from __future__ import annotations

import numpy as np


def midpoints2(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Doubled midpoints ``start + end - 1`` of fragments ``[start, end)``.

    Parameters
    ----------
    start, end
        Shape ``(n,)``, int64.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``, int64.
    """
    return start + end - 1


def genome_windows(
    tss: np.ndarray, sign: np.ndarray, lo2: np.ndarray | int, width2: int
) -> np.ndarray:
    """Genome (doubled) start of each gene's window ``[lo2, lo2 + width2)`` of relative ``d2``.

    For ``+`` genes ``d2 = c2 - 2 tss`` so the window starts at ``2 tss + lo2``; for ``-``
    genes ``d2 = 2 tss - c2`` so it is ``(2 tss - lo2 - width2, 2 tss - lo2]``, i.e. starts at
    ``2 tss - lo2 - width2 + 1``. Either way it is ``width2`` half-bp wide.

    Parameters
    ----------
    tss
        Shape ``(n_genes,)``, int64, 0-based TSS bases.
    sign
        Shape ``(n_genes,)``, int64, +1 or -1 (the gene's strand).
    lo2
        Shape ``(n_genes,)`` or scalar, int64: window start in relative half-bp.
    width2
        Window width in half-bp.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_genes,)``, int64: doubled genome coordinate of each window's first position.
    """
    lo2 = np.broadcast_to(np.asarray(lo2, dtype=np.int64), tss.shape)
    return np.where(sign > 0, 2 * tss + lo2, 2 * tss - lo2 - width2 + 1)


def window_hits(
    points: np.ndarray, starts: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every (point, window) pair with ``starts[w] <= points[p] < starts[w] + width``.

    Parameters
    ----------
    points
        Shape ``(n_points,)``, int64, any order.
    starts
        Shape ``(n_windows,)``, int64, any order (windows may overlap).
    width
        Common width of the windows.

    Returns
    -------
    point : numpy.ndarray
        Shape ``(n_pairs,)``, int64, index into ``points``.
    window : numpy.ndarray
        Shape ``(n_pairs,)``, int64, index into ``starts``.
    """
    order = np.argsort(starts, kind="stable")
    lo = starts[order]  # (n_windows,) ascending; so are lo + width
    first = np.searchsorted(lo + width, points, side="right")  # first window ending after p
    stop = np.searchsorted(lo, points, side="right")  # windows starting at or before p
    n = np.maximum(stop - first, 0)  # (n_points,)
    point = np.repeat(np.arange(points.size, dtype=np.int64), n)  # (n_pairs,)
    offset = np.arange(point.size, dtype=np.int64) - np.repeat(np.cumsum(n) - n, n)
    window = order[np.repeat(first, n) + offset]  # (n_pairs,)
    return point, window


def relative2(points: np.ndarray, tss: np.ndarray, sign: np.ndarray) -> np.ndarray:
    """Strand-oriented position ``d2`` (half-bp) of doubled midpoints relative to TSSs.

    Parameters
    ----------
    points
        Shape ``(n,)``, int64, doubled midpoints ``c2``.
    tss, sign
        Shape ``(n,)``, int64, the TSS and strand (+1/-1) each point is measured against.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``, int64: ``sign * (c2 - 2 tss)``.
    """
    return sign * (points - 2 * tss)
