"""Check a genome FASTA against its annotation; write chrom.sizes and the regions reads may keep.

Reads on the mitochondrial contig or in blacklisted regions are removed downstream; the
``keep`` BED is the genome minus those, so one ``samtools view -L`` applies both.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd

from regflow.errors import RegflowError
from regflow.io import atomic_output


def fasta_lengths(fasta: Path) -> dict[str, int]:
    """Sequence lengths of a FASTA (from its ``.fai`` when that is newer than the FASTA)."""
    fasta = Path(fasta)
    if not fasta.is_file():
        raise RegflowError(f"{fasta}: genome FASTA not found")
    fai = Path(f"{fasta}.fai")
    if fai.is_file() and fai.stat().st_mtime >= fasta.stat().st_mtime:
        table = pd.read_csv(fai, sep="\t", header=None, usecols=[0, 1], dtype={0: str})
        return dict(zip(table[0], table[1].astype(int), strict=True))
    lengths: dict[str, int] = {}
    name = None
    opener = gzip.open if fasta.read_bytes()[:2] == b"\x1f\x8b" else open
    with opener(fasta, "rb") as handle:
        for line in handle:
            if line.startswith(b">"):
                name = line[1:].split()[0].decode()
                if name in lengths:
                    raise RegflowError(f"{fasta}: sequence name {name!r} appears twice")
                lengths[name] = 0
            elif name is None:
                if line.strip():
                    raise RegflowError(f"{fasta}: not a FASTA file (no '>' header first)")
            else:
                lengths[name] += len(line.strip())
    if not lengths:
        raise RegflowError(f"{fasta}: no sequences")
    return lengths


def gtf_contigs(gtf: Path) -> set[str]:
    """Contig names used by a GTF's records."""
    if not Path(gtf).is_file():
        raise RegflowError(f"{gtf}: annotation GTF not found")
    table = pd.read_csv(gtf, sep="\t", comment="#", header=None, usecols=[0], dtype=str)
    return set(table[0])


def keep_regions(
    lengths: dict[str, int], exclude_contigs: set[str], blacklist: pd.DataFrame
) -> pd.DataFrame:
    """BED (chrom, start, end) of every contig minus excluded contigs and blacklisted intervals."""
    rows = []
    for chrom, length in lengths.items():
        if chrom in exclude_contigs:
            continue
        bl = blacklist[blacklist["chrom"] == chrom].sort_values("start")
        pos = 0
        for start, end in zip(bl["start"], np.maximum.accumulate(bl["end"]), strict=True):
            if start > pos:
                rows.append((chrom, pos, min(start, length)))
            pos = max(pos, end)
        if pos < length:
            rows.append((chrom, pos, length))
    return pd.DataFrame(rows, columns=["chrom", "start", "end"])


def check_genome(
    fasta: Path, gtf: Path, mito: list[str], blacklist: Path | None
) -> tuple[dict[str, int], pd.DataFrame]:
    """Lengths of the FASTA's contigs and the keep regions; errors name the file at fault."""
    lengths = fasta_lengths(fasta)
    absent = sorted(gtf_contigs(gtf) - set(lengths))
    if absent:
        shown = ", ".join(absent[:5]) + (" ..." if len(absent) > 5 else "")
        raise RegflowError(
            f"{gtf}: {len(absent)} contig(s) of the annotation are not in {fasta}: {shown} "
            "(do the FASTA and the GTF come from the same assembly and naming style?)"
        )
    bl = pd.DataFrame(columns=["chrom", "start", "end"])
    if blacklist:
        bl = pd.read_csv(
            blacklist,
            sep="\t",
            header=None,
            comment="#",
            usecols=[0, 1, 2],
            names=["chrom", "start", "end"],
            dtype={"chrom": str},
        )
        unknown = sorted(set(bl["chrom"]) - set(lengths))
        if unknown:
            raise RegflowError(
                f"{blacklist}: blacklist contigs not in {fasta}: " + ", ".join(unknown[:5])
            )
    return lengths, keep_regions(lengths, set(mito), bl)


def add_parser(subparsers) -> None:
    """Register ``check-genome``."""
    p = subparsers.add_parser("check-genome", help="check FASTA vs GTF; chrom.sizes, keep BED")
    p.add_argument("--fasta", required=True, type=Path)
    p.add_argument("--gtf", required=True, type=Path)
    p.add_argument("--mito", nargs="*", default=["chrM"], help="mitochondrial contig names")
    p.add_argument("--blacklist", type=Path, default=None)
    p.add_argument("--chrom-sizes", required=True, type=Path)
    p.add_argument("--keep-bed", required=True, type=Path)
    p.set_defaults(func=_run)


def _run(args) -> None:
    lengths, keep = check_genome(args.fasta, args.gtf, args.mito, args.blacklist)
    with atomic_output(args.chrom_sizes) as tmp:
        Path(tmp).write_text("".join(f"{c}\t{n}\n" for c, n in lengths.items()))
    with atomic_output(args.keep_bed) as tmp:
        keep.to_csv(tmp, sep="\t", header=False, index=False)
