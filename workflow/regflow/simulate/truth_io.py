"""Write the simulated truth in standard formats, and read back what the read simulators need.

Layout under ``outdir``: ``genome/`` (FASTA + .fai, chrom.sizes, GTF) and ``truth/`` (BED and
TSV tables, JASPAR motifs, GMT gene sets). Coordinates are 0-based half-open as in BED.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd

from regflow.simulate.genes import write_gtf
from regflow.simulate.genome import write_fasta
from regflow.simulate.motifs import write_jaspar
from regflow.simulate.truth import Truth


def truth_paths(outdir: Path) -> dict[str, Path]:
    """Paths of every file :func:`write_truth` writes, keyed as in the workflow's rule."""
    outdir = Path(outdir)
    genome, truth = outdir / "genome", outdir / "truth"
    return {
        "genome": genome / "genome.fa",
        "fai": genome / "genome.fa.fai",
        "chrom_sizes": genome / "chrom.sizes",
        "gtf": genome / "genes.gtf",
        "conditions": truth / "conditions.tsv",
        "tf_activity": truth / "tf_activity.tsv",
        "motifs": truth / "planted_motifs.jaspar",
        "tn5_bias": truth / "tn5_bias.tsv",
        "sites": truth / "motif_sites.bed",
        "site_occupancy": truth / "site_occupancy.tsv",
        "regions": truth / "regions.tsv",
        "promoters": truth / "promoters.tsv",
        "nucleosomes": truth / "nucleosomes.tsv.gz",
        "tpm": truth / "tpm.tsv",
        "gene_sets": truth / "gene_sets.gmt",
        "repeats": truth / "repeats.bed",
    }


def write_tsv_gz(frame: pd.DataFrame, path: Path) -> None:
    """Gzipped TSV with a zero mtime in the header, so equal tables give equal bytes."""
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
        handle.write(frame.to_csv(sep="\t", index=False).encode())


def write_truth(truth: Truth, outdir: Path, accessible_threshold: float) -> None:
    """Write every truth file; per-condition accessible regions go to ``truth/accessible/``."""
    paths = truth_paths(outdir)
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    conditions = list(truth.conditions["name"])

    write_fasta(truth.genome, paths["genome"])
    pd.DataFrame({"chrom": truth.genome.names, "length": truth.genome.lengths}).to_csv(
        paths["chrom_sizes"], sep="\t", index=False, header=False
    )
    write_gtf(truth.genes, paths["gtf"])
    truth.conditions.to_csv(paths["conditions"], sep="\t", index=False)
    truth.activity.to_csv(paths["tf_activity"], sep="\t", float_format="%.6g")
    write_jaspar(list(truth.motifs.values()), paths["motifs"])
    bias = pd.DataFrame(truth.tn5_bias, columns=list("ACGT"))
    bias.insert(0, "offset", np.arange(truth.tn5_bias.shape[0]) - truth.tn5_bias.shape[0] // 2)
    bias.to_csv(paths["tn5_bias"], sep="\t", index=False, float_format="%.6g")

    sites = truth.sites
    bed = pd.DataFrame(
        {
            "#chrom": sites["chrom"],
            "start": sites["start"],
            "end": sites["end"],
            "name": sites["tf"],
            "score": np.clip(np.rint(1000 * sites["score"] / sites["max_score"]), 0, 1000).astype(
                int
            ),
            "strand": sites["strand"],
            "site_id": sites["site_id"],
            "matrix_id": sites["matrix_id"],
            "log2_odds": sites["score"].round(4),
            "max_log2_odds": sites["max_score"].round(4),
            "region_id": sites["region_id"],
            "region_kind": sites["region_kind"],
            "gene_id": sites["gene_id"],
        }
    )
    bed.to_csv(paths["sites"], sep="\t", index=False)
    occ = pd.DataFrame(truth.occupancy, columns=conditions)
    occ.insert(0, "site_id", sites["site_id"].to_numpy())
    occ.to_csv(paths["site_occupancy"], sep="\t", index=False, float_format="%.6g")

    regions = _accessible_intervals(truth)
    regions.to_csv(paths["regions"], sep="\t", index=False, float_format="%.6g")
    acc_dir = paths["regions"].parent / "accessible"
    acc_dir.mkdir(exist_ok=True)
    for cond in conditions:
        mine = regions[
            (regions["condition"] == cond) & (regions["accessibility"] >= accessible_threshold)
        ]
        mine = mine.sort_values(["chrom", "acc_start"], key=_natural_key)
        pd.DataFrame(
            {
                "chrom": mine["chrom"],
                "start": mine["acc_start"],
                "end": mine["acc_end"],
                "name": mine["region_id"],
                "score": np.rint(1000 * mine["accessibility"]).astype(int),
                "strand": ".",
            }
        ).to_csv(acc_dir / f"{cond}.bed", sep="\t", index=False, header=False)

    truth.promoters.to_csv(paths["promoters"], sep="\t", index=False, float_format="%.6g")
    write_tsv_gz(truth.nucleosomes.round({"fuzziness": 3, "occupancy": 4}), paths["nucleosomes"])
    truth.tpm.to_csv(paths["tpm"], sep="\t", float_format="%.6g")
    _write_gmt(truth, paths["gene_sets"])
    truth.repeats.assign(name=[f"repeat_family{f}" for f in truth.repeats["family"]])[
        ["chrom", "start", "end", "name"]
    ].to_csv(paths["repeats"], sep="\t", index=False, header=False)


def _natural_key(col: pd.Series) -> pd.Series:
    """Sort key putting chr2 before chr10."""
    if col.dtype == object:
        return col.str.extract(r"(\d+)$", expand=False).astype(float).fillna(1e9)
    return col


def _accessible_intervals(truth: Truth) -> pd.DataFrame:
    """Long table region x condition with accessibility and the open interval.

    Enhancers are open over their whole span; a promoter is open over its nucleosome-depleted
    region, between the edges of the -1 and +1 nucleosomes.
    """
    frames = []
    prom = truth.promoters.set_index(["condition", "gene_id"])
    is_prom = (truth.regions["kind"] == "promoter").to_numpy()
    for j, cond in enumerate(truth.conditions["name"]):
        frame = truth.regions[["region_id", "kind", "chrom", "start", "end", "gene_id"]].copy()
        frame["condition"] = cond
        frame["accessibility"] = truth.accessibility[:, j]
        p = prom.loc[cond].loc[frame.loc[is_prom, "gene_id"]]
        edges = np.sort(np.column_stack([p["minus1_dyad"], p["plus1_dyad"]]), axis=1)
        acc_start = frame["start"].to_numpy().copy()
        acc_end = frame["end"].to_numpy().copy()
        acc_start[is_prom] = edges[:, 0] + 74
        acc_end[is_prom] = edges[:, 1] - 73
        frame["acc_start"] = acc_start
        frame["acc_end"] = acc_end
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _write_gmt(truth: Truth, path: Path) -> None:
    """One gene set per planted TF: genes with its site in their promoter or an enhancer."""
    lines = []
    for tf, group in truth.sites.groupby("tf", sort=True):
        genes = sorted(set(group["gene_id"]))
        matrix_id = group["matrix_id"].iloc[0]
        lines.append("\t".join([tf, f"planted targets of {tf} ({matrix_id})", *genes]))
    Path(path).write_text("\n".join(lines) + "\n")


def read_table(path: Path, **kwargs) -> pd.DataFrame:
    """A TSV written here (gzipped or not)."""
    return pd.read_csv(path, sep="\t", **kwargs)
