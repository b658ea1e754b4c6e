"""BPNet / ChromBPNet: the input-length rule, centre cropping, the frozen bias, the combined
outputs, the losses against torch.distributions and the strand augmentation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from regflow.models.bpnet import (
    BPNet,
    BPNetConfig,
    ChromBPNet,
    bpnet_loss,
    counts_loss_weight,
    log_counts_mse,
    multinomial_nll,
    profile_reverse,
    required_input_length,
    reverse_complement,
)

OUT = 40


@pytest.fixture(autouse=True)
def _seeded():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        yield


def _onehot(b: int, length: int) -> torch.Tensor:
    """Random one-hot sequences ``(b, length, 4)``."""
    return torch.nn.functional.one_hot(torch.randint(0, 4, (b, length)), 4).float()


def _chrombpnet() -> ChromBPNet:
    acc = BPNet(BPNetConfig(filters=8, layers=3, conv1_kernel=7, profile_kernel=9, out_len=OUT))
    bias = BPNet(BPNetConfig(filters=4, layers=2, conv1_kernel=5, profile_kernel=5, out_len=OUT))
    return ChromBPNet(acc, bias)


def test_length_rule_values():
    assert required_input_length(1000, 8, 21, 75) == 2114
    assert required_input_length(1000, 8) == 2114
    assert required_input_length(1000, 4) == 1154
    assert BPNetConfig().input_length == 250 + 94 + 60


@pytest.mark.parametrize(
    "cfg",
    [
        BPNetConfig(filters=4, layers=2, conv1_kernel=5, profile_kernel=7, out_len=30),
        BPNetConfig(filters=3, layers=0, conv1_kernel=1, profile_kernel=1, out_len=5),
        BPNetConfig(filters=4, layers=5, out_len=11),
    ],
)
def test_output_shapes_follow_the_length_rule(cfg):
    model = BPNet(cfg)
    need = required_input_length(cfg.out_len, cfg.layers, cfg.conv1_kernel, cfg.profile_kernel)
    assert model.input_length == need
    logits, log_counts = model(_onehot(3, need))
    assert logits.shape == (3, cfg.out_len)
    assert log_counts.shape == (3,)
    assert model.trunk(_onehot(3, need)).shape == (
        3,
        cfg.filters,
        cfg.out_len + cfg.profile_kernel - 1,
    )


def test_too_short_input_raises_with_lengths():
    model = BPNet(BPNetConfig(filters=4, layers=2, out_len=OUT))
    need = model.input_length
    with pytest.raises(ValueError, match=rf"{need - 1}.*{need}"):
        model(_onehot(2, need - 1))
    with pytest.raises(ValueError, match=r"\(B, L, 4\)"):
        model(torch.zeros(2, need, 5))


def test_longer_input_is_centre_cropped():
    model = BPNet(BPNetConfig(filters=4, layers=2, out_len=OUT)).eval()
    need = model.input_length
    x = _onehot(2, need + 10)
    logits, lc = model(x)
    ref_logits, ref_lc = model(x[:, 5 : 5 + need])
    torch.testing.assert_close(logits, ref_logits)
    torch.testing.assert_close(lc, ref_lc)
    off_logits, _ = model(x[:, 4 : 4 + need])  # a one-base shift does change the output
    assert not torch.allclose(logits, off_logits)


def test_config_validation_and_from_dict():
    with pytest.raises(ValueError, match="odd"):
        BPNetConfig(conv1_kernel=20)
    with pytest.raises(ValueError, match="filters"):
        BPNetConfig(filters=0)
    with pytest.raises(ValueError, match="unknown"):
        BPNetConfig.from_dict({"filter": 3})
    assert BPNetConfig.from_dict({"filters": 5, "layers": 2}) == BPNetConfig(filters=5, layers=2)


def test_bias_gets_no_gradient_and_stays_in_eval_mode():
    model = _chrombpnet()
    model.train()
    assert model.training and model.accessibility.training
    assert not model.bias.training
    assert not any(m.training for m in model.bias.modules())
    x = _onehot(3, model.input_length)
    logits, lc = model(x)
    (logits.sum() + lc.sum()).backward()
    assert all(p.grad is None for p in model.bias.parameters())
    assert all(not p.requires_grad for p in model.bias.parameters())
    assert all(p.grad is not None for p in model.accessibility.parameters())
    model.eval()
    assert not model.accessibility.training and not model.bias.training


def test_combined_and_corrected_outputs():
    model = _chrombpnet().eval()
    assert model.input_length == model.accessibility.input_length > model.bias.input_length
    x = _onehot(4, model.input_length)
    acc_logits, acc_lc = model.accessibility(x)
    bias_logits, bias_lc = model.bias(x)
    logits, lc = model(x)
    torch.testing.assert_close(logits, acc_logits + bias_logits)
    torch.testing.assert_close(lc, torch.log(torch.exp(acc_lc) + torch.exp(bias_lc)))
    un_logits, un_lc = model.forward_uncorrected(x)
    torch.testing.assert_close(un_logits, logits)
    torch.testing.assert_close(un_lc, lc)
    cor_logits, cor_lc = model.forward_corrected(x)
    torch.testing.assert_close(cor_logits, acc_logits)
    torch.testing.assert_close(cor_lc, acc_lc)


def test_bias_reads_the_centre_of_the_shared_input():
    model = _chrombpnet().eval()
    x = _onehot(2, model.input_length)
    crop = (model.input_length - model.bias.input_length) // 2
    ref, _ = model.bias(x[:, crop : crop + model.bias.input_length])
    torch.testing.assert_close(model.bias(x)[0], ref)


def test_mismatched_out_len_raises():
    with pytest.raises(ValueError, match="out_len"):
        ChromBPNet(BPNet(BPNetConfig(out_len=10)), BPNet(BPNetConfig(out_len=12)))


def test_multinomial_nll_matches_torch_distribution():
    logits = torch.randn(3, 6, dtype=torch.float64)
    counts = torch.tensor(
        [[0, 1, 2, 0, 3, 1], [5, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1]], dtype=torch.float64
    )
    expected = -torch.stack(
        [
            torch.distributions.Multinomial(int(c.sum()), logits=lg).log_prob(c)
            for lg, c in zip(logits, counts, strict=True)
        ]
    ).mean()
    torch.testing.assert_close(multinomial_nll(logits, counts), expected)
    assert multinomial_nll(logits, counts).ndim == 0


def test_log_counts_mse_and_loss_combination():
    counts = torch.tensor([[1.0, 2.0, 0.0], [0.0, 0.0, 0.0]])
    log_counts = torch.tensor([1.0, 0.5])
    expected = ((1.0 - np.log(4.0)) ** 2 + 0.5**2) / 2
    assert log_counts_mse(log_counts, counts).item() == pytest.approx(expected, rel=1e-6)
    logits = torch.zeros(2, 3)
    total, prof, cnt = bpnet_loss(logits, log_counts, counts, weight=3.0)
    torch.testing.assert_close(prof, multinomial_nll(logits, counts))
    torch.testing.assert_close(cnt, log_counts_mse(log_counts, counts))
    torch.testing.assert_close(total, prof + 3.0 * cnt)


def test_counts_loss_weight():
    assert counts_loss_weight(np.array([10.0, 20.0, 30.0])) == 2.0
    assert counts_loss_weight(np.array([1.0, 2.0, 300.0])) == 1.0  # floor at 1
    assert counts_loss_weight(np.array([100, 300, 500, 700])) == 40.0
    with pytest.raises(ValueError):
        counts_loss_weight(np.array([]))


def test_reverse_complement():
    seq = torch.nn.functional.one_hot(torch.tensor([[0, 0, 1, 2, 3]]), 4).float()  # AACGT
    rc = reverse_complement(seq)
    assert rc.argmax(-1).tolist() == [[0, 1, 2, 3, 3]]  # ACGTT
    a_only = torch.nn.functional.one_hot(torch.zeros(1, 3, dtype=torch.long), 4).float()
    assert reverse_complement(a_only).argmax(-1).tolist() == [[3, 3, 3]]  # A -> T
    x = _onehot(3, 17)
    torch.testing.assert_close(reverse_complement(reverse_complement(x)), x)
    counts = torch.arange(10.0).reshape(2, 5)
    assert profile_reverse(counts)[0].tolist() == [4.0, 3.0, 2.0, 1.0, 0.0]
    torch.testing.assert_close(profile_reverse(profile_reverse(counts)), counts)
