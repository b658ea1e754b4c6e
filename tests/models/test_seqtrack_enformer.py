"""Enformer: relative positional features (a function of distance only, symmetric and
antisymmetric halves), relative-position logits indexed by j - i, attention layout, tower."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from regflow.models.seqtrack import build_model
from regflow.models.seqtrack.enformer import (
    PRESETS,
    EnformerConfig,
    RelativeMultiHeadAttention,
    relative_position_features,
)


@pytest.fixture(autouse=True)
def _seeded():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        yield


T = 20
N_FEATURES = 18  # 3 basis functions per family


def _pairwise(positions: torch.Tensor) -> torch.Tensor:
    """Features ``(n, n, F)`` of ``positions[j] - positions[i]``."""
    return relative_position_features(positions[None, :] - positions[:, None], N_FEATURES, T)


def test_features_depend_on_distance_only():
    pos = torch.arange(T)
    torch.testing.assert_close(_pairwise(pos), _pairwise(pos + 37))
    pairwise = _pairwise(pos)
    torch.testing.assert_close(pairwise[:-3, :-3], pairwise[3:, 3:])  # Toeplitz


def test_features_symmetric_then_antisymmetric():
    d = torch.arange(-(T - 1), T)
    feats = relative_position_features(d, N_FEATURES, T)  # (2T - 1, F)
    assert feats.shape == (2 * T - 1, N_FEATURES)
    half = N_FEATURES // 2
    sym, anti = feats[:, :half], feats[:, half:]
    torch.testing.assert_close(sym, sym.flip(0))  # f(-d) == f(d)
    torch.testing.assert_close(anti, -anti.flip(0))  # g(-d) == -g(d)
    torch.testing.assert_close(anti[d > 0], sym[d > 0])  # g = sign(d) * f
    assert (anti[T - 1] == 0).all()  # d = 0
    # at d = 0: exponentials are 1, central masks 1, gamma densities 0
    torch.testing.assert_close(sym[T - 1], torch.tensor([1.0, 1, 1, 1, 1, 1, 0, 0, 0]))
    assert ((sym >= 0) & (sym <= 1 + 1e-6)).all()
    # exponential decays halve over their half-life; central masks are |d| < 1, 3, 7
    torch.testing.assert_close(sym[T - 1 + 8, 0], torch.tensor(0.5))
    mask = sym[:, 3:6]
    assert mask[:, 0].sum() == 1 and mask[:, 1].sum() == 5 and mask[:, 2].sum() == 13
    # gamma densities peak at 1 (at their modes, all below T)
    gamma_peaks = relative_position_features(torch.arange(0, 4 * T), N_FEATURES, T)[:, 6:9]
    assert (gamma_peaks.max(0).values > 0.95).all()
    with pytest.raises(ValueError, match="multiple of 6"):
        relative_position_features(d, 10, T)


def test_positional_logits_use_distance_j_minus_i():
    attn = RelativeMultiHeadAttention(
        16, heads=2, key_size=4, rel_pos_features=N_FEATURES, n_tokens=T
    )
    with torch.no_grad():
        attn.r_r_bias.normal_()
    q = torch.randn(1, 2, T, 4)  # (B, heads, T, d_k)
    logits = attn.positional_logits(q)  # (B, heads, T, T)
    i, j = 3, 11
    r = attn.rel_k(relative_position_features(torch.tensor(j - i), N_FEATURES, T))
    r = r.reshape(2, 4)  # (heads, d_k)
    expected = ((q[0, :, i] + attn.r_r_bias[:, 0]) * r).sum(-1)  # (heads,)
    torch.testing.assert_close(logits[0, :, i, j], expected)
    # with the same query at every position the logits only depend on j - i
    same = attn.positional_logits(q[:, :, :1].expand(1, 2, T, 4))
    torch.testing.assert_close(same[..., :-5, :-5], same[..., 5:, 5:])
    assert not torch.allclose(same[..., 0, 1], same[..., 1, 0])  # antisymmetric features


def test_attention_layout_and_identical_output():
    model = build_model("enformer", {}, seq_len=512, bin_size=32, crop_bins=2, n_tracks=3).eval()
    x = F.one_hot(torch.randint(0, 4, (2, 512)), 4).float()
    y, maps = model(x, return_attention=True)
    assert len(maps) == 2  # depth
    for attn in maps:
        assert attn.shape == (2, 4, 16, 16)  # (B, heads, T, T), uncropped bins
        torch.testing.assert_close(attn.sum(-1), torch.ones(2, 4, 16))
    torch.testing.assert_close(y, model(x))


def test_tower_reaches_bin_resolution():
    config = EnformerConfig(
        seq_len=196_608, bin_size=128, crop_bins=320, n_tracks=5313, **PRESETS["paper"]
    )
    assert config.tower_channels == [768, 896, 1024, 1152, 1280, 1536]
    assert config.n_out_bins == 896
    model = build_model("enformer", {}, seq_len=512, bin_size=32, crop_bins=0, n_tracks=1)
    assert model.trunk(torch.zeros(1, 512, 4)).shape == (1, 16, 64)


@pytest.mark.parametrize(
    ("params", "bin_size", "message"),
    [
        ({"heads": 3}, 32, "divisible by heads"),
        ({"rel_pos_features": 16}, 32, "multiple of 6"),
        ({}, 2, "power of two >= 4"),
        ({"dropout": 1.0}, 32, "dropout"),
    ],
)
def test_config_errors(params, bin_size, message):
    with pytest.raises(ValueError, match=message):
        EnformerConfig(seq_len=512, bin_size=bin_size, crop_bins=0, n_tracks=1, **params)
