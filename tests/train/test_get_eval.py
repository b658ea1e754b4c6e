"""GET evaluation: windows per split and condition, per-peak means over overlapping windows,
and the TSS table and its metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regflow.datasets.get import chromosome_splits
from regflow.train.get import (
    average_over_windows,
    condition_windows,
    tss_metrics,
    tss_table,
    windows_of,
)

# peaks 0-3 on a, 4-5 on b, 6 on c
CHROMS = np.array(["a", "a", "a", "a", "b", "b", "c"])
WINDOWS = np.array([[0, 1, 2], [1, 2, 3], [4, 5, -1], [6, -1, -1]])


@pytest.fixture
def splits() -> pd.DataFrame:
    # cA: a trains, b validates, c tests; cB held out
    return chromosome_splits(["a", "b", "c"], ["cA", "cB"], ["b"], ["c"], ["cB"])


def test_windows_of():
    np.testing.assert_array_equal(windows_of(WINDOWS, CHROMS, {"a", "c"}), WINDOWS[[0, 1, 3]])
    np.testing.assert_array_equal(windows_of(WINDOWS, CHROMS, {"b"}), WINDOWS[[2]])
    assert windows_of(WINDOWS, CHROMS, {"z"}).shape == (0, 3)


def test_condition_windows(splits):
    w, owners = condition_windows(WINDOWS, CHROMS, splits, "train", ["cA", "cB"])
    np.testing.assert_array_equal(w, WINDOWS[[0, 1]])
    np.testing.assert_array_equal(owners, [0, 0])
    w, owners = condition_windows(WINDOWS, CHROMS, splits, "test_condition", ["cA", "cB"])
    np.testing.assert_array_equal(w, WINDOWS)  # every chromosome of cB
    np.testing.assert_array_equal(owners, [1, 1, 1, 1])
    w, owners = condition_windows(WINDOWS, CHROMS, splits, "val", ["cA", "cB"])
    np.testing.assert_array_equal(w, WINDOWS[[2]])
    np.testing.assert_array_equal(owners, [0])


def test_condition_windows_of_an_absent_split(splits):
    w, owners = condition_windows(WINDOWS, CHROMS, splits, "nothing", ["cA", "cB"])
    assert w.shape == (0, 3) and w.dtype == np.int64
    assert owners.shape == (0,)


def test_average_over_overlapping_windows():
    windows = np.array([[0, 1, 2], [1, 2, 3], [0, 1, 2]])
    owners = np.array([0, 0, 1])
    outputs = np.zeros((3, 3, 2))
    outputs[0, :, 0] = [1.0, 2.0, 3.0]
    outputs[1, :, 0] = [4.0, 6.0, 8.0]
    outputs[0, :, 1] = 10.0
    outputs[1, :, 1] = 20.0
    outputs[2] = 7.0
    avg = average_over_windows(outputs, windows, owners, (2, 5))
    assert avg.shape == (2, 5, 2)
    np.testing.assert_allclose(avg[0, :4, 0], [1.0, (2 + 4) / 2, (3 + 6) / 2, 8.0])
    np.testing.assert_allclose(avg[0, :4, 1], [10.0, 15.0, 15.0, 20.0])
    np.testing.assert_allclose(avg[1, :3], 7.0)
    # peaks no window of that condition covers are NaN
    assert np.isnan(avg[0, 4]).all()
    assert np.isnan(avg[1, 3:]).all()


def test_padding_is_ignored():
    # -1 would index the last peak if padding were not masked out
    windows = np.array([[3, -1, -1], [2, 3, 4]])
    owners = np.array([0, 0])
    outputs = np.ones((2, 3, 2))
    outputs[0, 1:] = 1000.0  # padded positions
    avg = average_over_windows(outputs, windows, owners, (1, 5))
    np.testing.assert_allclose(avg[0, 2:], 1.0)
    assert np.isnan(avg[0, :2]).all()


@pytest.fixture
def tss_case(splits):
    n_peaks = len(CHROMS)
    is_tss = np.zeros((n_peaks, 2), dtype=bool)
    is_tss[[0, 4, 6], 0] = True  # + strand on a, b and c
    is_tss[[1, 6], 1] = True  # - strand on a and c
    labels = np.arange(2 * n_peaks * 2, dtype=np.float32).reshape(2, n_peaks, 2) / 10
    predicted = labels + 0.5  # off by 0.5 everywhere...
    predicted[0, 0, 0] = labels[0, 0, 0]  # ...except one training value
    peak_ids = np.array([f"p{i}" for i in range(n_peaks)])
    table = tss_table(predicted, labels, is_tss, peak_ids, CHROMS, ["cA", "cB"], splits)
    return table, labels, predicted


def test_tss_table(tss_case):
    table, labels, predicted = tss_case
    assert list(table.columns) == [
        "peak_id",
        "chrom",
        "condition",
        "strand",
        "log10_tpm",
        "predicted_log10_tpm",
        "split",
    ]
    assert len(table) == 2 * 5  # five (peak, strand) TSSs in each condition
    keyed = table.set_index(["condition", "peak_id", "strand"])
    assert keyed.loc[("cA", "p1", "-"), "log10_tpm"] == pytest.approx(labels[0, 1, 1])
    assert keyed.loc[("cB", "p6", "+"), "predicted_log10_tpm"] == pytest.approx(predicted[1, 6, 0])
    assert keyed.loc[("cA", "p0", "+"), "split"] == "train"
    assert keyed.loc[("cA", "p4", "+"), "split"] == "val"
    assert keyed.loc[("cA", "p6", "-"), "split"] == "test_chrom"
    assert (table.loc[table["condition"] == "cB", "split"] == "test_condition").all()
    assert ("cA", "p2", "+") not in keyed.index  # not a TSS


def test_tss_metrics(tss_case, splits):
    table, _, _ = tss_case
    metrics = tss_metrics(table, splits)
    assert set(metrics) == {
        "train",
        "val",
        "test_chrom",
        "test_condition",
        "test_condition_test_chrom",
    }
    assert metrics["train"]["n"] == 2 and metrics["val"]["n"] == 1
    assert metrics["test_chrom"]["n"] == 2 and metrics["test_condition"]["n"] == 5
    # the held-out condition on the test chromosome c: p6 on both strands
    assert metrics["test_condition_test_chrom"]["n"] == 2
    assert metrics["test_condition"]["mse"] == pytest.approx(0.25)
    assert metrics["train"]["mse"] == pytest.approx(0.25 / 2)
    assert metrics["test_condition"]["pearson"] == pytest.approx(1.0)


def test_tss_metrics_leave_out_empty_groups():
    splits = chromosome_splits(["a", "b"], ["cA"], ["b"], [], [])
    chroms = np.array(["a", "a", "b"])
    is_tss = np.array([[True, False], [False, True], [True, False]])
    labels = np.arange(6, dtype=np.float32).reshape(1, 3, 2)
    table = tss_table(labels, labels, is_tss, np.array(["x", "y", "z"]), chroms, ["cA"], splits)
    metrics = tss_metrics(table, splits)
    assert set(metrics) == {"train", "val"}
    assert metrics["train"]["r2"] == pytest.approx(1.0)
