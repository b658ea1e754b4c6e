"""The shared encoder: both attention paths agree, attention is a proper distribution and
matches torch's reference, blocks are pre-LN residual, configs reject unknown keys."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch
from torch import nn

from regflow.models.blocks import Attention, EncoderBlock, TransformerEncoder, config_from_dict


@pytest.fixture(autouse=True)
def _seeded():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        yield


def test_fast_and_explicit_attention_agree_in_eval():
    attn = Attention(dim=16, heads=4, dropout=0.3).eval()
    x = torch.randn(3, 7, 16)
    fast = attn(x)
    slow, _ = attn(x, return_attention=True)
    torch.testing.assert_close(fast, slow, atol=1e-5, rtol=0)


def test_attention_matches_torch_multihead_attention():
    dim, heads = 16, 4
    ours = Attention(dim, heads).eval()
    ref = nn.MultiheadAttention(dim, heads, batch_first=True).eval()
    with torch.no_grad():
        ref.in_proj_weight.copy_(ours.qkv.weight)
        ref.in_proj_bias.copy_(ours.qkv.bias)
        ref.out_proj.weight.copy_(ours.proj.weight)
        ref.out_proj.bias.copy_(ours.proj.bias)
    x = torch.randn(2, 5, dim)
    out, attn = ours(x, return_attention=True)
    ref_out, ref_attn = ref(x, x, x, average_attn_weights=False)
    torch.testing.assert_close(out, ref_out, atol=1e-5, rtol=0)
    torch.testing.assert_close(attn, ref_attn, atol=1e-5, rtol=0)


def test_encoder_attention_shape_and_rows_sum_to_one():
    enc = TransformerEncoder(dim=16, depth=3, heads=2, mlp_dim=32, dropout=0.2).eval()
    x = torch.randn(4, 9, 16)
    out, attn = enc(x, return_attention=True)
    assert out.shape == (4, 9, 16)
    assert attn.shape == (4, 3, 2, 9, 9)  # (B, depth, heads, T, T)
    assert (attn >= 0).all()
    torch.testing.assert_close(attn.sum(-1), torch.ones(4, 3, 2, 9))
    torch.testing.assert_close(out, enc(x), atol=1e-5, rtol=0)


def test_attention_maps_are_per_layer():
    """Layer l's map is the one computed from layer l's input, not a copy of the first."""
    enc = TransformerEncoder(dim=16, depth=2, heads=2, mlp_dim=32).eval()
    x = torch.randn(1, 6, 16)
    _, attn = enc(x, return_attention=True)
    _, first = enc.blocks[0].attn(enc.blocks[0].ln1(x), return_attention=True)
    h = enc.blocks[0](x)
    _, second = enc.blocks[1].attn(enc.blocks[1].ln1(h), return_attention=True)
    torch.testing.assert_close(attn[:, 0], first)
    torch.testing.assert_close(attn[:, 1], second)
    assert not torch.allclose(first, second)


def _zero_branch_outputs(block: EncoderBlock) -> None:
    with torch.no_grad():
        for linear in (block.attn.proj, block.mlp[3]):
            linear.weight.zero_()
            linear.bias.zero_()


def test_block_is_pre_ln_residual():
    """With the attention and MLP output layers zeroed a pre-LN block is the identity (a
    post-LN block would return a normalised x)."""
    block = EncoderBlock(dim=16, heads=4, mlp_dim=32).eval()
    x = 3.0 * torch.randn(2, 5, 16) + 1.0
    assert not torch.allclose(block(x), x)
    _zero_branch_outputs(block)
    torch.testing.assert_close(block(x), x)


def test_encoder_ends_with_layer_norm():
    enc = TransformerEncoder(dim=16, depth=2, heads=4, mlp_dim=32).eval()
    for block in enc.blocks:
        _zero_branch_outputs(block)
    x = 3.0 * torch.randn(2, 5, 16) + 1.0
    torch.testing.assert_close(enc(x), enc.norm(x))


def test_dropout_active_in_training_only():
    attn = Attention(dim=16, heads=4, dropout=0.5)
    x = torch.randn(2, 5, 16)
    attn.train()
    assert not torch.allclose(attn(x), attn(x))
    attn.eval()
    torch.testing.assert_close(attn(x), attn(x))


def test_heads_must_divide_dim():
    with pytest.raises(ValueError, match="divisible"):
        Attention(dim=10, heads=4)


@dataclass(frozen=True)
class _Cfg:
    size: int
    rate: float = 0.5


def test_config_from_dict():
    assert config_from_dict(_Cfg, {"size": 3}) == _Cfg(3, 0.5)
    with pytest.raises(ValueError, match="sise"):
        config_from_dict(_Cfg, {"sise": 3})
    with pytest.raises(ValueError, match="size"):
        config_from_dict(_Cfg, {"rate": 0.1})
