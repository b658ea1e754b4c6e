"""Training the GET-style model on a synthetic dataset whose TSS labels follow accessibility:
it generalises to the held-out condition; pretraining and LoRA fine-tuning run and are
recorded; the saved weights are a plain (merged) GET model."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from regflow.errors import RegflowError
from regflow.train.get import run

from .conftest import GET_N_MOTIFS, GET_SETTINGS, GET_WINDOW, read_run, settings_with


@pytest.fixture(scope="module")
def get_run(get_dataset, tmp_path_factory):
    outdir = tmp_path_factory.mktemp("get_plain") / "run"
    run(get_dataset, GET_SETTINGS, outdir)
    return outdir


@pytest.fixture(scope="module")
def lora_run(get_dataset, tmp_path_factory):
    outdir = tmp_path_factory.mktemp("get_lora") / "run"
    settings = settings_with(
        GET_SETTINGS,
        pretrain={"epochs": 2, "mask_ratio": 0.5, "lr": 0.005},
        lora={"rank": 4, "alpha": 8},
    )
    run(get_dataset, settings, outdir)
    return outdir, settings


def test_generalises_to_the_heldout_condition(get_run):
    metrics, _, _ = read_run(get_run)
    assert metrics["heldout_condition_pearson"] == metrics["splits"]["test_condition"]["pearson"]
    assert metrics["heldout_condition_pearson"] > 0.6
    assert metrics["heldout_chrom_pearson"] == metrics["splits"]["test_chrom"]["pearson"]
    assert set(metrics["splits"]) == {
        "train",
        "val",
        "test_chrom",
        "test_condition",
        "test_condition_test_chrom",
    }


def test_outputs_and_metrics(get_run, get_dataset):
    metrics, predictions, history = read_run(get_run)
    for name in ("model.safetensors", "config.yaml", "curves.png"):
        assert (get_run / name).is_file()
    assert not (get_run / "checkpoints").exists()
    assert yaml.safe_load((get_run / "config.yaml").read_text()) == GET_SETTINGS
    assert metrics["model"] == "get"
    assert metrics["device"]["accelerator"] == "cpu"
    assert metrics["resumed_from_epoch"] is None
    assert set(metrics["phases"]) == {"finetune"}
    assert metrics["phases"]["finetune"]["epochs"] == GET_SETTINGS["optim"]["max_epochs"]
    # fine-tuning trains everything but the pretraining-only mask token and reconstruction head
    dim, n_features = GET_SETTINGS["model"]["dim"], GET_N_MOTIFS + 3
    pretraining_only = dim + dim * n_features + n_features
    assert metrics["trainable_parameters"] == metrics["parameters"] - pretraining_only
    # training windows: every start on chr1 and chr2 of the training condition
    assert metrics["train_windows"] == 2 * (48 - GET_WINDOW + 1)
    assert history["epoch"].tolist() == list(range(GET_SETTINGS["optim"]["max_epochs"]))
    # one prediction per (condition, TSS peak, strand), every one covered by some window
    with np.load(get_dataset / "dataset.npz") as data:
        n_tss = int(data["is_tss"].sum())
    assert len(predictions) == 2 * n_tss
    assert predictions["predicted_log10_tpm"].notna().all()
    assert (predictions["predicted_log10_tpm"] >= 0).all()  # softplus outputs
    assert predictions.groupby("split").size().to_dict() == {
        "test_chrom": n_tss // 4,
        "test_condition": n_tss,
        "train": n_tss // 2,
        "val": n_tss // 4,
    }


def test_pretraining_and_lora(lora_run):
    outdir, settings = lora_run
    metrics, _, _ = read_run(outdir)
    assert metrics["phases"]["pretrain"]["epochs"] == 2
    assert np.isfinite(metrics["phases"]["pretrain"]["best_val_mse"])
    assert metrics["phases"]["finetune"]["epochs"] == settings["optim"]["max_epochs"]
    assert 0 < metrics["trainable_parameters"] < metrics["parameters"]
    assert metrics["lora"] == {"rank": 4, "alpha": 8}
    assert metrics["heldout_condition_pearson"] > 0.3
    assert not (outdir / "checkpoints").exists()


def test_lora_weights_are_merged_into_a_plain_model(lora_run, get_dataset):
    from safetensors.torch import load_file

    from regflow.models.get import GETConfig, GETModel

    outdir, settings = lora_run
    with np.load(get_dataset / "dataset.npz") as data:
        n_features = data["features"].shape[2]
    model = GETModel(GETConfig.from_dict({**settings["model"], "n_features": n_features}))
    state = load_file(str(outdir / "model.safetensors"))
    assert set(state) == set(model.state_dict())
    model.load_state_dict(state)  # strict: no LoRA matrices left over


def test_window_size_must_match_the_dataset(get_dataset, tmp_path):
    settings = settings_with(GET_SETTINGS, window=2 * GET_WINDOW)
    with pytest.raises(RegflowError, match=f"windows of {GET_WINDOW} peaks, settings ask 16"):
        run(get_dataset, settings, tmp_path / "run")
    assert not (tmp_path / "run").exists()
