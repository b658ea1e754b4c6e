"""ATAC-seq fragments: Tn5 insertion pairs in accessible regions and background, with bias.

A Tn5 insertion event duplicates a 9-bp target. For an event whose duplication starts at
``s``, the fragment to its right starts at ``s`` and the fragment to its left ends at
``s + 9``; both reads' shifted cut sites (+4 on the + strand, -5 on the - strand) then fall
on ``s + 4``, the centre base of the duplication.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regflow.simulate import fragments as fr
from regflow.simulate.genome import Genome

SIGNAL, BACKGROUND, MITO = 0, 1, 2
PLUS_SHIFT, MINUS_SHIFT = 4, 5


def cut_sites(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tn5 insertion centres at the two ends of fragments (the +4 / -5 shifted cut sites)."""
    return start + PLUS_SHIFT, end - MINUS_SHIFT


def bias_shift(
    rng: np.random.Generator,
    codes: np.ndarray,
    centre: np.ndarray,
    log_odds: np.ndarray,
    reach: int,
) -> np.ndarray:
    """Move each insertion centre (global coordinates) to a position within +/-``reach`` bp
    chosen in proportion to ``2 ** score`` of the bias matrix ``log_odds`` (width, 4) there.

    This imposes Tn5's sequence preference at base resolution while keeping the larger-scale
    distribution of insertions.
    """
    half = log_odds.shape[0] // 2
    span = np.arange(-reach - half, reach + half + 1)
    bases = codes[np.clip(centre[:, None] + span[None, :], 0, codes.size - 1)]
    n_pos = 2 * reach + 1
    score = np.zeros((centre.size, n_pos))
    for k in range(log_odds.shape[0]):
        score += log_odds[k][bases[:, k : k + n_pos]]
    weight = np.exp2(score - score.max(axis=1, keepdims=True))
    cum = np.cumsum(weight, axis=1)
    pick = (rng.random((centre.size, 1)) * cum[:, -1:] > cum).sum(axis=1)
    return centre + pick - reach


def flank_distance(rng: np.random.Generator, size: int, mean: float) -> np.ndarray:
    """Distances (bp, >= 1) of footprint insertions from a bound site's edge: 1 + geometric."""
    return rng.geometric(1.0 / (1.0 + mean), size=size)


def tf_footprints(
    rng: np.random.Generator,
    cut: np.ndarray,
    pick: np.ndarray,
    sites: pd.DataFrame,
    share: float,
    flank: float,
) -> np.ndarray:
    """Tn5 insertions ``cut`` (n,) of regions ``pick`` (n,) reshaped by the TFs bound there.

    A bound TF protects its site and leaves the DNA beside it hypersensitive, the footprint
    ChromBPNet's profile head learns from. ``sites`` (region index, start, end, occupancy of
    this condition, positions on the region's chromosome): an insertion of a region whose
    sites hold total occupancy ``O`` moves next to one of them with probability
    ``share * min(O, 1)``, the site chosen in proportion to occupancy, on either side at
    :func:`flank_distance` (mean ``flank``); an insertion still inside a site then moves out
    with probability equal to the site's occupancy. A region's insertion count is unchanged.
    """
    cut = np.asarray(cut).copy()
    if sites.empty or cut.size == 0:
        return cut
    order = np.argsort(sites["region"].to_numpy(), kind="stable")
    region = sites["region"].to_numpy()[order]
    start = sites["start"].to_numpy()[order]
    end = sites["end"].to_numpy()[order]
    occ = sites["occupancy"].to_numpy(dtype=float)[order]
    n_regions = int(max(pick.max(), region.max())) + 1
    total = np.bincount(region, weights=occ, minlength=n_regions)  # (regions,)
    before = np.concatenate([[0.0], np.cumsum(total)[:-1]])  # occupancy of earlier regions
    cum = np.cumsum(occ)

    def beside(k: np.ndarray) -> np.ndarray:
        d = flank_distance(rng, k.size, flank)
        return np.where(rng.random(k.size) < 0.5, start[k] - d, end[k] - 1 + d)

    moved = rng.random(cut.size) < share * np.minimum(total[pick], 1.0)
    chosen = np.searchsorted(
        cum, before[pick[moved]] + rng.random(moved.sum()) * total[pick[moved]]
    )
    cut[moved] = beside(np.minimum(chosen, occ.size - 1))
    # protection: the last site of the insertion's own region starting at or before it
    key = region.astype(np.int64) * (1 << 40) + start
    by_key = np.argsort(key, kind="stable")
    at = np.searchsorted(key[by_key], pick.astype(np.int64) * (1 << 40) + cut, side="right") - 1
    k = by_key[np.maximum(at, 0)]
    inside = (at >= 0) & (region[k] == pick) & (cut >= start[k]) & (cut < end[k])
    protect = inside & (rng.random(cut.size) < occ[k])
    cut[protect] = beside(k[protect])
    return cut


def atac_fragments(
    rng: np.random.Generator,
    genome: Genome,
    regions: pd.DataFrame,
    bias_log_odds: np.ndarray,
    cfg: dict,
    n: int,
    sites: pd.DataFrame | None = None,
) -> dict[str, np.ndarray]:
    """Unique ATAC fragments of one condition (before PCR duplication).

    ``regions``: chrom, acc_start, acc_end, accessibility of this condition. A share ``frip``
    of fragments has an insertion inside an accessible region, chosen in proportion to
    accessibility x width, then placed by the TF footprints of ``sites`` (region_id, start,
    end, occupancy; :func:`tf_footprints` with ``cfg['footprint_share']`` and
    ``cfg['footprint_flank']``; none, protection included, at share 0); a share
    ``chrM_fraction`` comes from chrM; the rest is background. Lengths follow the nucleosome
    ladder in ``cfg['fragment_lengths']``; nucleosome-free lengths are enriched among signal
    fragments.
    """
    n_mito = int(round(cfg["chrM_fraction"] * n))
    n_signal = int(round(cfg["frip"] * n))
    n_bg = n - n_mito - n_signal
    ladder = cfg["fragment_lengths"]

    width = (regions["acc_end"] - regions["acc_start"]).to_numpy()
    weight = regions["accessibility"].to_numpy() * width
    pick = rng.choice(len(regions), size=n_signal, p=weight / weight.sum())
    cut = regions["acc_start"].to_numpy()[pick] + (rng.random(n_signal) * width[pick]).astype(int)
    if sites is not None and cfg["footprint_share"] > 0:  # 0: the reads of earlier versions
        row_of = pd.Series(np.arange(len(regions)), index=regions["region_id"].to_numpy())
        mine = sites[sites["region_id"].isin(row_of.index)]
        located = pd.DataFrame(
            {
                "region": row_of.loc[mine["region_id"]].to_numpy(),
                "start": mine["start"].to_numpy(),
                "end": mine["end"].to_numpy(),
                "occupancy": mine["occupancy"].to_numpy(),
            }
        )
        cut = tf_footprints(rng, cut, pick, located, cfg["footprint_share"], cfg["footprint_flank"])
    signal_ladder = [
        dict(c, weight=c["weight"] * (cfg["signal_nfr_boost"] if "median" in c else 1.0))
        for c in ladder
    ]
    length = fr.mixture_lengths(rng, n_signal, signal_ladder)
    rightward = rng.random(n_signal) < 0.5
    start = np.where(rightward, cut - PLUS_SHIFT, cut + MINUS_SHIFT - length)
    chrom = np.array([genome.names.index(c) for c in regions["chrom"]])[pick]
    signal = {
        "chrom": chrom,
        "start": start,
        "end": start + length,
        "kind": np.full(n_signal, SIGNAL),
    }

    nuclear = [c for c in genome.names if c != "chrM"]
    background = fr.uniform_fragments(
        rng, genome, nuclear, fr.mixture_lengths(rng, n_bg, ladder), BACKGROUND
    )
    mito = fr.uniform_fragments(
        rng, genome, ["chrM"], fr.mixture_lengths(rng, n_mito, ladder), MITO
    )
    frags = fr.concat(signal, background, mito)

    offset = genome.offsets[frags["chrom"]]
    left, right = cut_sites(frags["start"] + offset, frags["end"] + offset)
    left = bias_shift(rng, genome.codes, left, bias_log_odds, cfg["bias_reach"])
    right = bias_shift(rng, genome.codes, right, bias_log_odds, cfg["bias_reach"])
    frags["start"] = left - PLUS_SHIFT - offset
    frags["end"] = right + MINUS_SHIFT - offset
    keep = fr.within_bounds(frags, genome) & (frags["end"] - frags["start"] >= cfg["min_length"])
    return fr.take(frags, np.flatnonzero(keep))
