"""Position frequency matrices: the motif record, pseudocounts, log-odds, strands.

Every matrix is ``(length, 4)``: one row per motif position, columns A, C, G, T.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Column order of every matrix and every base code (``N`` and other letters are code 4).
BASES = "ACGT"


@dataclass(frozen=True)
class Motif:
    """A named position frequency matrix.

    Attributes
    ----------
    matrix_id
        Identifier, e.g. the JASPAR matrix ID ``MA0139.2``.
    name
        Transcription-factor name.
    counts
        ``(length, 4)`` counts over A, C, G, T (for a MEME motif, probabilities x nsites).
    """

    matrix_id: str
    name: str
    counts: np.ndarray

    @property
    def length(self) -> int:
        return self.counts.shape[0]

    @property
    def probs(self) -> np.ndarray:
        """``(length, 4)`` column frequencies (each row of ``counts`` over its sum)."""
        return counts_to_probs(self.counts, pseudocount=0.0)


def counts_to_probs(counts: np.ndarray, pseudocount: float = 0.25) -> np.ndarray:
    """Row-normalise a ``(length, 4)`` count matrix after adding ``pseudocount`` to every cell."""
    counts = np.asarray(counts, float) + pseudocount
    return counts / counts.sum(axis=1, keepdims=True)


def background_probs(counts: np.ndarray, background: np.ndarray, pseudocount: float) -> np.ndarray:
    """Frequencies with a pseudocount shared out by the background (MEME suite's rule).

    Row ``i`` becomes ``(counts[i] + pseudocount * background) / (counts[i].sum() + pseudocount)``,
    so a motif from many sites is barely changed and an unseen base keeps a small probability.

    Parameters
    ----------
    counts
        ``(length, 4)`` counts.
    background
        ``(4,)`` base frequencies summing to 1.
    pseudocount
        Total pseudocount per position, > 0.

    Returns
    -------
    numpy.ndarray
        ``(length, 4)`` probabilities, every entry > 0.
    """
    counts = np.asarray(counts, float)
    background = np.asarray(background, float)
    return (counts + pseudocount * background[None, :]) / (
        counts.sum(axis=1, keepdims=True) + pseudocount
    )


def log_odds(probs: np.ndarray, background: np.ndarray) -> np.ndarray:
    """``(length, 4)`` log2 odds of each base against the background base frequencies."""
    return np.log2(probs / np.asarray(background)[None, :])


def reverse_complement_matrix(matrix: np.ndarray) -> np.ndarray:
    """A ``(length, 4)`` matrix of the opposite strand (A<->T, C<->G, positions reversed)."""
    return matrix[::-1, ::-1]


def information_content(probs: np.ndarray) -> float:
    """Total information (bits) of a ``(length, 4)`` frequency matrix against uniform bases."""
    probs = np.asarray(probs, float)
    plogp = np.where(probs > 0, probs * np.log2(np.where(probs > 0, probs, 1.0)), 0.0)
    return float((2.0 + plogp.sum(axis=1)).sum())
