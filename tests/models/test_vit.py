"""The chromatin ViT: shapes, per-channel embeddings, shared vs separate trunks, token order,
attention maps, input checks, and that it can fit a small data set."""

from __future__ import annotations

import pytest
import torch

from regflow.models.vit import ChromatinViT, ViTConfig

TINY = {"dim": 16, "depth": 1, "heads": 2, "mlp_dim": 32, "head_hidden": 16}


@pytest.fixture(autouse=True)
def _seeded():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        yield


def _model(**kw) -> ChromatinViT:
    return ChromatinViT(ViTConfig.from_dict({**TINY, **kw})).eval()


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("shared", [True, False])
def test_output_and_attention_shapes(channels, shared):
    model = _model(channels=channels, shared_trunk=shared, depth=2)
    images = torch.randn(3, channels, 24, 128)
    pred = model(images)
    assert pred.shape == (3,)
    pred2, attn = model(images, return_attention=True)
    assert model.config.n_tokens == 1 + 48  # 24x128 in 8x8 patches: 3 x 16
    assert attn.shape == (3, channels, 2, 2, 49, 49)  # (B, C, depth, heads, T, T)
    torch.testing.assert_close(pred2, pred, atol=1e-5, rtol=0)
    torch.testing.assert_close(attn.sum(-1), torch.ones(attn.shape[:-1]))


def test_separate_trunks_have_twice_the_encoder_parameters():
    def encoder_params(m: ChromatinViT) -> int:
        return sum(p.numel() for p in m.encoders.parameters())

    shared, separate = _model(shared_trunk=True), _model(shared_trunk=False)
    assert len(shared.encoders) == 1 and len(separate.encoders) == 2
    assert encoder_params(separate) == 2 * encoder_params(shared)
    assert separate.encoders[0] is not separate.encoders[1]


def test_each_channel_has_its_own_embeddings():
    model = _model(channels=2)
    a, b = model.patch_embeds
    assert a is not b
    assert a.weight.data_ptr() != b.weight.data_ptr()
    assert not torch.equal(a.weight, b.weight)
    assert model.cls_tokens.shape == (2, 1, 16) and model.pos_embeds.shape == (2, 49, 16)
    images = torch.randn(2, 2, 24, 128)
    swapped = images.flip(1)
    assert not torch.allclose(model(images), model(swapped))


def test_shared_trunk_uses_one_encoder_for_both_channels():
    """The one encoder applied to each channel's tokens gives that channel's maps."""
    model = _model(channels=2, shared_trunk=True)
    images = torch.randn(2, 2, 24, 128)
    tokens = model.embed(images)
    _, attn = model(images, return_attention=True)
    for c in range(2):
        _, expected = model.encoders[0](tokens[:, c], return_attention=True)
        torch.testing.assert_close(attn[:, c], expected)


def test_patch_tokens_are_row_major():
    """A signal in patch (r, c) changes only token 1 + r * 16 + c of that channel."""
    model = _model(channels=2)
    blank = torch.zeros(1, 2, 24, 128)
    base = model.embed(blank)  # (1, C, T, D)
    r, c = 2, 5
    lit = blank.clone()
    lit[0, 1, r * 8 : (r + 1) * 8, c * 8 : (c + 1) * 8] = 1.0
    changed = (model.embed(lit) - base).abs().sum(-1)[0] > 0  # (C, T)
    expected = torch.zeros(2, 49, dtype=torch.bool)
    expected[1, 1 + r * 16 + c] = True
    assert torch.equal(changed, expected)


@pytest.mark.parametrize("shape", [(2, 1, 24, 128), (2, 2, 32, 128), (2, 2, 24, 120), (2, 24, 128)])
def test_wrong_input_shape_raises(shape):
    model = _model(channels=2)
    with pytest.raises(ValueError, match=r"expected images of shape \(B, 2, 24, 128\)"):
        model(torch.randn(*shape))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"patch": 5}, "not divisible by patch"),
        ({"dim": 18, "heads": 4}, "divisible by heads"),
        ({"channels": 3}, "channels must be 1 or 2"),
        ({"dimm": 16}, "dimm"),
    ],
)
def test_config_validation(bad, message):
    with pytest.raises(ValueError, match=message):
        ViTConfig.from_dict(bad)


def test_can_overfit_a_small_data_set():
    """32 random images (16 x 32, 8 patches a channel to stay fast) with random targets."""
    gen = torch.Generator().manual_seed(1)
    images = torch.randn(32, 2, 16, 32, generator=gen)
    targets = torch.randn(32, generator=gen)
    config = ViTConfig(**TINY, image_height=16, image_width=32, dropout=0.0)
    model = ChromatinViT(config).train()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(150):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(images), targets)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]
