"""ChromBPNet locus: choosing the peak and aligning profiles with contributions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regflow.errors import RegflowError
from regflow.figures import chrombpnet

PREDICTIONS = pd.DataFrame(
    {
        "name": ["p1", "p2", "p3", "n1"],
        "kind": ["peak", "peak", "peak", "nonpeak"],
        "split": ["test", "test", "train", "test"],
        "observed_counts": [10, 30, 99, 99],
    }
)


def test_choose_locus_takes_the_test_peak_with_most_insertions_among_candidates():
    assert chrombpnet.choose_locus(PREDICTIONS, {"p1", "p2", "p3", "n1"}) == "p2"
    assert chrombpnet.choose_locus(PREDICTIONS, {"p1", "p3"}) == "p1"
    with pytest.raises(RegflowError, match="no test-chromosome peak"):
        chrombpnet.choose_locus(PREDICTIONS, {"p3"})


def test_locus_table_places_the_profiles_inside_the_contribution_window():
    one_hot = np.eye(4, dtype=np.uint8)[[0, 1, 2, 3, 0, 1]]  # ACGTAC
    table = chrombpnet.locus_table(
        "chr1",
        100,
        one_hot,
        {"counts": np.arange(6, dtype=float)},
        102,
        {"observed": np.array([5.0, 6.0]), "predicted_corrected": np.array([1.0, 2.0])},
    )
    assert table["position"].tolist() == list(range(100, 106))
    assert "".join(table["base"]) == "ACGTAC"
    assert table["observed"].tolist()[2:4] == [5.0, 6.0]
    assert table["observed"].isna().sum() == 4
    assert table["contribution_counts"].tolist() == [0, 1, 2, 3, 4, 5]
    chrombpnet.locus_figure(
        table.assign(predicted_uncorrected=table["predicted_corrected"]), "p1", zoom=3
    )
    with pytest.raises(RegflowError, match="outside the contribution window"):
        chrombpnet.locus_table("chr1", 100, one_hot, {}, 105, {"observed": np.ones(2)})
