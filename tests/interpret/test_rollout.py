"""Attention rollout on hand-made attention: identity and uniform attention, a two-layer
product worked by hand, the discard (class token kept, lowest dropped), normalisation, and the
class-token map landing on the image pixels the ViT tokenised."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from regflow.interpret.rollout import attention_rollout, cls_patch_map, discard_lowest, upsample
from regflow.models.vit import ChromatinViT, ViTConfig


def random_attention(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Rows drawn from a Dirichlet: ``(..., T, T)`` non-negative, rows summing to 1."""
    return rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])


def test_identity_attention_rolls_up_to_identity():
    attn = np.broadcast_to(np.eye(5), (3, 2, 5, 5))  # depth 3, heads 2
    rollout = attention_rollout(attn)
    np.testing.assert_allclose(rollout, np.eye(5))
    # the class token never reads a patch: an all-zero map, not NaN
    np.testing.assert_array_equal(cls_patch_map(rollout, (2, 2)), np.zeros((2, 2)))


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_uniform_attention(depth):
    """(U + I) / 2 with U = 1/T everywhere; U @ U = U, so L layers give
    (1 - 2**-L) U + 2**-L I and the class token reads every patch equally."""
    t = 7
    uniform = np.full((t, t), 1.0 / t)
    rollout = attention_rollout(np.broadcast_to(uniform, (depth, 3, t, t)))
    expected = (1 - 2.0**-depth) * uniform + 2.0**-depth * np.eye(t)
    np.testing.assert_allclose(rollout, expected)
    np.testing.assert_allclose(cls_patch_map(rollout, (2, 3)), np.full((2, 3), 1 / 6))


def test_two_layers_by_hand():
    """Layer 1 is applied first: R = B2 @ B1 with B = (A + I) / 2 (heads averaged)."""
    a1 = np.array([[0.5, 0.5], [0.2, 0.8]])  # B1 = [[0.75, 0.25], [0.1, 0.9]]
    a2 = np.array([[1.0, 0.0], [0.4, 0.6]])  # B2 = [[1, 0], [0.2, 0.8]]
    # two heads averaging to a1 and a2
    attn = np.stack(
        [np.stack([a1 + [[0.1, -0.1], [0, 0]], a1 - [[0.1, -0.1], [0, 0]]]), np.stack([a2, a2])]
    )  # (depth 2, heads 2, 2, 2)
    expected = np.array([[0.75, 0.25], [0.2 * 0.75 + 0.8 * 0.1, 0.2 * 0.25 + 0.8 * 0.9]])
    np.testing.assert_allclose(attention_rollout(attn), expected)
    np.testing.assert_allclose(expected, [[0.75, 0.25], [0.23, 0.77]])


def test_discard_drops_the_lowest_patch_entries_and_keeps_the_class_token():
    attn = np.array(
        [
            [0.01, 0.01, 0.98],  # the class token's row: its tiny entries survive
            [0.02, 0.30, 0.68],
            [0.01, 0.40, 0.59],
        ]
    )
    # patch-to-patch entries 0.30, 0.68, 0.40, 0.59; half of them (the two lowest) go
    expected = np.array([[0.01, 0.01, 0.98], [0.02, 0.0, 0.68], [0.01, 0.0, 0.59]])
    np.testing.assert_array_equal(discard_lowest(attn, 0.5), expected)
    np.testing.assert_array_equal(discard_lowest(attn, 0.0), attn)
    np.testing.assert_array_equal(discard_lowest(attn, 0.2), attn)  # int(0.2 * 4) = 0 ...
    one = discard_lowest(attn, 0.3)  # ... int(0.3 * 4) = 1: only the lowest goes
    assert one[1, 1] == 0.0 and np.count_nonzero(one == 0.0) == 1
    everything = discard_lowest(attn, 1.0)
    np.testing.assert_array_equal(everything[1:, 1:], 0.0)
    np.testing.assert_array_equal(everything[0], attn[0])
    np.testing.assert_array_equal(everything[:, 0], attn[:, 0])
    # one layer, one head: R = rownorm((discarded + I) / 2)
    kept = (expected + np.eye(3)) / 2
    np.testing.assert_allclose(
        attention_rollout(attn[None, None], 0.5), kept / kept.sum(axis=1, keepdims=True)
    )


def test_discard_is_per_matrix():
    rng = np.random.default_rng(0)
    attn = random_attention(rng, (4, 2, 6, 6))
    out = discard_lowest(attn, 0.6)
    assert out.shape == attn.shape
    for index in np.ndindex(4, 2):
        dropped = (out[index][1:, 1:] == 0) & (attn[index][1:, 1:] > 0)
        assert dropped.sum() == int(0.6 * 25)
        assert attn[index][1:, 1:][dropped].max() <= attn[index][1:, 1:][~dropped].min()


def test_discard_ratio_out_of_range():
    with pytest.raises(ValueError, match="discard_ratio"):
        discard_lowest(np.eye(3), 1.5)


def test_rows_and_maps_are_normalised():
    rng = np.random.default_rng(1)
    attn = random_attention(rng, (2, 3, 4, 2, 13, 13))  # (B, C, depth, heads, T, T)
    rollout = attention_rollout(attn, 0.9)
    assert rollout.shape == (2, 3, 13, 13)
    assert (rollout >= 0).all()
    np.testing.assert_allclose(rollout.sum(axis=-1), 1.0)
    maps = cls_patch_map(rollout, (3, 4))
    assert maps.shape == (2, 3, 3, 4)
    np.testing.assert_allclose(maps.sum(axis=(-2, -1)), 1.0)
    np.testing.assert_allclose(
        maps.reshape(2, 3, 12),
        rollout[..., 0, 1:] / rollout[..., 0, 1:].sum(axis=-1, keepdims=True),
    )


def test_cls_map_needs_the_grid_of_the_tokens():
    with pytest.raises(ValueError, match="2 x 3 patch grid"):
        cls_patch_map(np.eye(8), (2, 3))


def test_a_hot_patch_fills_exactly_its_pixels():
    p, (gh, gw), (r, c) = 4, (3, 5), (1, 3)
    patch_map = np.zeros((gh, gw))
    patch_map[r, c] = 1.0
    image = upsample(patch_map, p)
    assert image.shape == (gh * p, gw * p)
    expected = np.zeros_like(image)
    expected[r * p : (r + 1) * p, c * p : (c + 1) * p] = 1.0
    np.testing.assert_array_equal(image, expected)
    stacked = upsample(np.stack([patch_map, 2 * patch_map]), p)  # leading axes pass through
    np.testing.assert_array_equal(stacked[1], 2 * expected)


def test_maps_align_with_the_vits_tokens():
    """A patch embedding that averages each patch's pixels turns an image with one bright patch
    into one active token; a class token reading exactly the active tokens gives, through
    cls_patch_map and upsample, a map that covers the bright pixels and nothing else."""
    config = ViTConfig(
        image_height=8, image_width=12, patch=4, channels=1, dim=4, depth=1, heads=1,
        mlp_dim=4, dropout=0.0, head_hidden=4,
    )  # fmt: skip
    model = ChromatinViT(config)
    with torch.no_grad():
        for parameter in (model.cls_tokens, model.pos_embeds, model.patch_embeds[0].bias):
            parameter.zero_()
        weight = torch.zeros_like(model.patch_embeds[0].weight)  # (D, 1, p, p)
        weight[0] = 1.0 / config.patch**2
        model.patch_embeds[0].weight.copy_(weight)
    gh, gw = config.grid
    for r, c in [(0, 0), (1, 2), (0, 2), (1, 0)]:
        image = np.zeros((config.image_height, config.image_width), dtype=np.float32)
        image[r * 4 : (r + 1) * 4, c * 4 : (c + 1) * 4] = 1.0
        tokens = model.embed(torch.from_numpy(image)[None, None])[0, 0, :, 0].detach().numpy()
        assert tokens.argmax() == 1 + r * gw + c  # the model's token order
        rollout = np.eye(config.n_tokens)
        rollout[0] = tokens / tokens.sum()  # the class token reads the active patch token
        upsampled = upsample(cls_patch_map(rollout, config.grid), config.patch)
        np.testing.assert_array_equal(upsampled, image)
