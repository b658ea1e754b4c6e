"""Counts per consensus peak (``regflow peaks counts``): insertions, CPM, pseudobulk, FRiP."""

from __future__ import annotations

import json

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from regflow.peaks.counts import NORMALIZATION, count_in_intervals, cpm, log_cpm, pseudobulk

from .conftest import run, write_fragments

SHEET = (
    "sample\tassay\tcondition\treplicate\tfastq_1\tfastq_2\n"
    "S3\tatac\tA\t2\ta.fq.gz\t\n"
    "X\trna\tA\t1\tx.fq.gz\t\n"
    "S2\tatac\tB\t1\tb.fq.gz\tb2.fq.gz\n"
    "S1\tatac\tA\t1\tc.fq.gz\tc2.fq.gz\n"
)
PEAKS = "chr1\t100\t200\tchr1:100-200\t5\t.\nchr1\t300\t400\tx\t5\t.\nchr2\t0\t50\ty\t1\t.\n"
NAMES = ["chr1:100-200", "chr1:300-400", "chr2:0-50"]
# Hand-counted Tn5 insertions (start and end - 1 of each fragment, times its count):
COUNTS = np.array([[3, 1, 0], [2, 4, 0], [1, 0, 2]])  # peaks x (S1, S2, S3)
TOTALS = np.array([10, 10, 4])


def test_count_in_intervals_half_open_weighted_and_overlapping():
    position = np.array([5, 10, 10, 19, 20, 30])
    weight = np.array([1, 2, 1, 4, 8, 16])
    got = count_in_intervals(
        position, weight, np.array([10, 0, 15, 31]), np.array([20, 11, 31, 40])
    )
    assert got.tolist() == [7, 4, 28, 0]


def test_cpm_log_cpm_and_pseudobulk():
    counts = np.array([[1, 0], [3, 5]])
    assert cpm(counts).tolist() == [[250_000.0, 0.0], [750_000.0, 1_000_000.0]]
    assert np.allclose(log_cpm(counts), np.log10(cpm(counts) + 1))
    summed, names = pseudobulk(np.array([[1, 2, 4], [8, 16, 32]]), ["b", "a", "b"])
    assert names == ["b", "a"]
    assert summed.tolist() == [[5, 2], [40, 16]]


@pytest.fixture
def inputs(tmp_path):
    frags = {
        "S1": [("chr1", 90, 150), ("chr1", 150, 301, 2), ("chr2", 10, 60), ("chr1", 500, 600)],
        "S2": [("chr1", 199, 250), ("chr1", 200, 399), ("chr1", 350, 1000, 3)],
        "S3": [("chr2", 20, 40), ("chr1", 5000, 5100)],
    }
    paths = {s: write_fragments(tmp_path / f"{s}.tsv.gz", rows) for s, rows in frags.items()}
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(SHEET)
    consensus = tmp_path / "consensus.bed"
    consensus.write_text(PEAKS)
    return paths, sheet, consensus


def counts_argv(paths, sheet, consensus, out):
    argv = ["peaks", "counts", "--consensus", str(consensus), "--samples", str(sheet)]
    argv += ["--fragments", *[f"{s}={p}" for s, p in paths.items()]]
    for name in ("counts", "logcpm", "pseudobulk"):
        argv += [f"--output-{name}", str(out / f"{name}.tsv")]
    return [*argv, "--output-h5ad", str(out / "peaks.h5ad"), "--frip-dir", str(out / "frip")]


def test_cli_counts_normalisation_pseudobulk_and_frip(tmp_path, inputs):
    paths, sheet, consensus = inputs
    out = tmp_path / "out"
    assert run(counts_argv(paths, sheet, consensus, out)) == 0

    adata = ad.read_h5ad(out / "peaks.h5ad")
    assert adata.obs_names.tolist() == ["S1", "S2", "S3"]
    assert adata.var_names.tolist() == NAMES
    assert adata.var[["chrom", "start", "end"]].astype({"chrom": str}).values.tolist() == [
        ["chr1", 100, 200],
        ["chr1", 300, 400],
        ["chr2", 0, 50],
    ]
    assert adata.layers["counts"].tolist() == COUNTS.T.tolist()
    assert adata.layers["counts"].dtype.kind == "i"
    cpm_s1 = [3 / 6 * 1e6, 2 / 6 * 1e6, 1 / 6 * 1e6]
    assert np.allclose(adata.layers["cpm"][0], cpm_s1)
    assert np.allclose(adata.layers["logcpm"][0], np.log10(np.array(cpm_s1) + 1))
    assert np.array_equal(adata.X, adata.layers["logcpm"])
    assert adata.uns["normalization"]["log_base"] == 10
    assert adata.uns["normalization"]["pseudocount"] == 1
    assert adata.uns["normalization"]["cpm_denominator"] == NORMALIZATION["cpm_denominator"]
    obs = adata.obs
    assert obs["condition"].astype(str).tolist() == ["A", "B", "A"]
    assert obs["fastq_2"].astype(str).tolist() == ["c2.fq.gz", "b2.fq.gz", ""]
    assert obs["total_insertions"].tolist() == TOTALS.tolist()
    assert obs["insertions_in_peaks"].tolist() == [6, 5, 2]
    assert np.allclose(obs["frip"], [0.6, 0.5, 0.5])

    counts = pd.read_csv(out / "counts.tsv", sep="\t")
    assert counts.columns.tolist() == ["peak", "S1", "S2", "S3"]
    assert counts["peak"].tolist() == NAMES
    assert counts[["S1", "S2", "S3"]].values.tolist() == COUNTS.tolist()
    logcpm = pd.read_csv(out / "logcpm.tsv", sep="\t").set_index("peak")
    assert np.allclose(logcpm.values, adata.layers["logcpm"].T, atol=1e-6)
    pseudo = pd.read_csv(out / "pseudobulk.tsv", sep="\t").set_index("peak")
    assert pseudo.columns.tolist() == ["A", "B"]  # first appearance among the samples
    # A = S1 + S3 = (3, 2, 3) of 8; B = S2 = (1, 4, 0) of 5
    expected = np.log10(np.array([[3 / 8, 1 / 5], [2 / 8, 4 / 5], [3 / 8, 0]]) * 1e6 + 1)
    assert np.allclose(pseudo.values, expected, atol=1e-6)

    frip = json.loads((out / "frip" / "S2.json").read_text())
    assert frip == {"sample": "S2", "frip": 0.5, "insertions_in_peaks": 5, "total_insertions": 10}


def test_cli_sample_without_insertions_in_peaks_is_an_error(tmp_path, inputs, capsys):
    paths, sheet, consensus = inputs
    consensus.write_text("chr1\t100\t200\tp\t1\t.\n")  # S3 has nothing there
    out = tmp_path / "out"
    assert run(counts_argv(paths, sheet, consensus, out)) == 1
    message = capsys.readouterr().out
    assert f"sample S3: no Tn5 insertion of fragments file {paths['S3']} falls in" in message
    assert not out.exists()


def test_cli_sample_missing_from_sheet_is_an_error(tmp_path, inputs, capsys):
    paths, sheet, consensus = inputs
    sheet.write_text(SHEET.replace("S2\t", "S9\t"))
    out = tmp_path / "out"
    assert run(counts_argv(paths, sheet, consensus, out)) == 1
    assert (
        f"sample S2 (fragments {paths['S2']}) is not in the sample sheet" in capsys.readouterr().out
    )
    assert not out.exists()


def test_cli_fragments_without_index_is_an_error(tmp_path, inputs, capsys):
    paths, sheet, consensus = inputs
    (tmp_path / "S2.tsv.gz.tbi").unlink()
    out = tmp_path / "out"
    assert run(counts_argv(paths, sheet, consensus, out)) == 1
    assert "sample S2: fragments file" in capsys.readouterr().out
