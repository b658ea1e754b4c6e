"""Motifs for the simulator: JASPAR matrices (offline via pyjaspar), site sampling, Tn5 bias.

A motif is a (length, 4) probability matrix over A, C, G, T.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from regflow.errors import RegflowError


@dataclass(frozen=True)
class Motif:
    """A named position probability matrix."""

    matrix_id: str
    name: str
    probs: np.ndarray  # (length, 4)

    @property
    def length(self) -> int:
        return self.probs.shape[0]


def counts_to_probs(counts: np.ndarray, pseudocount: float = 0.25) -> np.ndarray:
    """Column-normalise a (length, 4) count matrix with a pseudocount per base."""
    counts = np.asarray(counts, float) + pseudocount
    return counts / counts.sum(axis=1, keepdims=True)


def load_jaspar_motifs(matrix_ids: list[str], release: str) -> dict[str, Motif]:
    """Fetch matrices by ID from pyjaspar's bundled (offline) JASPAR database."""
    from pyjaspar import jaspardb

    db = jaspardb(release=release)
    motifs = {}
    for matrix_id in matrix_ids:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = db.fetch_motif_by_id(matrix_id)
        if found is None:
            raise RegflowError(f"JASPAR matrix {matrix_id} is not in {release}")
        counts = np.array([found.counts[b] for b in "ACGT"], float).T
        motifs[matrix_id] = Motif(matrix_id, found.name, counts_to_probs(counts))
    return motifs


def log_odds(probs: np.ndarray, background: np.ndarray) -> np.ndarray:
    """(length, 4) log2 odds of each base against the background base frequencies."""
    return np.log2(probs / np.asarray(background)[None, :])


def reverse_complement_matrix(matrix: np.ndarray) -> np.ndarray:
    """A (length, 4) matrix of the opposite strand (A<->T, C<->G, positions reversed)."""
    return matrix[::-1, ::-1]


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
    lines = []
    for m in motifs:
        lines.append(f">{m.matrix_id}\t{m.name}")
        counts = np.rint(m.probs * scale).astype(int)
        for b, base in enumerate("ACGT"):
            lines.append(f"{base}  [ " + " ".join(f"{c:4d}" for c in counts[:, b]) + " ]")
    Path(path).write_text("\n".join(lines) + "\n")
