"""MNase-seq fragments: nucleosome cores, sub-nucleosomal TF footprints, background, chrM.

MNase digests linker DNA and cuts preferentially at A/T, which is imposed by rejecting
fragments in proportion to ``at_preference`` for each G/C end base.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regflow.simulate import fragments as fr
from regflow.simulate.genome import Genome

NUCLEOSOMAL, FOOTPRINT, BACKGROUND, MITO = 0, 1, 2, 3


def end_acceptance(
    codes: np.ndarray, start: np.ndarray, end: np.ndarray, at_preference: float
) -> np.ndarray:
    """Probability of keeping each fragment (global coordinates) given its end bases.

    A/T ends are kept with probability 1, G/C ends with ``at_preference``; ends multiply.
    """

    def one(base):
        is_at = (base == 0) | (base == 3)
        return np.where(is_at, 1.0, at_preference)

    return one(codes[start]) * one(codes[end - 1])


def _centred(chrom, centre, lengths, kind):
    """Fragments of ``lengths`` centred on ``centre``."""
    start = np.rint(centre - lengths / 2).astype(np.int64)
    return {
        "chrom": chrom,
        "start": start,
        "end": start + lengths,
        "kind": np.full(lengths.size, kind),
    }


def mnase_candidates(
    rng: np.random.Generator,
    genome: Genome,
    nucleosomes: pd.DataFrame,
    sites: pd.DataFrame,
    cfg: dict,
    n: int,
) -> dict[str, np.ndarray]:
    """``n`` candidate fragments before the A/T end preference is applied.

    ``nucleosomes``: chrom, dyad, fuzziness, occupancy of this condition; ``sites``: chrom,
    start, end, occupancy of this condition.
    """
    name_index = {c: i for i, c in enumerate(genome.names)}
    n_fp = int(round(cfg["footprint_fraction"] * n))
    n_bg = int(round(cfg["background_fraction"] * n))
    n_mito = int(round(cfg["chrM_fraction"] * n))
    n_nuc = n - n_fp - n_bg - n_mito

    occ = nucleosomes["occupancy"].to_numpy()
    pick = rng.choice(len(nucleosomes), size=n_nuc, p=occ / occ.sum())
    centre = nucleosomes["dyad"].to_numpy()[pick] + rng.normal(
        0, nucleosomes["fuzziness"].to_numpy()[pick]
    )
    chrom = nucleosomes["chrom"].map(name_index).to_numpy()[pick]
    nuc = _centred(
        chrom, centre, fr.mixture_lengths(rng, n_nuc, cfg["nucleosome_lengths"]), NUCLEOSOMAL
    )

    site_occ = sites["occupancy"].to_numpy()
    pick = rng.choice(len(sites), size=n_fp, p=site_occ / site_occ.sum())
    centre = (sites["start"].to_numpy() + sites["end"].to_numpy())[pick] / 2 + rng.normal(
        0, cfg["footprint_jitter"], n_fp
    )
    lo, hi = cfg["footprint_length"]
    fp = _centred(
        sites["chrom"].map(name_index).to_numpy()[pick],
        centre,
        rng.integers(lo, hi + 1, n_fp),
        FOOTPRINT,
    )

    lo, hi = cfg["background_length"]
    nuclear = [c for c in genome.names if c != "chrM"]
    bg = fr.uniform_fragments(rng, genome, nuclear, rng.integers(lo, hi + 1, n_bg), BACKGROUND)
    mito = fr.uniform_fragments(rng, genome, ["chrM"], rng.integers(lo, hi + 1, n_mito), MITO)
    return fr.concat(nuc, fp, bg, mito)


def mnase_fragments(
    rng: np.random.Generator,
    genome: Genome,
    nucleosomes: pd.DataFrame,
    sites: pd.DataFrame,
    cfg: dict,
    n: int,
) -> dict[str, np.ndarray]:
    """``n`` unique MNase fragments of one condition, with the A/T end preference imposed."""
    kept = []
    total = 0
    while total < n:
        batch = mnase_candidates(rng, genome, nucleosomes, sites, cfg, n)
        batch = fr.take(batch, np.flatnonzero(fr.within_bounds(batch, genome)))
        start, end = fr.to_global(batch, genome)
        accept = rng.random(start.size) < end_acceptance(
            genome.codes, start, end, cfg["at_preference"]
        )
        kept.append(fr.take(batch, np.flatnonzero(accept)))
        total += int(accept.sum())
    frags = fr.concat(*kept)
    return fr.take(frags, rng.permutation(frags["start"].size)[:n])
