"""Pieces every training run shares: loaders, batched prediction, timing, cleanup."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import numpy as np

from regflow.train.device import DevicePlan

log = logging.getLogger("regflow.train")


def loaders(train_set, val_set, batch_size: int, num_workers: int, seed: int):
    """Shuffled (seeded) training loader and an ordered validation loader."""
    import torch
    from torch.utils.data import DataLoader

    generator = torch.Generator().manual_seed(seed)
    train = DataLoader(
        train_set,
        batch_size=batch_size,
        shuffle=True,
        generator=generator,
        num_workers=num_workers,
        persistent_workers=num_workers > 0,
    )
    val = DataLoader(val_set, batch_size=batch_size, shuffle=False, num_workers=num_workers)
    return train, val


def predict(model, dataset, batch_size: int, plan: DevicePlan) -> np.ndarray:
    """Model outputs over a dataset, in its order (eval mode, no gradients, float32)."""
    import torch
    from torch.utils.data import DataLoader

    device = torch.device("cuda" if plan.accelerator == "gpu" else "cpu")
    model = model.to(device).eval()
    outputs = []
    with torch.no_grad():
        for batch in DataLoader(dataset, batch_size=batch_size, shuffle=False):
            outputs.append(model(batch[0].to(device)).float().cpu().numpy())
    return np.concatenate(outputs)


class Stopwatch:
    """Wall time of a block, for samples-per-second figures."""

    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.start


def remove_checkpoints(outdir: Path) -> None:
    """Drop the resume checkpoints once the run's outputs are written: a rerun retrains."""
    shutil.rmtree(Path(outdir) / "checkpoints", ignore_errors=True)
