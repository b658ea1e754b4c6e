"""Filter and de-duplicate an aligned BAM the ENCODE way, counting reads at every step.

Paired-end: keep properly paired, primary, mapped reads with MAPQ >= ``min_mapq`` outside the
excluded regions (chrM, blacklist: the ``keep`` BED), repair mate flags after one mate is
dropped (``samtools fixmate -r``), keep pairs still proper, then remove duplicates with
``samtools markdup -r``. Single-end (RNA-seq): the same filters without pairing; duplicates
are marked, not removed, unless asked (in RNA-seq they are mostly highly expressed genes).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from regflow.errors import RegflowError
from regflow.io import atomic_output

UNWANTED = 0x4 | 0x100 | 0x200 | 0x400 | 0x800  # unmapped, secondary, QC fail, dup, supp. = 1804
PROPER_PAIR = 0x2


def _run(args: list[str]) -> None:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def count_reads(bam: Path, *flags: str) -> int:
    """Reads in ``bam`` passing ``samtools view`` filter ``flags``."""
    out = subprocess.run(
        ["samtools", "view", "-c", *flags, str(bam)], check=True, capture_output=True, text=True
    )
    return int(out.stdout.strip())


def filter_bam(
    sample: str,
    bam: Path,
    output: Path,
    keep_bed: Path,
    mito: list[str],
    min_mapq: int,
    paired: bool,
    remove_duplicates: bool,
    threads: int,
) -> dict:
    """Write the filtered, de-duplicated, indexed ``output``; return the counts of each step."""
    if not Path(bam).is_file():
        raise RegflowError(f"sample '{sample}': {bam}: BAM not found")
    t = ["-@", str(max(threads - 1, 1))]
    stats: dict = {"sample": sample, "paired": paired}
    stats["reads_total"] = count_reads(bam, "-F", "0x900")
    stats["reads_mapped"] = count_reads(bam, "-F", "0x904")
    mito_reads = 0
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=Path(output).parent, prefix=".filter.") as tmp:
        tmp = Path(tmp)
        _run(["samtools", "index", *t, str(bam), str(tmp / "raw.bai")])
        for contig in mito:
            mito_reads += _count_region(bam, tmp / "raw.bai", contig)
        stats["reads_mito"] = mito_reads
        stats["fraction_mito"] = mito_reads / max(stats["reads_mapped"], 1)

        # intermediate BAMs uncompressed (-u, -l 0): each is read again at once, and
        # compressing them took a third of the step's time
        sort = ["samtools", "sort", *t, "-l", "0", "-T", str(tmp / "sort")]
        flags = ["-F", str(UNWANTED), "-q", str(min_mapq)]
        if paired:
            flags += ["-f", str(PROPER_PAIR)]
        step1 = tmp / "mapq.bam"
        _run(["samtools", "view", *t, "-u", *flags, "-o", str(step1), str(bam)])
        stats["reads_mapq_proper"] = count_reads(step1)
        step2 = tmp / "keep.bam"
        _run(["samtools", "view", *t, "-u", "-L", str(keep_bed), "-o", str(step2), str(step1)])
        stats["reads_in_kept_regions"] = count_reads(step2)
        if paired:
            step3 = tmp / "fixmate.bam"
            _pipe(
                ["samtools", "collate", *t, "-O", "-u", str(step2), str(tmp / "collate")],
                ["samtools", "fixmate", *t, "-r", "-m", "-u", "-", "-"],
                ["samtools", "view", *t, "-u", "-F", str(UNWANTED), "-f", str(PROPER_PAIR), "-"],
                [*sort, "-o", str(step3), "-"],
            )
            stats["reads_paired_after_filter"] = count_reads(step3)
        else:
            step3 = tmp / "sorted.bam"
            _run([*sort, "-o", str(step3), str(step2)])
        if stats["reads_paired_after_filter" if paired else "reads_in_kept_regions"] == 0:
            raise RegflowError(
                f"sample '{sample}': {bam}: no reads left after filtering (MAPQ >= {min_mapq}"
                f"{', proper pairs' if paired else ''}, outside {', '.join(mito)} and the "
                "blacklist); check the reference genome and the reads"
            )
        marked = tmp / "markdup.bam"
        markdup = ["samtools", "markdup", *t, "-s", "-f", str(tmp / "markdup.txt")]
        if remove_duplicates:
            markdup.append("-r")
        _run([*markdup, "-T", str(tmp / "md"), str(step3), str(marked)])
        before = count_reads(step3)
        stats["reads_duplicate"] = before - count_reads(marked, "-F", "0x400")
        stats["duplication_rate"] = stats["reads_duplicate"] / before
        stats["reads_final"] = count_reads(marked, "-F", "0x400") if remove_duplicates else before
        stats["duplicates_removed"] = remove_duplicates
        _run(["samtools", "index", *t, str(marked), str(tmp / "markdup.bai")])
        marked.replace(output)
        (tmp / "markdup.bai").replace(f"{output}.bai")
    return stats


def _count_region(bam: Path, index: Path, region: str) -> int:
    out = subprocess.run(
        ["samtools", "view", "-c", "-F", "0x904", "-X", str(bam), str(index), region],
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip()) if out.returncode == 0 else 0


def _pipe(*commands: list[str]) -> None:
    """Run commands connected by pipes; fail if any fails."""
    procs = []
    prev = None
    for i, cmd in enumerate(commands):
        last = i == len(commands) - 1
        p = subprocess.Popen(cmd, stdin=prev, stdout=None if last else subprocess.PIPE)
        if prev is not None:
            prev.close()
        prev = p.stdout
        procs.append(p)
    codes = [p.wait() for p in procs]
    if any(codes):
        failed = next(c for c, code in zip(commands, codes, strict=True) if code)
        raise subprocess.CalledProcessError(max(codes), failed)


def add_parser(subparsers) -> None:
    """Register ``filter-bam``."""
    p = subparsers.add_parser("filter-bam", help="MAPQ/pair/region filters and de-duplication")
    p.add_argument("--sample", required=True)
    p.add_argument("--bam", required=True, type=Path)
    p.add_argument("--output", required=True, type=Path)
    p.add_argument("--stats", required=True, type=Path)
    p.add_argument("--keep-bed", required=True, type=Path)
    p.add_argument("--mito", nargs="*", default=["chrM"])
    p.add_argument("--min-mapq", type=int, default=30)
    p.add_argument("--paired", action="store_true")
    p.add_argument("--keep-duplicates", action="store_true", help="mark duplicates but keep them")
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=_main)


def _main(args) -> None:
    stats = filter_bam(
        args.sample,
        args.bam,
        args.output,
        args.keep_bed,
        args.mito,
        args.min_mapq,
        args.paired,
        not args.keep_duplicates,
        args.threads,
    )
    with atomic_output(args.stats) as tmp:
        Path(tmp).write_text(json.dumps(stats, indent=1) + "\n")
