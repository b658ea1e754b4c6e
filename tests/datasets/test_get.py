"""The GET-style dataset: TSS-to-peak matching, per-strand labels, accessibility, windows of
consecutive peaks and the (condition, chromosome) splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regflow.datasets.get import (
    accessibility_feature,
    assign_tss_peaks,
    chromosome_splits,
    peak_windows,
    tss_labels,
)
from regflow.errors import RegflowError


@pytest.fixture
def peaks() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "chrom": ["chr1", "chr1", "chr1", "chr2"],
            "start": [100, 500, 1000, 100],
            "end": [200, 600, 1100, 200],
        }
    )


def _tss(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["chrom", "position", "strand", "name"])


def test_tss_matched_to_nearest_peak(peaks):
    tss = _tss(
        [
            ("chr1", 150, "+", "inside"),
            ("chr1", 199, "-", "last_base"),  # end is exclusive: 199 is the last base
            ("chr1", 200, "+", "just_after"),
            ("chr1", 450, "-", "before_second"),
            ("chr1", 800, "+", "between"),  # 201 bp from peak 1, 200 bp from peak 2
            ("chr2", 250, "+", "on_chr2"),
            ("chr3", 150, "+", "no_peaks_on_chr3"),
        ]
    )
    m = assign_tss_peaks(peaks, tss, max_distance=200).set_index("name")
    assert list(m.columns) == ["strand", "peak", "distance"]
    assert m.loc["inside", "peak"] == 0 and m.loc["inside", "distance"] == 0
    assert m.loc["last_base", "distance"] == 0
    assert m.loc["just_after", "peak"] == 0 and m.loc["just_after", "distance"] == 1
    assert m.loc["before_second", "peak"] == 1 and m.loc["before_second", "distance"] == 50
    assert m.loc["between", "peak"] == 2 and m.loc["between", "distance"] == 200
    # a peak index is the row of the whole table, not of its chromosome
    assert m.loc["on_chr2", "peak"] == 3 and m.loc["on_chr2", "distance"] == 51
    assert "no_peaks_on_chr3" not in m.index
    assert m.loc["before_second", "strand"] == "-"


def test_tss_beyond_max_distance_dropped(peaks):
    tss = _tss(
        [
            ("chr1", 800, "+", "between"),  # 200 bp from its nearest peak
            ("chr1", 650, "+", "near"),  # 51 bp past peak 1
            ("chr2", 0, "-", "upstream"),  # 100 bp before chr2's peak
        ]
    )
    m = assign_tss_peaks(peaks, tss, max_distance=99)
    assert m["name"].tolist() == ["near"]
    assert m["peak"].tolist() == [1] and m["distance"].tolist() == [51]


def test_boundary_distance_is_kept(peaks):
    tss = _tss([("chr1", 300, "+", "a"), ("chr1", 301, "+", "b")])  # 101 and 102 bp past 199
    m = assign_tss_peaks(peaks, tss, max_distance=101)
    assert list(m["name"]) == ["a"]
    assert m["distance"].tolist() == [101]


def test_two_genes_at_one_peak_sum_their_tpm():
    matches = pd.DataFrame(
        {
            "name": ["g1", "g2", "g3", "g4"],
            "strand": ["+", "+", "-", "-"],
            "peak": [1, 1, 1, 3],
            "distance": [0, 10, 0, 5],
        }
    )
    tpm = pd.DataFrame(
        {"cA": [3.0, 6.0, 99.0, 0.0, 5.0], "cB": [0.0, 0.0, 9.0, 999.0, 7.0]},
        index=["g1", "g2", "g3", "g4", "unmatched"],
    )
    labels, is_tss = tss_labels(matches, 5, tpm)
    assert labels.shape == (2, 5, 2) and labels.dtype == np.float32
    assert is_tss.shape == (5, 2) and is_tss.dtype == bool
    assert labels[0, 1, 0] == pytest.approx(1.0)  # log10(3 + 6 + 1)
    assert labels[1, 1, 0] == pytest.approx(0.0)
    assert labels[0, 1, 1] == pytest.approx(2.0)  # minus strand: log10(99 + 1)
    assert labels[1, 3, 1] == pytest.approx(3.0)
    assert labels[1, 3, 0] == 0.0  # no plus-strand gene at peak 3
    expected = np.zeros((5, 2), dtype=bool)
    expected[1, :] = True
    expected[3, 1] = True
    np.testing.assert_array_equal(is_tss, expected)
    # peaks without a TSS are labelled 0 (the unmatched gene's TPM goes nowhere)
    assert labels[:, [0, 2, 4]].sum() == 0


def test_labels_of_a_gene_without_tpm_raise():
    matches = pd.DataFrame({"name": ["g1", "gX"], "strand": ["+", "-"], "peak": [0, 1]})
    tpm = pd.DataFrame({"cA": [1.0]}, index=["g1"])
    with pytest.raises(RegflowError, match=r"1 genes with a TSS peak have no TPM \(e.g. gX\)"):
        tss_labels(matches, 2, tpm)


def test_scaled_accessibility_uses_the_global_max_and_clips():
    logcpm = np.array([[1.0, 2.0, 4.0], [-1.0, 0.0, 8.0]])
    out = accessibility_feature(logcpm, "scaled", threshold=0.5)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.125, 0.25, 0.5], [0.0, 0.0, 1.0]])


def test_binary_accessibility_threshold():
    logcpm = np.array([[0.4, 0.5, 0.6], [2.0, -1.0, 0.5]])
    out = accessibility_feature(logcpm, "binary", threshold=0.5)
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0]])
    assert out.dtype == np.float32


def test_accessibility_errors():
    with pytest.raises(RegflowError, match="unknown accessibility mode 'log'"):
        accessibility_feature(np.ones((1, 2)), "log", 0.5)
    with pytest.raises(RegflowError, match="logCPM 0"):
        accessibility_feature(np.zeros((2, 3)), "scaled", 0.5)


def test_peak_windows_cover_every_peak():
    chroms = np.array(["a"] * 10 + ["b"] * 3 + ["c"] * 4)
    w = peak_windows(chroms, size=4, stride=4)
    assert w.dtype == np.int64
    expected = [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [6, 7, 8, 9],  # the last window of a ends on its last peak
        [10, 11, 12, -1],  # b is shorter than a window: one padded window
        [13, 14, 15, 16],  # c fills exactly one window
    ]
    np.testing.assert_array_equal(w, expected)
    for row in w:  # never two chromosomes in one window
        assert len(set(chroms[row[row >= 0]])) == 1
    assert set(w[w >= 0].tolist()) == set(range(len(chroms)))


def test_peak_windows_stride_smaller_than_size():
    w = peak_windows(np.array(["a"] * 7), size=4, stride=2)
    np.testing.assert_array_equal(w[:, 0], [0, 2, 3])
    assert w[-1, -1] == 6


def test_non_contiguous_chromosome_raises():
    with pytest.raises(RegflowError, match="peaks of a are not contiguous"):
        peak_windows(np.array(["a", "a", "b", "a"]), size=2, stride=1)


@pytest.mark.parametrize(("size", "stride"), [(0, 1), (2, 0)])
def test_bad_window_size_or_stride_raises(size, stride):
    with pytest.raises(RegflowError, match="must be >= 1"):
        peak_windows(np.array(["a", "a"]), size, stride)


CHROMS = ["chr1", "chr2", "chr3", "chr4"]


def test_chromosome_splits():
    frame = chromosome_splits(CHROMS, ["cA", "cB", "cC"], ["chr3"], ["chr4"], ["cB"])
    assert list(frame.columns) == ["condition", "chrom", "split"]
    assert len(frame) == 12
    split = frame.set_index(["condition", "chrom"])["split"]
    for c in ("cA", "cC"):
        assert split[(c, "chr1")] == split[(c, "chr2")] == "train"
        assert split[(c, "chr3")] == "val"
        assert split[(c, "chr4")] == "test_chrom"
    # the held-out condition is tested on every chromosome, validation and test ones included
    assert [split[("cB", k)] for k in CHROMS] == ["test_condition"] * 4


def test_no_heldout_chromosomes_or_conditions():
    frame = chromosome_splits(CHROMS, ["cA"], [], [], [])
    assert set(frame["split"]) == {"train"}


@pytest.mark.parametrize(
    ("val", "test", "heldout", "message"),
    [
        (["chrX"], [], [], "held-out chromosomes chrX are not in the data"),
        ([], ["chr9", "chr1"], [], "held-out chromosomes chr9 are not in the data"),
        ([], [], ["cZ"], "held-out conditions cZ are not in the data"),
        (["chr2", "chr3"], ["chr3"], [], "both validation and test: chr3"),
        ([], [], ["cA", "cB"], "every condition is held out"),
        (["chr1", "chr2"], ["chr3", "chr4"], [], "every chromosome is held out"),
    ],
)
def test_split_errors(val, test, heldout, message):
    with pytest.raises(RegflowError, match=message):
        chromosome_splits(CHROMS, ["cA", "cB"], val, test, heldout)
