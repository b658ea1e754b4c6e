"""ChromBPNet training on a synthetic dataset with a known enzyme bias and a known TF motif:
the bias model learns the bias motif and passes QC, the accessibility model predicts peak
counts from the TF motif, and its bias-corrected predictions carry less of the bias motif
than the bias model does. A failed bias QC stops the run and writes nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regflow.errors import RegflowError
from regflow.train.chrombpnet import bias_regions, read_motif_table, run_accessibility, run_bias

from .conftest import VIT_SETTINGS

OUT_LEN, JITTER = 64, 8
MODEL = {
    "accessibility": {"filters": 16, "layers": 2},
    "bias": {"filters": 16, "layers": 1},
    "out_len": OUT_LEN,
    "conv1_kernel": 11,
    "profile_kernel": 15,
}
IN_LEN = OUT_LEN + 10 + 14 + 4 * (2**2 - 1)  # 100
SETTINGS = {
    "model": MODEL,
    "fold": 0,
    "optim": {
        "lr": 0.01,
        "weight_decay": 0.0,
        "batch_size": 32,
        "max_epochs": 40,
        "patience": 100,
        "warmup_fraction": 0.05,
    },
    "trainer": copy.deepcopy(VIT_SETTINGS["trainer"]),
    "bias_threshold_factor": 0.5,
    "nonpeak_ratio": 0.5,
    "bias_qc": {"min_nonpeak_pearson": 0.0, "min_peak_pearson": -0.3},
}
# the enzyme's preference: a 6-bp motif, log2-odds 0.85 per base at its consensus (a 34-fold
# preference for the whole consensus, mild on average as Tn5's)
BIAS_PROBS = np.array(
    [
        [0.15, 0.15, 0.45, 0.25],
        [0.15, 0.45, 0.15, 0.25],
        [0.45, 0.15, 0.15, 0.25],
        [0.25, 0.15, 0.15, 0.45],
        [0.15, 0.15, 0.45, 0.25],
        [0.15, 0.45, 0.25, 0.15],
    ]
)
TF_SITE = np.array([0, 2, 0, 3, 0, 0])  # AGATAA: each copy raises a peak's accessibility
CHROMS = ("chr1", "chr2", "chr3", "chr4")


def _bias_rate(onehot: np.ndarray) -> np.ndarray:
    """Relative insertion rate per base (N, L - 5): 2 ** log2-odds of the bias motif there."""
    log_odds = np.log2(BIAS_PROBS / 0.25)  # (6, 4)
    width = onehot.shape[1] - len(log_odds) + 1
    score = sum(onehot[:, k : k + width] @ log_odds[k] for k in range(len(log_odds)))
    return np.exp2(score)


def build_dataset(root: Path, seed: int = 0) -> Path:
    """Peaks whose accessibility is a bump scaled by their TF sites; non-peaks flat; every
    base's insertions follow the bias motif; folds: chr3 validates, chr4 tests."""
    rng = np.random.default_rng(seed)
    per_chrom_peaks, per_chrom_nonpeaks = 100, 150
    width = IN_LEN + 2 * JITTER
    rows, seqs, counts = [], [], []
    for chrom in CHROMS:
        for k in range(per_chrom_peaks + per_chrom_nonpeaks):
            peak = k < per_chrom_peaks
            codes = rng.integers(0, 4, width)
            sites = int(rng.integers(0, 4)) if peak else 0
            for s in range(sites):  # TF sites near the centre
                at = width // 2 - 20 + 14 * s
                codes[at : at + len(TF_SITE)] = TF_SITE
            onehot = np.eye(4, dtype=np.uint8)[codes]
            # insertion rate over the jittered output window (its base at offset 5 of 6-mers)
            start = (width - (OUT_LEN + 2 * JITTER)) // 2
            rate = _bias_rate(onehot[None].astype(float))[0][
                start - 2 : start - 2 + OUT_LEN + 2 * JITTER
            ]
            pos = np.arange(OUT_LEN + 2 * JITTER) - (OUT_LEN + 2 * JITTER) / 2
            access = 0.3 + (4.0 + 4.0 * sites) * np.exp(-0.5 * (pos / 12) ** 2) * peak
            y = rng.poisson(rate * access).astype(np.float32)
            seqs.append(onehot)
            counts.append(y)
            centre = 10_000 * k + 500
            rows.append(
                {
                    "name": f"{chrom}:{centre - OUT_LEN // 2}-{centre + OUT_LEN // 2}",
                    "chrom": chrom,
                    "centre": centre,
                    "kind": "peak" if peak else "nonpeak",
                    "gc": float(onehot[:, 1:3].sum() / width),
                    "total_counts": float(y[JITTER : JITTER + OUT_LEN].sum()),
                }
            )
    regions = pd.DataFrame(rows)
    regions["fold_0"] = regions["chrom"].map(
        {"chr1": "train", "chr2": "train", "chr3": "val", "chr4": "test"}
    )
    outdir = Path(root) / "chrombpnet_dataset"
    outdir.mkdir(parents=True)
    np.savez_compressed(
        outdir / "dataset.npz",
        sequences=np.stack(seqs),
        counts=np.stack(counts),
        is_peak=(regions["kind"] == "peak").to_numpy(),
        chroms=regions["chrom"].to_numpy().astype(str),
        centres=regions["centre"].to_numpy(),
    )
    regions.to_csv(outdir / "regions.tsv", sep="\t", index=False)
    record = {"settings": {"in_len": IN_LEN, "out_len": OUT_LEN, "jitter": JITTER}}
    (outdir / "dataset.json").write_text(json.dumps(record))
    return outdir


@pytest.fixture(scope="module")
def motif_table(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("motif") / "tn5.tsv"
    table = pd.DataFrame(BIAS_PROBS, columns=list("ACGT"))
    table.insert(0, "offset", np.arange(len(table)) - 3)
    table.to_csv(path, sep="\t", index=False)
    return path


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    return build_dataset(tmp_path_factory.mktemp("bpnet"))


@pytest.fixture(scope="module")
def runs(dataset, motif_table, tmp_path_factory):
    root = tmp_path_factory.mktemp("bpnet_runs")
    bias = run_bias(dataset, SETTINGS, root / "bias", motif_table)
    full = run_accessibility(dataset, SETTINGS, root / "bias", root / "model", motif_table)
    return root, bias, full


def test_bias_model_learns_the_bias_motif_and_passes_qc(runs):
    root, bias, _ = runs
    assert bias["qc"]["passed"]
    assert bias["test"]["nonpeaks"]["count_pearson"] > 0.05
    assert bias["tn5_footprint"]["bias"]["footprint_score"] > 0.3
    saved = json.loads((root / "bias" / "metrics.json").read_text())
    assert saved["qc"] == bias["qc"]
    for name in ("model.safetensors", "predictions.tsv", "history.tsv", "curves.png"):
        assert (root / "bias" / name).is_file()
    assert not (root / "bias" / "checkpoints").exists()


def test_accessibility_model_predicts_peaks_and_sheds_the_bias(runs):
    root, bias, full = runs
    peaks = full["test"]["uncorrected"]["peaks"]
    assert peaks["count_pearson"] > 0.35
    prints = full["tn5_footprint"]
    # the frozen bias model is the one trained before; the corrected model carries less bias
    assert prints["bias"]["footprint_score"] == pytest.approx(
        bias["tn5_footprint"]["bias"]["footprint_score"], rel=1e-4
    )
    assert prints["corrected"]["footprint_score"] < 0.5 * prints["bias"]["footprint_score"]
    assert prints["uncorrected"]["footprint_score"] > prints["corrected"]["footprint_score"]
    profiles = np.load(root / "model" / "profiles.npz")
    assert profiles["corrected"].shape == (400, OUT_LEN)
    assert (profiles["corrected"] >= 0).all() and (profiles["uncorrected"] >= 0).all()
    assert profiles["starts"][0] == 500 - OUT_LEN // 2
    table = pd.read_csv(root / "model" / "predictions.tsv", sep="\t")
    assert {"predicted_counts_corrected", "predicted_counts_uncorrected"} <= set(table.columns)


def test_bias_threshold_rule():
    is_peak = np.array([True] * 100 + [False] * 4)
    totals = np.concatenate([np.arange(100, 200), [10, 60, 49, 5]]).astype(float)
    split = np.array(["train"] * 102 + ["val", "test"])
    train, val, threshold = bias_regions(is_peak, totals, split, 0.5)
    assert threshold == pytest.approx(0.5 * np.quantile(totals[:100], 0.01))
    assert np.flatnonzero(train).tolist() == [100]  # 60 is above the threshold
    assert np.flatnonzero(val).tolist() == [102]


def test_failed_bias_qc_stops_and_writes_nothing(dataset, tmp_path):
    settings = copy.deepcopy(SETTINGS)
    settings["bias_qc"]["min_nonpeak_pearson"] = 0.999
    settings["optim"]["max_epochs"] = 1
    with pytest.raises(RegflowError, match="bias model QC failed for fold 0: count Pearson"):
        run_bias(dataset, settings, tmp_path / "bias")
    assert not (tmp_path / "bias" / "metrics.json").exists()
    assert not (tmp_path / "bias" / "model.safetensors").exists()
    assert not (tmp_path / "bias" / "checkpoints").exists()


def test_bad_inputs_name_the_problem(dataset, tmp_path):
    wrong = copy.deepcopy(SETTINGS)
    wrong["model"]["out_len"] = 32
    with pytest.raises(RegflowError, match="out_len 32 differs"):
        run_bias(dataset, wrong, tmp_path / "bias")
    missing = copy.deepcopy(SETTINGS)
    missing["fold"] = 3
    with pytest.raises(RegflowError, match="no fold_3"):
        run_bias(dataset, missing, tmp_path / "bias")
    with pytest.raises(RegflowError, match="bias model weights"):
        run_accessibility(dataset, SETTINGS, tmp_path / "nowhere", tmp_path / "model")
    zero = copy.deepcopy(SETTINGS)
    zero["model"]["bias"]["filters"] = 0
    with pytest.raises(RegflowError, match="chrombpnet size, bias model: .*filters"):
        run_bias(dataset, zero, tmp_path / "bias")
    bad = tmp_path / "bad.tsv"
    bad.write_text("offset\tA\tC\n0\t1\t1\n")
    with pytest.raises(RegflowError, match="needs columns A, C, G, T"):
        read_motif_table(bad)
