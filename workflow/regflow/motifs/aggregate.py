"""Region x motif-cluster features: member motifs' scores summed, columns scaled to [0, 1]."""

from __future__ import annotations

import numpy as np


def cluster_sums(scores: np.ndarray, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """Sum the ``(regions, motifs)`` ``scores`` of each cluster's members.

    Parameters
    ----------
    scores
        ``(regions, motifs)``.
    labels
        ``(motifs,)`` cluster of each motif, in 0 .. ``n_clusters - 1``.

    Returns
    -------
    numpy.ndarray
        ``(regions, n_clusters)``.
    """
    membership = np.zeros((labels.size, n_clusters))
    membership[np.arange(labels.size), labels] = 1.0  # (motifs, clusters)
    return np.asarray(scores, float) @ membership


def scale_columns(
    matrix: np.ndarray, scale: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Divide each column by its scale and clip to [0, 1] (GET's motif features).

    Parameters
    ----------
    matrix
        ``(regions, columns)``, non-negative.
    scale
        ``(columns,)`` divisors, e.g. the maxima of a training set; default the column maxima
        of ``matrix``. A column whose scale is 0 becomes 0.

    Returns
    -------
    scaled : numpy.ndarray
        ``(regions, columns)`` in [0, 1].
    scale : numpy.ndarray
        ``(columns,)`` the divisors used.
    """
    matrix = np.asarray(matrix, float)
    scale = matrix.max(axis=0, initial=0.0) if scale is None else np.asarray(scale, float)
    safe = np.where(scale > 0, scale, 1.0)
    scaled = np.where(scale > 0, np.clip(matrix / safe, 0.0, 1.0), 0.0)
    return scaled, scale
