"""Marginal footprinting: a model that scans for a motif footprints it, a model that ignores
sequence does not; inputs are never mutated and the torch wrapper restores training mode."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from regflow.evaluate.footprint import (
    consensus,
    insert_motif,
    marginal_footprint,
    torch_predictor,
)
from regflow.models.bpnet import BPNet, BPNetConfig, ChromBPNet

MOTIF = np.array(  # GATAAG as a frequency matrix with a little noise
    [
        [0.1, 0.1, 0.7, 0.1],
        [0.7, 0.1, 0.1, 0.1],
        [0.1, 0.1, 0.1, 0.7],
        [0.7, 0.1, 0.1, 0.1],
        [0.7, 0.1, 0.1, 0.1],
        [0.1, 0.1, 0.7, 0.1],
    ]
)
L = 120
OUT = 80


class MotifScanner(nn.Module):
    """Profile logits = convolution with a filter matching ``MOTIF`` (max at a full match),
    centre-cropped to ``OUT``; log counts = logsumexp of the logits."""

    def __init__(self, filt: np.ndarray, scale: float = 3.0) -> None:
        super().__init__()
        self.conv = nn.Conv1d(4, 1, filt.shape[0], bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.as_tensor(scale * filt.T, dtype=torch.float32)[None])
        self.dropout = nn.Dropout(0.5)  # makes train/eval mode observable

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s = self.dropout(self.conv(x.transpose(1, 2)).squeeze(1))  # (B, L - w + 1)
        start = (s.shape[1] - OUT) // 2
        s = s[:, start : start + OUT]  # (B, OUT)
        return s, torch.logsumexp(s, dim=-1)


class Blind(nn.Module):
    """Ignores the sequence: flat logits and a constant count."""

    def __init__(self) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b = x.shape[0]
        return self.bias.expand(b, OUT), self.bias.expand(b)


def _background(n: int = 64, length: int = L, seed: int = 0) -> np.ndarray:
    idx = np.random.default_rng(seed).integers(0, 4, size=(n, length))
    return np.eye(4, dtype=np.float32)[idx]  # (n, length, 4)


def test_consensus():
    cons = consensus(MOTIF)
    assert cons.shape == (6, 4)
    assert cons.argmax(1).tolist() == [2, 0, 3, 0, 0, 2]
    assert (cons.sum(1) == 1).all()
    with pytest.raises(ValueError):
        consensus(np.ones((3, 5)))


def test_insert_motif_does_not_mutate_input():
    seqs = _background(4)
    before = seqs.copy()
    out = insert_motif(seqs, consensus(MOTIF), 10)
    np.testing.assert_array_equal(seqs, before)
    np.testing.assert_array_equal(out[:, 10:16], np.broadcast_to(consensus(MOTIF), (4, 6, 4)))
    np.testing.assert_array_equal(out[:, :10], seqs[:, :10])
    np.testing.assert_array_equal(out[:, 16:], seqs[:, 16:])
    with pytest.raises(ValueError, match="does not fit"):
        insert_motif(seqs, consensus(MOTIF), L - 3)


def test_motif_scanner_footprints_its_motif():
    seqs = _background()
    before = seqs.copy()
    model = MotifScanner(consensus(MOTIF) - 0.25)
    fp = marginal_footprint(torch_predictor(model, batch_size=16), seqs, MOTIF, OUT)
    np.testing.assert_array_equal(seqs, before)
    assert fp["profile"].shape == (OUT,)
    assert fp["footprint_score"] > 1.0
    assert fp["count_effect"] > 0
    assert fp["profile"].argmax() in range(OUT // 2 - 3, OUT // 2 + 3)
    np.testing.assert_allclose(fp["profile"].sum(), 0.0, atol=1e-6)  # probabilities shift


def test_unrelated_motif_and_blind_model_give_no_footprint():
    seqs = _background()
    model = MotifScanner(consensus(MOTIF) - 0.25)
    other = np.eye(4)[[1, 1, 1, 1, 1, 1]]  # CCCCCC hardly matches GATAAG
    assert marginal_footprint(torch_predictor(model), seqs, other, OUT)["footprint_score"] < 0.2
    blind = marginal_footprint(torch_predictor(Blind()), seqs, MOTIF, OUT)
    assert blind["footprint_score"] == pytest.approx(0.0, abs=1e-9)
    assert blind["count_effect"] == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(blind["profile"], 0.0, atol=1e-9)


def test_both_strands_averages_orientations():
    seqs = _background()
    model = MotifScanner(consensus(MOTIF) - 0.25)
    pred = torch_predictor(model)
    fwd = marginal_footprint(pred, seqs, MOTIF, OUT)
    rc = marginal_footprint(pred, seqs, MOTIF[::-1, ::-1], OUT)
    both = marginal_footprint(pred, seqs, MOTIF, OUT, both_strands=True)
    np.testing.assert_allclose(both["profile"], (fwd["profile"] + rc["profile"]) / 2, atol=1e-6)
    assert both["count_effect"] == pytest.approx((fwd["count_effect"] + rc["count_effect"]) / 2)
    assert rc["footprint_score"] < both["footprint_score"] < fwd["footprint_score"]


def test_predict_output_shape_is_checked():
    seqs = _background(4)
    with pytest.raises(ValueError, match="predict must return"):
        marginal_footprint(lambda s: (np.zeros((4, OUT - 1)), np.zeros(4)), seqs, MOTIF, OUT)


def test_torch_predictor_batches_restores_mode_and_calls_methods():
    model = MotifScanner(consensus(MOTIF)).train()
    seqs = _background(10)
    logits, lc = torch_predictor(model, batch_size=3)(seqs)
    assert model.training and model.dropout.training
    assert logits.dtype == np.float32 and logits.shape == (10, OUT) and lc.shape == (10,)
    with torch.no_grad():
        ref, _ = model.eval()(torch.as_tensor(seqs))
    np.testing.assert_allclose(logits, ref.numpy(), rtol=1e-6)  # eval mode: no dropout

    cfg = BPNetConfig(filters=4, layers=1, conv1_kernel=5, profile_kernel=5, out_len=OUT)
    chrom = ChromBPNet(BPNet(cfg), BPNet(cfg)).train()
    x = _background(5, chrom.input_length)
    with torch.no_grad():
        corrected = chrom.forward_corrected(torch.as_tensor(x))[0].numpy()
    for method in ("forward_corrected", chrom.forward_corrected, ChromBPNet.forward_corrected):
        out, _ = torch_predictor(chrom, method=method)(x)
        np.testing.assert_allclose(out, corrected, rtol=1e-5, atol=1e-6)
    assert chrom.training and not chrom.bias.training


def test_torch_predictor_restores_mode_on_error():
    model = MotifScanner(consensus(MOTIF)).train()
    with pytest.raises(RuntimeError):
        torch_predictor(model)(np.zeros((2, L, 5), dtype=np.float32))
    assert model.training and model.dropout.training
