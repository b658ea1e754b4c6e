"""The papers' baselines on the synthetic datasets: the Gaussian process on summary chromatin
features (through ``regflow train vit-gp``) and the random forest on per-peak features."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from regflow.cli import main
from regflow.train.baselines import run_get_forest, run_vit_gp


def _read(outdir):
    metrics = json.loads((outdir / "metrics.json").read_text())
    return metrics, pd.read_csv(outdir / "predictions.tsv", sep="\t")


def test_vit_gp_cli_with_a_first_channel(vit_dataset, tmp_path):
    out = tmp_path / "gp"
    argv = ["train", "vit-gp", "--dataset", str(vit_dataset), "--first-channel", "0min"]
    assert main([*argv, "--max-train", "60", "--outdir", str(out)]) == 0
    metrics, predictions = _read(out)
    assert metrics["model"] == "gaussian_process" and metrics["first_channel"] == "0min"
    assert metrics["test_r2"] == metrics["splits"]["test"]["r2"] > 0.3
    assert metrics["train_examples"] == 60
    assert len(metrics["features"]) == 14
    assert metrics["features"][7:] == [f"first_{n}" for n in metrics["features"][:7]]
    # predictions of the test examples only
    assert len(predictions) == 60 and set(predictions["split"]) == {"test"}
    assert predictions["predicted_log2_tpm"].notna().all()
    with np.load(vit_dataset / "dataset.npz") as data:
        targets, genes = data["targets"], list(data["gene_ids"])
    truth = targets[[genes.index(g) for g in predictions["gene_id"]], 3]  # t3
    np.testing.assert_allclose(predictions["log2_tpm"], truth, rtol=1e-5)


def test_vit_gp_single_channel(vit_dataset, tmp_path):
    metrics = run_vit_gp(vit_dataset, None, seed=1, outdir=tmp_path / "gp1")
    assert metrics["first_channel"] is None
    assert len(metrics["features"]) == 7
    assert metrics["test_r2"] > 0.3
    assert (tmp_path / "gp1" / "predictions.tsv").is_file()


def test_get_forest(get_dataset, tmp_path):
    out = tmp_path / "forest"
    metrics = run_get_forest(get_dataset, seed=1, outdir=out)
    written, table = _read(out)
    assert written == json.loads(json.dumps(metrics))
    assert metrics["model"] == "random_forest"
    assert metrics["heldout_condition_pearson"] > 0.6
    assert metrics["splits"]["test_condition"]["n"] == len(
        table[table["split"] == "test_condition"]
    )
    assert set(table["split"]) == {"train", "val", "test_chrom", "test_condition"}
    assert table["predicted_log10_tpm"].notna().all()
    # same seed, same forest
    again = run_get_forest(get_dataset, seed=1, outdir=tmp_path / "again")
    assert again["splits"]["test_condition"]["mse"] == pytest.approx(
        metrics["splits"]["test_condition"]["mse"]
    )
