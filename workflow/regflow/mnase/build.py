"""Build the images of every gene and condition from the samples' fragments files.

Files are read one chromosome at a time, that chromosome from every sample, so memory holds
one chromosome of all samples plus the per-sample images. Per chromosome: the +1 anchors from
the pooled nucleosomal midpoints (:mod:`regflow.mnase.anchor`), then each sample's fragments
binned in the genes' frames (:mod:`regflow.mnase.histogram`). Once every file has been read,
each sample is scaled to counts per million of its fragments (all fragments in the file, every
length and contig), the samples of a condition are summed and the images smoothed.

A gene with no fragments in its window keeps an all-zero image; genes always follow the GTF's
order. A window that runs off a chromosome end is zero-padded there (nothing to count), and
such genes are reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from regflow.errors import RegflowError
from regflow.mnase.anchor import (
    ANCHOR_LENGTHS,
    ANCHOR_SEARCH,
    ANCHOR_SIGMA,
    PLUS1_AT,
    anchor_profiles,
    plus1_anchors,
    profile_half_width2,
)
from regflow.mnase.assign import genome_windows, midpoints2
from regflow.mnase.histogram import bin_fragments, normalise_and_sum
from regflow.mnase.io import open_fragments
from regflow.mnase.layout import ImageLayout
from regflow.mnase.smooth import smooth_images


@dataclass(frozen=True)
class ImageSet:
    """Images of every gene x condition and how their frames were set.

    Attributes
    ----------
    gene_ids
        ``(n_genes,)`` in GTF order.
    conditions
        ``(n_conditions,)`` in order of first appearance among the samples.
    images_raw
        ``(n_genes, n_conditions, n_rows, n_columns)`` float64, counts per million fragments of
        each sample, summed over the samples of the condition.
    images
        Same shape, smoothed per class block.
    anchor
        ``(n_genes,)`` float64, the +1 nucleosome in bp relative to the TSS (strand-oriented),
        NaN where none was found.
    origin
        ``(n_genes,)`` float64, the frame origin in bp relative to the TSS: ``anchor - PLUS1_AT``
        when aligned and found, else 0.
    totals
        Sample -> fragments in its file (sum of ``count``).
    off_end
        Gene ids whose window runs off a chromosome end (zero-padded).
    """

    gene_ids: np.ndarray
    conditions: np.ndarray
    images_raw: np.ndarray
    images: np.ndarray
    anchor: np.ndarray
    origin: np.ndarray
    totals: dict[str, int]
    off_end: list[str]


def build_images(
    fragments: dict[str, Path],
    conditions: dict[str, str],
    genes: pd.DataFrame,
    chrom_sizes: dict[str, int],
    layout: ImageLayout,
    *,
    align: bool = True,
    sigma: float = 1.0,
) -> ImageSet:
    """Images of every gene (``genes`` from :func:`~regflow.mnase.io.read_genes`) x condition.

    Parameters
    ----------
    fragments
        Sample -> tabix-indexed fragments file.
    conditions
        Sample -> condition, for exactly the samples of ``fragments``.
    genes
        Columns ``gene_id``, ``chrom``, ``tss``, ``sign``.
    chrom_sizes
        Chromosome -> length; every contig of every fragments file must be in it.
    layout
        Rows, columns, window.
    align
        Frame on the +1 nucleosome (else on the TSS).
    sigma
        Gaussian standard deviation in bins for the smoothed images.
    """
    samples = list(fragments)
    names = list(dict.fromkeys(conditions[s] for s in samples))
    condition = np.array([names.index(conditions[s]) for s in samples], dtype=np.int64)
    files = [open_fragments(s, fragments[s], chrom_sizes) for s in samples]

    n_genes = len(genes)
    # per-sample counts (exact in float32 below 2**24 per pixel), scaled once totals are known
    raw = np.zeros((n_genes, len(samples), layout.n_rows, layout.columns), dtype=np.float32)
    totals = np.zeros(len(samples), dtype=np.int64)
    anchor2 = np.zeros(n_genes, dtype=np.int64)
    found = np.zeros(n_genes, dtype=bool)
    off_end = np.zeros(n_genes, dtype=bool)
    half_width2 = profile_half_width2(ANCHOR_SEARCH, ANCHOR_SIGMA)
    gene_chrom = genes["chrom"].to_numpy()
    try:
        for chrom, size in chrom_sizes.items():
            parts = [f.read(chrom) for f in files]  # per sample: (start, end, count)
            totals += [int(count.sum()) for _, _, count in parts]
            here = np.flatnonzero(gene_chrom == chrom)
            if here.size == 0:
                continue
            tss = genes["tss"].to_numpy()[here]
            sign = genes["sign"].to_numpy()[here]
            c2 = [midpoints2(start, end) for start, end, _ in parts]
            length = [end - start for start, end, _ in parts]
            count = [cnt for _, _, cnt in parts]
            profiles = anchor_profiles(
                np.concatenate(c2),
                np.concatenate(length),
                np.concatenate(count),
                tss,
                sign,
                half_width2,
                ANCHOR_LENGTHS,
            )
            anchor2[here], found[here] = plus1_anchors(profiles, ANCHOR_SEARCH, ANCHOR_SIGMA)
            origin2 = np.where(align & found[here], anchor2[here] - 2 * PLUS1_AT, 0)
            first = genome_windows(tss, sign, origin2 - layout.window, 2 * layout.window)
            off_end[here] = (first < 0) | (first + 2 * layout.window - 1 > 2 * (size - 1))
            for s in range(len(samples)):
                raw[here, s] = bin_fragments(c2[s], length[s], count[s], tss, sign, origin2, layout)
    finally:
        for f in files:
            f.tabix.close()

    empty = [s for s, total in zip(samples, totals, strict=True) if total == 0]
    if empty:
        raise RegflowError(
            f"sample {empty[0]}: fragments file {fragments[empty[0]]} has no fragments"
        )
    images_raw = normalise_and_sum(raw, totals.astype(np.float64), condition, len(names))
    anchor = np.where(found, anchor2 / 2, np.nan)
    return ImageSet(
        gene_ids=genes["gene_id"].to_numpy(dtype=str),
        conditions=np.array(names, dtype=str),
        images_raw=images_raw,
        images=smooth_images(images_raw, layout, sigma),
        anchor=anchor,
        origin=np.where(align & found, anchor - PLUS1_AT, 0.0),
        totals=dict(zip(samples, totals.tolist(), strict=True)),
        off_end=genes["gene_id"].to_numpy()[off_end].tolist(),
    )
