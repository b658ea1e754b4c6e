"""Fragments from a filtered paired-end BAM: ``fragments.tsv.gz`` (bgzip + tabix).

Columns: chrom, start, end, name (the sample), count; 0-based half-open, sorted. ATAC-seq
fragments are Tn5-shifted (+4 on the + strand end, -5 on the - strand end), so ``start`` and
``end - 1`` are the insertion centres; MNase-seq fragments are not shifted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pysam

from regflow.errors import RegflowError
from regflow.io import atomic_output


def bam_fragments(bam: Path, threads: int = 1) -> pd.DataFrame:
    """One row per properly paired template: chrom, start, end (unshifted), from the BAM."""
    chroms, starts, ends = [], [], []
    with pysam.AlignmentFile(str(bam), "rb", threads=threads) as handle:
        names = list(handle.references)
        for contig in names:
            s, e = [], []
            for read in handle.fetch(contig):
                if (
                    read.is_proper_pair
                    and not read.is_secondary
                    and not read.is_supplementary
                    and not read.is_duplicate
                    and read.template_length > 0
                ):
                    s.append(read.reference_start)
                    e.append(read.reference_start + read.template_length)
            chroms.append(np.full(len(s), names.index(contig), dtype=np.int32))
            starts.append(np.asarray(s, dtype=np.int64))
            ends.append(np.asarray(e, dtype=np.int64))
    frame = pd.DataFrame(
        {
            "chrom": np.concatenate(chroms),
            "start": np.concatenate(starts),
            "end": np.concatenate(ends),
        }
    )
    frame["chrom"] = pd.Categorical.from_codes(frame["chrom"], categories=names)
    return frame


def shift_fragments(frags: pd.DataFrame, plus: int, minus: int, min_length: int) -> pd.DataFrame:
    """Move starts by ``+plus`` and ends by ``-minus``; drop fragments shorter than min_length."""
    out = frags.assign(start=frags["start"] + plus, end=frags["end"] - minus)
    return out[(out["end"] - out["start"]) >= min_length]


def collapse(frags: pd.DataFrame, name: str) -> pd.DataFrame:
    """Sorted unique fragments with their multiplicity in ``count``."""
    grouped = (
        frags.groupby(["chrom", "start", "end"], observed=True, sort=True)
        .size()
        .rename("count")
        .reset_index()
    )
    grouped.insert(3, "name", name)
    return grouped


def write_fragments(frags: pd.DataFrame, output: Path) -> None:
    """bgzip-compressed TSV with a tabix index beside it (``.tbi``)."""
    with atomic_output(output) as tmp:
        plain = Path(f"{tmp}.tsv")
        frags.to_csv(plain, sep="\t", header=False, index=False)
        pysam.tabix_compress(str(plain), str(tmp), force=True)
        plain.unlink()
        pysam.tabix_index(str(tmp), preset="bed", zerobased=True, force=True)
        Path(f"{tmp}.tbi").replace(f"{output}.tbi")


def add_parser(subparsers) -> None:
    """Register ``fragments``."""
    p = subparsers.add_parser("fragments", help="fragments.tsv.gz from a filtered BAM")
    p.add_argument("--sample", required=True)
    p.add_argument("--bam", required=True, type=Path)
    p.add_argument("--output", required=True, type=Path)
    p.add_argument("--shift-plus", type=int, default=0, help="ATAC: 4")
    p.add_argument("--shift-minus", type=int, default=0, help="ATAC: 5")
    p.add_argument("--min-length", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=_main)


def _main(args) -> None:
    if not Path(args.bam).is_file():
        raise RegflowError(f"sample '{args.sample}': {args.bam}: BAM not found")
    try:
        frags = bam_fragments(args.bam, args.threads)
    except (OSError, ValueError) as err:
        raise RegflowError(f"sample '{args.sample}': {args.bam}: cannot read BAM: {err}") from None
    frags = shift_fragments(frags, args.shift_plus, args.shift_minus, args.min_length)
    if frags.empty:
        raise RegflowError(f"sample '{args.sample}': {args.bam}: no properly paired fragments")
    write_fragments(collapse(frags, args.sample), args.output)
