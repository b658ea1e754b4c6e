"""The shared interface of the five sequence-to-track models: length rules, build errors,
presets, non-negative outputs, gradients to the first layer, crop alignment, and that each
model learns a planted k-mer better than from shuffled targets."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from regflow.models.seqtrack import (
    MODEL_NAMES,
    build_config,
    build_model,
    cnn,
    enformer,
    output_bins,
    swin,
)

PRESETS = {
    "maxpool_cnn": cnn.PRESETS["tiny"]["maxpool_cnn"],
    "attnpool_cnn": cnn.PRESETS["tiny"]["attnpool_cnn"],
    "dilated_cnn": cnn.PRESETS["tiny"]["dilated_cnn"],
    "enformer": enformer.PRESETS["tiny"],
    "swin": swin.PRESETS["tiny"],
}
PAPER = {
    "maxpool_cnn": (cnn.PRESETS["paper"]["maxpool_cnn"], 131_072, 128, 64),
    "attnpool_cnn": (cnn.PRESETS["paper"]["attnpool_cnn"], 131_072, 128, 64),
    "dilated_cnn": (cnn.PRESETS["paper"]["dilated_cnn"], 131_072, 128, 64),
    "enformer": (enformer.PRESETS["paper"], 196_608, 128, 320),
    "swin": (swin.PRESETS["paper"], 16_384, 128, 0),
}


@pytest.fixture(autouse=True)
def _seeded():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        yield


def _one_hot(b: int, length: int, seed: int = 0) -> torch.Tensor:
    """Random one-hot DNA ``(b, length, 4)``."""
    gen = torch.Generator().manual_seed(seed)
    return F.one_hot(torch.randint(0, 4, (b, length), generator=gen), 4).float()


def test_output_bins():
    assert output_bins(196_608, 128, 320) == 896
    assert output_bins(2048, 32, 8) == 48
    with pytest.raises(ValueError, match="multiple of bin_size"):
        output_bins(1000, 32, 0)
    with pytest.raises(ValueError, match="leaves 0 output bins"):
        output_bins(512, 32, 8)


# (seq_len, bin_size, crop_bins, swin params) -> out bins; swin reaches bin 16 with patches of 2
COMBOS = [(512, 32, 2, {}, 12), (768, 16, 5, {"patch_size": 2}, 38)]


@pytest.mark.parametrize("name", MODEL_NAMES)
@pytest.mark.parametrize(("seq_len", "bin_size", "crop", "swin_params", "n_out"), COMBOS)
def test_output_shape_and_non_negative(name, seq_len, bin_size, crop, swin_params, n_out):
    params = swin_params if name == "swin" else {}
    model = build_model(
        name, params, seq_len=seq_len, bin_size=bin_size, crop_bins=crop, n_tracks=3
    )
    assert model.n_out_bins == n_out
    with torch.no_grad():
        model.head[-2].bias.fill_(-20.0)  # the last Linear: raw outputs would be negative
        y = model.eval()(_one_hot(2, seq_len))
    assert y.shape == (2, n_out, 3)
    assert (y >= 0).all()
    assert isinstance(model.head[-1], torch.nn.Softplus)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_forward_is_trunk_crop_head_and_accepts_n(name):
    model = build_model(name, {}, seq_len=512, bin_size=32, crop_bins=3, n_tracks=2).eval()
    x = _one_hot(2, 512)
    x[:, 100:140] = 0.0  # a run of N
    h = model.trunk(x)
    assert h.shape[:2] == (2, 16)
    torch.testing.assert_close(model(x), model.head(h[:, 3:13]))
    assert torch.isfinite(model(x)).all()


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_gradients_reach_the_first_layer(name):
    model = build_model(name, {}, seq_len=512, bin_size=32, crop_bins=2, n_tracks=2)
    first = next(model.trunk.parameters())
    assert first.ndim == 3 and first.shape[1] == 4  # the Conv1d reading the one-hot input
    model(_one_hot(4, 512)).sum().backward()
    assert first.grad is not None and first.grad.abs().sum() > 0


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_input_shape_is_checked(name):
    model = build_model(name, {}, seq_len=512, bin_size=32, crop_bins=2, n_tracks=2)
    with pytest.raises(ValueError, match=r"\(B, 512, 4\)"):
        model(_one_hot(1, 256))


@pytest.mark.parametrize("name", ["maxpool_cnn", "attnpool_cnn", "dilated_cnn"])
def test_cnns_have_no_attention(name):
    model = build_model(name, {}, seq_len=512, bin_size=32, crop_bins=2, n_tracks=2)
    with pytest.raises(ValueError, match="no attention"):
        model(_one_hot(1, 512), return_attention=True)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_incompatible_lengths_raise(name):
    with pytest.raises(ValueError, match="multiple of bin_size"):
        build_model(name, {}, seq_len=500, bin_size=32, crop_bins=0, n_tracks=2)
    with pytest.raises(ValueError, match="output bins"):
        build_model(name, {}, seq_len=512, bin_size=32, crop_bins=8, n_tracks=2)
    with pytest.raises(ValueError, match="n_tracks"):
        build_model(name, {}, seq_len=512, bin_size=32, crop_bins=0, n_tracks=0)


@pytest.mark.parametrize("name", ["maxpool_cnn", "attnpool_cnn", "dilated_cnn", "enformer"])
def test_pooling_models_need_power_of_two_bins(name):
    with pytest.raises(ValueError, match="power of two"):
        build_model(name, {}, seq_len=480, bin_size=24, crop_bins=0, n_tracks=2)


def test_build_errors_name_the_problem():
    with pytest.raises(ValueError, match="maxpool_cnn, attnpool_cnn, dilated_cnn, enformer, swin"):
        build_model("basenji", {}, seq_len=512, bin_size=32, crop_bins=0, n_tracks=1)
    with pytest.raises(ValueError, match="unknown EnformerConfig key.*chanels"):
        build_model("enformer", {"chanels": 8}, seq_len=512, bin_size=32, crop_bins=0, n_tracks=1)
    with pytest.raises(ValueError, match="must not set seq_len"):
        build_model("swin", {"seq_len": 512}, seq_len=512, bin_size=32, crop_bins=0, n_tracks=1)
    with pytest.raises(ValueError, match="dilation_rate"):
        build_model("maxpool_cnn", {"dilation_rate": 2.0}, seq_len=512, bin_size=32,
                    crop_bins=0, n_tracks=1)  # fmt: skip


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_tiny_preset_is_the_default(name):
    lengths = {"seq_len": 2048, "bin_size": 32, "crop_bins": 8, "n_tracks": 23}
    assert build_config(name, PRESETS[name], **lengths) == build_config(name, {}, **lengths)
    model = build_model(name, PRESETS[name], **lengths)
    assert sum(p.numel() for p in model.parameters()) < 300_000


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_paper_preset_is_valid(name):
    params, seq_len, bin_size, crop = PAPER[name]
    config = build_config(
        name, params, seq_len=seq_len, bin_size=bin_size, crop_bins=crop, n_tracks=5313
    )
    assert config.n_out_bins == seq_len // bin_size - 2 * crop
    if name == "enformer":
        assert config.n_out_bins == 896


# ---- learnability: a planted k-mer sets track 0 of its bin ----

SEQ, BIN, CROP = 256, 32, 1
MOTIF = torch.tensor([2, 0, 3, 0, 0, 2, 1, 3])  # GATAAGCT in ACGT order


def _planted_task(n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random windows ``(n, SEQ, 4)`` with 0-3 copies of MOTIF each, and targets
    ``(n, out_bins, 2)``: track 0 is 0.5 + 4 per motif centred in the bin, track 1 is 0.5."""
    idx = torch.randint(0, 4, (n, SEQ), generator=gen)
    y = torch.full((n, SEQ // BIN, 2), 0.5)
    counts = torch.randint(0, 4, (n,), generator=gen)
    for i in range(n):
        for _ in range(int(counts[i])):
            p = int(torch.randint(0, SEQ - len(MOTIF), (1,), generator=gen))
            idx[i, p : p + len(MOTIF)] = MOTIF
            y[i, (p + len(MOTIF) // 2) // BIN, 0] += 4.0
    return F.one_hot(idx, 4).float(), y[:, CROP : SEQ // BIN - CROP]


def _pearson(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a - a.mean(), b - b.mean()
    denom = a.norm() * b.norm()
    return float((a * b).sum() / denom) if denom > 0 else 0.0


def _train_and_score(name, params, steps, x, y, x_test, y_test) -> float:
    torch.manual_seed(0)
    model = build_model(name, params, seq_len=SEQ, bin_size=BIN, crop_bins=CROP, n_tracks=2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=True)  # fewer small ops on CPU
    gen = torch.Generator().manual_seed(1)
    for _ in range(steps):
        batch = torch.randint(0, len(x), (16,), generator=gen)
        loss = F.poisson_nll_loss(model(x[batch]), y[batch], log_input=False)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        pred = model.eval()(x_test)
    return _pearson(pred[..., 0].flatten(), y_test[..., 0].flatten())


# The windows have 8 bins, so the dilated CNN keeps dilations 1 and 2 (larger ones would read
# only padding). 1D-Swin finds an ordered k-mer across 4-bp patches more slowly (it learns the
# order from the relative position bias): smaller windows, no global block, more steps.
LEARN = {
    "maxpool_cnn": ({}, 80),
    "attnpool_cnn": ({}, 80),
    "dilated_cnn": ({"dilated_layers": 2}, 80),
    "enformer": ({}, 80),
    "swin": ({"window": 4, "global_depth": 0}, 170),
}


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_learns_planted_kmer_better_than_shuffled(name):
    gen = torch.Generator().manual_seed(0)
    x, y = _planted_task(512, gen)
    x_test, y_test = _planted_task(128, gen)
    shuffled = y[torch.randperm(len(y), generator=gen)]  # permute windows
    params, steps = LEARN[name]
    real = _train_and_score(name, params, steps, x, y, x_test, y_test)
    control = _train_and_score(name, params, steps, x, shuffled, x_test, y_test)
    assert real > 0.6, (real, control)
    assert real > control + 0.4, (real, control)
