"""Train one sequence-to-track model and score it as the 1D-Swin paper's Table 1 does.

The five models (MaxPool CNN, AttentionPool CNN, dilated CNN, Enformer-style, 1D-Swin) share
one dataset, one loss (Poisson) and one test set (the held-out chromosomes), so their Pearson
correlations per track, averaged within each assay, are directly comparable. With
``shuffle_targets`` the training windows' targets are permuted among windows: the control a
model must beat to show it learned sequence, not the tracks' average shape.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from regflow.errors import RegflowError

log = logging.getLogger("regflow.train")

DATASET_KEYS = ("seq_len", "bin_size", "crop_bins", "max_shift")


def track_pearson(observed: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Pearson per track over every bin of every window: (W, bins, T) x2 -> (T,).

    NaN for a track that is constant in either array (no correlation is defined).
    """
    obs = observed.reshape(-1, observed.shape[-1]).astype(np.float64)  # (W * bins, T)
    pred = predicted.reshape(-1, predicted.shape[-1]).astype(np.float64)
    obs = obs - obs.mean(axis=0)
    pred = pred - pred.mean(axis=0)
    denom = np.sqrt((obs**2).sum(axis=0) * (pred**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (obs * pred).sum(axis=0) / denom, np.nan)


def assay_means(per_track: pd.DataFrame) -> dict[str, float]:
    """Mean Pearson of the tracks of each assay (NaN tracks skipped), plus ``all``."""
    means = per_track.groupby("assay", sort=True)["pearson"].mean()
    out = {str(k): float(v) for k, v in means.items()}
    out["all"] = float(per_track["pearson"].mean())
    return out


def start_at_means(model, train_targets: np.ndarray) -> None:
    """Set the readout's bias so each track starts at its training mean (in place).

    Targets are CPM (RNA exons reach thousands) while a fresh Softplus head outputs about 0.7;
    from there the first steps' Poisson gradients are huge and can push a LayerNorm model
    (1D-Swin) into predicting the mean everywhere. The bias is the inverse Softplus of the mean.
    """
    import torch

    mean = np.maximum(train_targets.astype(np.float64).mean(axis=(0, 1)), 1e-3)  # (T,)
    inverse = mean + np.log(-np.expm1(-mean))  # softplus^-1, stable for large means
    with torch.no_grad():
        model.head[-2].bias.copy_(torch.as_tensor(inverse, dtype=model.head[-2].bias.dtype))


def shuffled(targets: np.ndarray, seed: int) -> np.ndarray:
    """A copy of ``targets`` (W, bins, T) with whole windows permuted (seeded)."""
    order = np.random.default_rng(seed).permutation(len(targets))
    return targets[order]


def dataset_lengths(record: dict, path: Path) -> dict[str, int]:
    """The length settings a dataset was built with (``dataset.json``'s ``settings``)."""
    settings = record.get("settings", {})
    missing = [k for k in DATASET_KEYS if k not in settings]
    if missing:
        raise RegflowError(f"sequence-track dataset record {path} lacks settings {missing}")
    return {k: int(settings[k]) for k in DATASET_KEYS}


def window_table(
    windows: pd.DataFrame,
    track_names: list[str],
    assays: list[str],
    observed: np.ndarray,
    predicted: np.ndarray,
) -> pd.DataFrame:
    """One row per (window, track): mean observed and predicted signal over the window's bins."""
    n_windows, _, n_tracks = observed.shape
    return pd.DataFrame(
        {
            "chrom": np.repeat(windows["chrom"].to_numpy(), n_tracks),
            "start": np.repeat(windows["start"].to_numpy(), n_tracks),
            "end": np.repeat(windows["end"].to_numpy(), n_tracks),
            "split": np.repeat(windows["split"].to_numpy(), n_tracks),
            "track": np.tile(track_names, n_windows),
            "assay": np.tile(assays, n_windows),
            "observed_mean": observed.mean(axis=1).reshape(-1),
            "predicted_mean": predicted.mean(axis=1).reshape(-1),
        }
    )


def run(dataset_dir: Path, settings: dict, outdir: Path, shuffle_targets: bool = False) -> dict:
    """Train ``settings['name']`` on the dataset, score the test chromosomes, write the run."""
    import torch

    from regflow.datasets.io import read_table
    from regflow.io import read_json_object, read_npz
    from regflow.models.seqtrack import model_from_settings
    from regflow.train.common import Stopwatch, loaders, predict, remove_checkpoints
    from regflow.train.data import ShiftedWindows
    from regflow.train.device import plan_and_announce
    from regflow.train.engine import fingerprint, fit, load_weights
    from regflow.train.outputs import write_run
    from regflow.train.tasks import TrackTask

    dataset_dir = Path(dataset_dir)
    npz = dataset_dir / "dataset.npz"
    data = read_npz(npz, ("sequences", "targets", "track_names", "assays"), "sequence dataset")
    windows = read_table(dataset_dir / "windows.tsv", "sequence windows", index_col=None)
    lengths = dataset_lengths(
        read_json_object(dataset_dir / "dataset.json", "dataset record"),
        dataset_dir / "dataset.json",
    )
    if len(windows) != len(data["targets"]):
        raise RegflowError(
            f"{dataset_dir / 'windows.tsv'} has {len(windows)} windows, {npz} has "
            f"{len(data['targets'])}"
        )
    split = windows["split"].to_numpy()
    for needed in ("train", "val", "test"):
        if not (split == needed).any():
            raise RegflowError(f"sequence dataset {dataset_dir} has no {needed} windows")
    track_names = [str(t) for t in data["track_names"]]
    assays = [str(a) for a in data["assays"]]
    optim, trainer_cfg = settings["optim"], settings["trainer"]
    targets = data["targets"].astype(np.float32)
    train_targets = targets[split == "train"]
    if shuffle_targets:
        train_targets = shuffled(train_targets, trainer_cfg["seed"])

    def windows_of(name: str, y: np.ndarray | None = None, augment: bool = False):
        mask = split == name
        return ShiftedWindows(
            data["sequences"][mask],
            targets[mask] if y is None else y,
            lengths["seq_len"],
            lengths["max_shift"],
            augment,
        )

    plan = plan_and_announce(trainer_cfg)
    train_loader, val_loader = loaders(
        windows_of("train", train_targets, augment=True),
        windows_of("val"),
        optim["batch_size"],
        trainer_cfg["num_workers"],
        trainer_cfg["seed"],
    )
    torch.manual_seed(trainer_cfg["seed"])
    try:
        model = model_from_settings(settings, lengths, len(track_names))
    except ValueError as err:
        raise RegflowError(f"seqtrack model {settings['name']}: {err}") from None
    start_at_means(model, train_targets)
    model.eval()  # a shape probe must not touch BatchNorm statistics
    with torch.no_grad():
        probe = model(torch.zeros(1, lengths["seq_len"], 4))
    model.train()
    if tuple(probe.shape[1:]) != targets.shape[1:]:
        raise RegflowError(
            f"model {settings['name']} predicts a different shape than the targets "
            f"{targets.shape[1:]} of {npz}"
        )
    task = TrackTask(model, optim, len(train_loader))
    key = fingerprint(
        {**settings, "shuffle_targets": shuffle_targets},
        [npz, dataset_dir / "windows.tsv"],
    )
    with Stopwatch() as clock:
        result = fit(
            task,
            train_loader,
            val_loader,
            Path(outdir) / "checkpoints",
            key,
            trainer_cfg,
            optim,
            plan,
        )
    if not result.global_zero:
        return {}
    load_weights(model, result.best_checkpoint)
    splits, tables, per_track = {}, [], None
    for name in ("val", "test"):
        mask = split == name
        pred = predict(model, windows_of(name), optim["batch_size"], plan)  # (W, bins, T)
        pearson = track_pearson(targets[mask], pred)
        scores = pd.DataFrame({"track": track_names, "assay": assays, "pearson": pearson})
        splits[name] = assay_means(scores)
        if name == "test":
            per_track = scores
        tables.append(
            window_table(
                windows[mask].reset_index(drop=True), track_names, assays, targets[mask], pred
            )
        )
    n_params = sum(p.numel() for p in model.parameters())
    epochs_run = max(1, result.epochs + 1 - (result.resumed_from_epoch or 0))
    metrics = {
        "model": settings["name"],
        "shuffled_targets": shuffle_targets,
        "metric": "Pearson per track over all bins of the split's windows, mean per assay",
        "splits": splits,
        "tracks": per_track.to_dict(orient="records"),
        "parameters": n_params,
        "device": plan.as_dict(),
        "resumed_from_epoch": result.resumed_from_epoch,
        "epochs": result.epochs,
        "train_seconds": clock.seconds,
        "train_windows": int((split == "train").sum()),
        "samples_per_second": int((split == "train").sum()) * epochs_run / max(clock.seconds, 1e-9),
    }
    table = pd.concat(tables, ignore_index=True)
    log.info("test Pearson by assay: %s", json.dumps(splits["test"]))
    title = f"{settings['name']}{' (shuffled targets)' if shuffle_targets else ''}"
    write_run(outdir, model.state_dict(), settings, metrics, table, result.history, title)
    remove_checkpoints(outdir)
    return metrics


def pearson_table(runs: list[dict]) -> pd.DataFrame:
    """The Table 1 analogue: one row per model, one column per assay (mean test Pearson of its
    tracks) and ``all``; from each run's ``metrics.json``."""
    rows = []
    for metrics in runs:
        row = {"model": metrics["model"], "shuffled_targets": metrics["shuffled_targets"]}
        row.update(metrics["splits"]["test"])
        row["parameters"] = metrics["parameters"]
        rows.append(row)
    table = pd.DataFrame(rows)
    assays = sorted(c for c in table.columns if c not in ("model", "shuffled_targets", "all"))
    assays.remove("parameters")
    return table[["model", "shuffled_targets", *assays, "all", "parameters"]]


def write_pearson_table(metrics_paths: list[Path], output: Path) -> pd.DataFrame:
    """Read the runs' metrics and write :func:`pearson_table` as TSV (atomically)."""
    from regflow.io import atomic_output, read_json_object

    table = pearson_table([read_json_object(p, "training metrics") for p in metrics_paths])
    with atomic_output(output) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.4f")
    return table
