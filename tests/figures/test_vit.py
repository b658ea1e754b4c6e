"""Chromatin-transformers figures: the R^2 table, the test scatter and the Figure 3 slices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regflow.errors import RegflowError
from regflow.figures import vit


def metrics(channels, first, shared, r2, n=10):
    variant = {"channels": channels, "first_channel": first, "shared_trunk": shared}
    return {"variant": variant, "splits": {"test": {"n": n, "r2": r2}}, "test_r2": r2}


GP = {"first_channel": "0min", "splits": {"test": {"n": 10, "r2": 0.44}}}


def test_r2_table_lists_every_variant_and_the_gp_best_first():
    table = vit.r2_table(
        {
            "two": metrics(2, "0min", False, 0.71),
            "shared": metrics(2, "7.5min", True, 0.65),
            "single": metrics(1, "0min", False, 0.5),
        },
        GP,
    )
    assert table["model"].tolist() == ["two", "shared", "single", "gaussian_process"]
    assert table["test_r2"].tolist() == [0.71, 0.65, 0.5, 0.44]
    assert table["architecture"].tolist() == [
        "dual channel, two trunks",
        "dual channel, shared trunk",
        "single channel",
        "Gaussian process",
    ]
    assert table["first_channel"].tolist() == ["0min", "7.5min", "none", "0min"]
    vit.r2_figure(table)


def test_r_squared_is_one_for_a_perfect_fit_and_zero_for_the_mean():
    truth = np.array([1.0, 2.0, 3.0])
    assert vit.r_squared(truth, truth) == 1.0
    assert vit.r_squared(truth, np.full(3, 2.0)) == 0.0


def test_test_set_points_keep_only_test_rows():
    predictions = pd.DataFrame(
        {
            "gene_id": ["a", "b", "c"],
            "condition": ["120min", "7.5min", "120min"],
            "split": ["test", "train", "test"],
            "log2_tpm": [1.0, 2.0, 3.0],
            "predicted_log2_tpm": [1.5, 2.0, 2.5],
        }
    )
    points = vit.test_set_points(predictions, "two")
    assert points["gene_id"].tolist() == ["a", "c"]
    assert points["predicted_log2_tpm"].tolist() == [1.5, 2.5]
    assert set(points["variant"]) == {"two"}
    vit.scatter_figure(points)
    with pytest.raises(RegflowError, match="no test predictions"):
        vit.test_set_points(predictions[predictions["split"] == "train"], "two")


def test_gene_index_defaults_to_the_first_and_names_unknown_genes():
    genes = np.array(["G2", "G7"])
    assert vit.gene_index(genes, "") == 0
    assert vit.gene_index(genes, "G7") == 1
    with pytest.raises(RegflowError, match="G9 has no attention maps"):
        vit.gene_index(genes, "G9")
