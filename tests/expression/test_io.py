"""Reading featureCounts tables, fragment-length JSONs and the sample sheet's conditions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regflow.errors import RegflowError
from regflow.expression.io import (
    read_featurecounts,
    read_fragment_length,
    read_salmon_genes,
    sample_conditions,
)

from .conftest import SALMON, write_featurecounts, write_sheet


def test_read_featurecounts(tmp_path):
    path = write_featurecounts(tmp_path / "s.txt", {"GA": 7, "GB": 0, "GC": 123})
    table = read_featurecounts(path)
    assert list(table.index) == ["GA", "GB", "GC"]
    assert table.index.name == "gene_id"
    assert table["length"].tolist() == [1000, 600, 300]  # GA: two exons of 500
    assert table["count"].tolist() == [7, 0, 123]
    assert table.dtypes.tolist() == ["int64", "int64"]


def test_featurecounts_multi_exon_row_is_realistic(tmp_path):
    path = write_featurecounts(tmp_path / "s.txt", {"GA": 1, "GB": 2, "GC": 3})
    row = path.read_text().splitlines()[2].split("\t")
    assert row == ["GA", "chr1;chr1", "1001;2001", "1500;2500", "+;+", "1000", "1"]


def test_featurecounts_missing(tmp_path):
    with pytest.raises(RegflowError, match=r"featureCounts file .*nope.txt does not exist"):
        read_featurecounts(tmp_path / "nope.txt")


@pytest.mark.parametrize("text", ["", "# only a comment\n", "gene\tcount\nGA\t3\n"])
def test_featurecounts_not_featurecounts(tmp_path, text):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(RegflowError, match=r"bad.txt is not featureCounts output"):
        read_featurecounts(path)


def test_featurecounts_two_count_columns(tmp_path):
    path = tmp_path / "two.txt"
    path.write_text(
        "Geneid\tChr\tStart\tEnd\tStrand\tLength\ta.bam\tb.bam\nGA\tchr1\t1\t10\t+\t10\t1\t2\n"
    )
    with pytest.raises(RegflowError, match=r"two.txt has 2 count columns; expected one"):
        read_featurecounts(path)


def test_featurecounts_no_genes(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("Geneid\tChr\tStart\tEnd\tStrand\tLength\ta.bam\n")
    with pytest.raises(RegflowError, match=r"empty.txt has no genes"):
        read_featurecounts(path)


@pytest.mark.parametrize("value", ["-1", "2.5", "x", ""])
def test_featurecounts_bad_count(tmp_path, value):
    path = write_featurecounts(tmp_path / "s.txt", {"GA": 1, "GB": value, "GC": 3})
    with pytest.raises(RegflowError, match=r"s.txt: gene GB has count .*non-negative integer"):
        read_featurecounts(path)


def test_featurecounts_duplicate_gene(tmp_path):
    path = write_featurecounts(tmp_path / "s.txt", {"GA": 1, "GB": 2, "GC": 3})
    path.write_text(path.read_text().replace("GC\t", "GA\t"))
    with pytest.raises(RegflowError, match=r"s.txt lists gene GA twice"):
        read_featurecounts(path)


def test_read_fragment_length(tmp_path):
    path = tmp_path / "f.json"
    path.write_text('{"sample": "s1", "fragment_length_mean": 187.5, "source": "estimated"}')
    assert read_fragment_length(path, "s1") == 187.5


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "is not valid JSON"),
        ("[1]", "must hold a JSON object"),
        ('{"sample": "s2", "fragment_length_mean": 200}', "is for sample 's2'"),
        ('{"sample": "s1", "fragment_length_mean": 0}', "must be a positive number"),
        ('{"sample": "s1", "fragment_length_mean": "200"}', "must be a positive number"),
        ('{"sample": "s1"}', "must be a positive number, got None"),
    ],
)
def test_read_fragment_length_errors(tmp_path, text, problem):
    path = tmp_path / "f.json"
    path.write_text(text)
    with pytest.raises(RegflowError, match=rf"sample s1: fragment-length JSON .*f.json.*{problem}"):
        read_fragment_length(path, "s1")


def test_sample_conditions_in_sheet_order(tmp_path):
    sheet = write_sheet(
        tmp_path / "samples.tsv",
        [("a1", "atac", "x"), ("r2", "rna", "t0"), ("r1", "rna", "t1"), ("r3", "rna", "t0")],
    )
    conditions = sample_conditions(sheet, ["r1", "r3", "r2"])
    pd.testing.assert_series_equal(
        conditions, pd.Series(["t0", "t1", "t0"], index=["r2", "r1", "r3"], name="condition")
    )


@pytest.mark.parametrize(
    ("sample", "problem"),
    [
        ("r9", r"sample 'r9' is not in sample sheet .*samples.tsv"),
        ("a1", r"samples.tsv row 1 \(sample 'a1'\): assay is 'atac', expected 'rna'"),
        ("r2", r"samples.tsv row 3 \(sample 'r2'\): missing condition \(the per-condition"),
    ],
)
def test_sample_conditions_errors(tmp_path, sample, problem):
    sheet = write_sheet(
        tmp_path / "samples.tsv", [("a1", "atac", "x"), ("r1", "rna", "t0"), ("r2", "rna", "")]
    )
    with pytest.raises(RegflowError, match=problem):
        sample_conditions(sheet, ["r1", sample])


def test_read_salmon_genes(salmon_dir):
    table = read_salmon_genes(salmon_dir["s3"])
    assert list(table.index) == ["GC", "GB", "GA"]  # the file's order
    assert table.index.name == "gene_id"
    assert list(table.columns) == ["length", "effective_length", "tpm", "num_reads"]
    assert table.dtypes.tolist() == ["float64"] * 4
    assert table["num_reads"].tolist() == [1.277, 50.1, 49.9]  # rounded to 3 decimals
    assert table["effective_length"].tolist() == [48.279, 420.5, 815.123]
    assert table["length"].tolist() == [233.779, 606.0, 1000.62]  # 6 significant digits
    num_reads, lengths = SALMON["s3"]
    rates = {gene: num_reads[gene] / lengths[gene] for gene in num_reads}
    expected = [1e6 * rates[gene] / sum(rates.values()) for gene in table.index]
    np.testing.assert_allclose(table["tpm"], expected, rtol=5e-6)


def test_salmon_file_is_realistic(salmon_dir):
    assert salmon_dir["s3"].read_text().splitlines()[:2] == [
        "Name\tLength\tEffectiveLength\tTPM\tNumReads",
        "GC\t233.779\t48.279\t127921\t1.277",
    ]


def test_salmon_missing(tmp_path):
    with pytest.raises(RegflowError, match=r"salmon file .*quant.genes.sf does not exist"):
        read_salmon_genes(tmp_path / "quant.genes.sf")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "cannot be parsed"),
        ("Name\tLength\tEffectiveLength\tTPM\n", "is not salmon quant output"),
        ("Geneid\tChr\tStart\tEnd\tStrand\tLength\tx.bam\n", "is not salmon quant output"),
        ("Name\tLength\tEffectiveLength\tTPM\tNumReads\n", "has no genes"),
        (
            "Name\tLength\tEffectiveLength\tTPM\tNumReads\nG\t1\t1\t1\t1\nG\t1\t1\t1\t1\n",
            "lists gene G twice",
        ),
        (
            "Name\tLength\tEffectiveLength\tTPM\tNumReads\nG\t1\t1\tnan\t1\n",
            "gene G has TPM 'nan', expected a finite non-negative number",
        ),
        (
            "Name\tLength\tEffectiveLength\tTPM\tNumReads\nG\t1\t1\t1\t-2\n",
            "gene G has NumReads '-2', expected a finite non-negative number",
        ),
        (
            "Name\tLength\tEffectiveLength\tTPM\tNumReads\nG\t1\t0\t0\t0\n",
            "gene G has EffectiveLength '0', expected a finite positive number",
        ),
    ],
)
def test_salmon_errors(tmp_path, text, problem):
    path = tmp_path / "quant.genes.sf"
    path.write_text(text)
    with pytest.raises(RegflowError, match=rf"salmon file {path}:? {problem}"):
        read_salmon_genes(path)
