"""Fragment-length histogram, ladder peaks and summary metrics."""

from __future__ import annotations

import numpy as np
import pytest

from regflow.errors import RegflowError
from regflow.qc.fragment_lengths import (
    count_fragment_lengths,
    histogram_table,
    ladder_peaks,
    length_counts,
    length_metrics,
    weighted_median,
)
from regflow.qc.smoothing import moving_average


def _ladder_counts() -> np.ndarray:
    """A deterministic nucleosome ladder: modes at 60, 200 and 390 bp."""
    length = np.arange(1001)
    counts = (
        5000 * np.exp(-0.5 * ((length - 60) / 18) ** 2)
        + 2500 * np.exp(-0.5 * ((length - 200) / 22) ** 2)
        + 800 * np.exp(-0.5 * ((length - 390) / 28) ** 2)
    )
    counts[0] = 0
    # a 10-bp helical ripple on the short fragments, which the smoothing must ignore
    counts[:140] *= 1 + 0.15 * np.sin(2 * np.pi * length[:140] / 10.5)
    return np.rint(counts).astype(np.int64)


def test_ladder_peaks_on_synthetic_ladder():
    peaks = ladder_peaks(_ladder_counts())
    assert abs(peaks["nfr_peak"] - 60) <= 3
    assert abs(peaks["mononucleosome_peak"] - 200) <= 3
    assert abs(peaks["dinucleosome_peak"] - 390) <= 3


def test_ladder_peak_missing_gives_none():
    counts = np.zeros(500, dtype=np.int64)
    counts[30:120] = 100  # only nucleosome-free fragments, flat
    counts[60] = 400
    peaks = ladder_peaks(counts, smooth=1)
    assert peaks == {"nfr_peak": 60, "mononucleosome_peak": None, "dinucleosome_peak": None}


def test_metrics_from_fragments_file(fragments_writer):
    counts = _ladder_counts()
    lengths = np.repeat(np.arange(counts.size), counts)
    starts = np.arange(lengths.size) * 3  # distinct fragments along one chromosome
    # plus two very long fragments beyond the histogram, with count 2 each
    lengths = np.append(lengths, [1500, 2500])
    starts = np.append(starts, [starts[-1] + 10, starts[-1] + 20])
    weights = np.append(np.ones(counts.sum(), dtype=int), [2, 2])
    path = fragments_writer("ladder", "chr1", starts, starts + lengths, weights)

    full = count_fragment_lengths(path)
    assert full.size == 2501 and full[1500] == 2 and full[2500] == 2
    np.testing.assert_array_equal(full[: counts.size], counts)

    table = histogram_table(full, max_length=1000)
    assert table["length"].tolist() == list(range(1, 1001))
    np.testing.assert_array_equal(table["count"].to_numpy(), counts[1:1001])

    metrics = length_metrics(full)
    total = counts.sum() + 4
    assert metrics["fragments"] == total
    assert metrics["fraction_nucleosome_free"] == pytest.approx(counts[:100].sum() / total)
    assert metrics["fraction_mononucleosomal"] == pytest.approx(counts[180:248].sum() / total)
    expanded = np.concatenate([lengths[:-2], [1500, 1500, 2500, 2500]])
    assert metrics["fragment_length_median"] == np.median(expanded)
    assert abs(metrics["mononucleosome_peak"] - 200) <= 3


def test_count_weights_lengths():
    counts = length_counts(np.array([50, 50, 200]), np.array([1, 2, 5]))
    assert counts[50] == 3 and counts[200] == 5 and counts.sum() == 8


@pytest.mark.parametrize("values", [[5], [1, 2], [1, 2, 3], [3, 3, 9, 10], [1, 100, 100, 100]])
def test_weighted_median_matches_numpy(values):
    counts = np.bincount(values)
    assert weighted_median(counts) == np.median(values)


def test_moving_average_edges_and_validation():
    np.testing.assert_allclose(moving_average(np.array([0, 3, 0, 0]), 3), [1.5, 1, 1, 0])
    np.testing.assert_allclose(moving_average(np.array([2.0]), 11), [2.0])
    with pytest.raises(RegflowError, match="odd"):
        moving_average(np.ones(5), 4)


def test_empty_file_has_no_metrics(tmp_path):
    path = tmp_path / "empty.tsv.gz"
    path.write_bytes(b"")
    counts = count_fragment_lengths(path)
    assert counts.sum() == 0
    with pytest.raises(RegflowError, match="no fragments"):
        length_metrics(counts)


def test_malformed_fragments(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("chr1\t100\t90\t.\t1\n")
    with pytest.raises(RegflowError, match="end <= start"):
        count_fragment_lengths(path)
    path.write_text("chr1\t100\t190\t.\n")
    with pytest.raises(RegflowError, match="5 tab-separated columns"):
        count_fragment_lengths(path)
