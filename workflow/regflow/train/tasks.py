"""Lightning modules: a model, its loss and optimiser. The models themselves live in
:mod:`regflow.models` and know nothing of training."""

from __future__ import annotations

import math

import lightning as L
import torch
import torch.nn.functional as F
from torch import nn


def warmup_cosine(optimizer, warmup_steps: int, total_steps: int):
    """Linear warm-up then cosine decay to 0, stepped per batch."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


class Task(L.LightningModule):
    """Shared optimiser set-up: AdamW with warm-up and cosine decay over the planned steps."""

    def __init__(self, model: nn.Module, optim: dict, steps_per_epoch: int) -> None:
        super().__init__()
        self.model = model
        self.optim = dict(optim)
        self.steps_per_epoch = steps_per_epoch

    def configure_optimizers(self):
        params = [p for p in self.model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(
            params, lr=self.optim["lr"], weight_decay=self.optim["weight_decay"]
        )
        total = self.steps_per_epoch * self.optim["max_epochs"]
        warmup = max(1, round(self.optim["warmup_fraction"] * total))
        scheduler = warmup_cosine(optimizer, warmup, total)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }

    def log_loss(self, name: str, loss: torch.Tensor, batch_size: int) -> None:
        self.log(name, loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=batch_size)


class RegressionTask(Task):
    """Chromatin ViT: mean squared error on the z-scored target of each example."""

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.mse_loss(self.model(x).float(), y)
        self.log_loss("train_loss", loss, len(y))
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log_loss("val_loss", F.mse_loss(self.model(x).float(), y), len(y))


def masked_poisson(pred: torch.Tensor, y: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Poisson NLL of non-negative predictions (B, S, 2) over the valid regions (B, S)."""
    loss = F.poisson_nll_loss(pred.float(), y, log_input=False, reduction="none")  # (B, S, 2)
    weight = valid[..., None].to(loss.dtype).expand_as(loss)
    return (loss * weight).sum() / weight.sum().clamp(min=1.0)


class ExpressionTask(Task):
    """GET fine-tuning: Poisson NLL of per-strand expression at every region of the window."""

    def training_step(self, batch, batch_idx):
        x, y, valid = batch
        loss = masked_poisson(self.model(x), y, valid)
        self.log_loss("train_loss", loss, len(y))
        return loss

    def validation_step(self, batch, batch_idx):
        x, y, valid = batch
        self.log_loss("val_loss", masked_poisson(self.model(x), y, valid), len(y))


class MaskedRegionTask(Task):
    """GET pretraining: mask a fraction of regions, reconstruct their inputs (MSE on masked)."""

    def __init__(self, model, optim, steps_per_epoch, mask_ratio: float, seed: int) -> None:
        super().__init__(model, optim, steps_per_epoch)
        self.mask_ratio = mask_ratio
        self.seed = seed

    def masked_mse(self, batch, generator: torch.Generator | None) -> torch.Tensor:
        from regflow.models.get import random_region_mask

        x, _, valid = batch
        mask = random_region_mask(valid.shape, self.mask_ratio, generator).to(x.device) & valid
        recon = self.model.reconstruct(x, mask).float()  # (B, S, F)
        err = ((recon - x) ** 2).mean(dim=-1)  # (B, S)
        weight = mask.to(err.dtype)
        return (err * weight).sum() / weight.sum().clamp(min=1.0)

    def training_step(self, batch, batch_idx):
        loss = self.masked_mse(batch, None)
        self.log_loss("train_loss", loss, len(batch[0]))
        return loss

    def validation_step(self, batch, batch_idx):
        # the same masks every epoch, so validation losses are comparable
        generator = torch.Generator().manual_seed(self.seed + batch_idx)
        self.log_loss("val_loss", self.masked_mse(batch, generator), len(batch[0]))


class ProfileTask(Task):
    """ChromBPNet / BPNet: multinomial NLL of the profile + ``weight`` x MSE of log counts.

    The model returns ``(profile_logits (B, L), log_counts (B,))``; ``weight`` follows the
    reference rule max(1, median training counts / 10) so both terms matter.
    """

    def __init__(self, model: nn.Module, optim: dict, steps_per_epoch: int, weight: float) -> None:
        super().__init__(model, optim, steps_per_epoch)
        self.weight = float(weight)

    def loss(self, batch) -> torch.Tensor:
        from regflow.models.bpnet import bpnet_loss

        x, counts = batch
        logits, log_counts = self.model(x)
        total, _, _ = bpnet_loss(logits.float(), log_counts.float(), counts, self.weight)
        return total

    def training_step(self, batch, batch_idx):
        loss = self.loss(batch)
        self.log_loss("train_loss", loss, len(batch[1]))
        return loss

    def validation_step(self, batch, batch_idx):
        self.log_loss("val_loss", self.loss(batch), len(batch[1]))


class TrackTask(Task):
    """Sequence-to-track models: Poisson NLL of non-negative binned predictions (B, bins, T)."""

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.poisson_nll_loss(self.model(x).float(), y, log_input=False)
        self.log_loss("train_loss", loss, len(y))
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        loss = F.poisson_nll_loss(self.model(x).float(), y, log_input=False)
        self.log_loss("val_loss", loss, len(y))
