"""The convolutional baselines: attention pooling, tower widths and poolings, dilations and the
dilated CNN's wider receptive field."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from regflow.models.seqtrack import build_model
from regflow.models.seqtrack.cnn import PRESETS, DilatedCNNConfig
from regflow.models.seqtrack.common import AttentionPool1d, geometric_channels


@pytest.fixture(autouse=True)
def _seeded():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        yield


def test_attention_pooling_with_equal_logits_is_average_pooling():
    pool = AttentionPool1d(5)
    with torch.no_grad():
        pool.logits.weight.zero_()
    x = torch.randn(3, 5, 12)
    torch.testing.assert_close(pool(x), F.avg_pool1d(x, 2))


def test_attention_pooling_starts_between_mean_and_max_and_sharpens_to_max():
    x = torch.randn(3, 5, 12)
    pooled = AttentionPool1d(5)(x)  # logit weights 2 x I
    assert (pooled >= F.avg_pool1d(x, 2) - 1e-6).all()
    assert (pooled <= F.max_pool1d(x, 2) + 1e-6).all()
    assert not torch.allclose(pooled, F.avg_pool1d(x, 2))
    sharp = AttentionPool1d(5, init_scale=1e4)(x)
    torch.testing.assert_close(sharp, F.max_pool1d(x, 2))
    with pytest.raises(ValueError, match="multiple of pool_size"):
        AttentionPool1d(5)(torch.randn(1, 5, 7))


def test_geometric_channels():
    widths = geometric_channels(288, 768, 7)
    assert widths[0] == 288 and widths[-1] == 768
    assert widths == sorted(widths)
    assert geometric_channels(768, 1536, 6, divisible_by=128) == [768, 896, 1024, 1152, 1280, 1536]
    assert geometric_channels(32, 64, 1) == [64]
    assert geometric_channels(16, 256, 5) == [16, 32, 64, 128, 256]


@pytest.mark.parametrize(
    ("name", "pool"), [("maxpool_cnn", nn.MaxPool1d), ("attnpool_cnn", AttentionPool1d)]
)
def test_tower_pools_once_per_factor_of_two(name, pool):
    model = build_model(name, {}, seq_len=1024, bin_size=64, crop_bins=0, n_tracks=1)
    pools = [m for m in model.trunk.modules() if isinstance(m, (nn.MaxPool1d, AttentionPool1d))]
    assert len(pools) == 6 and all(isinstance(m, pool) for m in pools)
    convs = [m for m in model.trunk.modules() if isinstance(m, nn.Conv1d)]
    stem = convs[0]
    assert (stem.in_channels, stem.out_channels, stem.kernel_size) == (4, 32, (15,))
    tower = [m for m in convs if m.kernel_size == (5,)]  # not the pools' pointwise logits
    assert [m.out_channels for m in tower] == geometric_channels(32, 64, 6)


def test_dilations_grow_by_the_rounded_rate():
    lengths = {"seq_len": 512, "bin_size": 32, "crop_bins": 0, "n_tracks": 1}
    assert DilatedCNNConfig(**lengths).dilations == [1, 2, 4, 8]
    config = DilatedCNNConfig(**lengths, dilated_layers=5, dilation_rate=1.5)
    assert config.dilations == [1, 2, 2, 3, 5]  # round(1.5 ** i), halves to even
    model = build_model("dilated_cnn", {"dilated_layers": 5, "dilation_rate": 1.5}, **lengths)
    dilated = [
        m.dilation[0]
        for m in model.trunk.modules()
        if isinstance(m, nn.Conv1d) and m.kernel_size == (3,)
    ]
    assert dilated == [1, 2, 2, 3, 5]
    with pytest.raises(ValueError, match="dilation_rate must be >= 1.0"):
        DilatedCNNConfig(**lengths, dilation_rate=0.5)


def _receptive_span(name: str) -> int:
    """bp between the first and last input position whose gradient reaches the centre bin."""
    model = build_model(name, {}, seq_len=2048, bin_size=32, crop_bins=0, n_tracks=1).eval()
    x = F.one_hot(torch.randint(0, 4, (1, 2048)), 4).float().requires_grad_()
    model(x)[0, 32, 0].backward()
    reached = (x.grad.abs().sum(-1) > 0).nonzero()[:, 1]
    return int(reached.max() - reached.min() + 1)


def test_dilated_blocks_widen_the_receptive_field():
    plain, dilated = _receptive_span("maxpool_cnn"), _receptive_span("dilated_cnn")
    # kernel-3 convolutions at dilations 1, 2, 4, 8 on 32-bp bins add 2 * 32 * 15 = 960 bp
    assert dilated - plain >= 900, (plain, dilated)


def test_presets_cover_the_three_models():
    for preset in ("tiny", "paper"):
        assert set(PRESETS[preset]) == {"maxpool_cnn", "attnpool_cnn", "dilated_cnn"}
    assert PRESETS["paper"]["dilated_cnn"]["dilated_layers"] == 11
