"""Build the whole simulated truth from the ``simulate:`` config: one coherent model.

Genome -> genes -> regulatory regions with planted TF sites -> per-condition TF occupancy,
accessibility, promoter drive -> expression (TPM) and nucleosome maps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from regflow.simulate import chromatin
from regflow.simulate.conditions import tf_activity
from regflow.simulate.expression import expression_tpm
from regflow.simulate.genes import layout_genes
from regflow.simulate.genome import Genome, plant_repeats, random_sequence
from regflow.simulate.motifs import Motif, load_jaspar_motifs, tn5_bias_matrix
from regflow.simulate.regulation import enhancer_regions, plant_sites, promoter_regions

CHRM = "chrM"


@dataclass(frozen=True)
class Truth:
    """Every known quantity of one simulated dataset."""

    conditions: pd.DataFrame  # name, kind, time_min
    genome: Genome
    repeats: pd.DataFrame  # family, chrom, start, end
    genes: pd.DataFrame  # gene_id, chrom, start, end, strand, tss, exon_starts, exon_ends, ...
    motifs: dict[str, Motif]
    tn5_bias: np.ndarray  # (19, 4)
    regions: pd.DataFrame  # region_id, kind, chrom, start, end, gene_id, strand, tss
    sites: pd.DataFrame  # site_id, chrom, start, end, tf, score, strand, ...
    activity: pd.DataFrame  # tf x condition
    occupancy: np.ndarray  # (n_sites, n_conditions)
    accessibility: np.ndarray  # (n_regions, n_conditions)
    promoters: pd.DataFrame  # long: gene_id, condition, drive, activity, ndr_width, ...
    tpm: pd.DataFrame  # gene x condition
    nucleosomes: pd.DataFrame  # condition, chrom, dyad, fuzziness, occupancy


def region_names(frame: pd.DataFrame) -> list[str]:
    """``chr:start-end`` names (0-based half-open), the project's region naming."""
    return [
        f"{c}:{s}-{e}" for c, s, e in zip(frame["chrom"], frame["start"], frame["end"], strict=True)
    ]


def build_truth(cfg: dict) -> Truth:
    """Simulate everything but the reads, deterministically for ``cfg['seed']``."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(cfg["seed"]).spawn(6)]
    rng_genome, rng_repeats, rng_genes, rng_enh, rng_sites, rng_expr = streams
    g = cfg["genome"]

    names = [f"chr{i + 1}" for i in range(len(g["chromosome_lengths"]))]
    chroms = []
    repeat_rows = []
    for name, length in zip(names, g["chromosome_lengths"], strict=True):
        codes = random_sequence(
            rng_genome,
            length,
            g["gc_content"],
            g["gc_block_size"],
            g["gc_block_sd"],
            g["cpg_depletion"],
        )
        r = g["repeats"]
        for fam, s, e in plant_repeats(
            rng_repeats,
            codes,
            r["families"],
            r["copies"],
            r["min_length"],
            r["max_length"],
            r["divergence"],
        ):
            repeat_rows.append((fam, name, s, e))
        chroms.append(codes)
    chrm = random_sequence(rng_genome, g["chrM_length"], g["chrM_gc_content"], 1000, 0.0, 0.0)
    genome = Genome(
        tuple(names + [CHRM]),
        tuple([c.size for c in chroms] + [chrm.size]),
        np.concatenate(chroms + [chrm]),
    )
    nuclear = dict(zip(names, g["chromosome_lengths"], strict=True))
    background = np.bincount(np.concatenate(chroms), minlength=4) / sum(nuclear.values())

    genes, gaps = layout_genes(rng_genes, nuclear, cfg["genes"])
    reg = cfg["regulation"]
    promoters = promoter_regions(genes, reg["promoter_upstream"], reg["promoter_downstream"])
    enhancers = enhancer_regions(
        rng_enh,
        genes,
        gaps,
        reg["enhancer_width"],
        tuple(reg["enhancers_per_long_gap"]),
        reg["enhancer_margin"],
    )
    regions = pd.concat([promoters, enhancers], ignore_index=True)
    regions.insert(0, "region_id", region_names(regions))

    tfs = cfg["tfs"]
    motifs = load_jaspar_motifs([tf["matrix_id"] for tf in tfs], cfg["motifs"]["jaspar_release"])
    sites = plant_sites(
        rng_sites,
        genome,
        regions,
        motifs,
        tfs,
        background,
        reg["site_sharpness"],
        tuple(reg["promoter_site_window"]),
    )
    sites.insert(0, "site_id", [f"site{i + 1}" for i in range(len(sites))])

    conditions = cfg["conditions"]
    activity = tf_activity(tfs, conditions)
    occupancy = chromatin.site_occupancy(
        sites["score"].to_numpy(),
        sites["max_score"].to_numpy(),
        activity.loc[sites["tf"]].to_numpy(),
        reg["dissociation_constant"],
        reg["affinity_scale"],
    )
    region_index = pd.Series(np.arange(len(regions)), index=regions["region_id"])
    basal = np.where(
        regions["kind"] == "promoter",
        reg["promoter_basal_accessibility"],
        reg["enhancer_basal_accessibility"],
    )
    accessibility = chromatin.region_accessibility(
        region_index[sites["region_id"]].to_numpy(), occupancy, basal
    )

    expr = cfg["expression"]
    effect = {tf["name"]: tf["effect"] for tf in tfs}
    weight = sites["tf"].map(effect).to_numpy() * np.where(
        sites["region_kind"] == "promoter", 1.0, expr["enhancer_weight"]
    )
    gene_index = pd.Series(np.arange(len(genes)), index=genes["gene_id"])
    intrinsic = rng_expr.normal(0.0, expr["intrinsic_sd"], len(genes))
    drive = chromatin.gene_drive(
        gene_index[sites["gene_id"]].to_numpy(), weight, occupancy, intrinsic
    )
    noise = rng_expr.normal(0.0, expr["noise_sd"], drive.shape)
    tpm = expression_tpm(drive, noise)
    activity_01 = chromatin.promoter_activity(drive)

    is_enh = (regions["kind"] == "enhancer").to_numpy()
    nuc_frames, prom_frames = [], []
    for j, cond in enumerate(conditions):
        nuc, prom = chromatin.nucleosome_map(
            genes,
            activity_01[:, j],
            nuclear,
            regions[is_enh],
            accessibility[is_enh, j],
            cfg["nucleosomes"],
        )
        nuc.insert(0, "condition", cond["name"])
        prom.insert(1, "condition", cond["name"])
        prom.insert(2, "drive", drive[:, j])
        prom.insert(3, "activity", activity_01[:, j])
        prom["accessibility"] = accessibility[~is_enh, j]
        nuc_frames.append(nuc)
        prom_frames.append(prom)

    return Truth(
        conditions=pd.DataFrame(
            [
                {"name": c["name"], "kind": c["kind"], "time_min": c.get("time_min", np.nan)}
                for c in conditions
            ]
        ),
        genome=genome,
        repeats=pd.DataFrame(repeat_rows, columns=["family", "chrom", "start", "end"]),
        genes=genes,
        motifs=motifs,
        tn5_bias=tn5_bias_matrix(cfg["tn5_bias_strength"]),
        regions=regions,
        sites=sites,
        activity=activity,
        occupancy=occupancy,
        accessibility=accessibility,
        promoters=pd.concat(prom_frames, ignore_index=True),
        tpm=pd.DataFrame(
            tpm,
            index=pd.Index(genes["gene_id"], name="gene_id"),
            columns=[c["name"] for c in conditions],
        ),
        nucleosomes=pd.concat(nuc_frames, ignore_index=True),
    )
