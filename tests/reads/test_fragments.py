import pandas as pd
import pysam

from regflow.cli import main
from regflow.reads.fragments import bam_fragments, collapse, shift_fragments

from .conftest import write_pairs

PAIRS = [
    {"name": "a", "chrom": "chr1", "start": 100, "length": 200},
    {"name": "b", "chrom": "chr1", "start": 100, "length": 200},
    {"name": "c", "chrom": "chr1", "start": 50, "length": 60},
    {"name": "m", "chrom": "chrM", "start": 10, "length": 100},
]


def test_fragments_from_pairs(tmp_path):
    frags = bam_fragments(write_pairs(tmp_path / "x.bam", PAIRS))
    assert sorted(zip(frags["chrom"], frags["start"], frags["end"], strict=True)) == [
        ("chr1", 50, 110),
        ("chr1", 100, 300),
        ("chr1", 100, 300),
        ("chrM", 10, 110),
    ]


def test_tn5_shift_and_collapse():
    frags = pd.DataFrame({"chrom": ["chr1"] * 3, "start": [100, 100, 50], "end": [300, 300, 62]})
    shifted = shift_fragments(frags, 4, 5, min_length=10)
    assert list(shifted["start"]) == [104, 104] and list(shifted["end"]) == [295, 295]
    out = collapse(shifted, "s")
    assert out.to_dict("records") == [
        {"chrom": "chr1", "start": 104, "end": 295, "name": "s", "count": 2}
    ]


def test_cli_writes_indexed_fragments(tmp_path):
    bam = write_pairs(tmp_path / "x.bam", PAIRS)
    out = tmp_path / "f.tsv.gz"
    assert (
        main(
            [
                "fragments",
                "--sample",
                "s",
                "--bam",
                str(bam),
                "--shift-plus",
                "4",
                "--shift-minus",
                "5",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    with pysam.TabixFile(str(out)) as tbx:
        rows = [r.split("\t") for r in tbx.fetch("chr1")]
    assert rows == [["chr1", "54", "105", "s", "1"], ["chr1", "104", "295", "s", "2"]]
