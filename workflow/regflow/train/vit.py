"""Train and evaluate the dual-channel chromatin ViT (and its single-channel variant).

Targets are log2(TPM + 1) of the gene at the time point ("absolute") or its log2 fold change
against the first channel's condition ("fold"), z-scored with training statistics; R^2 is
reported on log2(TPM + 1), as in the paper, and also on the fold scale in fold mode.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from regflow.errors import RegflowError

if TYPE_CHECKING:
    from regflow.models.vit import ViTConfig

log = logging.getLogger("regflow.train")


def select_examples(
    examples: pd.DataFrame, conditions: list[str], variant: dict
) -> tuple[pd.DataFrame, int | None]:
    """The variant's examples and its first-channel condition index (None: single channel).

    Examples at the first channel's own condition are dropped: there the two channels are the
    same image.
    """
    if variant["channels"] == 1:
        return examples.reset_index(drop=True), None
    first = variant["first_channel"]
    if first not in conditions:
        raise RegflowError(
            f"first channel {first!r} has no MNase images (images have: {', '.join(conditions)})"
        )
    kept = examples[examples["condition"] != first].reset_index(drop=True)
    return kept, conditions.index(first)


def example_targets(
    log2_tpm: np.ndarray, examples: pd.DataFrame, first: int | None, mode: str
) -> np.ndarray:
    """(n,) log2(TPM + 1) of each example, or its log2 fold change vs the first channel."""
    g = examples["gene_index"].to_numpy()
    c = examples["condition_index"].to_numpy()
    values = log2_tpm[g, c]
    if mode == "fold":
        if first is None:
            raise RegflowError("target 'fold' needs a first channel (channels: 2)")
        values = values - log2_tpm[g, first]
    elif mode != "absolute":
        raise RegflowError(f"unknown ViT target {mode!r} (absolute or fold)")
    return values.astype(np.float32)


def normalise_images(images: np.ndarray, train_conditions: list[int]) -> np.ndarray:
    """log1p of the CPM images, z-scored with the mean and SD of the training conditions."""
    from regflow.datasets.vit import standardisation

    logged = np.log1p(images.astype(np.float32))
    mean, std = standardisation(logged[:, train_conditions])
    return (logged - mean) / std


@dataclass(frozen=True)
class ViTInputs:
    """What a ViT run's model sees, prepared from a dataset directory and the run's settings.

    Attributes
    ----------
    examples
        The variant's examples (``examples.tsv`` rows, see :func:`select_examples`).
    images
        ``(n_genes, n_conditions, H, W)`` float32 normalised images (:func:`normalise_images`).
    first
        Index of the first channel's condition, or None for the single-channel model.
    conditions
        The image conditions, in order.
    log2_tpm
        ``(n_genes, n_conditions)`` float64 log2(TPM + 1) (NaN: missing).
    targets
        ``(n,)`` float32 target of each example, before z-scoring (:func:`example_targets`).
    mean, std
        The training examples' target mean and SD; the model predicts ``(target - mean) / std``.
    config
        The model's shape: the settings' ``model`` section with the images' size and the
        variant's channels.
    """

    examples: pd.DataFrame
    images: np.ndarray
    first: int | None
    conditions: list[str]
    log2_tpm: np.ndarray
    targets: np.ndarray
    mean: float
    std: float
    config: ViTConfig


def prepare_inputs(dataset_dir: Path, settings: dict) -> ViTInputs:
    """Read a ViT dataset directory and prepare it as training does for ``settings`` (the run's
    ``model`` and ``variant`` sections): example selection, targets, their standardisation and
    the image normalisation with the training conditions' statistics."""
    from regflow.datasets.io import read_table
    from regflow.datasets.vit import standardisation
    from regflow.io import read_npz
    from regflow.models.vit import ViTConfig

    npz = Path(dataset_dir) / "dataset.npz"
    data = read_npz(npz, ("images", "targets", "conditions"), "ViT dataset")
    examples = read_table(Path(dataset_dir) / "examples.tsv", "ViT examples", index_col=None)
    conditions = [str(c) for c in data["conditions"]]
    variant = settings["variant"]
    examples, first = select_examples(examples, conditions, variant)
    log2_tpm = data["targets"].astype(np.float64)
    y = example_targets(log2_tpm, examples, first, variant["target"])
    train = (examples["split"] == "train").to_numpy()
    mean, std = standardisation(y[train])
    used = sorted(set(examples.loc[train, "condition_index"]) | ({first} - {None}))
    images = normalise_images(data["images"], used)
    n_rows, n_cols = images.shape[2:]
    config = ViTConfig.from_dict(
        {
            **settings["model"],
            "image_height": n_rows,
            "image_width": n_cols,
            "channels": variant["channels"],
            "shared_trunk": variant["shared_trunk"],
        }
    )
    return ViTInputs(examples, images, first, conditions, log2_tpm, y, mean, std, config)


def run(dataset_dir: Path, settings: dict, outdir: Path) -> dict:
    """Train one variant, predict every example and write the run's outputs; return metrics."""
    from regflow.evaluate.regression import regression_metrics
    from regflow.models.vit import ChromatinViT
    from regflow.train.common import Stopwatch, loaders, predict, remove_checkpoints
    from regflow.train.data import ImagePairs
    from regflow.train.device import plan_and_announce
    from regflow.train.engine import fingerprint, fit, load_weights
    from regflow.train.outputs import write_run
    from regflow.train.tasks import RegressionTask

    npz = Path(dataset_dir) / "dataset.npz"
    inputs = prepare_inputs(dataset_dir, settings)
    examples, images, first, config = inputs.examples, inputs.images, inputs.first, inputs.config
    log2_tpm, y, mean, std = inputs.log2_tpm, inputs.targets, inputs.mean, inputs.std
    variant, optim, trainer_cfg = settings["variant"], settings["optim"], settings["trainer"]
    train = (examples["split"] == "train").to_numpy()

    def subset(mask: np.ndarray) -> ImagePairs:
        rows = examples[mask]
        return ImagePairs(
            images,
            rows["gene_index"].to_numpy(),
            rows["condition_index"].to_numpy(),
            (y[mask] - mean) / std,
            first,
        )

    plan = plan_and_announce(trainer_cfg)
    train_loader, val_loader = loaders(
        subset(train),
        subset((examples["split"] == "val").to_numpy()),
        optim["batch_size"],
        trainer_cfg["num_workers"],
        trainer_cfg["seed"],
    )
    import torch

    torch.manual_seed(trainer_cfg["seed"])
    model = ChromatinViT(config)
    task = RegressionTask(model, optim, len(train_loader))
    key = fingerprint(settings, [npz, Path(dataset_dir) / "examples.tsv"])
    with Stopwatch() as clock:
        result = fit(
            task,
            train_loader,
            val_loader,
            Path(outdir) / "checkpoints" / "train",
            key,
            trainer_cfg,
            optim,
            plan,
        )
    if not result.global_zero:
        return {}
    load_weights(model, result.best_checkpoint)
    everything = np.ones(len(examples), dtype=bool)
    pred = predict(model, subset(everything), optim["batch_size"], plan) * std + mean
    g = examples["gene_index"].to_numpy()
    truth_log2 = log2_tpm[g, examples["condition_index"].to_numpy()]
    pred_log2 = pred + (log2_tpm[g, first] if variant["target"] == "fold" else 0.0)
    predictions = examples[["gene_id", "condition", "split"]].assign(
        log2_tpm=truth_log2, predicted_log2_tpm=pred_log2
    )
    metrics = {
        "model": "chromatin_vit",
        "variant": variant,
        "metric_scale": "log2(TPM + 1)",
        "splits": {
            split: regression_metrics(truth_log2[mask], pred_log2[mask])
            for split in ("train", "val", "test")
            for mask in [(examples["split"] == split).to_numpy()]
        },
    }
    if variant["target"] == "fold":
        test = (examples["split"] == "test").to_numpy()
        metrics["test_fold"] = regression_metrics(y[test], pred[test])
    metrics.update(
        test_r2=metrics["splits"]["test"]["r2"],
        device=plan.as_dict(),
        parameters=sum(p.numel() for p in model.parameters()),
        epochs=result.epochs,
        resumed_from_epoch=result.resumed_from_epoch,
        best_val_loss=result.best_val_loss,
        target_standardisation={"mean": mean, "std": std},
        train_seconds=clock.seconds,
        train_samples_per_second=int(train.sum())
        * max(1, result.epochs - (result.resumed_from_epoch or 0))
        / clock.seconds,
    )
    write_run(
        outdir,
        model.state_dict(),
        settings,
        metrics,
        predictions,
        result.history,
        f"chromatin ViT ({variant['name']})",
    )
    remove_checkpoints(outdir)
    return metrics
