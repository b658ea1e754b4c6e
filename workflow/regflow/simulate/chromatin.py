"""Chromatin state per condition: TF occupancy, accessibility, promoter activity, nucleosomes.

All functions are pure: arrays and tables in, arrays and tables out.
"""

from __future__ import annotations

import bisect

import numpy as np
import pandas as pd

NUCLEOSOME = 147  # bp of DNA wrapped around a nucleosome core


def site_occupancy(
    score: np.ndarray, max_score: np.ndarray, activity: np.ndarray, kd: float, scale: float
) -> np.ndarray:
    """Fractional occupancy (n_sites, n_conditions) of sites by their TF.

    Affinity is ``2 ** (scale * (score - max_score))``: binding energy proportional to the
    log2-odds deficit from the consensus. Occupancy is the equilibrium ``A * aff / (A * aff +
    kd)`` for TF activity ``A`` (n_sites, n_conditions).
    """
    affinity = np.exp2(scale * np.minimum(score - max_score, 0.0))[:, None]
    bound = activity * affinity
    return bound / (bound + kd)


def region_accessibility(
    site_region: np.ndarray, occupancy: np.ndarray, basal: np.ndarray
) -> np.ndarray:
    """Accessibility (n_regions, n_conditions) = 1 - (1 - basal) * prod over sites (1 - occ).

    ``site_region`` (n_sites,) gives each site's region index; ``basal`` (n_regions,).
    """
    log_closed = np.zeros((basal.size, occupancy.shape[1]))
    np.add.at(log_closed, site_region, np.log1p(-np.minimum(occupancy, 1 - 1e-9)))
    return 1.0 - (1.0 - basal)[:, None] * np.exp(log_closed)


def gene_drive(
    site_gene: np.ndarray,
    site_weight: np.ndarray,
    occupancy: np.ndarray,
    intrinsic: np.ndarray,
) -> np.ndarray:
    """Regulatory drive (n_genes, n_conditions) in log2 units.

    ``intrinsic`` (n_genes,) plus, over the gene's sites, ``site_weight * occupancy`` where the
    weight is the TF's effect (scaled down for enhancer sites). ``site_gene`` indexes genes.
    """
    drive = np.repeat(intrinsic[:, None], occupancy.shape[1], axis=1)
    np.add.at(drive, site_gene, site_weight[:, None] * occupancy)
    return drive


def promoter_activity(drive: np.ndarray) -> np.ndarray:
    """Drive squashed to [0, 1] by a logistic around the mean drive, in units of its sd."""
    z = (drive - drive.mean()) / max(drive.std(), 1e-9)
    return 1.0 / (1.0 + np.exp(-1.5 * z))


def nucleosome_map(
    genes: pd.DataFrame,
    activity: np.ndarray,
    chrom_lengths: dict[str, int],
    enhancers: pd.DataFrame,
    enhancer_acc: np.ndarray,
    cfg: dict,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nucleosome dyads of one condition, and each gene's promoter architecture.

    Around each TSS: a nucleosome-depleted region (NDR) whose width grows with the promoter's
    ``activity`` (n_genes,), a well-positioned +1 nucleosome and a phased array into the gene
    body whose positioning decays with distance and whose occupancy drops with activity.
    Elsewhere nucleosomes are evenly spaced and poorly positioned; accessible enhancers evict
    the nucleosomes that overlap them. Returns (nucleosomes: chrom, dyad, fuzziness,
    occupancy) and (promoters: gene_id, ndr_width, minus1_dyad, plus1_dyad).
    """
    spacing, sd0, growth = cfg["spacing"], cfg["fuzziness"], cfg["fuzziness_growth"]
    width = cfg["ndr_min"] + (cfg["ndr_max"] - cfg["ndr_min"]) * activity
    sign = np.where(genes["strand"].to_numpy() == "+", 1, -1)
    tss = genes["tss"].to_numpy()
    plus1 = tss + sign * np.rint(
        cfg["plus1_offset"] + cfg["plus1_shift"] * (width - cfg["ndr_min"])
    )
    minus1 = plus1 - sign * np.rint(width + NUCLEOSOME)
    rows = []
    for i, g in enumerate(genes.itertuples()):
        body_len = (g.end - g.start) - abs(plus1[i] - tss[i])
        n_body = max(int(body_len // spacing), 1)
        k = np.arange(n_body)
        rows.append(
            np.column_stack(
                [
                    np.full(n_body, i),
                    plus1[i] + sign[i] * k * spacing,
                    sd0 * (1 + activity[i]) + growth * k,
                    np.where(k == 0, 1 - 0.2 * activity[i], 1 - cfg["body_drop"] * activity[i]),
                ]
            )
        )
        k = np.arange(cfg["upstream_nucleosomes"])
        rows.append(
            np.column_stack(
                [
                    np.full(k.size, i),
                    minus1[i] - sign[i] * k * spacing,
                    sd0 * 1.5 + 2 * growth * k,
                    np.full(k.size, 0.9),
                ]
            )
        )
    table = np.vstack(rows)
    gene_chrom = genes["chrom"].to_numpy()[table[:, 0].astype(int)]
    frames = []
    for chrom, length in chrom_lengths.items():
        mine = table[gene_chrom == chrom]
        dyad, fuzz, occ = _resolve_overlaps(mine[:, 1], mine[:, 2], mine[:, 3], length)
        in_chrom = (genes["chrom"] == chrom).to_numpy()
        ndr = np.sort(np.column_stack([minus1[in_chrom], plus1[in_chrom]]), axis=1)
        dyad, fuzz, occ = _fill_gaps(dyad, fuzz, occ, length, spacing, cfg["fill_fuzziness"], ndr)
        here = (enhancers["chrom"] == chrom).to_numpy()
        occ = _evict(dyad, occ, enhancers[here], enhancer_acc[here])
        frames.append(
            pd.DataFrame(
                {"chrom": chrom, "dyad": dyad.astype(np.int64), "fuzziness": fuzz, "occupancy": occ}
            )
        )
    promoters = pd.DataFrame(
        {
            "gene_id": genes["gene_id"],
            "ndr_width": width,
            "minus1_dyad": minus1.astype(np.int64),
            "plus1_dyad": plus1.astype(np.int64),
        }
    )
    return pd.concat(frames, ignore_index=True), promoters


def _resolve_overlaps(dyad, fuzz, occ, length):
    """Keep the better-positioned of any two nucleosomes closer than one core; drop off-end ones."""
    inside = (dyad >= NUCLEOSOME) & (dyad < length - NUCLEOSOME)
    dyad, fuzz, occ = dyad[inside], fuzz[inside], occ[inside]
    kept: list[float] = []
    keep: list[int] = []
    for i in np.argsort(fuzz, kind="stable"):
        at = bisect.bisect_left(kept, dyad[i])
        left_ok = at == 0 or dyad[i] - kept[at - 1] >= NUCLEOSOME
        right_ok = at == len(kept) or kept[at] - dyad[i] >= NUCLEOSOME
        if left_ok and right_ok:
            kept.insert(at, dyad[i])
            keep.append(int(i))
    order = np.array(keep, dtype=int)
    order = order[np.argsort(dyad[order], kind="stable")]
    return dyad[order], fuzz[order], occ[order]


def _fill_gaps(dyad, fuzz, occ, length, spacing, fill_fuzz, ndr):
    """Evenly spaced, poorly positioned nucleosomes (at least ``spacing`` apart) in every gap
    wide enough for one, except inside promoter NDRs (``ndr``: (n, 2) -1 and +1 dyads)."""
    edges = np.concatenate([[-spacing / 2], dyad, [length + spacing / 2]])
    gaps = np.diff(edges)
    n_fill = np.maximum(np.floor(gaps / spacing).astype(int) - 1, 0)
    fill = [
        edges[i] + gaps[i] * np.arange(1, n + 1) / (n + 1) for i, n in enumerate(n_fill) if n > 0
    ]
    fill = np.floor(np.concatenate(fill)) if fill else np.zeros(0)
    fill = fill[(fill >= NUCLEOSOME) & (fill < length - NUCLEOSOME) & ~_inside(fill, ndr)]
    all_dyad = np.concatenate([dyad, fill])
    order = np.argsort(all_dyad, kind="stable")
    return (
        all_dyad[order],
        np.concatenate([fuzz, np.full(fill.size, fill_fuzz)])[order],
        np.concatenate([occ, np.full(fill.size, 0.8)])[order],
    )


def _inside(points, intervals):
    """Whether each point lies strictly inside the union of (lo, hi) ``intervals``."""
    if intervals.size == 0:
        return np.zeros(points.size, bool)
    order = np.argsort(intervals[:, 0])
    lo = intervals[order, 0]
    hi = np.maximum.accumulate(intervals[order, 1])
    at = np.searchsorted(lo, points, side="left") - 1
    return (at >= 0) & (points < hi[np.maximum(at, 0)])


def _evict(dyad, occ, enhancers, acc):
    """Scale the occupancy of nucleosomes overlapping each enhancer by (1 - its accessibility)."""
    occ = occ.copy()
    for start, end, a in zip(enhancers["start"], enhancers["end"], acc, strict=True):
        lo = np.searchsorted(dyad, start - NUCLEOSOME // 2)
        hi = np.searchsorted(dyad, end + NUCLEOSOME // 2)
        occ[lo:hi] *= 1.0 - a
    return occ
