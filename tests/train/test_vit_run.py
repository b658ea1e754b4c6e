"""Training the chromatin ViT on a learnable synthetic dataset: it learns, writes every output
with the best weights, says its device, cleans its checkpoints; the fold and single-channel
variants; example selection and targets; ``regflow train`` settings errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from regflow.cli import main
from regflow.errors import RegflowError
from regflow.train.vit import example_targets, normalise_images, run, select_examples

from .conftest import VIT_SETTINGS, read_run, settings_with

RUN_FILES = (
    "model.safetensors",
    "config.yaml",
    "metrics.json",
    "predictions.tsv",
    "history.tsv",
    "curves.png",
)


@pytest.fixture(scope="module")
def absolute_run(vit_dataset, tmp_path_factory):
    outdir = tmp_path_factory.mktemp("vit_absolute") / "run"
    returned = run(vit_dataset, VIT_SETTINGS, outdir)
    return outdir, returned


def test_learns_the_synthetic_target(absolute_run):
    outdir, returned = absolute_run
    metrics, _, _ = read_run(outdir)
    assert metrics["test_r2"] == metrics["splits"]["test"]["r2"]
    assert metrics["test_r2"] > 0.5
    assert metrics["splits"]["test"]["n"] == 60  # every gene at the test condition
    assert returned["test_r2"] == pytest.approx(metrics["test_r2"])


def test_writes_every_output_and_removes_checkpoints(absolute_run):
    outdir, _ = absolute_run
    for name in RUN_FILES:
        assert (outdir / name).is_file() and (outdir / name).stat().st_size > 0, name
    assert (outdir / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (outdir / "checkpoints").exists()
    assert not list(outdir.glob(".tmp.*"))
    assert yaml.safe_load((outdir / "config.yaml").read_text()) == VIT_SETTINGS


def test_metrics_record_the_run(absolute_run):
    outdir, _ = absolute_run
    metrics, _, history = read_run(outdir)
    assert metrics["device"]["accelerator"] == "cpu"
    assert metrics["device"]["precision"] == "32-true"
    assert metrics["device"]["description"].startswith("CPU")
    assert metrics["model"] == "chromatin_vit" and metrics["variant"] == VIT_SETTINGS["variant"]
    assert metrics["resumed_from_epoch"] is None
    assert metrics["epochs"] == VIT_SETTINGS["optim"]["max_epochs"]
    assert metrics["parameters"] > 0 and metrics["train_seconds"] > 0
    assert history["epoch"].tolist() == list(range(VIT_SETTINGS["optim"]["max_epochs"]))
    assert history[["train_loss", "val_loss"]].notna().all().all()
    assert history["val_loss"].iloc[-1] < history["val_loss"].iloc[0]
    assert metrics["best_val_loss"] == pytest.approx(history["val_loss"].min(), rel=1e-4)


def test_outputs_are_the_best_weights(absolute_run, vit_dataset):
    """The validation MSE of the written predictions is the best epoch's validation loss (in
    z-scored units), and the saved weights reproduce the written predictions."""
    from safetensors.torch import load_file

    from regflow.models.vit import ChromatinViT, ViTConfig

    outdir, _ = absolute_run
    metrics, predictions, _ = read_run(outdir)
    std = metrics["target_standardisation"]["std"]
    mean = metrics["target_standardisation"]["mean"]
    val_mse = metrics["splits"]["val"]["mse"]
    assert val_mse / std**2 == pytest.approx(metrics["best_val_loss"], rel=1e-3)

    with np.load(vit_dataset / "dataset.npz") as data:
        images, conditions = data["images"], [str(c) for c in data["conditions"]]
    examples = pd.read_csv(vit_dataset / "examples.tsv", sep="\t")
    first = conditions.index("0min")
    used = sorted(set(examples.loc[examples["split"] == "train", "condition_index"]) | {first})
    x = normalise_images(images, used)
    config = ViTConfig.from_dict(
        {**VIT_SETTINGS["model"], "image_height": 8, "image_width": 32, "channels": 2}
    )
    model = ChromatinViT(config)
    model.load_state_dict(load_file(str(outdir / "model.safetensors")))
    model.eval()
    test = examples[examples["split"] == "test"]
    g, c = test["gene_index"].to_numpy(), test["condition_index"].to_numpy()
    batch = torch.from_numpy(np.stack([x[g, first], x[g, c]], axis=1))
    with torch.no_grad():
        pred = model(batch).numpy() * std + mean
    written = predictions.set_index(["gene_id", "condition"]).loc[
        list(zip(test["gene_id"], test["condition"], strict=True)), "predicted_log2_tpm"
    ]
    np.testing.assert_allclose(written.to_numpy(), pred, rtol=1e-4, atol=1e-4)


def test_writes_the_weights_of_the_best_checkpoint(vit_dataset, tmp_path, monkeypatch):
    """Whatever checkpoint training reports as best is what the run loads, writes and predicts
    with: here a copy of the best checkpoint with every weight shifted."""
    import dataclasses

    from safetensors.torch import load_file

    from regflow.train import engine

    real_fit = engine.fit
    shifted = {}

    def fit_reporting_a_shifted_best(*args, **kwargs):
        result = real_fit(*args, **kwargs)
        checkpoint = torch.load(result.best_checkpoint, map_location="cpu", weights_only=False)
        for name, value in checkpoint["state_dict"].items():
            if value.is_floating_point():
                checkpoint["state_dict"][name] = value + 0.01
            shifted[name.removeprefix("model.")] = checkpoint["state_dict"][name]
        path = tmp_path / "shifted.ckpt"
        torch.save(checkpoint, path)
        return dataclasses.replace(result, best_checkpoint=path)

    monkeypatch.setattr(engine, "fit", fit_reporting_a_shifted_best)
    settings = settings_with(VIT_SETTINGS, optim={"max_epochs": 2})
    run(vit_dataset, settings, tmp_path / "run")
    written = load_file(str(tmp_path / "run" / "model.safetensors"))
    assert set(written) == set(shifted)
    for name, value in written.items():
        torch.testing.assert_close(value, shifted[name], rtol=0, atol=0)


def test_predictions_table(absolute_run, vit_dataset):
    outdir, _ = absolute_run
    _, predictions, _ = read_run(outdir)
    examples = pd.read_csv(vit_dataset / "examples.tsv", sep="\t")
    assert list(predictions.columns) == [
        "gene_id",
        "condition",
        "split",
        "log2_tpm",
        "predicted_log2_tpm",
    ]
    pd.testing.assert_frame_equal(
        predictions[["gene_id", "condition", "split"]], examples[["gene_id", "condition", "split"]]
    )
    with np.load(vit_dataset / "dataset.npz") as data:
        targets = data["targets"]
    truth = targets[examples["gene_index"], examples["condition_index"]]
    np.testing.assert_allclose(predictions["log2_tpm"], truth, rtol=1e-5)


def test_fold_target(vit_dataset, tmp_path):
    settings = settings_with(VIT_SETTINGS, variant={"target": "fold"})
    metrics = run(vit_dataset, settings, tmp_path / "fold")
    assert metrics["variant"]["target"] == "fold"
    _, predictions, _ = read_run(tmp_path / "fold")
    # log2 predictions are fold predictions plus the first channel's log2(TPM + 1): the fold
    # metrics follow from the written table
    with np.load(vit_dataset / "dataset.npz") as data:
        targets, gene_ids = data["targets"], list(data["gene_ids"])
    test = predictions[predictions["split"] == "test"]
    base = targets[[gene_ids.index(g) for g in test["gene_id"]], 0]
    fold_truth = test["log2_tpm"].to_numpy() - base
    fold_pred = test["predicted_log2_tpm"].to_numpy() - base
    residual = np.mean((fold_truth - fold_pred) ** 2)
    assert metrics["test_fold"]["mse"] == pytest.approx(residual, rel=1e-3)
    assert metrics["test_fold"]["n"] == 60
    assert metrics["test_fold"]["r2"] > 0.5
    assert metrics["test_r2"] > 0.5
    assert not (tmp_path / "fold" / "checkpoints").exists()


def test_single_channel(vit_dataset, tmp_path, absolute_run):
    variant = {"name": "single", "channels": 1, "shared_trunk": False, "target": "absolute"}
    settings = {**VIT_SETTINGS, "variant": variant}
    metrics = run(vit_dataset, settings, tmp_path / "single")
    assert metrics["variant"]["channels"] == 1
    assert metrics["test_r2"] > 0.5  # the time point's image carries the whole signal
    two_channel = json.loads((absolute_run[0] / "metrics.json").read_text())
    assert metrics["parameters"] < two_channel["parameters"]
    assert (tmp_path / "single" / "model.safetensors").is_file()


# ---------------------------------------------------------------- selecting examples


@pytest.fixture
def examples() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "gene_id": ["ga", "gb", "ga", "gb", "ga"],
            "gene_index": [0, 1, 0, 1, 0],
            "condition": ["t1", "t1", "t2", "t2", "t3"],
            "condition_index": [1, 1, 2, 2, 3],
            "split": ["train", "val", "train", "val", "test"],
        },
        index=[10, 11, 12, 13, 14],
    )


CONDITIONS = ["0min", "t1", "t2", "t3"]


def test_select_examples_drops_the_first_channels_condition(examples):
    kept, first = select_examples(examples, CONDITIONS, {"channels": 2, "first_channel": "t1"})
    assert first == 1
    assert "t1" not in set(kept["condition"])
    assert len(kept) == 3 and list(kept.index) == [0, 1, 2]
    kept, first = select_examples(examples, CONDITIONS, {"channels": 2, "first_channel": "0min"})
    assert first == 0 and len(kept) == 5


def test_select_examples_single_channel(examples):
    kept, first = select_examples(examples, CONDITIONS, {"channels": 1, "first_channel": "t1"})
    assert first is None
    assert len(kept) == 5 and list(kept.index) == list(range(5))


def test_select_examples_unknown_first_channel(examples):
    with pytest.raises(RegflowError, match="first channel 'cellA' has no MNase images"):
        select_examples(examples, CONDITIONS, {"channels": 2, "first_channel": "cellA"})


def test_example_targets(examples):
    log2_tpm = np.array([[1.0, 2.0, 4.0, 8.0], [0.5, 1.5, 2.5, 3.5]])
    absolute = example_targets(log2_tpm, examples, 0, "absolute")
    np.testing.assert_allclose(absolute, [2.0, 1.5, 4.0, 2.5, 8.0])
    assert absolute.dtype == np.float32
    fold = example_targets(log2_tpm, examples, 0, "fold")
    np.testing.assert_allclose(fold, [1.0, 1.0, 3.0, 2.0, 7.0])
    fold_t1 = example_targets(log2_tpm, examples, 1, "fold")
    np.testing.assert_allclose(fold_t1, [0.0, 0.0, 2.0, 1.0, 6.0])


def test_example_target_errors(examples):
    log2_tpm = np.ones((2, 4))
    with pytest.raises(RegflowError, match="'fold' needs a first channel"):
        example_targets(log2_tpm, examples, None, "fold")
    with pytest.raises(RegflowError, match="unknown ViT target 'ratio'"):
        example_targets(log2_tpm, examples, 0, "ratio")


def test_images_are_normalised_with_training_conditions_only():
    rng = np.random.default_rng(0)
    images = rng.exponential(2.0, (5, 3, 4, 8)).astype(np.float32)
    out = normalise_images(images, [0, 1])
    assert out[:, [0, 1]].mean() == pytest.approx(0.0, abs=1e-5)
    assert out[:, [0, 1]].std() == pytest.approx(1.0, abs=1e-4)
    images[:, 2] *= 1000  # a non-training condition does not move the statistics
    np.testing.assert_allclose(normalise_images(images, [0, 1])[:, :2], out[:, :2], rtol=1e-6)
    expected = (np.log1p(images[:, 2]) - np.log1p(images[:, :2]).mean()) / np.log1p(
        images[:, :2]
    ).std()
    np.testing.assert_allclose(normalise_images(images, [0, 1])[:, 2], expected, rtol=1e-4)


# ---------------------------------------------------------------- regflow train: settings


def _train_argv(dataset, settings: str, outdir, model="vit"):
    argv = ["train", model, "--dataset", str(dataset), "--settings", settings]
    return [*argv, "--outdir", str(outdir)]


def _one_line_error(capsys, fragment: str) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("regflow train: error: ") and fragment in err
    return err


def test_settings_not_json(tmp_path, capsys):
    assert main(_train_argv(tmp_path, "{model: tiny", tmp_path / "out")) == 1
    _one_line_error(capsys, "--settings is not valid JSON")
    assert not (tmp_path / "out").exists()


def test_settings_not_an_object(tmp_path, capsys):
    assert main(_train_argv(tmp_path, "[1, 2]", tmp_path / "out")) == 1
    _one_line_error(capsys, "--settings must be a JSON object")


@pytest.mark.parametrize(
    ("model", "drop", "missing"),
    [
        ("vit", ("variant",), "--settings lacks variant"),
        ("vit", ("optim", "lr"), "--settings lacks optim.lr"),
        ("vit", ("trainer", "seed"), "--settings lacks trainer.seed"),
        ("get", ("variant",), "--settings lacks window, train_stride, pretrain, lora"),
    ],
)
def test_settings_missing_keys(tmp_path, capsys, model, drop, missing):
    settings = json.loads(json.dumps(VIT_SETTINGS))
    block = settings
    for key in drop[:-1]:
        block = block[key]
    del block[drop[-1]]
    assert main(_train_argv(tmp_path, json.dumps(settings), tmp_path / "out", model)) == 1
    err = _one_line_error(capsys, missing)
    assert err.endswith(missing)
    assert not (tmp_path / "out").exists()


def test_threads_must_be_positive(tmp_path, capsys):
    argv = [*_train_argv(tmp_path, json.dumps(VIT_SETTINGS), tmp_path / "out"), "--threads", "0"]
    assert main(argv) == 1
    _one_line_error(capsys, "--threads must be >= 1, got 0")
