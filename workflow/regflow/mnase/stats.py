"""Statistics read off MNase images: NDR width and footprint enrichment at sites.

Both take images as written by ``regflow mnase images`` (``(..., n_rows, n_columns)`` with the
``length_edges`` and ``position_edges`` of the file) and are what the workflow tests check
against the simulated truth.
"""

from __future__ import annotations

import numpy as np

from regflow.mnase.anchor import PLUS1_AT

#: bp of DNA wrapped by a nucleosome core: NDR width = dyad distance - CORE.
CORE = 147


def length_profile(
    images: np.ndarray, length_edges: np.ndarray, lengths: tuple[float, float]
) -> np.ndarray:
    """Sum of the rows whose lengths lie within ``[lengths[0], lengths[1])``.

    Parameters
    ----------
    images
        Shape ``(..., n_rows, n_columns)``.
    length_edges
        Shape ``(n_rows, 2)``.
    lengths
        ``(lo, hi)`` bp.

    Returns
    -------
    numpy.ndarray
        Shape ``(..., n_columns)``.
    """
    rows = (length_edges[:, 0] >= lengths[0]) & (length_edges[:, 1] <= lengths[1])
    if not rows.any():
        raise ValueError(f"no image row lies within lengths {lengths}")
    return images[..., rows, :].sum(axis=-2)


def ndr_width(
    images: np.ndarray,
    length_edges: np.ndarray,
    position_edges: np.ndarray,
    *,
    lengths: tuple[float, float] = (140, 201),
    plus1_window: tuple[float, float] = (PLUS1_AT - 80, PLUS1_AT + 80),
    dyad_distance: tuple[float, float] = (200, 450),
    peak_fraction: float = 0.5,
) -> np.ndarray:
    """Width of the nucleosome-depleted region of each image, in bp.

    From the nucleosomal midpoint profile ``p`` (rows within ``lengths``, summed; use the
    smoothed images):

    1. the +1 dyad is the column of ``p``'s maximum within ``plus1_window`` (bp, frame
       coordinates: the aligned +1 sits at ``PLUS1_AT``);
    2. the -1 dyad is, walking upstream from the +1, the first local maximum of ``p`` whose
       distance to the +1 lies within ``dyad_distance`` and whose height is at least
       ``peak_fraction`` x the highest ``p`` in that distance range (the nearest well-supported
       peak: the -2 nucleosome, one spacing further, is not taken for the -1 when it happens to
       be higher);
    3. NDR width = +1 dyad - (-1 dyad) - :data:`CORE`, the linker between the two cores.

    Positions are column centres, so widths move in steps of one column (8 bp).

    Parameters
    ----------
    images
        Shape ``(..., n_rows, n_columns)``.
    length_edges
        Shape ``(n_rows, 2)``.
    position_edges
        Shape ``(n_columns + 1,)``, bp relative to the frame origin.

    Returns
    -------
    numpy.ndarray
        Shape ``(...)``, float64; NaN where no nucleosomal midpoint supports a -1 or +1.
    """
    profile = length_profile(images, length_edges, lengths)  # (..., n_columns)
    centre = (position_edges[:-1] + position_edges[1:]) / 2  # (n_columns,)
    in_plus1 = (centre >= plus1_window[0]) & (centre <= plus1_window[1])
    plus1 = centre[in_plus1][np.argmax(profile[..., in_plus1], axis=-1)]  # (...)
    distance = plus1[..., None] - centre  # (..., n_columns)
    in_range = (distance >= dyad_distance[0]) & (distance <= dyad_distance[1])
    height = np.where(in_range, profile, 0.0).max(axis=-1, keepdims=True)  # (..., 1)
    padded = np.pad(profile, [(0, 0)] * (profile.ndim - 1) + [(1, 1)], constant_values=-np.inf)
    local_max = (profile >= padded[..., :-2]) & (profile >= padded[..., 2:])
    candidate = in_range & local_max & (profile > 0) & (profile >= peak_fraction * height)
    nearest = np.argmin(np.where(candidate, distance, np.inf), axis=-1)  # (...)
    minus1 = centre[nearest]
    supported = candidate.any(axis=-1) & (profile[..., in_plus1].max(axis=-1) > 0)
    return np.where(supported, plus1 - minus1 - CORE, np.nan)


def site_columns(
    site_position: np.ndarray, origin: np.ndarray, position_edges: np.ndarray
) -> np.ndarray:
    """Image column of sites given relative to their gene's TSS.

    Parameters
    ----------
    site_position
        Shape ``(n_sites,)``, bp relative to the TSS, strand-oriented (downstream positive).
    origin
        Shape ``(n_sites,)``, the frame origin of each site's gene (``origin`` of the file).
    position_edges
        Shape ``(n_columns + 1,)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_sites,)``, int64, -1 for sites outside the window.
    """
    x = np.asarray(site_position, dtype=np.float64) - origin
    column = np.searchsorted(position_edges, x, side="right") - 1
    inside = (x >= position_edges[0]) & (x < position_edges[-1])
    return np.where(inside, column, -1).astype(np.int64)


def footprint_enrichment(
    images: np.ndarray,
    length_edges: np.ndarray,
    gene: np.ndarray,
    condition: np.ndarray,
    column: np.ndarray,
    *,
    lengths: tuple[float, float] = (45, 90),
) -> float:
    """Sub-nucleosomal midpoint density at sites over the density elsewhere.

    Parameters
    ----------
    images
        Shape ``(n_genes, n_conditions, n_rows, n_columns)``.
    length_edges
        Shape ``(n_rows, 2)``.
    gene, condition, column
        Shape ``(n_sites,)``, int64: image and column of each site (e.g. planted sites with
        high occupancy in that condition, columns from :func:`site_columns`); sites with
        column -1 are ignored.
    lengths
        ``(lo, hi)`` of the fragments counted.

    Returns
    -------
    float
        Mean of the profile at the sites' pixels / mean at every other pixel (column of a gene
        x condition image); NaN without sites or without signal elsewhere.
    """
    profile = length_profile(images, length_edges, lengths)  # (n_genes, n_conditions, n_cols)
    keep = column >= 0
    gene, condition, column = gene[keep], condition[keep], column[keep]
    if gene.size == 0:
        return float("nan")
    at_site = np.zeros(profile.shape, dtype=bool)
    at_site[gene, condition, column] = True
    elsewhere = profile[~at_site].mean() if (~at_site).any() else 0.0
    if elsewhere <= 0:
        return float("nan")
    return float(profile[gene, condition, column].mean() / elsewhere)
