"""The chromatin-ViT dataset: validation genes drawn per expression bin, examples and their
splits, and standardisation."""

from __future__ import annotations

import numpy as np
import pytest

from regflow.datasets.vit import standardisation, validation_genes, vit_examples
from regflow.errors import RegflowError


@pytest.fixture
def level() -> np.ndarray:
    """100 distinct expression levels in shuffled order (gene order != level order)."""
    return np.random.default_rng(3).permutation(100).astype(float)


def test_validation_fraction_is_honoured_in_every_bin(level):
    mask = validation_genes(level, 0.2, seed=1, bins=10)
    assert mask.dtype == bool and mask.shape == (100,)
    assert mask.sum() == 20
    ranks = np.argsort(np.argsort(level))  # 0 = lowest level
    per_decile = np.bincount(ranks[mask] // 10, minlength=10)
    np.testing.assert_array_equal(per_decile, 2)
    # rare silent genes and top expressers both validate
    assert mask[ranks < 10].any() and mask[ranks >= 90].any()


def test_validation_genes_are_seeded(level):
    a = validation_genes(level, 0.3, seed=5)
    np.testing.assert_array_equal(a, validation_genes(level, 0.3, seed=5))
    b = validation_genes(level, 0.3, seed=6)
    assert a.sum() == b.sum() == 30
    assert not np.array_equal(a, b)


def test_missing_levels_count_as_the_lowest_bin():
    level = np.arange(20, dtype=float)
    level[[3, 7]] = np.nan
    mask = validation_genes(level, 0.5, seed=0, bins=10)
    # the two NaN genes sort first and share the lowest bin: one of them validates
    assert mask[[3, 7]].sum() == 1
    assert mask.sum() == 10


def test_at_least_one_validation_gene():
    mask = validation_genes(np.arange(5.0), 0.05, seed=0)  # rounds to 0 per bin
    assert mask.sum() == 1


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_bad_fraction_raises(level, fraction):
    with pytest.raises(RegflowError, match="validation fraction"):
        validation_genes(level, fraction, seed=1)


GENES = np.array(["ga", "gb", "gc", "gd"])
CONDITIONS = ["c0", "c1", "c2", "c3"]


@pytest.fixture
def targets() -> np.ndarray:
    t = np.arange(16, dtype=np.float32).reshape(4, 4)
    t[2, 1] = np.nan  # gc has no target at c1 (a training condition)
    t[3, 3] = np.nan  # gd has no target at c3 (the test condition)
    return t


def test_examples_and_their_splits(targets):
    val = np.array([False, True, False, False])
    frame = vit_examples(GENES, CONDITIONS, targets, ["c1", "c2"], ["c3"], val)
    assert list(frame.columns) == ["gene_id", "gene_index", "condition", "condition_index", "split"]
    keyed = {(r.gene_id, r.condition): r for r in frame.itertuples()}
    # c0 is neither trained nor tested; missing targets are left out
    assert set(keyed) == {
        ("ga", "c1"), ("gb", "c1"), ("gd", "c1"),
        ("ga", "c2"), ("gb", "c2"), ("gc", "c2"), ("gd", "c2"),
        ("ga", "c3"), ("gb", "c3"), ("gc", "c3"),
    }  # fmt: skip
    assert keyed[("gb", "c1")].split == "val" and keyed[("gb", "c2")].split == "val"
    assert keyed[("ga", "c2")].split == "train" and keyed[("gd", "c1")].split == "train"
    # every gene at the test condition is a test example, validation genes included
    assert keyed[("gb", "c3")].split == "test" and keyed[("ga", "c3")].split == "test"
    for row in frame.itertuples():
        assert GENES[row.gene_index] == row.gene_id
        assert CONDITIONS[row.condition_index] == row.condition
    # no gene is both trained on and validated
    splits = frame[frame["split"] != "test"].groupby("gene_id")["split"].nunique()
    assert (splits == 1).all()


def test_overlapping_conditions_raise_naming_them(targets):
    val = np.array([False, True, False, False])
    with pytest.raises(RegflowError, match="trained on and tested: c1, c2"):
        vit_examples(GENES, CONDITIONS, targets, ["c2", "c1"], ["c1", "c2", "c3"], val)


def test_unknown_conditions_raise_naming_them(targets):
    val = np.array([False, True, False, False])
    with pytest.raises(RegflowError, match=r"conditions c9, c7 have no MNase images.*c0, c1"):
        vit_examples(GENES, CONDITIONS, targets, ["c1", "c9"], ["c7"], val)


def test_an_empty_split_raises(targets):
    with pytest.raises(RegflowError, match="no val examples"):
        vit_examples(GENES, CONDITIONS, targets, ["c1"], ["c3"], np.zeros(4, dtype=bool))
    no_test = targets.copy()
    no_test[:, 3] = np.nan
    with pytest.raises(RegflowError, match="no test examples"):
        vit_examples(GENES, CONDITIONS, no_test, ["c1"], ["c3"], np.array([1, 0, 0, 0], bool))
    with pytest.raises(RegflowError, match="no train examples"):
        vit_examples(GENES, CONDITIONS, targets, ["c1"], ["c3"], np.ones(4, dtype=bool))


def test_standardisation():
    values = np.array([[1.0, 3.0], [5.0, 7.0]])
    mean, std = standardisation(values)
    assert mean == pytest.approx(4.0)
    assert std == pytest.approx(np.sqrt(5.0))  # population SD over every value
    assert isinstance(mean, float) and isinstance(std, float)


@pytest.mark.parametrize("values", [np.full(5, 2.0), np.array([1.0, np.nan, 2.0])])
def test_standardisation_of_constant_or_missing_values_raises(values):
    with pytest.raises(RegflowError, match="cannot be standardised"):
        standardisation(values)
