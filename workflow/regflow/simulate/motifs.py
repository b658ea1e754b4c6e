"""Motifs for the simulator: JASPAR matrices (offline via pyjaspar), site sampling, Tn5 bias.

Motifs are :class:`regflow.motifs.matrices.Motif` records (JASPAR counts plus a pseudocount).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from regflow.motifs.fetch import fetch_jaspar
from regflow.motifs.io import write_jaspar as write_counts
from regflow.motifs.matrices import (
    Motif,
    counts_to_probs,
    log_odds,
    reverse_complement_matrix,
)

__all__ = [
    "Motif",
    "counts_to_probs",
    "load_jaspar_motifs",
    "log_odds",
    "reverse_complement_matrix",
    "sample_sites",
    "score_sequences",
    "tn5_bias_matrix",
    "write_jaspar",
]


def load_jaspar_motifs(
    matrix_ids: list[str], release: str, pseudocount: float = 0.25
) -> dict[str, Motif]:
    """Fetch matrices by ID from pyjaspar's bundled (offline) JASPAR database.

    Each motif's counts carry ``pseudocount`` per base, so its ``probs`` never hold a 0.
    """
    motifs = {}
    for matrix_id in matrix_ids:
        (found,) = fetch_jaspar(release, matrix_ids=[matrix_id])
        motifs[matrix_id] = Motif(matrix_id, found.name, found.counts + pseudocount)
    return motifs


def sample_sites(
    rng: np.random.Generator, probs: np.ndarray, n: int, sharpness: float
) -> np.ndarray:
    """Draw ``n`` site sequences (n, length) from the matrix raised to ``sharpness``.

    ``sharpness`` > 1 favours strong sites; 1 draws from the matrix itself.
    """
    weights = probs**sharpness
    weights /= weights.sum(axis=1, keepdims=True)
    cum = np.cumsum(weights, axis=1)
    u = rng.random((n, probs.shape[0], 1))
    return (u > cum[None, :, :-1]).sum(axis=2).astype(np.uint8)


def score_sequences(windows: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Sum of ``matrix[position, base]`` over each row of ``windows`` (n, length) -> (n,)."""
    return matrix[np.arange(matrix.shape[0])[None, :], windows].sum(axis=1)


def tn5_bias_matrix(strength: float) -> np.ndarray:
    """A palindromic 19-bp Tn5 insertion-preference matrix centred on the cut site.

    Row 9 is the centre base of the 9-bp target duplication (the +4/-5 shifted cut site).
    The preference (G/C-rich flanks, A/T-rich centre, a G...C pair at +/-5) is an
    approximation of published Tn5 insertion logos; ``strength`` scales its information.
    """
    half = np.full((9, 4), 0.25)
    half[4] = [0.15, 0.15, 0.55, 0.15]  # G at -5 (C at +5 by symmetry)
    half[5] = [0.20, 0.30, 0.30, 0.20]
    half[6] = [0.20, 0.20, 0.20, 0.40]  # T at -3
    half[8] = [0.35, 0.15, 0.15, 0.35]
    centre = np.array([[0.3, 0.2, 0.2, 0.3]])
    probs = np.vstack([half, centre, reverse_complement_matrix(half)])
    tempered = probs**strength
    return tempered / tempered.sum(axis=1, keepdims=True)


def write_jaspar(motifs: list[Motif], path: Path, scale: int = 1000) -> None:
    """Write matrices in JASPAR format (counts per base; probabilities times ``scale``)."""
    write_counts([Motif(m.matrix_id, m.name, np.rint(m.probs * scale)) for m in motifs], path)
