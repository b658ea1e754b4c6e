"""Tn5 insertion records for MACS3 (``regflow peaks cutsites``)."""

from __future__ import annotations

import gzip

import numpy as np

from regflow.peaks.cutsites import cut_sites

from .conftest import run, write_fragments


def test_cut_sites_both_ends_repeated_by_count_and_sorted():
    position, minus = cut_sites(np.array([10, 12]), np.array([20, 15]), np.array([1, 2]))
    assert position.tolist() == [10, 12, 12, 14, 14, 19]
    assert minus.tolist() == [False, False, False, True, True, True]


def test_cut_sites_plus_before_minus_at_the_same_position():
    position, minus = cut_sites(np.array([5, 0]), np.array([9, 6]), np.array([1, 1]))
    assert position.tolist() == [0, 5, 5, 8]
    assert minus.tolist() == [False, False, True, True]


def test_cli_writes_gzipped_bed6(tmp_path):
    frags = write_fragments(
        tmp_path / "f.tsv.gz", [("chr1", 100, 180, 2), ("chr1", 150, 160), ("chr2", 5, 50)]
    )
    out = tmp_path / "cut.bed.gz"
    assert (
        run(["peaks", "cutsites", "--sample", "S", "--fragments", str(frags), "--output", str(out)])
        == 0
    )
    with gzip.open(out, "rt") as handle:
        rows = [line.rstrip("\n").split("\t") for line in handle]
    assert rows == [
        ["chr1", "100", "101", ".", "0", "+"],
        ["chr1", "100", "101", ".", "0", "+"],
        ["chr1", "150", "151", ".", "0", "+"],
        ["chr1", "159", "160", ".", "0", "-"],
        ["chr1", "179", "180", ".", "0", "-"],
        ["chr1", "179", "180", ".", "0", "-"],
        ["chr2", "5", "6", ".", "0", "+"],
        ["chr2", "49", "50", ".", "0", "-"],
    ]


def test_cli_empty_fragments_is_an_error_and_leaves_nothing(tmp_path, capsys):
    frags = tmp_path / "f.tsv.gz"
    with gzip.open(frags, "wt"):
        pass
    out = tmp_path / "cut.bed.gz"
    assert (
        run(["peaks", "cutsites", "--sample", "S", "--fragments", str(frags), "--output", str(out)])
        == 1
    )
    assert "sample S: fragments file" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == [frags]


def test_cli_unsorted_chromosomes_are_an_error(tmp_path, capsys):
    frags = tmp_path / "f.tsv.gz"
    with gzip.open(frags, "wt") as handle:
        handle.write("chr1\t1\t50\tS\t1\nchr2\t1\t50\tS\t1\nchr1\t60\t90\tS\t1\n")
    out = tmp_path / "cut.bed.gz"
    assert (
        run(["peaks", "cutsites", "--sample", "S", "--fragments", str(frags), "--output", str(out)])
        == 1
    )
    assert "not sorted: chr1 appears in two blocks" in capsys.readouterr().out
    assert not out.exists()
