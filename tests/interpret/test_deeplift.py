"""DeepLIFT/SHAP wrappers and contribution scores on tiny models: shapes, additivity,
hypothetical x one-hot = projected, and which weights each wrapper depends on."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from regflow.interpret.deeplift import (
    CHROMBPNET_HEADS,
    CHROMBPNET_MODELS,
    TrackSum,
    chrombpnet_wrapper,
    contribution_scores,
    delta_summary,
)
from regflow.models.bpnet import BPNet, BPNetConfig, ChromBPNet
from regflow.models.seqtrack import build_model

SMALL = {"conv1_kernel": 5, "profile_kernel": 5, "out_len": 16}


def bpnet(filters: int, layers: int, seed: int) -> BPNet:
    torch.manual_seed(seed)
    return BPNet(BPNetConfig(filters=filters, layers=layers, **SMALL)).eval()


def chrombpnet(seed: int = 0, bias_seed: int = 1) -> ChromBPNet:
    return ChromBPNet(bpnet(8, 2, seed), bpnet(4, 1, bias_seed))


def onehot(n: int, length: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.eye(4, dtype=np.uint8)[rng.integers(0, 4, (n, length))]


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("which", CHROMBPNET_MODELS)
@pytest.mark.parametrize("head", CHROMBPNET_HEADS)
def test_chrombpnet_wrappers_give_one_value_per_sequence(which, head):
    model = chrombpnet()
    x = torch.from_numpy(onehot(3, model.input_length)).float().transpose(1, 2)  # (3, 4, L)
    out = chrombpnet_wrapper(model, which, head)(x)
    assert out.shape == (3, 1)
    assert torch.isfinite(out).all()


def test_track_sum_shape_and_value():
    torch.manual_seed(0)
    model = build_model(
        "maxpool_cnn",
        {"channels": 8, "channels_max": 8, "head_dim": 0},
        seq_len=32,
        bin_size=8,
        crop_bins=0,
        n_tracks=3,
    ).eval()
    x = torch.from_numpy(onehot(2, 32)).float()  # (2, L, 4)
    wrapper = TrackSum(model, [0, 2])
    out = wrapper(x.transpose(1, 2))
    assert out.shape == (2, 1)
    torch.testing.assert_close(out[:, 0], model(x)[:, :, [0, 2]].sum(dim=(1, 2)))


def reference_outputs(wrapper, x: np.ndarray, n_shuffles: int, seed: int) -> np.ndarray:
    """``f(x) - mean_k f(shuffle_k(x))`` with the shuffles drawn as contribution_scores draws
    them (reference ``k`` of every sequence with seed ``seed + k``): ``(N,)``."""
    from tangermeme.ersatz import dinucleotide_shuffle

    xt = torch.from_numpy(x).float().transpose(1, 2)  # (N, 4, L)
    refs = torch.stack(
        [
            torch.cat([dinucleotide_shuffle(s[None], n=1, random_state=seed + k)[:, 0] for s in xt])
            for k in range(n_shuffles)
        ],
        dim=1,
    )  # (N, K, 4, L)
    with torch.no_grad():
        fx = wrapper(xt)[:, 0]
        fr = wrapper(refs.reshape(-1, *refs.shape[2:]).float()).reshape(len(x), n_shuffles)
    return (fx - fr.mean(dim=1)).numpy()


@pytest.mark.parametrize("which", CHROMBPNET_MODELS)
def test_counts_contributions_add_up_to_the_output_difference(which):
    model = chrombpnet()
    x = onehot(4, model.input_length, seed=3)
    wrapper = chrombpnet_wrapper(model, which, "counts")
    result = contribution_scores(wrapper, x, n_shuffles=5, batch_size=7, seed=11)
    expected = reference_outputs(wrapper, x, 5, 11)
    np.testing.assert_allclose(result.differences, expected, atol=1e-5)
    # log-sum-exp (uncorrected) goes through integrated gradients: close, not exact
    atol = 1e-3 if which == "uncorrected" else 1e-5
    np.testing.assert_allclose(result.projected.sum(axis=1), expected, atol=atol)
    assert result.deltas.max() < atol
    assert delta_summary(result.deltas, result.differences)["max"] < atol


def test_profile_contributions_add_up_to_the_weighted_logit_change():
    model = chrombpnet()
    x = onehot(3, model.input_length, seed=4)
    result = contribution_scores(
        chrombpnet_wrapper(model, "corrected", "profile"), x, n_shuffles=4, batch_size=16, seed=2
    )
    np.testing.assert_allclose(result.projected.sum(axis=1), result.differences, atol=1e-5)


def test_hypothetical_times_onehot_is_projected_and_results_do_not_depend_on_batching():
    model = chrombpnet()
    x = onehot(5, model.input_length, seed=5)
    wrapper = chrombpnet_wrapper(model, "corrected", "counts")
    a = contribution_scores(wrapper, x, n_shuffles=4, batch_size=3, seed=0, chunk=2)
    b = contribution_scores(wrapper, x, n_shuffles=4, batch_size=16, seed=0, check=False)
    assert a.hypothetical.shape == (5, model.input_length, 4)
    assert a.hypothetical.dtype == np.float32 and a.projected.dtype == np.float32
    np.testing.assert_allclose((a.hypothetical * x).sum(axis=-1), a.projected, atol=1e-7)
    np.testing.assert_allclose(a.hypothetical, b.hypothetical, atol=1e-6)
    assert np.isnan(b.deltas).all()


def test_counts_and_profile_heads_differ():
    model = chrombpnet()
    x = onehot(3, model.input_length, seed=6)
    counts, profile = (
        contribution_scores(chrombpnet_wrapper(model, "corrected", head), x, 3, 16, seed=0)
        for head in ("counts", "profile")
    )
    assert not np.allclose(counts.projected, profile.projected, atol=1e-4)


def test_corrected_contributions_ignore_the_bias_model():
    x = onehot(3, chrombpnet().input_length, seed=7)
    one, other = chrombpnet(bias_seed=1), chrombpnet(bias_seed=2)
    scores = {
        (which, i): contribution_scores(chrombpnet_wrapper(m, which, "counts"), x, 3, 16, seed=0)
        for which in ("corrected", "uncorrected")
        for i, m in enumerate((one, other))
    }
    np.testing.assert_array_equal(
        scores["corrected", 0].hypothetical, scores["corrected", 1].hypothetical
    )
    assert not np.allclose(scores["uncorrected", 0].projected, scores["uncorrected", 1].projected)


def test_model_state_is_restored():
    model = chrombpnet().train()
    x = onehot(2, model.input_length)
    contribution_scores(chrombpnet_wrapper(model, "uncorrected", "counts"), x, 2, 4, seed=0)
    assert model.accessibility.training
    assert not model.bias.training  # ChromBPNet keeps its frozen bias in eval mode
    assert not any(hasattr(m, "_NON_LINEAR_OPS") for m in model.modules())


def test_attention_pooling_is_explained_to_small_deltas():
    torch.manual_seed(0)
    model = build_model(
        "attnpool_cnn",
        {"channels": 8, "channels_max": 8, "head_dim": 0},
        seq_len=32,
        bin_size=4,
        crop_bins=0,
        n_tracks=2,
    ).eval()
    result = contribution_scores(TrackSum(model, [1]), onehot(3, 32, seed=8), 4, 16, seed=0)
    summary = delta_summary(result.deltas, result.differences)
    assert summary["relative"] < 1e-3


def test_sequences_with_n_are_explained():
    model = chrombpnet()
    x = onehot(2, model.input_length, seed=9)
    x[0, :5] = 0  # N at the start of the first sequence
    result = contribution_scores(chrombpnet_wrapper(model, "corrected", "counts"), x, 3, 8)
    assert np.isfinite(result.hypothetical).all()
    assert (result.projected[0, :5] == 0).all()
    assert result.deltas.max() < 1e-5


def test_bad_input_is_refused():
    model = chrombpnet()
    wrapper = chrombpnet_wrapper(model, "corrected", "counts")
    with pytest.raises(ValueError, match="shape"):
        contribution_scores(wrapper, np.zeros((2, 4, model.input_length)), 2, 4)
    with pytest.raises(ValueError, match="unknown head"):
        chrombpnet_wrapper(model, "corrected", "shape")
    with pytest.raises(ValueError, match="only 'bias'"):
        chrombpnet_wrapper(model.bias, "corrected", "counts")


def test_deterministic_mode_is_tolerated_and_restored():
    torch.manual_seed(0)
    model = build_model(
        "maxpool_cnn",
        {"channels": 4, "channels_max": 4, "head_dim": 0},
        seq_len=32,
        bin_size=8,
        crop_bins=0,
        n_tracks=1,
    ).eval()
    torch.use_deterministic_algorithms(True)
    try:
        result = contribution_scores(TrackSum(model, [0]), onehot(2, 32), 2, 4)
        assert torch.are_deterministic_algorithms_enabled()
        assert not torch.is_deterministic_algorithms_warn_only_enabled()
    finally:
        torch.use_deterministic_algorithms(False)
    assert np.isfinite(result.projected).all()
