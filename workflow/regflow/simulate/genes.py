"""Gene layout along the chromosomes: both strands, 1-3 exons, realistic intergenic spacing.

Genes are laid out left to right with an intergenic gap before each; a fraction of gaps are
long, leaving room for distal enhancers. Coordinates are 0-based half-open.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def layout_genes(
    rng: np.random.Generator,
    chrom_lengths: dict[str, int],
    cfg: dict,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Place genes on each chromosome.

    Returns ``genes`` (one row per gene: gene_id, chrom, start, end, strand, tss, exon_starts,
    exon_ends, tx_length) and ``gaps`` (chrom, start, end, long) for every intergenic gap.
    """
    genes, gaps = [], []
    exon_weights = np.asarray(cfg["exon_count_weights"], float)
    exon_weights /= exon_weights.sum()
    for chrom, length in chrom_lengths.items():
        pos = cfg["chromosome_margin"]
        while True:
            is_long = rng.random() < cfg["long_gap_fraction"]
            lo, hi = cfg["long_gap"] if is_long else cfg["short_gap"]
            gap = int(rng.integers(lo, hi + 1))
            n_exons = int(rng.choice(len(exon_weights), p=exon_weights)) + 1
            exon_lengths = np.maximum(
                rng.lognormal(np.log(cfg["exon_length_median"]), 0.5, n_exons).astype(int),
                cfg["exon_length_min"],
            )
            intron_lengths = rng.integers(*cfg["intron_length"], size=n_exons - 1)
            gene_length = int(exon_lengths.sum() + intron_lengths.sum())
            start = pos + gap
            end = start + gene_length
            if end + cfg["chromosome_margin"] > length:
                gaps.append((chrom, pos, length, is_long))
                break
            gaps.append((chrom, pos, start, is_long))
            exon_starts = start + np.concatenate(
                [[0], np.cumsum(exon_lengths[:-1] + intron_lengths)]
            )
            exon_ends = exon_starts + exon_lengths
            strand = "+" if rng.random() < 0.5 else "-"
            genes.append(
                {
                    "chrom": chrom,
                    "start": start,
                    "end": end,
                    "strand": strand,
                    "tss": start if strand == "+" else end - 1,
                    "exon_starts": exon_starts.tolist(),
                    "exon_ends": exon_ends.tolist(),
                    "tx_length": int(exon_lengths.sum()),
                }
            )
            pos = end
    genes = pd.DataFrame(genes)
    width = len(str(len(genes)))
    genes.insert(0, "gene_id", [f"G{i + 1:0{width}d}" for i in range(len(genes))])
    gaps = pd.DataFrame(gaps, columns=["chrom", "start", "end", "long"])
    return genes, gaps


def write_gtf(genes: pd.DataFrame, path: Path, source: str = "regflow_sim") -> None:
    """Write gene, transcript and exon records (GTF is 1-based inclusive)."""
    lines = []
    for g in genes.itertuples():
        gid = g.gene_id
        tid = f"{gid}.t1"
        gene_attr = f'gene_id "{gid}"; gene_name "{gid}"; gene_biotype "protein_coding";'
        tx_attr = f'{gene_attr[:-1]}; transcript_id "{tid}";'
        common = f"{g.chrom}\t{source}"
        lines.append(f"{common}\tgene\t{g.start + 1}\t{g.end}\t.\t{g.strand}\t.\t{gene_attr}")
        lines.append(f"{common}\ttranscript\t{g.start + 1}\t{g.end}\t.\t{g.strand}\t.\t{tx_attr}")
        n = len(g.exon_starts)
        for i, (s, e) in enumerate(zip(g.exon_starts, g.exon_ends, strict=True)):
            number = i + 1 if g.strand == "+" else n - i
            attr = f'{tx_attr} exon_number "{number}";'
            lines.append(f"{common}\texon\t{s + 1}\t{e}\t.\t{g.strand}\t.\t{attr}")
    Path(path).write_text("\n".join(lines) + "\n")


def read_gtf(path: Path) -> pd.DataFrame:
    """Genes with their exons from a GTF (one transcript per gene, as :func:`write_gtf` writes).

    Returns the columns of :func:`layout_genes` in 0-based half-open coordinates.
    """
    cols = ["chrom", "source", "feature", "start", "end", "score", "strand", "frame", "attr"]
    gtf = pd.read_csv(path, sep="\t", comment="#", header=None, names=cols, dtype={"chrom": str})
    gtf["gene_id"] = gtf["attr"].str.extract(r'gene_id "([^"]+)"', expand=False)
    genes = gtf[gtf["feature"] == "gene"].copy()
    exons = gtf[gtf["feature"] == "exon"].sort_values(["gene_id", "start"])
    exons = exons.groupby("gene_id", sort=False).agg(
        exon_starts=("start", lambda s: [int(x) - 1 for x in s]),
        exon_ends=("end", lambda s: [int(x) for x in s]),
    )
    genes["start"] = genes["start"] - 1
    genes = genes.join(exons, on="gene_id")
    genes["tss"] = np.where(genes["strand"] == "+", genes["start"], genes["end"] - 1)
    genes["tx_length"] = [
        sum(e - s for s, e in zip(a, b, strict=True))
        for a, b in zip(genes["exon_starts"], genes["exon_ends"], strict=True)
    ]
    keep = [
        "gene_id",
        "chrom",
        "start",
        "end",
        "strand",
        "tss",
        "exon_starts",
        "exon_ends",
        "tx_length",
    ]
    return genes[keep].reset_index(drop=True)
