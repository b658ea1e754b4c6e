"""Data-parallel training by configuration alone: ``trainer.devices: 2`` on the CPU (gloo) runs
two DDP processes through the real command, pretraining and fine-tuning GET, and only one of
them writes the outputs. On a GPU node the same setting trains on two GPUs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import GET_SETTINGS, read_run, settings_with

WORKFLOW = Path(__file__).resolve().parents[2] / "workflow"

DDP_SETTINGS = settings_with(
    GET_SETTINGS,
    trainer={"accelerator": "cpu", "devices": 2},
    optim={"max_epochs": 2},
    pretrain={"epochs": 1},
)


def test_two_processes_train_get_data_parallel(get_dataset, tmp_path):
    outdir = tmp_path / "ddp"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(WORKFLOW), env.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-m", "regflow", "train", "get", "--dataset", str(get_dataset)]
        + ["--settings", json.dumps(DDP_SETTINGS), "--threads", "1", "--outdir", str(outdir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "GLOBAL_RANK: 1, MEMBER: 2/2" in done.stderr
    metrics, predictions, history = read_run(outdir)
    assert metrics["device"]["devices"] == 2
    assert metrics["device"]["strategy"] == "ddp"
    assert set(metrics["phases"]) == {"pretrain", "finetune"}
    assert list(history["epoch"]) == [0, 1]
    assert not predictions.empty
    assert not (outdir / "checkpoints").exists()
