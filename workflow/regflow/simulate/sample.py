"""Simulate one sample's sequencing run from the written truth: fragments -> FASTQ.

Each sample has its own random stream, derived from the seed and its name, so adding a sample
never changes another sample's reads.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from regflow.errors import RegflowError
from regflow.simulate import fragments as fr
from regflow.simulate.atac import atac_fragments
from regflow.simulate.fastq import fastq_writer, sequence_errors
from regflow.simulate.genes import read_gtf
from regflow.simulate.genome import Genome, read_fasta
from regflow.simulate.mnase import mnase_fragments
from regflow.simulate.readnames import format_names
from regflow.simulate.reads import ADAPTERS, end_reads, paired_reads
from regflow.simulate.rna import build_transcriptome, genomic_span, rna_fragments
from regflow.simulate.truth_io import read_table, truth_paths

ATAC_KINDS = ("signal", "background", "chrM")
MNASE_KINDS = ("nucleosome", "footprint", "background", "chrM")
CHUNK = 100_000


def sample_rng(seed: int, sample: str) -> np.random.Generator:
    """A random stream for one sample, fixed by the seed and the sample's name."""
    digest = int.from_bytes(hashlib.sha256(sample.encode()).digest()[:8], "little")
    return np.random.default_rng(np.random.SeedSequence([seed, digest]))


def _condition_rows(frame: pd.DataFrame, condition: str, path: Path, sample: str):
    rows = frame[frame["condition"] == condition]
    if rows.empty:
        raise RegflowError(
            f"sample '{sample}': condition '{condition}' is not simulated ({path} has none; "
            "add it under simulate.conditions)"
        )
    return rows


def _check_condition(columns, condition: str, path: Path, sample: str) -> None:
    if condition not in columns:
        raise RegflowError(
            f"sample '{sample}': condition '{condition}' is not simulated ({path} has none; "
            "add it under simulate.conditions)"
        )


def _site_occupancy(paths: dict, condition: str, sample: str) -> pd.DataFrame:
    """The planted TF sites with their occupancy in ``condition``."""
    sites = read_table(paths["sites"]).rename(columns={"#chrom": "chrom"})
    occupancy = read_table(paths["site_occupancy"])
    _check_condition(occupancy.columns, condition, paths["site_occupancy"], sample)
    sites["occupancy"] = occupancy[condition].to_numpy()
    return sites


def simulate_sample(
    cfg: dict,
    truth_dir: Path,
    sample: str,
    assay: str,
    condition: str,
    fastq_1: Path,
    fastq_2: Path | None,
) -> int:
    """Write the sample's FASTQ file(s); return the number of reads (pairs) written."""
    paths = truth_paths(truth_dir)
    rng = sample_rng(cfg["seed"], sample)
    seq = cfg["sequencing"]
    acfg = cfg[assay]
    genome = read_fasta(paths["genome"])
    n = int(acfg["fragments"])

    if assay == "atac":
        regions = _condition_rows(read_table(paths["regions"]), condition, paths["regions"], sample)
        bias = read_table(paths["tn5_bias"])[list("ACGT")].to_numpy()
        sites = _site_occupancy(paths, condition, sample)
        frags = atac_fragments(rng, genome, regions, np.log2(bias / 0.25), acfg, n, sites)
        kinds = ATAC_KINDS
    elif assay == "mnase":
        nucs = _condition_rows(
            read_table(paths["nucleosomes"]), condition, paths["nucleosomes"], sample
        )
        frags = mnase_fragments(
            rng, genome, nucs, _site_occupancy(paths, condition, sample), acfg, n
        )
        kinds = MNASE_KINDS
    elif assay == "rna":
        tpm = read_table(paths["tpm"], index_col=0)
        _check_condition(tpm.columns, condition, paths["tpm"], sample)
        return _simulate_rna(
            rng, cfg, genome, read_gtf(paths["gtf"]), tpm[condition], sample, fastq_1, fastq_2
        )
    else:
        raise RegflowError(f"sample '{sample}': unknown assay '{assay}'")
    if fastq_2 is None:
        raise RegflowError(f"sample '{sample}': {assay} reads are paired-end; give fastq_2")
    frags, copy = fr.add_duplicates(rng, frags, acfg["duplicate_rate"])
    adapters = ADAPTERS[acfg["adapter"]]
    total = frags["start"].size
    with (
        fastq_writer(fastq_1, seq["compression_level"]) as w1,
        fastq_writer(fastq_2, seq["compression_level"]) as w2,
    ):
        for lo in range(0, total, CHUNK):
            idx = np.arange(lo, min(lo + CHUNK, total))
            part = fr.take(frags, idx)
            start, end = fr.to_global(part, genome)
            r1_plus = rng.random(idx.size) < 0.5
            r1, r2 = paired_reads(
                rng, genome.codes, start, end, r1_plus, seq["read_length"], adapters
            )
            names = format_names(
                sample,
                idx,
                genome.names,
                part["chrom"],
                part["start"],
                part["end"],
                r1_plus,
                copy[idx],
                kinds,
                part["kind"],
            )
            w1(names, *sequence_errors(rng, r1, seq["error_first"], seq["error_last"]))
            w2(names, *sequence_errors(rng, r2, seq["error_first"], seq["error_last"]))
    return total


def _simulate_rna(
    rng,
    cfg,
    genome: Genome,
    genes: pd.DataFrame,
    tpm: pd.Series,
    sample: str,
    fastq_1: Path,
    fastq_2: Path | None,
) -> int:
    """RNA-seq reads, single- or paired-end, stranded as ``rna.strandedness`` says."""
    seq, rcfg = cfg["sequencing"], cfg["rna"]
    tx = build_transcriptome(genome, genes)
    frags = rna_fragments(
        rng, tx, tpm.reindex(list(tx.gene_ids)).to_numpy(), rcfg, int(rcfg["fragments"])
    )
    frags, copy = fr.add_duplicates(rng, frags, rcfg["duplicate_rate"])
    adapters = ADAPTERS[rcfg["adapter"]]
    total = frags["start"].size
    with contextlib.ExitStack() as stack:
        w1 = stack.enter_context(fastq_writer(fastq_1, seq["compression_level"]))
        w2 = None
        if fastq_2 is not None:
            w2 = stack.enter_context(fastq_writer(fastq_2, seq["compression_level"]))
        for lo in range(0, total, CHUNK):
            idx = np.arange(lo, min(lo + CHUNK, total))
            part = fr.take(frags, idx)
            # r1 reads the transcript's sense strand for "forward" libraries, the antisense
            # strand for "reverse" (dUTP) ones, either for unstranded ones.
            sense = {
                "forward": np.ones(idx.size, bool),
                "reverse": np.zeros(idx.size, bool),
                "unstranded": rng.random(idx.size) < 0.5,
            }[rcfg["strandedness"]]
            plus = tx.plus[part["tx"]]
            r1_plus = sense == plus
            gstart, gend = genomic_span(tx, part)
            names = format_names(
                sample,
                idx,
                genome.names,
                tx.chrom[part["tx"]],
                gstart,
                gend,
                r1_plus,
                copy[idx],
                ("transcript",),
                np.zeros(idx.size, int),
                [tx.gene_ids[t] for t in part["tx"]],
            )
            if w2 is None:
                r1 = end_reads(
                    rng,
                    tx.codes,
                    part["start"],
                    part["end"],
                    sense,
                    seq["read_length"],
                    adapters[0],
                )
                w1(names, *sequence_errors(rng, r1, seq["error_first"], seq["error_last"]))
            else:
                r1, r2 = paired_reads(
                    rng, tx.codes, part["start"], part["end"], sense, seq["read_length"], adapters
                )
                w1(names, *sequence_errors(rng, r1, seq["error_first"], seq["error_last"]))
                w2(names, *sequence_errors(rng, r2, seq["error_first"], seq["error_last"]))
    return total
