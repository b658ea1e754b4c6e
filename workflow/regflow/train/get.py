"""Train and evaluate the GET-style regulatory-element transformer.

Training windows (every start, ``train_stride`` apart) come from the training conditions on
the training chromosomes; validation from the validation chromosomes. Optional masked-region
pretraining on the same windows' inputs precedes fine-tuning, optionally with LoRA. Each peak's
prediction is the mean over the evaluation windows that contain it; metrics are taken at TSS
peaks (each strand with a TSS is one value).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from regflow.errors import RegflowError

log = logging.getLogger("regflow.train")

EVALUATION_SPLITS = ("train", "val", "test_chrom", "test_condition")
METRIC_SCALE = "log10(TPM + 1) at TSS peaks, one value per (condition, peak, strand)"


def windows_of(windows: np.ndarray, chroms: np.ndarray, keep: set[str]) -> np.ndarray:
    """Rows of ``windows`` (n, S) whose peaks lie on a chromosome in ``keep``."""
    first = chroms[windows[:, 0]]
    return windows[np.isin(first, list(keep))]


def condition_windows(
    windows: np.ndarray, chroms: np.ndarray, splits: pd.DataFrame, split: str, conditions: list
) -> tuple[np.ndarray, np.ndarray]:
    """Windows and their condition index for every (condition, chromosome) of one split."""
    rows, owners = [], []
    for j, condition in enumerate(conditions):
        chosen = set(
            splits.loc[(splits["condition"] == condition) & (splits["split"] == split), "chrom"]
        )
        if chosen:
            picked = windows_of(windows, chroms, chosen)
            rows.append(picked)
            owners.append(np.full(len(picked), j))
    if not rows:
        return np.zeros((0, windows.shape[1]), dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(rows), np.concatenate(owners)


def average_over_windows(
    outputs: np.ndarray, windows: np.ndarray, owners: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """Per (condition, peak, strand) mean of window outputs (n, S, 2); NaN where not covered."""
    total = np.zeros((*shape, 2))
    count = np.zeros(shape)
    valid = windows >= 0
    cond = np.broadcast_to(owners[:, None], windows.shape)[valid]
    np.add.at(total, (cond, windows[valid]), outputs[valid])
    np.add.at(count, (cond, windows[valid]), 1)
    with np.errstate(invalid="ignore"):
        return total / count[..., None]


def check_shapes(data: dict[str, np.ndarray], npz: Path) -> None:
    """Stop with a named error unless the GET arrays agree: features (C, P, F), labels
    (C, P, 2), is_tss (P, 2), peak_ids and chroms (P,), conditions (C,)."""
    features = data["features"]
    if features.ndim != 3:
        raise RegflowError(
            f"GET dataset {npz}: features must be (conditions, peaks, features), "
            f"got shape {features.shape}"
        )
    n_conditions, n_peaks = features.shape[:2]
    expected = {
        "labels": (n_conditions, n_peaks, 2),
        "is_tss": (n_peaks, 2),
        "peak_ids": (n_peaks,),
        "chroms": (n_peaks,),
        "conditions": (n_conditions,),
    }
    for key, shape in expected.items():
        if key in data and data[key].shape != shape:
            raise RegflowError(
                f"GET dataset {npz}: {key} has shape {data[key].shape}, expected {shape} "
                f"for features of shape {features.shape}"
            )


def check_splits(splits: pd.DataFrame, conditions: list[str], chroms: np.ndarray, path) -> None:
    """Every (condition, chromosome) pair of the dataset has a split in ``splits.tsv``."""
    have = set(zip(splits["condition"].astype(str), splits["chrom"].astype(str), strict=True))
    missing = [(c, k) for c in conditions for k in dict.fromkeys(chroms) if (c, k) not in have]
    if missing:
        condition, chrom = missing[0]
        raise RegflowError(
            f"{path}: no split for condition {condition!r} on {chrom} ({len(missing)} "
            "(condition, chromosome) pairs of the dataset have none); rebuild the GET dataset"
        )


def tss_table(
    predicted: np.ndarray,
    labels: np.ndarray,
    is_tss: np.ndarray,
    peak_ids: np.ndarray,
    chroms: np.ndarray,
    conditions: list[str],
    splits: pd.DataFrame,
) -> pd.DataFrame:
    """One row per (condition, TSS peak, strand): label, prediction and split."""
    split_of = splits.set_index(["condition", "chrom"])["split"]
    rows = []
    for j, condition in enumerate(conditions):
        for s, strand in enumerate("+-"):
            peaks = np.flatnonzero(is_tss[:, s])
            rows.append(
                pd.DataFrame(
                    {
                        "peak_id": peak_ids[peaks],
                        "chrom": chroms[peaks],
                        "condition": condition,
                        "strand": strand,
                        "log10_tpm": labels[j, peaks, s],
                        "predicted_log10_tpm": predicted[j, peaks, s],
                    }
                )
            )
    table = pd.concat(rows, ignore_index=True)
    table["split"] = [
        split_of[(c, k)] for c, k in zip(table["condition"], table["chrom"], strict=True)
    ]
    return table


def tss_metrics(table: pd.DataFrame, splits: pd.DataFrame) -> dict[str, dict]:
    """Regression metrics at TSS peaks per split, plus the held-out condition on the test
    chromosomes (new condition and unseen sequence at once)."""
    from regflow.evaluate.regression import regression_metrics

    test_chroms = set(splits.loc[splits["split"] == "test_chrom", "chrom"])
    groups = {split: table["split"] == split for split in EVALUATION_SPLITS}
    groups["test_condition_test_chrom"] = (table["split"] == "test_condition") & table[
        "chrom"
    ].isin(test_chroms)
    return {
        name: regression_metrics(
            table.loc[mask, "log10_tpm"].to_numpy(),
            table.loc[mask, "predicted_log10_tpm"].to_numpy(),
        )
        for name, mask in groups.items()
        if mask.any()
    }


def run(dataset_dir: Path, settings: dict, outdir: Path) -> dict:
    """Pretrain (optional), fine-tune, predict every peak and write the run's outputs."""
    import torch

    from regflow.datasets.get import peak_windows
    from regflow.datasets.io import read_table
    from regflow.io import read_npz
    from regflow.models.get import GETConfig, GETModel
    from regflow.models.lora import count_trainable, merge_lora, with_lora
    from regflow.train.common import Stopwatch, loaders, predict, remove_checkpoints
    from regflow.train.data import PeakWindows
    from regflow.train.device import plan_and_announce
    from regflow.train.engine import fingerprint, fit, load_weights
    from regflow.train.outputs import write_run
    from regflow.train.tasks import ExpressionTask, MaskedRegionTask

    npz = Path(dataset_dir) / "dataset.npz"
    keys = ("features", "labels", "is_tss", "peak_ids", "chroms", "conditions", "windows")
    data = read_npz(npz, keys, "GET dataset")
    check_shapes(data, npz)
    splits = read_table(Path(dataset_dir) / "splits.tsv", "GET splits", index_col=None)
    conditions = [str(c) for c in data["conditions"]]
    chroms = data["chroms"].astype(str)
    check_splits(splits, conditions, chroms, Path(dataset_dir) / "splits.tsv")
    optim, trainer_cfg = settings["optim"], settings["trainer"]
    size = settings["window"]
    eval_windows = data["windows"]
    if eval_windows.shape[1] != size:
        raise RegflowError(
            f"GET dataset {npz} has windows of {eval_windows.shape[1]} peaks, settings ask {size}"
        )
    train_windows = peak_windows(chroms, size, settings["train_stride"])

    def dataset(windows_and_owners):
        windows, owners = windows_and_owners
        return PeakWindows(data["features"], data["labels"], windows, owners)

    train_set = dataset(condition_windows(train_windows, chroms, splits, "train", conditions))
    val_set = dataset(condition_windows(eval_windows, chroms, splits, "val", conditions))
    if len(train_set) == 0 or len(val_set) == 0:
        raise RegflowError("the GET dataset has no training or no validation windows")
    plan = plan_and_announce(trainer_cfg)
    train_loader, val_loader = loaders(
        train_set, val_set, optim["batch_size"], trainer_cfg["num_workers"], trainer_cfg["seed"]
    )
    torch.manual_seed(trainer_cfg["seed"])
    model = GETModel(
        GETConfig.from_dict({**settings["model"], "n_features": data["features"].shape[2]})
    )
    key = fingerprint(settings, [npz, Path(dataset_dir) / "splits.tsv"])
    checkpoints = Path(outdir) / "checkpoints"
    pretrain = settings["pretrain"]
    phases = {}
    with Stopwatch() as clock:
        # Each phase trains only the parameters its loss uses: DDP requires it (and the
        # reconstruction head and mask token mean nothing to the expression objective).
        if pretrain["epochs"] > 0:
            model.head.requires_grad_(False)
            pre_optim = {**optim, "max_epochs": pretrain["epochs"], "lr": pretrain["lr"]}
            task = MaskedRegionTask(
                model, pre_optim, len(train_loader), pretrain["mask_ratio"], trainer_cfg["seed"]
            )
            done = fit(
                task,
                train_loader,
                val_loader,
                checkpoints / "pretrain",
                key,
                trainer_cfg,
                pre_optim,
                plan,
            )
            load_weights(model, done.best_checkpoint)
            phases["pretrain"] = {"epochs": done.epochs, "best_val_mse": done.best_val_loss}
            model.head.requires_grad_(True)
        model.mask_token.requires_grad_(False)
        model.reconstruct_head.requires_grad_(False)
        lora = settings["lora"]
        tuned = model
        if lora["rank"] > 0:
            tuned = with_lora(model, lora["rank"], lora["alpha"], ("region_embed", "encoder"))
        trainable, total = count_trainable(tuned)
        task = ExpressionTask(tuned, optim, len(train_loader))
        result = fit(
            task, train_loader, val_loader, checkpoints / "finetune", key, trainer_cfg, optim, plan
        )
    if not result.global_zero:
        return {}
    load_weights(tuned, result.best_checkpoint)
    final = merge_lora(tuned) if lora["rank"] > 0 else tuned
    everything = [
        condition_windows(eval_windows, chroms, splits, s, conditions) for s in EVALUATION_SPLITS
    ]
    windows = np.concatenate([w for w, _ in everything])
    owners = np.concatenate([o for _, o in everything])
    outputs = predict(
        final,
        PeakWindows(data["features"], data["labels"], windows, owners),
        optim["batch_size"],
        plan,
    )
    n_peaks = len(data["peak_ids"])
    predicted = average_over_windows(outputs, windows, owners, (len(conditions), n_peaks))
    table = tss_table(
        predicted, data["labels"], data["is_tss"], data["peak_ids"], chroms, conditions, splits
    )
    metrics = {
        "model": "get",
        "metric_scale": METRIC_SCALE,
        "splits": tss_metrics(table, splits),
        "phases": {
            **phases,
            "finetune": {"epochs": result.epochs, "best_val_loss": result.best_val_loss},
        },
        "lora": lora,
        "trainable_parameters": trainable,
        "parameters": total,
        "device": plan.as_dict(),
        "resumed_from_epoch": result.resumed_from_epoch,
        "train_seconds": clock.seconds,
        "train_windows": len(train_set),
    }
    metrics["heldout_condition_pearson"] = (
        metrics["splits"].get("test_condition", {}).get("pearson")
    )
    metrics["heldout_chrom_pearson"] = metrics["splits"].get("test_chrom", {}).get("pearson")
    write_run(outdir, final.state_dict(), settings, metrics, table, result.history, "GET")
    remove_checkpoints(outdir)
    return metrics
