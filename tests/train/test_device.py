"""Device planning on this machine (no GPU): auto resolves to the CPU at 32-bit and says so."""

from __future__ import annotations

import pytest
import torch

from regflow.errors import RegflowError
from regflow.train.device import plan_device

pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason="expects a machine without GPU")


def test_auto_resolves_to_the_cpu():
    plan = plan_device("auto", 1, "auto", "auto")
    assert plan.accelerator == "cpu"
    assert plan.precision == "32-true"
    assert plan.strategy == "auto"
    assert plan.devices == 1
    assert plan.description.startswith("CPU")
    assert "32-true" in plan.description and "no GPU visible" in plan.description
    assert plan.as_dict() == {
        "accelerator": "cpu",
        "devices": 1,
        "strategy": "auto",
        "precision": "32-true",
        "description": plan.description,
    }


def test_explicit_cpu_keeps_explicit_choices():
    plan = plan_device("cpu", 1, "single_device", "bf16-mixed")
    assert (plan.accelerator, plan.strategy, plan.precision) == (
        "cpu",
        "single_device",
        "bf16-mixed",
    )
    assert "bf16-mixed" in plan.description


def test_gpu_without_a_gpu_raises():
    with pytest.raises(RegflowError, match="'gpu' but no CUDA GPU is visible"):
        plan_device("gpu", 1, "auto", "auto")


def test_unknown_accelerator_raises():
    with pytest.raises(RegflowError, match="unknown train.accelerator 'tpu'"):
        plan_device("tpu", 1, "auto", "auto")


def test_several_devices_train_data_parallel():
    plan = plan_device("cpu", 2, "auto", "auto")
    assert plan.strategy == "ddp" and plan.devices == 2
    assert "2 process(es)" in plan.description
    assert plan_device("cpu", 2, "ddp_spawn", "auto").strategy == "ddp_spawn"
