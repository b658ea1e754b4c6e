"""Tiny BAMs written with pysam for the reads-stage unit tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pysam
import pytest

needs_samtools = pytest.mark.skipif(
    shutil.which("samtools") is None, reason="samtools is installed by scripts/setup.sh"
)
CONTIGS = [("chr1", 10000), ("chrM", 2000)]


def write_pairs(path: Path, pairs: list[dict]) -> Path:
    """A coordinate-sorted, indexed paired-end BAM.

    Each pair: name, chrom, start (fragment), length, mapq (default 60), proper (default True).
    Reads are 30 bp; read 1 on the + strand at the fragment start, read 2 on the - strand.
    """
    header = {
        "HD": {"VN": "1.6", "SO": "coordinate"},
        "SQ": [{"SN": n, "LN": n_len} for n, n_len in CONTIGS],
    }
    names = [n for n, _ in CONTIGS]
    reads = []
    for p in pairs:
        start, length = p["start"], p["length"]
        for first in (True, False):
            r = pysam.AlignedSegment()
            r.query_name = p["name"]
            r.query_sequence = "A" * 30
            r.query_qualities = pysam.qualitystring_to_array("I" * 30)
            r.reference_id = names.index(p["chrom"])
            r.reference_start = start if first else start + length - 30
            r.cigarstring = "30M"
            r.mapping_quality = p.get("mapq", 60)
            r.next_reference_id = r.reference_id
            r.next_reference_start = start + length - 30 if first else start
            r.template_length = length if first else -length
            r.flag = (
                0x1
                | (0x2 if p.get("proper", True) else 0)
                | (0x40 | 0x20 if first else 0x80 | 0x10)
            )
            reads.append(r)
    reads.sort(key=lambda r: (r.reference_id, r.reference_start))
    unsorted = path.with_suffix(".unsorted.bam")
    with pysam.AlignmentFile(str(unsorted), "wb", header=header) as out:
        for r in reads:
            out.write(r)
    pysam.sort("-o", str(path), str(unsorted))
    pysam.index(str(path))
    unsorted.unlink()
    return path
