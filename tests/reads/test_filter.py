import json

import pysam
import pytest

from regflow.cli import main
from regflow.errors import RegflowError
from regflow.reads.filter import filter_bam

from .conftest import needs_samtools, write_pairs

pytestmark = needs_samtools


def keep_bed(tmp_path, blacklist=()):
    rows = [("chr1", 0, 10000)] if not blacklist else [("chr1", 0, 5000), ("chr1", 6000, 10000)]
    path = tmp_path / "keep.bed"
    path.write_text("".join(f"{c}\t{s}\t{e}\n" for c, s, e in rows))
    return path


PAIRS = [
    {"name": "good1", "chrom": "chr1", "start": 100, "length": 200},
    {"name": "good2", "chrom": "chr1", "start": 1000, "length": 150},
    {"name": "dup_of_good2", "chrom": "chr1", "start": 1000, "length": 150},
    {"name": "lowq", "chrom": "chr1", "start": 2000, "length": 180, "mapq": 5},
    {"name": "improper", "chrom": "chr1", "start": 3000, "length": 180, "proper": False},
    {"name": "blacklisted", "chrom": "chr1", "start": 5200, "length": 180},
    {"name": "mito", "chrom": "chrM", "start": 100, "length": 150},
]


def names(bam):
    with pysam.AlignmentFile(str(bam)) as handle:
        return sorted({r.query_name for r in handle})


def test_filters_count_every_step(tmp_path):
    bam = write_pairs(tmp_path / "raw.bam", PAIRS)
    out = tmp_path / "out" / "f.bam"
    stats = filter_bam(
        "s1",
        bam,
        out,
        keep_bed(tmp_path, blacklist=True),
        ["chrM"],
        30,
        paired=True,
        remove_duplicates=True,
        threads=1,
    )
    assert names(out) in (["good1", "good2"], ["dup_of_good2", "good1"])
    assert (tmp_path / "out" / "f.bam.bai").exists()
    assert stats["reads_total"] == 14 and stats["reads_mapped"] == 14
    assert stats["reads_mito"] == 2 and abs(stats["fraction_mito"] - 2 / 14) < 1e-9
    assert stats["reads_mapq_proper"] == 10  # lowq and improper pairs gone
    assert stats["reads_in_kept_regions"] == 6  # chrM and the blacklisted pair gone
    assert stats["reads_duplicate"] == 2 and stats["reads_final"] == 4
    assert abs(stats["duplication_rate"] - 2 / 6) < 1e-9


def test_keep_duplicates_marks_only(tmp_path):
    bam = write_pairs(tmp_path / "raw.bam", PAIRS[:3])
    out = tmp_path / "f.bam"
    stats = filter_bam(
        "s1",
        bam,
        out,
        keep_bed(tmp_path),
        ["chrM"],
        30,
        paired=True,
        remove_duplicates=False,
        threads=1,
    )
    assert len(names(out)) == 3 and stats["reads_duplicate"] == 2


def test_nothing_left_is_an_error_without_output(tmp_path):
    bam = write_pairs(tmp_path / "raw.bam", [PAIRS[3], PAIRS[6]])
    out = tmp_path / "f.bam"
    with pytest.raises(RegflowError, match=r"sample 's1': .*raw.bam: no reads left"):
        filter_bam(
            "s1",
            bam,
            out,
            keep_bed(tmp_path),
            ["chrM"],
            30,
            paired=True,
            remove_duplicates=True,
            threads=1,
        )
    assert (
        not out.exists()
        and list(tmp_path.iterdir())
        == sorted([tmp_path / "raw.bam", tmp_path / "raw.bam.bai", tmp_path / "keep.bed"])
        or not out.exists()
    )


def test_cli_writes_stats(tmp_path):
    bam = write_pairs(tmp_path / "raw.bam", PAIRS[:2])
    rc = main(
        [
            "filter-bam",
            "--sample",
            "s1",
            "--bam",
            str(bam),
            "--keep-bed",
            str(keep_bed(tmp_path)),
            "--paired",
            "--output",
            str(tmp_path / "f.bam"),
            "--stats",
            str(tmp_path / "s.json"),
        ]
    )
    assert rc == 0
    assert json.loads((tmp_path / "s.json").read_text())["reads_final"] == 4
