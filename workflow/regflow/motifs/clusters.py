"""Group redundant motifs into archetypes: aligned-PWM similarity and average-linkage clusters.

The similarity of two motifs is the largest Pearson correlation between the column
probabilities of their overlapping positions, over every offset with at least
``min_overlap`` positions in common (or the shorter motif's length, if smaller) and over both
strands of the second motif. Clusters are the branches of the average-linkage tree on
``1 - similarity`` cut at a distance threshold.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from regflow.motifs.matrices import Motif, information_content, reverse_complement_matrix


def _padded(matrices: Sequence[np.ndarray], width: int) -> np.ndarray:
    """``(n, width, 4)`` stack of ``(length, 4)`` matrices, zero rows after each one's end."""
    out = np.zeros((len(matrices), width, 4))
    for i, matrix in enumerate(matrices):
        out[i, : matrix.shape[0]] = matrix
    return out


def similarity_matrix(probs: Sequence[np.ndarray], min_overlap: int = 6) -> np.ndarray:
    """Pairwise motif similarity (max Pearson over offsets and strands).

    Parameters
    ----------
    probs
        ``n`` frequency matrices, each ``(length, 4)`` with rows summing to 1.
    min_overlap
        Fewest overlapping positions an alignment may have (capped at the shorter length).

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` symmetric, 1 on the diagonal, in [-1, 1].
    """
    n = len(probs)
    lengths = np.array([p.shape[0] for p in probs])
    width = int(lengths.max())
    strands = [
        _padded(probs, width),
        _padded([reverse_complement_matrix(p) for p in probs], width),
    ]  # each (n, width, 4)
    # sums of squares of each motif's first j columns, (n, width + 1)
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum((strands[0] ** 2).sum(axis=2), 1)], 1)
    cum_rc = np.concatenate([np.zeros((n, 1)), np.cumsum((strands[1] ** 2).sum(axis=2), 1)], 1)
    similarity = np.full((n, n), -1.0)
    rows = np.arange(n)
    for a in range(n):
        length = lengths[a]
        need = np.minimum(min_overlap, np.minimum(lengths, length))  # (n,)
        for other, other_cum in zip(strands, (cum, cum_rc), strict=True):
            dots = np.einsum("ic,bjc->bij", strands[0][a, :length], other)  # (n, length, width)
            # column i of motif a faces column i - shift of motif b
            for shift in range(-width + 1, length):
                lo = np.maximum(0, shift)
                hi = np.minimum(length, shift + lengths)  # (n,)
                overlap = hi - lo
                ok = overlap >= need
                if not ok.any():
                    continue
                hi = np.where(ok, hi, lo)
                xy = np.trace(dots, offset=-shift, axis1=1, axis2=2)
                xx = cum[a, hi] - cum[a, lo]
                yy = other_cum[rows, hi - shift] - other_cum[rows, lo - shift]
                quarter = overlap / 4  # sum over 4 * overlap values of mean 1/4
                with np.errstate(divide="ignore", invalid="ignore"):
                    r = (xy - quarter) / np.sqrt((xx - quarter) * (yy - quarter))
                r = np.where(ok & np.isfinite(r), r, -1.0)
                similarity[a] = np.maximum(similarity[a], r)
    similarity = np.maximum(similarity, similarity.T)
    np.fill_diagonal(similarity, 1.0)
    return np.clip(similarity, -1.0, 1.0)


def cluster_labels(similarity: np.ndarray, threshold: float) -> np.ndarray:
    """Average-linkage clusters of ``1 - similarity`` cut at distance ``threshold``.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` int64 cluster of each motif, numbered 0, 1, ... in order of first member.
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    n = similarity.shape[0]
    if n < 2:
        return np.zeros(n, np.int64)
    distance = np.clip(1.0 - similarity, 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average")
    raw = fcluster(tree, t=threshold, criterion="distance")
    _, first, inverse = np.unique(raw, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))  # clusters in order of their first member
    return rank[inverse].astype(np.int64)


def cluster_table(motifs: Sequence[Motif], labels: np.ndarray) -> pd.DataFrame:
    """``motif_id``, ``name``, ``cluster``, ``cluster_name`` per motif, in motif order.

    A cluster is named after its most informative member (total information content); a name
    shared by several clusters gets that member's matrix ID appended.
    """
    info = np.array([information_content(m.probs) for m in motifs])
    table = pd.DataFrame(
        {
            "motif_id": [m.matrix_id for m in motifs],
            "name": [m.name for m in motifs],
            "cluster": labels,
        }
    )
    top = pd.Series(info).groupby(labels).idxmax()  # cluster -> index of its top member
    names = table["name"].to_numpy()[top.to_numpy()]
    shared = pd.Series(names).duplicated(keep=False).to_numpy()
    ids = table["motif_id"].to_numpy()[top.to_numpy()]
    names = np.where(shared, [f"{n} ({i})" for n, i in zip(names, ids, strict=True)], names)
    table["cluster_name"] = names[labels]  # top is indexed by cluster 0, 1, ...
    return table
