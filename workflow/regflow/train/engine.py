"""Fitting a task with Lightning: checkpoints every epoch and at the best validation loss,
resume from the last checkpoint when a killed run is rerun, early stopping, CSV logs.

Checkpoints live in ``<run>/checkpoints/<phase>/`` next to a fingerprint of everything the run
depends on (settings and dataset); a rerun resumes only when the fingerprint matches, so a
changed config never continues a stale run. The run's caller removes the directory once its
outputs are written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from regflow.train.device import DevicePlan

log = logging.getLogger("regflow.train")


def fingerprint(settings: dict, files: list[Path]) -> str:
    """SHA-256 over the JSON settings and the bytes of the input files."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for path in files:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class FitResult:
    """Where the best weights are and what happened."""

    best_checkpoint: Path
    best_val_loss: float
    epochs: int
    resumed_from_epoch: int | None
    history: pd.DataFrame  # one row per epoch: epoch, train_loss, val_loss
    global_zero: bool  # the process that writes outputs (the only one without DDP)


def prepare_checkpoints(directory: Path, key: str) -> Path | None:
    """The checkpoint to resume from, or None after clearing a stale or absent run."""
    stamp = directory / "fingerprint.txt"
    last = directory / "last.ckpt"
    if stamp.is_file() and stamp.read_text().strip() == key and last.is_file():
        return last
    if directory.exists():
        log.info("checkpoints in %s belong to other settings or data: starting afresh", directory)
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    stamp.write_text(key + "\n")
    return None


def epoch_history(log_dirs: list[Path]) -> pd.DataFrame:
    """Per-epoch train and validation loss over every attempt of a run (a resumed attempt's
    epochs replace the ones an earlier attempt logged from the same epoch on)."""
    frames = []
    for path in log_dirs:
        csv = path / "metrics.csv"
        if not csv.is_file():
            continue
        metrics = pd.read_csv(csv)
        if metrics.empty or "epoch" not in metrics:
            continue
        per_epoch = metrics.groupby("epoch").first().reset_index()
        if frames:
            frames[-1] = frames[-1][frames[-1]["epoch"] < per_epoch["epoch"].min()]
        frames.append(per_epoch)
    if not frames:
        return pd.DataFrame(columns=["epoch", "train_loss", "val_loss"])
    history = pd.concat(frames, ignore_index=True)
    columns = ["epoch"] + [c for c in ("train_loss", "val_loss") if c in history.columns]
    return history[columns].astype({"epoch": int})


def fit(
    task,
    train_loader,
    val_loader,
    directory: Path,
    key: str,
    trainer_cfg: dict,
    optim: dict,
    plan: DevicePlan,
) -> FitResult:
    """Train ``task`` until ``max_epochs`` or early stopping; resume when a matching run exists.

    Parameters
    ----------
    task : a LightningModule with ``train_loss``/``val_loss`` logged per epoch.
    directory : this phase's checkpoint directory.
    key : the run's fingerprint (see :func:`fingerprint`).
    trainer_cfg : ``progress_bar``, ``tensorboard``, ``seed``.
    optim : ``max_epochs``, ``patience``.
    plan : resolved device (see :func:`regflow.train.device.plan_device`).
    """
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
    from lightning.pytorch.loggers import CSVLogger

    # Under DDP Lightning starts one process per device; only rank 0 prepares the directory.
    if os.environ.get("LOCAL_RANK", "0") == "0" and os.environ.get("NODE_RANK", "0") == "0":
        resume = prepare_checkpoints(directory, key)
    else:
        last = directory / "last.ckpt"
        resume = last if last.is_file() else None
    resumed_epoch = None
    if resume is not None:
        resumed_epoch = int(torch.load(resume, map_location="cpu", weights_only=False)["epoch"])
        log.info("resuming from %s (epoch %d completed)", resume, resumed_epoch + 1)
    attempts = sorted(directory.glob("logs/attempt*"))
    loggers = [CSVLogger(directory, name="logs", version=f"attempt{len(attempts):02d}")]
    if trainer_cfg["tensorboard"]:
        from lightning.pytorch.loggers import TensorBoardLogger

        loggers.append(TensorBoardLogger(directory, name="tensorboard"))
    best = ModelCheckpoint(
        dirpath=directory,
        filename="best",
        monitor="val_loss",
        mode="min",
        save_top_k=1,
        save_last=True,
        every_n_epochs=1,
        enable_version_counter=False,
    )
    stop = EarlyStopping(monitor="val_loss", mode="min", patience=optim["patience"])
    L.seed_everything(trainer_cfg["seed"], workers=True, verbose=False)
    trainer = L.Trainer(
        accelerator=plan.accelerator,
        devices=plan.devices,
        strategy=plan.strategy,
        precision=plan.precision,
        max_epochs=optim["max_epochs"],
        callbacks=[best, stop],
        logger=loggers,
        enable_progress_bar=trainer_cfg["progress_bar"],
        enable_model_summary=False,
        deterministic=True if plan.accelerator == "cpu" else "warn",
        log_every_n_steps=1,
        num_sanity_val_steps=0,
    )
    trainer.fit(task, train_loader, val_loader, ckpt_path=resume)
    history = epoch_history(sorted(directory.glob("logs/attempt*")))
    return FitResult(
        best_checkpoint=Path(best.best_model_path),
        best_val_loss=float(best.best_model_score),
        epochs=int(trainer.current_epoch),
        resumed_from_epoch=None if resumed_epoch is None else resumed_epoch + 1,
        history=history,
        global_zero=trainer.is_global_zero,
    )


def load_weights(model, checkpoint: Path):
    """Load a Lightning checkpoint's ``model.*`` weights into ``model`` (in place); return it."""
    import torch

    state = torch.load(checkpoint, map_location="cpu", weights_only=False)["state_dict"]
    model.load_state_dict({k.removeprefix("model."): v for k, v in state.items()})
    return model
