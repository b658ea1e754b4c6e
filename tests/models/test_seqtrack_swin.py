"""1D-Swin: the shifted-window mask and roll, the relative position bias table, patch merging,
the attention list layout and the length rules."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from regflow.models.seqtrack import build_model
from regflow.models.seqtrack.swin import (
    PatchMerging,
    SwinBlock,
    SwinConfig,
    WindowAttention,
    shifted_window_mask,
    window_token_index,
)


@pytest.fixture(autouse=True)
def _seeded():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        yield


def test_window_token_index_is_the_rolled_frame():
    assert window_token_index(8, 4).tolist() == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert window_token_index(8, 4, 2).tolist() == [[2, 3, 4, 5], [6, 7, 0, 1]]


def test_shifted_window_mask_separates_the_wrapped_segment():
    mask = shifted_window_mask(8, 4, 2)  # windows [2 3 4 5] and [6 7 | 0 1]
    expected = torch.tensor(
        [
            [[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]],
            [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]],
        ],
        dtype=torch.bool,
    )
    assert torch.equal(mask, expected)
    assert shifted_window_mask(12, 4, 2)[:2].all()  # only the last window is split


def test_masked_pairs_get_zero_attention():
    attn_layer = WindowAttention(8, heads=2, window=4)
    x = torch.randn(3, 2, 4, 8)  # (B, n_windows, w, C)
    _, attn = attn_layer(x, shifted_window_mask(8, 4, 2))
    assert attn.shape == (3, 2, 2, 4, 4)  # (B, n_windows, heads, w, w)
    torch.testing.assert_close(attn.sum(-1), torch.ones(3, 2, 2, 4))
    assert (attn[:, 1, :, :2, 2:] == 0).all() and (attn[:, 1, :, 2:, :2] == 0).all()
    assert (attn[:, 0] > 0).all() and (attn[:, 1, :, :2, :2] > 0).all()


def test_shifted_block_mixes_only_rolled_window_neighbours():
    block = SwinBlock(8, heads=2, window=4, n_tokens=8, shift=2).eval()
    x = torch.randn(1, 8, 8)
    changed = x.clone()
    changed[0, 0] += 5.0  # token 0 shares the window [6 7 | 0 1] but only attends to 0 and 1
    diff = (block(changed)[0] - block(x)[0]).abs().sum(-1)[0]  # (N,)
    assert (diff[[0, 1]] > 0).all()
    assert (diff[2:] == 0).all()  # tokens 6, 7 are masked off; 2..5 are another window
    plain = SwinBlock(8, heads=2, window=4, n_tokens=8).eval()
    diff = (plain(changed)[0] - plain(x)[0]).abs().sum(-1)[0]
    assert (diff[:4] > 0).all() and (diff[4:] == 0).all()


def test_relative_bias_depends_on_offset_only():
    attn_layer = WindowAttention(8, heads=2, window=4)
    assert attn_layer.bias_table.shape == (7, 2)  # (2w - 1, heads)
    with torch.no_grad():
        attn_layer.bias_table.copy_(torch.arange(14.0).reshape(7, 2))
    bias = attn_layer.relative_bias()  # (heads, w, w)
    torch.testing.assert_close(bias[:, :-1, :-1], bias[:, 1:, 1:])  # same offset, same bias
    for i in range(4):
        for j in range(4):
            torch.testing.assert_close(bias[:, i, j], attn_layer.bias_table[j - i + 3])


def test_patch_merging_concatenates_neighbours():
    merge = PatchMerging(3, 6)
    merge.norm = torch.nn.Identity()
    with torch.no_grad():
        merge.reduce.weight.copy_(torch.eye(6))
        merge.reduce.bias.zero_()
    x = torch.randn(2, 8, 3)
    torch.testing.assert_close(merge(x), torch.cat([x[:, 0::2], x[:, 1::2]], dim=-1))


def test_attention_list_layout():
    model = build_model("swin", {}, seq_len=512, bin_size=32, crop_bins=2, n_tracks=3).eval()
    x = F.one_hot(torch.randint(0, 4, (2, 512)), 4).float()
    y, maps = model(x, return_attention=True)
    blocks = model.trunk.blocks
    assert len(maps) == len(blocks) == 2 + 2 + 2 + 2 + 1  # stages [2, 2, 2, 2] + 1 global
    expected_tokens = [128, 128, 64, 64, 32, 32, 16, 16, 16]
    assert [b.n_tokens for b in blocks] == expected_tokens
    assert [b.shift for b in blocks] == [0, 4, 0, 4, 0, 4, 0, 4, 0]
    assert [b.token_bp for b in blocks] == [4, 4, 8, 8, 16, 16, 32, 32, 32]
    for attn, block in zip(maps[:-1], blocks[:-1], strict=True):
        assert attn.shape == (2, block.n_tokens // 8, 4, 8, 8)  # (B, n_windows, heads, w, w)
    assert maps[-1].shape == (2, 1, 4, 16, 16)  # one window over all bins
    for attn in maps:
        torch.testing.assert_close(attn.sum(-1), torch.ones(attn.shape[:-1]))
    assert (maps[1][:, -1, :, :4, 4:] == 0).all()  # shifted block: the wrap in the last window
    torch.testing.assert_close(y, model(x))


@pytest.mark.parametrize(
    ("params", "seq_len", "message"),
    [
        ({"patch_size": 2}, 512, r"patch_size \* 2\*\*\(len\(stages\) - 1\) = 16"),
        ({}, 544, "stage 1 has 68 tokens.*not a multiple of window 8"),
        ({"heads": 3}, 512, "multiples of heads"),
        ({"dims": [32, 32, 64]}, 512, "one width per stage"),
        ({"window": 1}, 512, "window must be >= 2"),
    ],
)
def test_config_errors(params, seq_len, message):
    with pytest.raises(ValueError, match=message):
        SwinConfig(seq_len=seq_len, bin_size=32, crop_bins=0, n_tracks=1, **params)


def test_lists_become_tuples():
    config = SwinConfig(
        seq_len=512, bin_size=32, crop_bins=0, n_tracks=1, stages=[2, 2, 2, 2], dims=[8] * 4
    )
    assert config.stages == (2, 2, 2, 2) and config.dims == (8, 8, 8, 8)
    hash(config)
