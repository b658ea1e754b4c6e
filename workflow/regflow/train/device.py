"""The accelerator, device count and precision a run uses, resolved once and said loudly.

ChromBPNet's users repeatedly trained on a CPU without noticing (chrombpnet #95, #161): every
run states its device in the log and in ``metrics.json``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DevicePlan:
    """What Lightning is asked for, and a description for logs and metrics."""

    accelerator: str  # "gpu" or "cpu"
    devices: int
    strategy: str
    precision: str
    description: str

    def as_dict(self) -> dict:
        return {
            "accelerator": self.accelerator,
            "devices": self.devices,
            "strategy": self.strategy,
            "precision": self.precision,
            "description": self.description,
        }


def plan_device(accelerator: str, devices: int, strategy: str, precision: str) -> DevicePlan:
    """Resolve ``auto`` settings: a CUDA GPU when one is visible, bf16 mixed precision on GPUs
    that support it (fp16 mixed otherwise), 32-bit on CPUs; DDP when several devices are asked."""
    import torch

    from regflow.errors import RegflowError

    has_gpu = torch.cuda.is_available()
    if accelerator == "auto":
        accelerator = "gpu" if has_gpu else "cpu"
    if accelerator == "gpu" and not has_gpu:
        raise RegflowError("train.accelerator is 'gpu' but no CUDA GPU is visible to PyTorch")
    if accelerator not in ("gpu", "cpu"):
        raise RegflowError(f"unknown train.accelerator {accelerator!r} (auto, gpu or cpu)")
    if accelerator == "gpu" and devices > torch.cuda.device_count():
        raise RegflowError(
            f"train.devices is {devices} but only {torch.cuda.device_count()} GPUs are visible"
        )
    if precision == "auto":
        if accelerator == "gpu":
            precision = "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
        else:
            precision = "32-true"
    if strategy == "auto":
        strategy = "ddp" if devices > 1 else "auto"
    if accelerator == "gpu":
        names = sorted({torch.cuda.get_device_name(i) for i in range(devices)})
        description = f"GPU: {devices} x {', '.join(names)}, precision {precision}"
    else:
        description = (
            f"CPU ({torch.get_num_threads()} threads, {devices} process(es)), precision "
            f"{precision}; no GPU {'requested' if has_gpu else 'visible'}: "
            "paper-size models will be slow"
        )
    return DevicePlan(accelerator, devices, strategy, precision, description)


def plan_and_announce(trainer: dict) -> DevicePlan:
    """:func:`plan_device` from a run's ``trainer`` settings, said loudly in the job's log."""
    import logging

    plan = plan_device(
        trainer["accelerator"], trainer["devices"], trainer["strategy"], trainer["precision"]
    )
    banner = f"regflow train: device: {plan.description}"
    logging.getLogger("regflow.train").warning(
        "%s\n%s\n%s", "=" * len(banner), banner, "=" * len(banner)
    )
    return plan
