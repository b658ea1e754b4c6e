"""Consensus peaks (``regflow peaks consensus``): windows, overlap removal, reproducibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regflow.peaks.consensus import (
    consensus_peaks,
    nonoverlapping,
    reproducible,
    sample_windows,
    score_per_million,
    summit_windows,
)
from regflow.peaks.io import read_narrowpeak

from .conftest import run, write_narrowpeak

SIZES = {"chr1": 10000, "chr2": 5000}


def narrowpeak(tmp_path, name, rows):
    return read_narrowpeak(write_narrowpeak(tmp_path / f"{name}.narrowPeak", rows))


def greedy(chrom, start, end, score):
    """The iterative procedure as written: strongest first, drop what overlaps it, repeat."""
    alive = list(np.argsort(-score, kind="stable"))
    kept = np.zeros(len(start), dtype=bool)
    while alive:
        best, alive = alive[0], alive[1:]
        kept[best] = True
        alive = [
            i
            for i in alive
            if not (chrom[i] == chrom[best] and start[i] < end[best] and start[best] < end[i])
        ]
    return kept


def test_summit_windows_are_centred_on_the_summit_and_clipped(tmp_path):
    peaks = narrowpeak(
        tmp_path,
        "a",
        [("chr1", 1000, 1400, 7.0, 300), ("chr1", 100, 200, 5.0, 20), ("chr2", 4900, 5000, 3, -1)],
    )
    windows = summit_windows(peaks, 500, SIZES)
    assert windows[["start", "end"]].values.tolist() == [[1050, 1550], [0, 370], [4700, 5000]]
    assert windows["score"].tolist() == [7.0, 5.0, 3.0]
    # the summit sits at offset width // 2 of an unclipped window
    assert windows["start"].iloc[0] + 250 == 1300


def test_score_per_million():
    assert score_per_million(np.array([1.0, 3.0])).tolist() == [250_000.0, 750_000.0]


def test_iterative_removal_keeps_the_strongest_of_overlapping_peaks():
    chrom = np.array(["chr1"] * 4)
    start = np.array([0, 300, 600, 900])
    end = start + 500
    # a chain: 1 beats 0 and 2; 3 overlaps only 2, which is gone, so 3 survives
    kept = nonoverlapping(chrom, start, end, np.array([5.0, 9.0, 8.0, 1.0]))
    assert kept.tolist() == [False, True, False, True]


def test_iterative_removal_ties_go_to_the_earlier_row_and_touching_is_not_overlap():
    chrom = np.array(["chr1", "chr1", "chr1", "chr2"])
    kept = nonoverlapping(
        chrom, np.array([100, 0, 600, 0]), np.array([600, 500, 900, 500]), np.ones(4)
    )
    assert kept.tolist() == [True, False, True, True]


def test_iterative_removal_matches_the_sequential_procedure(rng):
    for _ in range(20):
        n = int(rng.integers(1, 300))
        chrom = rng.choice(["chr1", "chr2", "chr3"], n)
        start = rng.integers(0, 20_000, n)
        end = start + rng.integers(1, 800, n)
        score = rng.choice(np.arange(30.0), n)  # ties included
        expected = greedy(chrom, start, end, score)
        assert nonoverlapping(chrom, start, end, score).tolist() == expected.tolist()


def test_reproducibility_rule():
    supported = pd.DataFrame(
        {"A1": [True, True, False], "A2": [True, False, False], "B1": [False, False, True]}
    )
    conditions = {"A1": "A", "A2": "A", "B1": "B", "B2": "B"}
    rep = reproducible(supported, conditions, 2)
    assert rep.to_dict("list") == {"A": [True, False, False], "B": [False, False, False]}
    # a condition with fewer samples than min_replicates needs all of them
    rep = reproducible(supported[["A1", "A2", "B1"]], {"A1": "A", "A2": "A", "B1": "B"}, 2)
    assert rep.to_dict("list") == {"A": [True, False, False], "B": [False, False, True]}


def test_consensus_keeps_peaks_with_two_replicates_and_names_them(tmp_path):
    samples = {
        "A1": [("chr1", 1000, 1400, 20.0, 200), ("chr1", 5000, 5200, 10.0, 100)],
        "A2": [("chr1", 1100, 1300, 10.0, 120), ("chr2", 200, 300, 10.0, 50)],
        "B1": [("chr2", 200, 300, 10.0, 50), ("chr1", 8000, 8100, 10.0, 50)],
    }
    windows = {
        s: sample_windows(narrowpeak(tmp_path, s, r), 500, SIZES) for s, r in samples.items()
    }
    conditions = {"A1": "A", "A2": "A", "B1": "B", "B2": "B"}
    peaks, rep = consensus_peaks(windows, conditions, 2, list(SIZES))
    # chr1:1200 in A1 (spm 2/3 * 1e6) beats A2's window at chr1:1220 (spm 1/2 * 1e6);
    # chr2:250 is seen in A2 and B1 (one sample of each condition): not reproducible
    assert peaks.values.tolist() == [["chr1", 950, 1450, "chr1:950-1450", 666667, "."]]
    assert rep.to_dict("list") == {"A": [True], "B": [False]}


def test_consensus_sorted_by_chromosome_order_then_start(tmp_path):
    rows = [("chr2", 100, 200, 5.0, 50), ("chr1", 3000, 3100, 5.0, 50), ("chr1", 10, 90, 5, 40)]
    windows = {s: sample_windows(narrowpeak(tmp_path, s, rows), 100, SIZES) for s in ("A1", "A2")}
    peaks, _ = consensus_peaks(windows, {"A1": "A", "A2": "A"}, 2, ["chr1", "chr2"])
    assert peaks["name"].tolist() == ["chr1:0-100", "chr1:3000-3100", "chr2:100-200"]


@pytest.fixture
def two_conditions(tmp_path):
    rows = {
        "A1": [("chr1", 1000, 1400, 20.0, 200), ("chr1", 6000, 6200, 9.0, 100)],
        "A2": [("chr1", 1100, 1300, 10.0, 120), ("chr1", 6010, 6200, 9.0, 90)],
        "B1": [("chr1", 6000, 6200, 9.0, 100)],
    }
    paths = {s: write_narrowpeak(tmp_path / f"{s}.narrowPeak", r) for s, r in rows.items()}
    return paths


def consensus_argv(paths, conditions, sizes, out, *extra):
    argv = ["peaks", "consensus", "--narrowpeak", *[f"{s}={p}" for s, p in paths.items()]]
    argv += ["--condition", *[f"{s}={c}" for s, c in conditions.items()]]
    return [*argv, "--chrom-sizes", str(sizes), "--output", str(out), *extra]


def test_cli_writes_bed6_and_skips_empty_samples(tmp_path, two_conditions, chrom_sizes, capsys):
    empty = tmp_path / "B2.narrowPeak"
    empty.write_text("")
    paths = {**two_conditions, "B2": empty}
    conditions = {"A1": "A", "A2": "A", "B1": "B", "B2": "B"}
    out = tmp_path / "consensus.bed"
    assert run(consensus_argv(paths, conditions, chrom_sizes, out, "--width", "400")) == 0
    assert f"sample B2 has no peaks ({empty}); skipped" in capsys.readouterr().err
    rows = [line.split("\t") for line in out.read_text().splitlines()]
    assert [r[:4] + r[5:] for r in rows] == [
        ["chr1", "1000", "1400", "chr1:1000-1400", "."],
        ["chr1", "5900", "6300", "chr1:5900-6300", "."],
    ]


def test_cli_no_reproducible_peak_is_an_error(tmp_path, chrom_sizes, capsys):
    paths = {
        "A1": write_narrowpeak(tmp_path / "A1.narrowPeak", [("chr1", 1000, 1400, 20.0, 200)]),
        "A2": write_narrowpeak(tmp_path / "A2.narrowPeak", [("chr1", 8000, 8200, 20.0, 100)]),
    }
    out = tmp_path / "consensus.bed"
    assert run(consensus_argv(paths, {"A1": "A", "A2": "A"}, chrom_sizes, out)) == 1
    message = capsys.readouterr().out
    assert "no consensus peak is found in >= 2 samples of any condition" in message
    assert f"A1={paths['A1']}, A2={paths['A2']}" in message
    assert not out.exists()
    # with one replicate required, both peaks are kept
    argv = consensus_argv(paths, {"A1": "A", "A2": "A"}, chrom_sizes, out, "--min-replicates", "1")
    assert run(argv) == 0
    assert len(out.read_text().splitlines()) == 2


def test_cli_condition_and_contig_checks(tmp_path, two_conditions, chrom_sizes, capsys):
    out = tmp_path / "consensus.bed"
    assert run(consensus_argv(two_conditions, {"A1": "A", "A2": "A"}, chrom_sizes, out)) == 1
    assert "sample B1 needs both --narrowpeak and --condition" in capsys.readouterr().out
    bad = write_narrowpeak(tmp_path / "X.narrowPeak", [("chrUn", 1, 50, 5.0, 2)])
    argv = consensus_argv({"X": bad}, {"X": "A"}, chrom_sizes, out)
    assert run(argv) == 1
    assert f"sample X: narrowPeak file {bad} has peaks on chrUn" in capsys.readouterr().out
