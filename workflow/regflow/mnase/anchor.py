"""Find each gene's +1 nucleosome, the anchor its image frame is aligned on.

As in the paper's reference code (``find_p1``), the +1 nucleosome is the peak of the
nucleosomal (140-200 bp) fragment-midpoint profile within +/-160 bp of the TSS. The profile
pools the fragments of every sample (all conditions) so that a gene's frame is the same in
every condition and the images of one gene stay comparable over the time course; it pools raw
counts (each fragment weighs the same) because only the position of the mode is used. Midpoints
are counted at half-bp resolution (exact centres of odd and even fragments) and smoothed with a
Gaussian of :data:`ANCHOR_SIGMA` bp before the maximum is taken; the first maximum wins ties.

The aligned frame puts the anchor at :data:`PLUS1_AT` bp (the reference code shifts by half a
64-bp patch so the +1 does not sit on a patch border): frame origin = TSS + anchor - PLUS1_AT.
A gene without a nucleosomal midpoint within the search range keeps the TSS frame.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import gaussian_filter1d

from regflow.mnase.assign import genome_windows, relative2, window_hits

#: Fragment lengths whose midpoints locate the +1 nucleosome, ``[lo, hi)``.
ANCHOR_LENGTHS = (140, 201)
#: The +1 is searched within +/- this many bp of the TSS.
ANCHOR_SEARCH = 160
#: Standard deviation (bp) of the Gaussian smoothing the midpoint profile.
ANCHOR_SIGMA = 10.0
#: Position (bp) of the +1 nucleosome in the aligned frame.
PLUS1_AT = 32
#: Truncation of the Gaussian, in standard deviations (scipy's default).
_TRUNCATE = 4.0


def profile_half_width2(search: int = ANCHOR_SEARCH, sigma: float = ANCHOR_SIGMA) -> int:
    """Half-width (half-bp) of the profile: the search range plus the smoothing kernel's reach,
    so smoothing near the search edges sees the real neighbouring midpoints."""
    return 2 * search + math.ceil(_TRUNCATE * 2 * sigma)


def anchor_profiles(
    c2: np.ndarray,
    length: np.ndarray,
    count: np.ndarray,
    tss: np.ndarray,
    sign: np.ndarray,
    half_width2: int,
    lengths: tuple[int, int] = ANCHOR_LENGTHS,
) -> np.ndarray:
    """Nucleosomal midpoint counts around each TSS at half-bp resolution.

    Parameters
    ----------
    c2
        Shape ``(n_fragments,)``, int64, doubled midpoints ``start + end - 1``.
    length, count
        Shape ``(n_fragments,)``, int64, fragment lengths and counts.
    tss, sign
        Shape ``(n_genes,)``, int64, TSS bases and strands (+1/-1) of one chromosome's genes.
    half_width2
        The profile covers relative positions ``d2`` in ``[-half_width2, half_width2]``.
    lengths
        ``[lo, hi)`` of the fragments counted.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_genes, 2 * half_width2 + 1)``, float64; column ``i`` is ``d2 = i - half_width2``.
    """
    width2 = 2 * half_width2 + 1
    keep = (length >= lengths[0]) & (length < lengths[1])
    c2, count = c2[keep], count[keep]
    point, gene = window_hits(c2, genome_windows(tss, sign, -half_width2, width2), width2)
    d2 = relative2(c2[point], tss[gene], sign[gene])  # (n_pairs,)
    flat = gene * width2 + (d2 + half_width2)
    profile = np.bincount(flat, weights=count[point], minlength=tss.size * width2)
    return profile.reshape(tss.size, width2)  # (n_genes, width2)


def plus1_anchors(
    profiles: np.ndarray, search: int = ANCHOR_SEARCH, sigma: float = ANCHOR_SIGMA
) -> tuple[np.ndarray, np.ndarray]:
    """Position of the smoothed profile's maximum within +/- ``search`` bp of the TSS.

    Parameters
    ----------
    profiles
        Shape ``(n_genes, 2 * half_width2 + 1)`` from :func:`anchor_profiles`, with
        ``half_width2 = profile_half_width2(search, sigma)``.
    search
        Half-width (bp) of the range searched.
    sigma
        Gaussian standard deviation (bp).

    Returns
    -------
    anchor2 : numpy.ndarray
        Shape ``(n_genes,)``, int64, the +1 position in half-bp relative to the TSS
        (strand-oriented); 0 where not found.
    found : numpy.ndarray
        Shape ``(n_genes,)``, bool, whether any nucleosomal midpoint lies within the range.
    """
    half_width2 = (profiles.shape[1] - 1) // 2
    smoothed = gaussian_filter1d(profiles, 2 * sigma, axis=1, mode="constant", truncate=_TRUNCATE)
    inner = slice(half_width2 - 2 * search, half_width2 + 2 * search + 1)
    found = profiles[:, inner].sum(axis=1) > 0  # (n_genes,)
    anchor2 = np.argmax(smoothed[:, inner], axis=1) - 2 * search  # (n_genes,)
    return np.where(found, anchor2, 0).astype(np.int64), found
