"""The GET-style model: non-negative strand outputs, mask-token replacement, no positional
encoding, exact random masks, reconstruction and input checks."""

from __future__ import annotations

import pytest
import torch

from regflow.models.get import GETConfig, GETModel, random_region_mask

F_ = 6


@pytest.fixture(autouse=True)
def _seeded():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        yield


def _model(**kw) -> GETModel:
    return GETModel(GETConfig(n_features=F_, dim=16, heads=2, mlp_dim=32, **kw)).eval()


def test_output_is_non_negative_per_region_and_strand():
    model = _model()
    with torch.no_grad():
        model.head.bias.fill_(-10.0)  # a bare linear head would now output negatives
    y = model(torch.randn(3, 10, F_))
    assert y.shape == (3, 10, 2)
    assert (y >= 0).all()
    assert (model.head(model.encode(torch.randn(3, 10, F_))) < 0).any()


def test_attention_output():
    model = _model()
    x = torch.randn(2, 7, F_)
    y, attn = model(x, return_attention=True)
    assert attn.shape == (2, 2, 2, 7, 7)  # (B, depth, heads, R, R)
    torch.testing.assert_close(y, model(x), atol=1e-5, rtol=0)


def test_masked_regions_inputs_are_ignored():
    model = _model()
    x = torch.randn(2, 8, F_)
    mask = torch.zeros(2, 8, dtype=torch.bool)
    mask[:, [1, 4]] = True
    y = model(x, mask)
    assert not torch.allclose(y[mask], model(x)[mask])
    other = x.clone()
    other[mask] = torch.randn(int(mask.sum()), F_)
    torch.testing.assert_close(model(other, mask), y)


def test_fully_masked_output_is_independent_of_inputs():
    model = _model()
    mask = torch.ones(2, 5, dtype=torch.bool)
    a = model(torch.randn(2, 5, F_), mask)
    b = model(100 * torch.randn(2, 5, F_), mask)
    torch.testing.assert_close(a, b)


def test_no_positional_encoding():
    """Permuting the regions permutes the outputs."""
    model = _model()
    x = torch.randn(2, 9, F_)
    perm = torch.randperm(9)
    torch.testing.assert_close(model(x[:, perm]), model(x)[:, perm], atol=1e-5, rtol=0)


@pytest.mark.parametrize(("ratio", "r", "k"), [(0.5, 10, 5), (0.5, 7, 4), (0.25, 9, 2), (0, 6, 0)])
def test_random_region_mask_masks_exactly(ratio, r, k):
    mask = random_region_mask((50, r), ratio, torch.Generator().manual_seed(3))
    assert mask.dtype == torch.bool and mask.shape == (50, r)
    assert (mask.sum(1) == k).all()
    if 0 < k < r:
        assert len({tuple(row.tolist()) for row in mask}) > 1  # rows are drawn independently
        assert (mask.float().mean(0) > 0).all()  # every position can be masked


def test_random_region_mask_is_reproducible_and_checks_ratio():
    a = random_region_mask((4, 10), 0.5, torch.Generator().manual_seed(7))
    b = random_region_mask((4, 10), 0.5, torch.Generator().manual_seed(7))
    assert torch.equal(a, b)
    with pytest.raises(ValueError, match="ratio"):
        random_region_mask((4, 10), 1.5)


def test_reconstruct():
    model = _model()
    x = torch.randn(3, 8, F_)
    mask = random_region_mask((3, 8), 0.5)
    rec = model.reconstruct(x, mask)
    assert rec.shape == (3, 8, F_)
    torch.testing.assert_close(rec, model.reconstruct_head(model.encode(x, mask)))
    assert not torch.allclose(rec, model.reconstruct(x, ~mask))


def test_wrong_inputs_raise():
    model = _model()
    with pytest.raises(ValueError, match=r"\(B, R, 6\)"):
        model(torch.randn(2, 8, F_ + 1))
    with pytest.raises(ValueError, match="mask"):
        model(torch.randn(2, 8, F_), torch.ones(2, 7, dtype=torch.bool))


def test_config_from_dict():
    assert GETConfig.from_dict({"n_features": 4, "dim": 8}) == GETConfig(4, dim=8)
    with pytest.raises(ValueError, match="n_features"):
        GETConfig.from_dict({"dim": 8})
    with pytest.raises(ValueError, match="depht"):
        GETConfig.from_dict({"n_features": 4, "depht": 2})
    with pytest.raises(ValueError, match="divisible"):
        GETConfig.from_dict({"n_features": 4, "dim": 10, "heads": 4})
