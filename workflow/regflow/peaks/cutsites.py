"""Tn5 insertions as stranded 1-bp records, the input MACS3 reads with ``-f BED``.

Each fragment of an ATAC-seq fragments file (already Tn5-shifted) gives an insertion at
``start`` on the ``+`` strand and one at ``end - 1`` on the ``-`` strand, each repeated
``count`` times (MACS3 counts one tag per line).
"""

from __future__ import annotations

import numpy as np


def cut_sites(
    start: np.ndarray, end: np.ndarray, count: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return the insertion sites of one chromosome's fragments, sorted, with their strands.

    Parameters
    ----------
    start, end
        Shape ``(n_fragments,)``, int; 0-based half-open fragment coordinates.
    count
        Shape ``(n_fragments,)``, int >= 0; times each fragment was seen.

    Returns
    -------
    position : numpy.ndarray
        Shape ``(2 * count.sum(),)``, int64; sorted by position, ``+`` before ``-`` at a tie.
    minus : numpy.ndarray
        Same shape, bool; True for the ``-`` strand insertion (``end - 1``).
    """
    count = np.asarray(count, dtype=np.int64)
    position = np.concatenate(
        [np.repeat(np.asarray(start, dtype=np.int64), count), np.repeat(np.asarray(end) - 1, count)]
    )  # (2 * count.sum(),)
    minus = np.repeat([False, True], int(count.sum()))  # (2 * count.sum(),)
    order = np.lexsort((minus, position))
    return position[order], minus[order]
