"""Training a sequence-to-track model on a synthetic dataset whose track follows a planted
motif: it beats the same model trained on window-shuffled targets on the test chromosome; the
run's outputs, the per-assay Pearson and the table over runs are as documented."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regflow.cli import main
from regflow.errors import RegflowError
from regflow.train.seqtrack import assay_means, pearson_table, run, shuffled, track_pearson

from .conftest import VIT_SETTINGS

SEQ_LEN, BIN, CROP, SHIFT = 256, 16, 2, 2
MOTIF = np.array([0, 2, 0, 3, 0, 0, 1, 2])  # AGATAACG
SETTINGS = {
    "name": "maxpool_cnn",
    "model": {
        "channels": 16,
        "channels_max": 32,
        "stem_kernel": 9,
        "conv_kernel": 5,
        "head_dim": 16,
        "dropout": 0.0,
    },
    "optim": {
        "lr": 0.003,
        "weight_decay": 0.0,
        "batch_size": 32,
        "max_epochs": 12,
        "patience": 100,
        "warmup_fraction": 0.05,
    },
    "trainer": copy.deepcopy(VIT_SETTINGS["trainer"]),
}


def build_dataset(root: Path, seed: int = 0) -> Path:
    """Windows on chr1-chr3 (chr2 validates, chr3 tests): track 0 (ATAC-like) is high in the
    bins holding the motif, track 1 (RNA-like) is flat noise."""
    rng = np.random.default_rng(seed)
    n_per_chrom, width = 120, SEQ_LEN + 2 * SHIFT
    n_bins = SEQ_LEN // BIN - 2 * CROP
    seqs, targets, rows = [], [], []
    for chrom in ("chr1", "chr2", "chr3"):
        for w in range(n_per_chrom):
            codes = rng.integers(0, 4, width)
            y = np.zeros((n_bins, 2), dtype=np.float32)
            for _ in range(rng.integers(0, 3)):
                at = int(rng.integers(CROP * BIN, SEQ_LEN - CROP * BIN - len(MOTIF)))
                codes[SHIFT + at : SHIFT + at + len(MOTIF)] = MOTIF
                y[at // BIN - CROP, 0] += 8.0
            y[:, 0] = rng.poisson(1.0 + y[:, 0])
            y[:, 1] = rng.poisson(2.0, n_bins)
            seqs.append(np.eye(4, dtype=np.uint8)[codes])
            targets.append(y)
            split = {"chr1": "train", "chr2": "val", "chr3": "test"}[chrom]
            rows.append(
                {"chrom": chrom, "start": w * SEQ_LEN, "end": (w + 1) * SEQ_LEN, "split": split}
            )
    outdir = Path(root) / "seqtrack_dataset"
    outdir.mkdir(parents=True)
    np.savez_compressed(
        outdir / "dataset.npz",
        sequences=np.stack(seqs),
        targets=np.stack(targets),
        track_names=np.array(["atac.c1", "rna.c1"]),
        assays=np.array(["atac", "rna"]),
    )
    pd.DataFrame(rows).to_csv(outdir / "windows.tsv", sep="\t", index=False)
    record = {
        "settings": {"seq_len": SEQ_LEN, "bin_size": BIN, "crop_bins": CROP, "max_shift": SHIFT}
    }
    (outdir / "dataset.json").write_text(json.dumps(record))
    return outdir


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("seqtrack")
    dataset = build_dataset(root)
    real = run(dataset, SETTINGS, root / "real")
    control = run(dataset, SETTINGS, root / "shuffled", shuffle_targets=True)
    return root, real, control


def test_model_beats_the_shuffled_control(runs):
    _, real, control = runs
    assert real["splits"]["test"]["atac"] > 0.5
    assert real["splits"]["test"]["atac"] > control["splits"]["test"]["atac"] + 0.3
    assert control["shuffled_targets"] and not real["shuffled_targets"]


def test_outputs_metrics_and_table(runs, tmp_path):
    root, real, control = runs
    for name in ("model.safetensors", "config.yaml", "history.tsv", "curves.png"):
        assert (root / "real" / name).is_file()
    assert not (root / "real" / "checkpoints").exists()
    assert real["device"]["accelerator"] == "cpu"
    assert [t["track"] for t in real["tracks"]] == ["atac.c1", "rna.c1"]
    predictions = pd.read_csv(root / "real" / "predictions.tsv", sep="\t")
    assert set(predictions["split"]) == {"val", "test"}
    assert len(predictions) == 2 * 120 * 2  # val + test windows x tracks
    out = tmp_path / "table.tsv"
    argv = ["train", "seqtrack-table", "--metrics"]
    argv += [str(root / "real" / "metrics.json"), str(root / "shuffled" / "metrics.json")]
    assert main([*argv, "--output", str(out)]) == 0
    table = pd.read_csv(out, sep="\t")
    assert table.columns.tolist() == [
        "model",
        "shuffled_targets",
        "atac",
        "rna",
        "all",
        "parameters",
    ]
    assert table["atac"].tolist() == pytest.approx(
        [real["splits"]["test"]["atac"], control["splits"]["test"]["atac"]], abs=1e-4
    )


def test_track_pearson_and_assay_means():
    rng = np.random.default_rng(0)
    obs = rng.poisson(3.0, (5, 4, 3)).astype(float)
    pred = obs.copy()
    pred[..., 1] = -obs[..., 1]
    pred[..., 2] = 1.0  # constant: no correlation defined
    r = track_pearson(obs, pred)
    assert r[0] == pytest.approx(1.0) and r[1] == pytest.approx(-1.0) and np.isnan(r[2])
    table = pd.DataFrame({"assay": ["a", "a", "b"], "pearson": [0.2, 0.4, np.nan]})
    means = assay_means(table)
    assert means["a"] == pytest.approx(0.3) and np.isnan(means["b"])
    assert means["all"] == pytest.approx(0.3)
    targets = np.arange(60, dtype=float).reshape(10, 3, 2)
    mixed = shuffled(targets, seed=1)
    assert sorted(mixed[:, 0, 0].tolist()) == sorted(targets[:, 0, 0].tolist())
    assert not np.array_equal(mixed, targets)


def test_pearson_table_orders_assays():
    metrics = {
        "model": "swin",
        "shuffled_targets": False,
        "splits": {"test": {"rna": 0.1, "atac": 0.3, "all": 0.2}},
        "parameters": 10,
    }
    table = pearson_table([metrics])
    assert table.columns.tolist() == [
        "model",
        "shuffled_targets",
        "atac",
        "rna",
        "all",
        "parameters",
    ]


def test_bad_dataset_is_named(tmp_path):
    dataset = build_dataset(tmp_path)
    (dataset / "dataset.json").write_text(json.dumps({"settings": {"seq_len": SEQ_LEN}}))
    with pytest.raises(RegflowError, match="lacks settings"):
        run(dataset, SETTINGS, tmp_path / "out")
    assert not (tmp_path / "out" / "metrics.json").exists()


def test_model_settings_out_of_range_are_named(tmp_path):
    dataset = build_dataset(tmp_path)
    settings = copy.deepcopy(SETTINGS)
    settings["model"]["channels"] = 0
    with pytest.raises(RegflowError, match="seqtrack model maxpool_cnn: .*channels"):
        run(dataset, settings, tmp_path / "out")
    assert not (tmp_path / "out" / "metrics.json").exists()
