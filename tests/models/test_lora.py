"""LoRA: starts equal to the base, trains only what it should, leaves the caller's model alone,
and merges back exactly."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from regflow.models.get import GETConfig, GETModel
from regflow.models.lora import LoRALinear, count_trainable, merge_lora, with_lora

TARGETS = ("region_embed", "encoder")


@pytest.fixture(autouse=True)
def _seeded():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        yield


def _get() -> GETModel:
    return GETModel(GETConfig(n_features=12, dim=32, heads=4, mlp_dim=64, dropout=0.0)).eval()


def test_lora_linear_starts_equal_and_adds_scaled_low_rank_update():
    base = nn.Linear(8, 5)
    lora = LoRALinear(base, rank=2, alpha=6.0)
    x = torch.randn(4, 8)
    torch.testing.assert_close(lora(x), base(x), atol=0, rtol=0)
    assert lora.lora_A.abs().sum() > 0 and lora.lora_A.shape == (2, 8)
    with torch.no_grad():
        lora.lora_B.copy_(torch.randn(5, 2))
    expected = base(x) + 3.0 * x @ (lora.lora_B @ lora.lora_A).T
    torch.testing.assert_close(lora(x), expected)
    assert base.weight.requires_grad  # the caller's layer is not frozen
    assert not lora.base.weight.requires_grad


def test_with_lora_starts_identical_and_trains_only_lora_and_head():
    model = _get()
    adapted = with_lora(model, rank=4, alpha=8.0, targets=TARGETS)
    x = torch.randn(2, 10, 12)
    torch.testing.assert_close(adapted(x), model(x), atol=0, rtol=0)
    wrapped = [n for n, m in adapted.named_modules() if isinstance(m, LoRALinear)]
    # region_embed + per block qkv, proj and two MLP linears
    assert len(wrapped) == 1 + 2 * 4
    assert not any(isinstance(m, LoRALinear) for m in model.modules())
    trainable = {n for n, p in adapted.named_parameters() if p.requires_grad}
    for name in trainable:
        assert name.startswith("head.") or name.rsplit(".", 1)[-1] in ("lora_A", "lora_B"), name
    assert {"head.weight", "head.bias", "region_embed.lora_A"} <= trainable
    assert "reconstruct_head.weight" not in trainable and "mask_token" not in trainable
    n_trainable, total = count_trainable(adapted)
    assert n_trainable == sum(p.numel() for p in adapted.parameters() if p.requires_grad)
    assert 0 < n_trainable < 0.5 * total
    assert count_trainable(model)[0] == count_trainable(model)[1]  # the original stays trainable


def _train(model: nn.Module, steps: int = 5) -> None:
    gen = torch.Generator().manual_seed(2)
    x, y = torch.randn(8, 10, 12, generator=gen), torch.rand(8, 10, 2, generator=gen)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    model.eval()


def test_training_changes_outputs_but_not_the_original_or_frozen_weights():
    model = _get()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    adapted = with_lora(model, rank=4, alpha=8.0, targets=TARGETS)
    frozen = {n: p.clone() for n, p in adapted.named_parameters() if not p.requires_grad}
    x = torch.randn(2, 10, 12)
    start = adapted(x)
    _train(adapted)
    assert not torch.allclose(adapted(x), start)
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    for n, p in adapted.named_parameters():
        if n in frozen:
            assert torch.equal(p, frozen[n]), n
    assert any(m.lora_B.abs().sum() > 0 for m in adapted.modules() if isinstance(m, LoRALinear))


def test_merge_lora_matches_the_lora_model():
    adapted = with_lora(_get(), rank=4, alpha=8.0, targets=TARGETS)
    _train(adapted)
    merged = merge_lora(adapted)
    assert not any(isinstance(m, LoRALinear) for m in merged.modules())
    assert any(isinstance(m, LoRALinear) for m in adapted.modules())  # the input is untouched
    assert isinstance(merged.encoder.blocks[0].attn.qkv, nn.Linear)
    x = torch.randn(3, 10, 12)
    torch.testing.assert_close(merged(x), adapted(x), atol=1e-5, rtol=0)
    assert count_trainable(merged)[1] == count_trainable(_get())[1]


def test_trainable_names_and_missing_targets():
    adapted = with_lora(_get(), rank=2, alpha=2.0, targets=("qkv",), trainable=())
    assert count_trainable(adapted)[0] == 2 * 2 * (32 + 3 * 32)  # A (2, 32) + B (96, 2), 2 blocks
    with pytest.raises(ValueError, match="no nn.Linear"):
        with_lora(_get(), rank=2, alpha=2.0, targets=("nothing",))
