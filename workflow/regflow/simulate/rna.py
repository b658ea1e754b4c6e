"""RNA-seq fragments from spliced transcripts, in proportion to TPM x effective length.

Fragments live in transcriptome coordinates (transcripts concatenated, each in its sense
orientation); a parallel array maps every transcript base to its genome position so each
read's true genomic origin is known.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from regflow.simulate.genome import Genome


@dataclass(frozen=True)
class Transcriptome:
    """Spliced transcripts in sense orientation, concatenated, with their genome positions."""

    gene_ids: tuple[str, ...]
    offsets: np.ndarray  # (n_tx,) start of each transcript in ``codes``
    lengths: np.ndarray  # (n_tx,)
    codes: np.ndarray  # (total,) base codes, sense strand
    genome_pos: np.ndarray  # (total,) chromosome coordinate of each transcript base
    chrom: np.ndarray  # (n_tx,) chromosome index
    plus: np.ndarray  # (n_tx,) bool, gene on the + strand


def build_transcriptome(genome: Genome, genes: pd.DataFrame) -> Transcriptome:
    """Splice each gene's exons out of the genome (reverse-complemented for - strand genes)."""
    codes, pos = [], []
    for g in genes.itertuples():
        chrom = genome.chrom(g.chrom)
        p = np.concatenate(
            [np.arange(s, e) for s, e in zip(g.exon_starts, g.exon_ends, strict=True)]
        )
        if g.strand == "-":
            p = p[::-1]
            codes.append(3 - chrom[p])
        else:
            codes.append(chrom[p])
        pos.append(p)
    lengths = np.array([p.size for p in pos])
    return Transcriptome(
        gene_ids=tuple(genes["gene_id"]),
        offsets=np.concatenate([[0], np.cumsum(lengths)[:-1]]),
        lengths=lengths,
        codes=np.concatenate(codes).astype(np.uint8),
        genome_pos=np.concatenate(pos),
        chrom=np.array([genome.names.index(c) for c in genes["chrom"]]),
        plus=(genes["strand"] == "+").to_numpy(),
    )


def effective_lengths(lengths: np.ndarray, mean_fragment: float) -> np.ndarray:
    """Positions a fragment of mean length can start at (at least 1), as RSEM/salmon use."""
    return np.maximum(lengths - mean_fragment + 1, 1.0)


def rna_fragments(
    rng: np.random.Generator, tx: Transcriptome, tpm: np.ndarray, cfg: dict, n: int
) -> dict[str, np.ndarray]:
    """``n`` fragments: ``tx`` index, ``start``/``end`` in transcriptome coordinates."""
    weight = tpm * effective_lengths(tx.lengths, cfg["fragment_mean"])
    which = rng.choice(tx.lengths.size, size=n, p=weight / weight.sum())
    length = np.rint(rng.normal(cfg["fragment_mean"], cfg["fragment_sd"], n)).astype(np.int64)
    length = np.clip(length, cfg["fragment_min"], None)
    length = np.minimum(length, tx.lengths[which])
    start = tx.offsets[which] + (rng.random(n) * (tx.lengths[which] - length + 1)).astype(np.int64)
    return {"tx": which, "start": start, "end": start + length}


def genomic_span(tx: Transcriptome, frags: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Leftmost and rightmost+1 genome coordinates of each fragment (spliced or not)."""
    a = tx.genome_pos[frags["start"]]
    b = tx.genome_pos[frags["end"] - 1]
    return np.minimum(a, b), np.maximum(a, b) + 1
