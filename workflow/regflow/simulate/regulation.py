"""Regulatory regions (promoters, distal enhancers) and the TF sites planted in them.

Sites are written into the genome's code array, so the sequence carries the motifs that
explain accessibility and expression. Coordinates are 0-based half-open.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regflow.simulate.genome import Genome
from regflow.simulate.motifs import (
    Motif,
    log_odds,
    reverse_complement_matrix,
    sample_sites,
    score_sequences,
)


def promoter_regions(genes: pd.DataFrame, upstream: int, downstream: int) -> pd.DataFrame:
    """One region per gene spanning ``upstream`` bp before to ``downstream`` bp after the TSS."""
    plus = genes["strand"] == "+"
    start = np.where(plus, genes["tss"] - upstream, genes["tss"] - downstream + 1)
    return pd.DataFrame(
        {
            "kind": "promoter",
            "chrom": genes["chrom"],
            "start": start,
            "end": start + upstream + downstream,
            "gene_id": genes["gene_id"],
            "strand": genes["strand"],
            "tss": genes["tss"],
        }
    )


def enhancer_regions(
    rng: np.random.Generator,
    genes: pd.DataFrame,
    gaps: pd.DataFrame,
    width: int,
    per_gap: tuple[int, int],
    margin: int,
) -> pd.DataFrame:
    """Distal elements in long intergenic gaps, each targeting the gene with the nearest TSS."""
    rows = []
    for gap in gaps[gaps["long"]].itertuples():
        room = gap.end - gap.start - 2 * margin - width
        if room <= 0:
            continue
        n = int(rng.integers(per_gap[0], per_gap[1] + 1))
        for start in np.sort(rng.choice(room, size=min(n, room), replace=False)):
            s = int(gap.start + margin + start)
            rows.append({"kind": "enhancer", "chrom": gap.chrom, "start": s, "end": s + width})
    enhancers = pd.DataFrame(rows, columns=["kind", "chrom", "start", "end"])
    targets = []
    for e in enhancers.itertuples():
        same = genes[genes["chrom"] == e.chrom]
        centre = (e.start + e.end) // 2
        targets.append(same["gene_id"].iloc[int(np.argmin(np.abs(same["tss"] - centre)))])
    enhancers["gene_id"] = targets
    enhancers["strand"] = "."
    enhancers["tss"] = -1
    return enhancers


def plant_sites(
    rng: np.random.Generator,
    genome: Genome,
    regions: pd.DataFrame,
    motifs: dict[str, Motif],
    tfs: list[dict],
    background: np.ndarray,
    sharpness: float,
    promoter_site_window: tuple[int, int],
) -> pd.DataFrame:
    """Choose TFs per region, sample their sites and write them into ``genome.codes``.

    A promoter gets each TF with probability ``promoter_rate``, placed within
    ``promoter_site_window`` (bp upstream of the TSS); an enhancer gets one to three TFs drawn
    in proportion to ``enhancer_rate``. Sites never overlap one another.
    Returns one row per site with its log2-odds score and the best score the matrix allows.
    """
    offsets = dict(zip(genome.names, genome.offsets.tolist(), strict=True))
    used = np.zeros(genome.codes.size, dtype=bool)
    enh_weights = np.array([tf["enhancer_rate"] for tf in tfs], float)
    enh_weights /= enh_weights.sum()
    rows = []
    for region in regions.itertuples():
        if region.kind == "promoter":
            chosen = [tf for tf in tfs if rng.random() < tf["promoter_rate"]]
        else:
            k = min(int(rng.integers(1, 4)), len(tfs))
            chosen = [tfs[i] for i in rng.choice(len(tfs), size=k, replace=False, p=enh_weights)]
        for tf in chosen:
            motif = motifs[tf["matrix_id"]]
            if region.kind == "promoter":
                lo, hi = promoter_site_window
                tss = region.tss
                if region.strand == "+":
                    window = (tss - hi, tss - lo - motif.length)
                else:
                    window = (tss + lo + 1, tss + hi - motif.length + 1)
            else:
                window = (region.start, region.end - motif.length)
            if window[1] <= window[0]:
                continue
            start = int(rng.integers(window[0], window[1]))
            g0 = offsets[region.chrom] + start
            if used[g0 : g0 + motif.length].any():
                continue
            strand = "+" if rng.random() < 0.5 else "-"
            probs = motif.probs if strand == "+" else reverse_complement_matrix(motif.probs)
            site = sample_sites(rng, probs, 1, sharpness)[0]
            genome.codes[g0 : g0 + motif.length] = site
            used[g0 : g0 + motif.length] = True
            matrix = log_odds(probs, background)
            rows.append(
                {
                    "chrom": region.chrom,
                    "start": start,
                    "end": start + motif.length,
                    "tf": tf["name"],
                    "score": float(score_sequences(site[None, :], matrix)[0]),
                    "strand": strand,
                    "matrix_id": tf["matrix_id"],
                    "max_score": float(matrix.max(axis=1).sum()),
                    "region_id": region.region_id,
                    "region_kind": region.kind,
                    "gene_id": region.gene_id,
                }
            )
    return pd.DataFrame(rows)
