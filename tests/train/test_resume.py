"""A killed ``regflow train vit`` resumes from its last checkpoint when rerun with the same
settings, and starts afresh with other settings.

Each test runs the real command in a subprocess, waits until a checkpoint of epoch >= 1 is on
disk, kills the process with SIGKILL (no chance to clean up) and reruns it to completion.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from .conftest import VIT_SETTINGS, read_run, settings_with

WORKFLOW = Path(__file__).resolve().parents[2] / "workflow"
TIMEOUT = 180  # seconds for one subprocess; the machine may be busy

# long enough that a run is still training when its second checkpoint appears
RESUME_SETTINGS = settings_with(
    VIT_SETTINGS, optim={"max_epochs": 40, "patience": 1000, "batch_size": 8}
)


def _command(dataset: Path, settings: dict, outdir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "regflow",
        "train",
        "vit",
        "--dataset",
        str(dataset),
        "--settings",
        json.dumps(settings),
        "--threads",
        "1",
        "--outdir",
        str(outdir),
    ]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(WORKFLOW), env.get("PYTHONPATH")) if p)
    return env


def _checkpoint_epoch(path: Path) -> int | None:
    """The ``epoch`` stored in a Lightning checkpoint, or None while it cannot be read yet."""
    try:
        return int(torch.load(path, map_location="cpu", weights_only=False)["epoch"])
    except Exception:
        return None


def run_and_kill(dataset: Path, settings: dict, outdir: Path, log: Path) -> int:
    """Start a run, SIGKILL it once ``last.ckpt`` holds epoch >= 1; return that file's epoch."""
    last = outdir / "checkpoints" / "train" / "last.ckpt"
    with open(log, "wb") as handle:
        proc = subprocess.Popen(
            _command(dataset, settings, outdir),
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=_env(),
        )
    killed = False
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            if last.is_file() and (_checkpoint_epoch(last) or 0) >= 1:
                proc.send_signal(signal.SIGKILL)
                killed = True
                break
            time.sleep(0.02)
    finally:
        if proc.poll() is None and not killed:
            proc.kill()
        proc.wait(timeout=60)
    tail = log.read_text(errors="replace")[-3000:]
    assert killed, f"the run ended (status {proc.returncode}) or timed out first:\n{tail}"
    assert proc.returncode == -signal.SIGKILL
    assert not (outdir / "metrics.json").exists()
    epoch = _checkpoint_epoch(last)  # the process is gone: the file is final
    assert epoch is not None and epoch >= 1
    return epoch


def run_to_completion(dataset: Path, settings: dict, outdir: Path) -> str:
    """Run the command to the end; return its log (stdout and stderr)."""
    done = subprocess.run(
        _command(dataset, settings, outdir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=_env(),
        timeout=TIMEOUT,
        check=False,
    )
    log = done.stdout.decode(errors="replace")
    assert done.returncode == 0, log[-3000:]
    return log


def test_killed_run_resumes(vit_dataset, tmp_path):
    outdir = tmp_path / "run"
    epoch = run_and_kill(vit_dataset, RESUME_SETTINGS, outdir, tmp_path / "killed.log")
    assert (outdir / "checkpoints" / "train" / "fingerprint.txt").is_file()

    log = run_to_completion(vit_dataset, RESUME_SETTINGS, outdir)
    assert "resuming from" in log and "last.ckpt" in log
    assert "starting afresh" not in log
    assert "Restored all states from the checkpoint" in log  # Lightning really resumed

    metrics, predictions, history = read_run(outdir)
    n_epochs = RESUME_SETTINGS["optim"]["max_epochs"]
    # the checkpoint of epoch index e means e + 1 epochs were done
    assert metrics["resumed_from_epoch"] == epoch + 1 >= 2
    assert metrics["epochs"] == n_epochs
    # one row per epoch over both attempts: no gap, no duplicate
    assert history["epoch"].tolist() == list(range(n_epochs))
    assert history["val_loss"].notna().all()
    # a kill right after the last checkpoint's save can beat the logging of that epoch's
    # training loss; every other epoch has it
    missing = set(history.loc[history["train_loss"].isna(), "epoch"])
    assert missing <= {epoch}, missing
    # the best checkpoint's record survived the kill: the best over both attempts, and its
    # weights made the predictions (validation MSE in z-scored units is its validation loss)
    assert metrics["best_val_loss"] == pytest.approx(history["val_loss"].min(), rel=1e-4)
    val_mse = metrics["splits"]["val"]["mse"] / metrics["target_standardisation"]["std"] ** 2
    assert val_mse == pytest.approx(metrics["best_val_loss"], rel=1e-3)
    assert metrics["test_r2"] > 0.5
    assert np.isfinite(predictions["predicted_log2_tpm"]).all()
    assert not (outdir / "checkpoints").exists()


def test_killed_run_rerun_with_other_settings_starts_afresh(vit_dataset, tmp_path):
    outdir = tmp_path / "run"
    run_and_kill(vit_dataset, RESUME_SETTINGS, outdir, tmp_path / "killed.log")

    other = settings_with(RESUME_SETTINGS, optim={"max_epochs": 3, "lr": 0.004})
    log = run_to_completion(vit_dataset, other, outdir)
    assert "resuming from" not in log and "Restored all states" not in log
    assert "starting afresh" in log

    metrics, _, history = read_run(outdir)
    assert metrics["resumed_from_epoch"] is None
    assert metrics["epochs"] == 3
    assert history["epoch"].tolist() == [0, 1, 2]  # nothing of the killed run's epochs
    assert history[["train_loss", "val_loss"]].notna().all().all()
    assert not (outdir / "checkpoints").exists()
