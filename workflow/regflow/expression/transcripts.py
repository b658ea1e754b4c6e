"""Spliced transcript sequences of a GTF's exons, for salmon's index.

salmon quantifies reads against transcript sequences. With the genome appended as *decoys*
(the "gentrome"), a read that fits an unannotated genomic locus better than any transcript is
not forced onto a transcript (selective alignment with decoys).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from regflow.errors import RegflowError

COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def reverse_complement(sequence: str) -> str:
    """The reverse complement of a DNA sequence (other IUPAC letters are kept as they are)."""
    return sequence.translate(COMPLEMENT)[::-1]


def transcript_models(exons: pd.DataFrame, gtf: Path) -> pd.DataFrame:
    """Group exons into transcripts.

    Parameters
    ----------
    exons
        One row per exon (:func:`regflow.expression.io.read_gtf_exons`).
    gtf
        The GTF they come from, for messages.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``transcript_id`` in order of first appearance; columns ``chrom``,
        ``strand``, ``gene_id``, ``starts`` and ``ends`` (tuples of 0-based half-open exon
        coordinates in ascending order).

    Raises
    ------
    RegflowError
        If a transcript's exons lie on several contigs or strands, belong to several genes or
        overlap, or its strand is not ``+`` or ``-``.
    """
    rows = {}
    for transcript, group in exons.groupby("transcript_id", sort=False):
        where = f"GTF {gtf}: transcript {transcript}"
        for column, what in (("chrom", "contigs"), ("strand", "strands"), ("gene_id", "genes")):
            values = group[column].unique()
            if len(values) > 1:
                raise RegflowError(f"{where} has exons on several {what}: {', '.join(values)}")
        strand = group["strand"].iloc[0]
        if strand not in ("+", "-"):
            raise RegflowError(f"{where} has strand {strand!r}; expected + or -")
        ordered = group.sort_values("start")
        starts = tuple(int(x) for x in ordered["start"])
        ends = tuple(int(x) for x in ordered["end"])
        if any(start < end for start, end in zip(starts[1:], ends[:-1], strict=True)):
            raise RegflowError(f"{where} has overlapping exons")
        rows[transcript] = (group["chrom"].iloc[0], strand, group["gene_id"].iloc[0], starts, ends)
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=["chrom", "strand", "gene_id", "starts", "ends"]
    ).rename_axis("transcript_id")


def check_contigs(models: pd.DataFrame, lengths: dict[str, int], gtf: Path, fasta: Path) -> None:
    """Check that every transcript lies within a contig of the genome.

    Parameters
    ----------
    models
        Transcripts (:func:`transcript_models`).
    lengths
        Contig -> length of the genome FASTA.
    gtf, fasta
        The files, for messages.

    Raises
    ------
    RegflowError
        Naming the GTF and the absent contigs, or the first transcript past its contig's end,
        or a transcript named like a contig (salmon needs unique names in the gentrome).
    """
    absent = sorted(set(models["chrom"]) - set(lengths))
    if absent:
        shown = ", ".join(absent[:5]) + (" ..." if len(absent) > 5 else "")
        raise RegflowError(
            f"GTF {gtf}: transcripts on {len(absent)} contig(s) absent from genome FASTA "
            f"{fasta}: {shown} (same assembly and contig names?)"
        )
    for transcript, model in models.iterrows():
        if model["ends"][-1] > lengths[model["chrom"]]:
            raise RegflowError(
                f"GTF {gtf}: transcript {transcript} ends at {model['ends'][-1]}, past the end "
                f"of {model['chrom']} ({lengths[model['chrom']]} bp in {fasta})"
            )
    clashes = sorted(set(models.index) & set(lengths))
    if clashes:
        raise RegflowError(
            f"GTF {gtf}: transcript_id {clashes[0]} is also a contig name of {fasta}; salmon "
            "needs unique sequence names"
        )


def spliced_sequences(
    models: pd.DataFrame, fetch: Callable[[str, int, int], str]
) -> dict[str, str]:
    """Each transcript's sequence: its exons joined 5' to 3', upper case.

    Parameters
    ----------
    models
        Transcripts (:func:`transcript_models`), checked by :func:`check_contigs`.
    fetch
        ``fetch(contig, start, end)`` -> the genome's bases ``[start, end)`` (0-based), as
        ``pysam.FastaFile.fetch``.

    Returns
    -------
    dict
        transcript_id -> sequence, in the order of ``models``; ``-`` strand transcripts are
        reverse-complemented.
    """
    sequences = {}
    for transcript, model in models.iterrows():
        bases = "".join(
            fetch(model["chrom"], start, end)
            for start, end in zip(model["starts"], model["ends"], strict=True)
        ).upper()
        sequences[transcript] = reverse_complement(bases) if model["strand"] == "-" else bases
    return sequences
