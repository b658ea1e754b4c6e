"""``regflow datasets vit`` and ``regflow datasets get`` end to end on tiny synthetic inputs,
and failures (exit status 1, a one-line error, no outputs)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from regflow.cli import main

VIT_KEYS = {
    "images",
    "images_raw",
    "targets",
    "gene_ids",
    "conditions",
    "origin",
    "length_edges",
    "position_edges",
}


def _one_line_error(capsys, *fragments: str) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("regflow datasets: error: ")
    for fragment in fragments:
        assert fragment in err
    return err


# ---------------------------------------------------------------- datasets vit


def write_images(path, n_genes=40, seed=0, drop=()):
    """The arrays ``regflow mnase images`` writes, for conditions 0min, t1, t2, t3."""
    rng = np.random.default_rng(seed)
    conditions = np.array(["0min", "t1", "t2", "t3"])
    images = rng.exponential(1.0, (n_genes, 4, 8, 32)).astype(np.float32)
    targets = rng.uniform(0, 8, (n_genes, 4)).astype(np.float32)
    targets[0, 1] = np.nan  # G000 has no target at t1
    targets[1, 3] = np.nan  # G001 has no target at t3
    arrays = {
        "gene_ids": np.array([f"G{i:03d}" for i in range(n_genes)]),
        "conditions": conditions,
        "images": images,
        "images_raw": images * 2,
        "targets": targets,
        "anchor": np.full(n_genes, 120.0, dtype=np.float32),
        "origin": rng.uniform(-300, -200, n_genes).astype(np.float32),
        "length_edges": np.column_stack([np.arange(8) * 25 + 25, np.arange(8) * 25 + 50]) * 1.0,
        "position_edges": np.arange(0, 33 * 16, 16),
        "meta": np.array(json.dumps({"preset": "synthetic"})),
    }
    for key in drop:
        arrays.pop(key)
    np.savez_compressed(path, **arrays)
    return path, arrays


def _vit_argv(images, outdir, *extra):
    return [
        "datasets",
        "vit",
        "--images",
        str(images),
        "--train-conditions",
        "t1",
        "t2",
        "--test-conditions",
        "t3",
        "--outdir",
        str(outdir),
        *extra,
    ]


def test_vit_dataset(tmp_path):
    images, arrays = write_images(tmp_path / "images.npz")
    out = tmp_path / "vit"
    assert main(_vit_argv(images, out, "--val-fraction", "0.25", "--seed", "3")) == 0
    with np.load(out / "dataset.npz") as data:
        assert set(data.files) == VIT_KEYS
        for key in VIT_KEYS:
            np.testing.assert_array_equal(data[key], arrays[key])
    examples = pd.read_csv(out / "examples.tsv", sep="\t")
    assert list(examples.columns) == [
        "gene_id",
        "gene_index",
        "condition",
        "condition_index",
        "split",
    ]
    # 40 genes x (t1, t2, t3) less the two missing targets; 0min is only imaged
    assert len(examples) == 40 * 3 - 2
    assert set(examples["condition"]) == {"t1", "t2", "t3"}
    pairs = set(zip(examples["gene_id"], examples["condition"], strict=True))
    assert ("G000", "t1") not in pairs and ("G001", "t3") not in pairs
    assert ("G000", "t2") in pairs and ("G001", "t1") in pairs
    assert (examples.loc[examples["condition"] == "t3", "split"] == "test").all()
    trained = examples[examples["condition"] != "t3"]
    assert set(trained["split"]) == {"train", "val"}
    val_genes = set(trained.loc[trained["split"] == "val", "gene_id"])
    assert len(val_genes) == 10  # a quarter of the 40 genes
    assert not val_genes & set(trained.loc[trained["split"] == "train", "gene_id"])
    record = json.loads((out / "dataset.json").read_text())
    assert record["examples"] == examples["split"].value_counts().to_dict()
    assert record["n_genes"] == 40
    assert record["conditions"] == ["0min", "t1", "t2", "t3"]
    assert record["parameters"]["seed"] == 3 and record["parameters"]["val_fraction"] == 0.25
    assert record["parameters"]["test_conditions"] == ["t3"]

    # same seed, same split; another seed, other validation genes
    assert main(_vit_argv(images, tmp_path / "again", "--val-fraction", "0.25", "--seed", "3")) == 0
    again = pd.read_csv(tmp_path / "again/examples.tsv", sep="\t")
    pd.testing.assert_frame_equal(again, examples)
    assert main(_vit_argv(images, tmp_path / "other", "--val-fraction", "0.25", "--seed", "4")) == 0
    other = pd.read_csv(tmp_path / "other/examples.tsv", sep="\t")
    assert set(other.loc[other["split"] == "val", "gene_id"]) != val_genes


def test_vit_without_targets_fails_cleanly(tmp_path, capsys):
    images, arrays = write_images(tmp_path / "images.npz")
    arrays["targets"][:] = np.nan
    np.savez_compressed(images, **arrays)
    out = tmp_path / "vit"
    assert main(_vit_argv(images, out)) == 1
    _one_line_error(capsys, "carry no expression targets")
    assert not out.exists()


def test_vit_unknown_condition_fails_cleanly(tmp_path, capsys):
    images, _ = write_images(tmp_path / "images.npz")
    out = tmp_path / "vit"
    argv = _vit_argv(images, out)
    argv[argv.index("t3")] = "t9"
    assert main(argv) == 1
    _one_line_error(capsys, "conditions t9 have no MNase images")
    assert not out.exists()


def test_vit_images_lacking_an_array_fail_cleanly(tmp_path, capsys):
    images, _ = write_images(tmp_path / "images.npz", drop=("targets", "origin"))
    assert main(_vit_argv(images, tmp_path / "vit")) == 1
    _one_line_error(capsys, "lacks arrays: targets, origin")


# ---------------------------------------------------------------- datasets get

PEAKS = [
    ("chr1", 100, 300),
    ("chr1", 1000, 1200),
    ("chr1", 2000, 2200),
    ("chr1", 5000, 5200),
    ("chr1", 9000, 9200),
    ("chr2", 100, 300),
    ("chr2", 800, 1000),
    ("chr2", 3000, 3200),
]
PEAK_IDS = [f"{c}:{s}-{e}" for c, s, e in PEAKS]
# gene_id, chrom, 0-based TSS, strand
GENES = [
    ("gA", "chr1", 150, "+"),  # inside peak 0
    ("gA2", "chr1", 1100, "+"),  # peak 1, with gA3 on the same strand
    ("gA3", "chr1", 1150, "+"),
    ("gB", "chr1", 2250, "-"),  # 51 bp past peak 2
    ("gC", "chr1", 7000, "+"),  # 1801 bp from the nearest peak: no match
    ("gD", "chr2", 3100, "-"),  # inside peak 7
]


def write_gtf(path, genes):
    lines = []
    for gene_id, chrom, tss, strand in genes:
        start, end = (tss + 1, tss + 500) if strand == "+" else (tss - 498, tss + 1)
        attrs = f'gene_id "{gene_id}"; gene_name "{gene_id}";'
        lines.append(f"{chrom}\tsim\tgene\t{start}\t{end}\t.\t{strand}\t.\t{attrs}\n")
        lines.append(f"{chrom}\tsim\texon\t{start}\t{end}\t.\t{strand}\t.\t{attrs}\n")
    path.write_text("".join(lines))
    return path


@pytest.fixture
def get_inputs(tmp_path):
    rng = np.random.default_rng(1)
    bed = tmp_path / "peaks.bed"
    bed.write_text("".join(f"{c}\t{s}\t{e}\tp{i}\n" for i, (c, s, e) in enumerate(PEAKS)))
    scores = rng.uniform(0, 1, (len(PEAKS), 2)).astype(np.float32)
    clusters = tmp_path / "clusters.npz"
    np.savez_compressed(
        clusters, regions=np.array(PEAK_IDS), clusters=np.array(["ctcf", "gata"]), scores=scores
    )
    logcpm = pd.DataFrame(
        rng.uniform(0, 6, (len(PEAKS), 2)),
        index=pd.Index(PEAK_IDS, name="peak"),
        columns=["cA", "cB"],
    )
    logcpm.iloc[3, 1] = 8.0  # the global maximum
    logcpm_path = tmp_path / "logcpm.tsv"
    logcpm.to_csv(logcpm_path, sep="\t")
    tpm = pd.DataFrame(
        rng.uniform(0, 500, (len(GENES), 3)),
        index=pd.Index([g[0] for g in GENES], name="gene_id"),
        columns=["cB", "cA", "unused"],
    )
    tpm_path = tmp_path / "tpm.tsv"
    tpm.to_csv(tpm_path, sep="\t")
    gtf = write_gtf(tmp_path / "genes.gtf", GENES)
    paths = {"peaks": bed, "clusters": clusters, "logcpm": logcpm_path, "gtf": gtf, "tpm": tpm_path}
    return paths, scores, logcpm, tpm


def _get_argv(paths, outdir, *extra):
    argv = ["datasets", "get"]
    for key, path in paths.items():
        argv += [f"--{key}", str(path)]
    argv += ["--window", "3", "--stride", "2", "--heldout-conditions", "cB"]
    return [*argv, "--val-chromosomes", "chr2", "--outdir", str(outdir), *extra]


def test_get_dataset(tmp_path, get_inputs):
    paths, scores, logcpm, tpm = get_inputs
    out = tmp_path / "get"
    assert main(_get_argv(paths, out)) == 0
    with np.load(out / "dataset.npz") as data:
        d = {k: data[k] for k in data.files}
    assert set(d) == {
        "features",
        "labels",
        "is_tss",
        "peak_ids",
        "chroms",
        "conditions",
        "feature_names",
        "windows",
    }
    assert list(d["conditions"]) == ["cA", "cB"]  # the logCPM table's order
    assert list(d["peak_ids"]) == PEAK_IDS
    assert list(d["chroms"]) == [p[0] for p in PEAKS]
    features = d["features"]
    assert features.shape == (2, 8, 3) and features.dtype == np.float32
    assert list(d["feature_names"]) == ["ctcf", "gata", "accessibility"]
    for c in range(2):  # motif scores are the same in every condition
        np.testing.assert_allclose(features[c, :, :2], scores)
    np.testing.assert_allclose(features[:, :, 2], logcpm.to_numpy().T / 8.0, rtol=1e-6)

    labels, is_tss = d["labels"], d["is_tss"]
    assert labels.shape == (2, 8, 2)
    expected = np.zeros((8, 2), dtype=bool)
    expected[[0, 1], 0] = True
    expected[[2, 7], 1] = True
    np.testing.assert_array_equal(is_tss, expected)
    for c, cond in enumerate(["cA", "cB"]):
        t = tpm[cond]
        assert labels[c, 0, 0] == pytest.approx(np.log10(t["gA"] + 1), rel=1e-6)
        assert labels[c, 1, 0] == pytest.approx(np.log10(t["gA2"] + t["gA3"] + 1), rel=1e-6)
        assert labels[c, 2, 1] == pytest.approx(np.log10(t["gB"] + 1), rel=1e-6)
        assert labels[c, 7, 1] == pytest.approx(np.log10(t["gD"] + 1), rel=1e-6)
    assert labels[:, ~expected].sum() == 0

    np.testing.assert_array_equal(d["windows"], [[0, 1, 2], [2, 3, 4], [5, 6, 7]])

    splits = pd.read_csv(out / "splits.tsv", sep="\t")
    assert splits.values.tolist() == [
        ["cA", "chr1", "train"],
        ["cA", "chr2", "val"],
        ["cB", "chr1", "test_condition"],
        ["cB", "chr2", "test_condition"],
    ]
    tss = pd.read_csv(out / "tss.tsv", sep="\t")
    assert dict(zip(tss["name"], tss["peak"], strict=True)) == {
        "gA": 0,
        "gA2": 1,
        "gA3": 1,
        "gB": 2,
        "gD": 7,
    }
    assert tss.set_index("name").loc["gB", "distance"] == 51
    record = json.loads((out / "dataset.json").read_text())
    assert record["n_peaks"] == 8 and record["n_features"] == 3 and record["n_windows"] == 3
    assert record["tss_peaks"] == {"+": 2, "-": 2}
    assert record["genes_matched"] == 5 and record["genes"] == 6
    assert record["splits"] == {"test_condition": 2, "train": 1, "val": 1}
    assert record["parameters"]["tss_feature"] is False


def test_get_dataset_with_tss_feature_and_binary_accessibility(tmp_path, get_inputs):
    paths, scores, logcpm, _ = get_inputs
    out = tmp_path / "get"
    extra = ("--tss-feature", "--accessibility", "binary", "--binary-threshold", "3")
    assert main(_get_argv(paths, out, *extra)) == 0
    with np.load(out / "dataset.npz") as data:
        features, is_tss, names = data["features"], data["is_tss"], list(data["feature_names"])
    assert features.shape == (2, 8, 5)
    assert names == ["ctcf", "gata", "tss_plus", "tss_minus", "accessibility"]
    for c in range(2):
        np.testing.assert_array_equal(features[c, :, 2:4], is_tss.astype(np.float32))
        np.testing.assert_allclose(features[c, :, :2], scores)
    np.testing.assert_array_equal(features[:, :, 4], (logcpm.to_numpy().T > 3).astype(np.float32))
    assert json.loads((out / "dataset.json").read_text())["n_features"] == 5


def test_clusters_rows_not_matching_the_peaks_fail_cleanly(tmp_path, get_inputs, capsys):
    paths, scores, _, _ = get_inputs
    np.savez_compressed(
        paths["clusters"],
        regions=np.array(PEAK_IDS[::-1]),
        clusters=np.array(["ctcf", "gata"]),
        scores=scores,
    )
    out = tmp_path / "get"
    assert main(_get_argv(paths, out)) == 1
    _one_line_error(capsys, "motif clusters", "rows do not match the peaks of")
    assert not out.exists() or not any(out.iterdir())


def test_logcpm_rows_not_matching_the_peaks_fail_cleanly(tmp_path, get_inputs, capsys):
    paths, _, logcpm, _ = get_inputs
    logcpm.iloc[::-1].to_csv(paths["logcpm"], sep="\t")
    out = tmp_path / "get"
    assert main(_get_argv(paths, out)) == 1
    _one_line_error(capsys, "logCPM table", "rows do not match")
    assert not out.exists() or not any(out.iterdir())


def test_tpm_without_a_condition_fails_cleanly(tmp_path, get_inputs, capsys):
    paths, _, _, tpm = get_inputs
    tpm.drop(columns="cB").to_csv(paths["tpm"], sep="\t")
    out = tmp_path / "get"
    assert main(_get_argv(paths, out)) == 1
    _one_line_error(capsys, "has no column for ATAC-seq conditions cB")
    assert not out.exists() or not any(out.iterdir())


def test_get_unknown_heldout_chromosome_fails_cleanly(tmp_path, get_inputs, capsys):
    paths, _, _, _ = get_inputs
    out = tmp_path / "get"
    assert main([*_get_argv(paths, out), "--test-chromosomes", "chr7"]) == 1
    _one_line_error(capsys, "held-out chromosomes chr7 are not in the data")
    assert not out.exists() or not any(out.iterdir())


def test_gtf_with_other_chromosome_names_fails_cleanly(tmp_path, get_inputs, capsys):
    paths, _, _, _ = get_inputs
    write_gtf(paths["gtf"], [(g, c.removeprefix("chr"), t, s) for g, c, t, s in GENES])
    out = tmp_path / "get"
    assert main(_get_argv(paths, out)) == 1
    _one_line_error(capsys, "do the chromosome names agree")
    assert not out.exists()
