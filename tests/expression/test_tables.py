"""Joining per-sample counts and salmon tables, per-condition means and the full set of tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regflow.errors import RegflowError
from regflow.expression.io import read_salmon_genes
from regflow.expression.tables import (
    condition_means,
    count_matrix,
    expression_tables,
    salmon_expression_tables,
    salmon_matrix,
)
from regflow.expression.tpm import tpm, tpm_from_effective_lengths

from .conftest import SALMON, write_salmon_genes


def gene_table(counts: dict[str, int], lengths: dict[str, int] | None = None) -> pd.DataFrame:
    lengths = lengths or {"GA": 1000, "GB": 600, "GC": 300}
    index = pd.Index(list(counts), name="gene_id")
    return pd.DataFrame(
        {"length": [lengths[g] for g in counts], "count": list(counts.values())}, index=index
    )


SOURCES = {"s1": Path("s1.txt"), "s2": Path("s2.txt")}


def test_count_matrix_aligns_genes_on_the_first_sample():
    counts, lengths = count_matrix(
        {
            "s1": gene_table({"GA": 1, "GB": 2, "GC": 3}),
            "s2": gene_table({"GC": 30, "GA": 10, "GB": 20}),
        },
        SOURCES,
    )
    assert list(counts.columns) == ["s1", "s2"]
    assert list(counts.index) == ["GA", "GB", "GC"]
    assert counts["s2"].tolist() == [10, 20, 30]
    assert lengths.tolist() == [1000, 600, 300]


def test_count_matrix_different_gene_set():
    with pytest.raises(
        RegflowError,
        match=r"sample s2: featureCounts file s2.txt has a different gene set from sample s1's "
        r"\(s1.txt\): 1 genes only here, 1 only there \(e.g. GD\)",
    ):
        count_matrix(
            {
                "s1": gene_table({"GA": 1, "GB": 2}),
                "s2": gene_table({"GA": 1, "GD": 2}, {"GA": 1000, "GD": 5}),
            },
            SOURCES,
        )


def test_count_matrix_different_gene_length():
    with pytest.raises(
        RegflowError, match=r"sample s2: featureCounts file s2.txt gives gene GB length 601"
    ):
        count_matrix(
            {
                "s1": gene_table({"GA": 1, "GB": 2}),
                "s2": gene_table({"GA": 1, "GB": 2}, {"GA": 1000, "GB": 601}),
            },
            SOURCES,
        )


def test_count_matrix_sample_without_assigned_reads():
    with pytest.raises(
        RegflowError,
        match=r"sample s2: featureCounts file s2.txt has no reads assigned to genes, so its TPM "
        "is undefined",
    ):
        count_matrix(
            {"s1": gene_table({"GA": 1, "GB": 2}), "s2": gene_table({"GA": 0, "GB": 0})},
            SOURCES,
        )


def test_condition_means_by_hand():
    values = pd.DataFrame(
        {"b1": [1.0, 2.0], "a1": [3.0, 4.0], "b2": [5.0, 8.0], "a2": [5.0, 0.0]},
        index=pd.Index(["g1", "g2"], name="gene_id"),
    )
    conditions = pd.Series({"a1": "A", "a2": "A", "b1": "B", "b2": "B"})
    means = condition_means(values, conditions)
    assert list(means.columns) == ["B", "A"]  # order of first appearance among the columns
    assert means.index.name == "gene_id"
    np.testing.assert_allclose(means.to_numpy(), [[3.0, 4.0], [5.0, 2.0]])


def test_expression_tables():
    genes = pd.Index(["GA", "GB", "GC"], name="gene_id")
    counts = pd.DataFrame({"r1": [100, 30, 0], "r2": [80, 60, 10], "r3": [5, 5, 5]}, index=genes)
    lengths = pd.Series([1000, 600, 300], index=genes)
    fragment = pd.Series({"r3": 200.0, "r1": 200.0, "r2": 250.0})
    conditions = pd.Series({"r1": "t0", "r2": "t0", "r3": "t1"})
    tables = expression_tables(counts, lengths, fragment, conditions)

    expected = tpm(counts.to_numpy(), lengths.to_numpy(), np.array([200.0, 250.0, 200.0]))
    np.testing.assert_allclose(tables["tpm"].to_numpy(), expected)
    np.testing.assert_allclose(tables["log2_tpm"].to_numpy(), np.log2(expected + 1))
    np.testing.assert_allclose(tables["log10_tpm"].to_numpy(), np.log10(expected + 1))
    pd.testing.assert_frame_equal(tables["counts"], counts)
    np.testing.assert_allclose(
        tables["tpm_by_condition"].to_numpy(),
        np.column_stack([expected[:, :2].mean(axis=1), expected[:, 2]]),
    )
    np.testing.assert_allclose(
        tables["log2_tpm_by_condition"]["t0"], np.log2(expected[:, :2] + 1).mean(axis=1)
    )
    assert list(tables["tpm_by_condition"].columns) == ["t0", "t1"]
    lengths_table = tables["gene_lengths"]
    assert list(lengths_table.columns) == ["length", "r1", "r2", "r3"]
    np.testing.assert_allclose(
        lengths_table.to_numpy(),
        [[1000, 801, 751, 801], [600, 401, 351, 401], [300, 101, 51, 101]],
    )
    for name, table in tables.items():
        assert table.index.name == "gene_id", name
        assert list(table.index) == ["GA", "GB", "GC"], name


GENES = pd.Index(["GA", "GB", "GC"], name="gene_id")


def test_salmon_matrix(salmon_dir):
    per_sample = {s: read_salmon_genes(salmon_dir[s]) for s in ("s2", "s1", "s3")}
    num_reads, effective_lengths = salmon_matrix(per_sample, salmon_dir, GENES)
    assert list(num_reads.columns) == ["s2", "s1", "s3"]
    assert list(num_reads.index) == ["GA", "GB", "GC"]  # the genes given, not the files' order
    assert num_reads["s3"].tolist() == [49.9, 50.1, 1.277]
    assert effective_lengths["s1"].tolist() == [815.123, 420.5, 120.25]
    assert effective_lengths.index.equals(num_reads.index)


def test_tpm_recomputation_equals_salmons(salmon_dir):
    for sample in SALMON:
        table = read_salmon_genes(salmon_dir[sample])
        recomputed = tpm_from_effective_lengths(
            table[["num_reads"]].to_numpy(), table[["effective_length"]].to_numpy()
        )[:, 0]
        # agree to 6 significant digits but where rounding NumReads to 3 decimals shows
        np.testing.assert_allclose(recomputed, table["tpm"], rtol=3e-4, atol=1e-3)


def test_salmon_matrix_tpm_disagreement(salmon_dir):
    num_reads, lengths = SALMON["s2"]
    write_salmon_genes(salmon_dir["s2"], num_reads, lengths, tpm_scale=1.001)
    per_sample = {s: read_salmon_genes(path) for s, path in salmon_dir.items()}
    with pytest.raises(
        RegflowError,
        match=rf"sample s2: salmon file {salmon_dir['s2']}: TPM disagrees with NumReads / "
        r"EffectiveLength for 3 gene\(s\), e.g. GC: TPM 240781, recomputed 240538$",
    ):
        salmon_matrix(per_sample, salmon_dir, GENES)


def test_salmon_matrix_different_gene_set(salmon_dir):
    write_salmon_genes(salmon_dir["s1"], {"GA": 3.0, "GB": 1.0}, {"GA": 100.0, "GB": 50.0})
    per_sample = {s: read_salmon_genes(path) for s, path in salmon_dir.items()}
    with pytest.raises(
        RegflowError,
        match=rf"sample s1: salmon file {salmon_dir['s1']} has a different gene set from the "
        r"featureCounts tables: 0 genes only here, 1 only there \(e.g. GC\)",
    ):
        salmon_matrix(per_sample, salmon_dir, GENES)


def test_salmon_matrix_without_reads(tmp_path):
    path = tmp_path / "quant.genes.sf"
    path.write_text("Name\tLength\tEffectiveLength\tTPM\tNumReads\nGA\t9\t9\t0\t0\n")
    with pytest.raises(
        RegflowError, match=r"sample s1: salmon file .* has no reads assigned to genes"
    ):
        salmon_matrix({"s1": read_salmon_genes(path)}, {"s1": path}, pd.Index(["GA"]))


def test_salmon_expression_tables():
    counts = pd.DataFrame({"r1": [100, 30, 0], "r2": [80, 60, 10]}, index=GENES)
    lengths = pd.Series([1000, 600, 300], index=GENES, name="length")
    num_reads = pd.DataFrame({"r1": [101.5, 28.25, 0.0], "r2": [80.0, 61.0, 9.337]}, index=GENES)
    effective = pd.DataFrame(
        {"r1": [815.1, 420.5, 120.2], "r2": [790.0, 415.0, 118.7]}, index=GENES
    )
    conditions = pd.Series({"r1": "t0", "r2": "t1"})
    tables = salmon_expression_tables(counts, lengths, num_reads, effective, conditions)

    rates = num_reads / effective
    expected = 1e6 * rates / rates.sum()
    np.testing.assert_allclose(tables["tpm"].to_numpy(), expected.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(tables["log2_tpm"], np.log2(expected + 1), rtol=1e-12)
    np.testing.assert_allclose(tables["log10_tpm"], np.log10(expected + 1), rtol=1e-12)
    np.testing.assert_allclose(tables["tpm_by_condition"], expected.to_numpy(), rtol=1e-12)
    assert list(tables["tpm_by_condition"].columns) == ["t0", "t1"]
    pd.testing.assert_frame_equal(tables["counts"], counts)  # featureCounts', not salmon's
    pd.testing.assert_frame_equal(tables["salmon_numreads"], num_reads)
    pd.testing.assert_frame_equal(tables["effective_lengths"], effective)
    pd.testing.assert_frame_equal(tables["gene_lengths"], lengths.to_frame("length"))
    assert sorted(tables) == sorted(
        [
            "counts",
            "tpm",
            "log2_tpm",
            "log10_tpm",
            "tpm_by_condition",
            "log2_tpm_by_condition",
            "salmon_numreads",
            "effective_lengths",
            "gene_lengths",
        ]
    )
    for name, table in tables.items():
        assert table.index.name == "gene_id", name
