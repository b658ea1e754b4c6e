"""DeepLIFT/DeepSHAP contribution scores of sequence models (tangermeme's ``deep_lift_shap``).

A model is explained through a wrapper that maps channel-first one-hot DNA ``(B, 4, L)``
(tangermeme's layout) to one scalar per sequence ``(B, 1)``:

- ChromBPNet / BPNet, counts head: the predicted log counts;
- ChromBPNet / BPNet, profile head: the reference's weighted mean-normalised logits,
  ``sum_j softmax(z)_j.detach() * (z_j - mean(z))`` over the profile positions ``j``, so each
  position's logit change is weighted by the predicted profile of the explained sequence;
- a sequence-to-track model: its output summed over bins for chosen tracks.

Each ChromBPNet head comes for the ``corrected`` prediction (the accessibility model alone),
the ``uncorrected`` one (accessibility + frozen bias: logits added, counts combined by
log-sum-exp) and the ``bias`` model alone. The rescale rule needs every nonlinearity as a
module, so the uncorrected counts' log-sum-exp is the module :class:`LogSumExp`. Two modules
without an exact DeepLIFT rule, :class:`LogSumExp` and Enformer's softmax pooling
(``AttentionPool1d``, a product of the input and its softmax weights), are explained by
integrated gradients of the module along its reference-to-input path (tangermeme's
``integrated_gradients_op``); the attention layers of Enformer and 1D-Swin (products of
queries, keys and values) have none and pass gradients, so their convergence deltas are
larger.

:func:`contribution_scores` averages the DeepLIFT multipliers over dinucleotide-shuffled
references and returns hypothetical contributions (what each base would contribute at each
position) and their projection on the observed bases. Each wrapper also says what the
projected contributions of a sequence should add up to (:meth:`OutputWrapper.difference`); the
gap between the two is the convergence delta reported.
"""

from __future__ import annotations

import contextlib
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch
from torch import nn

from regflow.interpret.choices import CHROMBPNET_HEADS, CHROMBPNET_MODELS

#: Gauss-Legendre nodes of the integrated-gradients rules (:func:`_extra_rules`).
IG_NODES = 8


class LogSumExp(nn.Module):
    """``log(sum(exp(x)))`` over the last axis as a module, so DeepLIFT can hook it:
    ``(B, k)`` -> ``(B,)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, k)`` -> ``(B,)``."""
        return torch.logsumexp(x, dim=-1)


def _extra_rules() -> dict:
    """DeepLIFT rules for the modules tangermeme has none for (module type -> rule)."""
    from tangermeme.deep_lift_shap import integrated_gradients_op

    from regflow.models.seqtrack.common import AttentionPool1d

    return {
        LogSumExp: integrated_gradients_op(K=IG_NODES, name="logsumexp"),
        AttentionPool1d: integrated_gradients_op(K=IG_NODES, name="attention_pool"),
    }


class Uncorrected(nn.Module):
    """The uncorrected ChromBPNet prediction from its two BPNets: one-hot ``(B, L, 4)`` ->
    ``(logits (B, out_len), log_counts (B,))``, logits added, log counts combined by
    :class:`LogSumExp` (the same numbers as ``ChromBPNet.forward``)."""

    def __init__(self, accessibility: nn.Module, bias: nn.Module) -> None:
        super().__init__()
        self.accessibility = accessibility
        self.bias = bias
        self.combine = LogSumExp()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, L, 4)`` -> ``(logits (B, out_len), log_counts (B,))``."""
        acc_logits, acc_lc = self.accessibility(x)
        bias_logits, bias_lc = self.bias(x)
        log_counts = self.combine(torch.stack([acc_lc, bias_lc], dim=-1))  # (B, 2) -> (B,)
        return acc_logits + bias_logits, log_counts


class OutputWrapper(nn.Module, ABC):
    """A model reduced to one scalar per sequence, ``(B, 4, L)`` -> ``(B, 1)``.

    Subclasses define :meth:`scalar` on ``(B, L, 4)``; :meth:`difference` is what the
    projected contributions of a sequence should add up to.
    """

    @abstractmethod
    def scalar(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, L, 4)`` -> ``(B,)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Channel-first one-hot ``(B, 4, L)`` -> ``(B, 1)``."""
        return self.scalar(x.transpose(1, 2)).unsqueeze(-1)

    def difference(self, x: torch.Tensor, references: torch.Tensor) -> torch.Tensor:
        """``f(x) - mean_k f(reference_k)``: ``x`` ``(B, 4, L)``, ``references``
        ``(B, K, 4, L)`` -> ``(B,)``."""
        b, k = references.shape[:2]
        ref = self(references.reshape(b * k, *references.shape[2:])).reshape(b, k)
        return self(x)[:, 0] - ref.mean(dim=1)


class CountsHead(OutputWrapper):
    """Predicted log counts of a module returning ``(logits, log_counts)``."""

    def __init__(self, core: nn.Module) -> None:
        super().__init__()
        self.core = core

    def scalar(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, L, 4)`` -> log counts ``(B,)``."""
        return self.core(x)[1]


class ProfileHead(OutputWrapper):
    """Weighted mean-normalised profile logits of a module returning ``(logits, log_counts)``:
    ``sum_j softmax(z)_j.detach() * (z_j - mean(z))`` (the ChromBPNet reference's profile
    explanation).

    The weights are constants of the explained sequence, so the contributions add up to
    ``sum_j w_j(x) * (c_j(x) - mean_k c_j(ref_k))`` with ``c`` the mean-normalised logits,
    which :meth:`difference` returns, not to the difference of the wrapper's outputs.
    """

    def __init__(self, core: nn.Module) -> None:
        super().__init__()
        self.core = core

    def centred_logits(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, L, 4)`` -> logits minus their mean over positions ``(B, out_len)``."""
        logits = self.core(x)[0]
        return logits - logits.mean(dim=-1, keepdim=True)

    def scalar(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, L, 4)`` -> ``(B,)``."""
        centred = self.centred_logits(x)  # (B, out_len)
        return (centred.softmax(dim=-1).detach() * centred).sum(dim=-1)

    def difference(self, x: torch.Tensor, references: torch.Tensor) -> torch.Tensor:
        """``sum_j w_j(x) (c_j(x) - mean_k c_j(ref_k))``: ``x`` ``(B, 4, L)``, ``references``
        ``(B, K, 4, L)`` -> ``(B,)``."""
        b, k = references.shape[:2]
        centred = self.centred_logits(x.transpose(1, 2))  # (B, out_len)
        flat = references.reshape(b * k, *references.shape[2:]).transpose(1, 2)  # (BK, L, 4)
        ref = self.centred_logits(flat).reshape(b, k, -1).mean(dim=1)  # (B, out_len)
        return (centred.softmax(dim=-1) * (centred - ref)).sum(dim=-1)


class TrackSum(OutputWrapper):
    """A sequence-to-track model's output ``(B, bins, T)`` summed over bins and the chosen
    tracks."""

    def __init__(self, model: nn.Module, tracks: list[int]) -> None:
        super().__init__()
        if not tracks:
            raise ValueError("TrackSum needs at least one track")
        self.model = model
        self.register_buffer("tracks", torch.as_tensor(tracks, dtype=torch.long), persistent=False)

    def scalar(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, L, 4)`` -> ``(B,)``."""
        return self.model(x).index_select(-1, self.tracks).sum(dim=(1, 2))


def chrombpnet_core(model: nn.Module, which: str) -> nn.Module:
    """The module giving ``(logits, log_counts)`` of ``which`` prediction of a ChromBPNet.

    ``corrected``: the accessibility BPNet; ``bias``: the bias BPNet; ``uncorrected``: both
    (:class:`Uncorrected`). A plain BPNet (a bias-model run) is returned as it is for
    ``bias``.
    """
    from regflow.models.bpnet import BPNet

    if which not in CHROMBPNET_MODELS:
        raise ValueError(f"unknown ChromBPNet model {which!r}; expected one of {CHROMBPNET_MODELS}")
    if isinstance(model, BPNet):
        if which != "bias":
            raise ValueError(f"a lone BPNet has no {which!r} prediction, only 'bias'")
        return model
    if which == "corrected":
        return model.accessibility
    if which == "bias":
        return model.bias
    return Uncorrected(model.accessibility, model.bias)


def chrombpnet_wrapper(model: nn.Module, which: str, head: str) -> OutputWrapper:
    """The ``(B, 4, L)`` -> ``(B, 1)`` wrapper of ``head`` (counts or profile) of ``which``
    prediction (corrected, uncorrected or bias) of a ChromBPNet or BPNet."""
    core = chrombpnet_core(model, which)
    if head == "counts":
        return CountsHead(core)
    if head == "profile":
        return ProfileHead(core)
    raise ValueError(f"unknown head {head!r}; expected one of {CHROMBPNET_HEADS}")


@dataclass(frozen=True)
class Contributions:
    """DeepLIFT/SHAP contributions of ``N`` sequences of length ``L``.

    Attributes
    ----------
    hypothetical
        ``(N, L, 4)`` float32: the contribution each base would make at each position.
    projected
        ``(N, L)`` float32: ``hypothetical`` x one-hot summed over bases.
    differences
        ``(N,)`` float32: what the projected contributions of each sequence should add up to
        (:meth:`OutputWrapper.difference`); NaN when not checked.
    deltas
        ``(N,)`` float32: ``|projected.sum(1) - differences|``, the convergence delta of each
        sequence averaged over its references; NaN when not checked.
    """

    hypothetical: np.ndarray
    projected: np.ndarray
    differences: np.ndarray
    deltas: np.ndarray


@contextlib.contextmanager
def _unpool_allowed() -> Iterator[None]:
    """Deterministic algorithms, if asked for (Lightning's ``deterministic=True`` sets them
    for the whole process), only warn in the block: tangermeme's max-pooling rule unpools,
    which has no deterministic kernel. The previous setting is restored afterwards."""
    enabled = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    if enabled:
        torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(enabled, warn_only=warn_only)


@contextlib.contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode for the block; every submodule's training flag is restored afterwards."""
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for module, flag in flags:
            module.train(flag)


def _references(has_n: bool):
    """Dinucleotide shuffles; a callable that keeps N (all-zero) columns when there are any."""
    from tangermeme.ersatz import dinucleotide_shuffle

    return partial(dinucleotide_shuffle, allow_N=True) if has_n else dinucleotide_shuffle


def _differences(
    wrapper: OutputWrapper,
    x: torch.Tensor,
    references: torch.Tensor,
    batch_size: int,
    device: torch.device,
) -> np.ndarray:
    """:meth:`OutputWrapper.difference` of ``x`` ``(n, 4, L)`` against ``references``
    ``(n, K, 4, L)`` in batches of about ``batch_size`` sequences: ``(n,)`` float64."""
    per = max(1, batch_size // (references.shape[1] + 1))
    out = []
    with torch.no_grad():
        for i in range(0, len(x), per):
            xb = x[i : i + per].to(device, torch.float32)
            rb = references[i : i + per].to(device, torch.float32)
            out.append(wrapper.difference(xb, rb).double().cpu())
    return torch.cat(out).numpy()


def contribution_scores(
    wrapper: OutputWrapper,
    onehot: np.ndarray,
    n_shuffles: int = 20,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
    seed: int = 0,
    check: bool = True,
    chunk: int = 256,
    dtype: torch.dtype | None = None,
) -> Contributions:
    """DeepLIFT/SHAP contributions of ``wrapper`` for one-hot sequences ``(N, L, 4)``.

    References are ``n_shuffles`` dinucleotide shuffles of each sequence; reference ``k`` of
    every sequence is drawn with seed ``seed + k`` (tangermeme's ``random_state``), so the
    results do not depend on ``batch_size`` or ``chunk``. Sequences with N (all-zero rows)
    keep them in their shuffles.

    Parameters
    ----------
    wrapper
        ``(B, 4, L)`` -> ``(B, 1)``, e.g. :func:`chrombpnet_wrapper` or :class:`TrackSum`.
        Its device and training flags are restored afterwards.
    onehot
        ``(N, L, 4)`` one-hot sequences (any numeric dtype), ACGT order.
    n_shuffles
        References per sequence.
    batch_size
        Sequence-reference pairs per forward and backward pass (make it large on a GPU).
    device
        Where the passes run (``"cuda"`` for a GPU).
    seed
        Seed of the shuffles.
    check
        Compute the convergence deltas (one more forward pass over the references, about a
        sixth more work); without, ``differences`` and ``deltas`` are NaN.
    chunk
        Sequences per ``deep_lift_shap`` call (bounds the memory the references take).
    dtype
        Autocast dtype of the passes (``torch.bfloat16`` on a GPU); None: the model's own
        (float32). The convergence check always runs in float32.

    Returns
    -------
    Contributions
        Hypothetical ``(N, L, 4)`` and projected ``(N, L)`` contributions, float32, and the
        per-sequence differences and deltas ``(N,)``.
    """
    from tangermeme.deep_lift_shap import deep_lift_shap

    x = np.asarray(onehot)
    if x.ndim != 3 or x.shape[-1] != 4:
        raise ValueError(f"expected one-hot sequences of shape (N, L, 4), got {x.shape}")
    if len(x) == 0:
        raise ValueError("contribution_scores needs at least one sequence")
    if n_shuffles < 1 or batch_size < 1 or chunk < 1:
        raise ValueError("n_shuffles, batch_size and chunk must be >= 1")
    device = torch.device(device)
    has_n = bool((x.sum(axis=-1) == 0).any())
    channel_first = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 2, 1), np.float32))
    hypothetical, differences = [], []
    original = next(wrapper.parameters(), torch.zeros(0)).device
    # tangermeme restores only the top module's flag (train() on the wrapper would also wake
    # a frozen bias model): every flag is kept here instead, and the device
    with warnings.catch_warnings(), _eval_mode(wrapper), _unpool_allowed():
        # tangermeme warns per batch when its own check (the wrapper's output difference)
        # fails; the profile head's detached weights make that check the wrong one, and the
        # deltas against the right target are computed below
        warnings.filterwarnings("ignore", message="Convergence deltas", category=RuntimeWarning)
        warnings.filterwarnings("ignore", message=".*does not have a deterministic")
        if has_n:
            warnings.filterwarnings("ignore", message=".*one-hot.*")
        try:
            for i in range(0, len(x), chunk):
                xc = channel_first[i : i + chunk]  # (n, 4, L)
                result = deep_lift_shap(
                    wrapper,
                    xc,
                    batch_size=batch_size,
                    references=_references(has_n),
                    n_shuffles=n_shuffles,
                    return_references=check,
                    hypothetical=True,
                    additional_nonlinear_ops=_extra_rules(),
                    only_warn=has_n,
                    dtype=dtype,
                    device=device,
                    random_state=seed,
                )
                attributions = result.attributions if check else result  # (n, 4, L)
                hypothetical.append(attributions.float().numpy())
                if check:
                    wrapper.to(device)
                    differences.append(
                        _differences(wrapper, xc, result.references, batch_size, device)
                    )
        finally:
            wrapper.to(original)
    hyp = np.concatenate(hypothetical).transpose(0, 2, 1).astype(np.float32)  # (N, L, 4)
    projected = (hyp * x).sum(axis=-1, dtype=np.float32)  # (N, L)
    if check:
        diff = np.concatenate(differences)
        deltas = np.abs(projected.sum(axis=1, dtype=np.float64) - diff)
    else:
        diff = deltas = np.full(len(x), np.nan)
    return Contributions(hyp, projected, diff.astype(np.float32), deltas.astype(np.float32))


def delta_summary(deltas: np.ndarray, differences: np.ndarray) -> dict[str, float]:
    """Summary of convergence deltas ``(N,)`` against the differences explained ``(N,)``:
    mean, median and max absolute delta, mean absolute difference and their ratio
    (``relative``: mean delta / mean absolute difference). NaN entries are skipped; all NaN
    when nothing was checked."""
    deltas = np.asarray(deltas, np.float64)
    differences = np.asarray(differences, np.float64)
    ok = np.isfinite(deltas) & np.isfinite(differences)
    if not ok.any():
        keys = ("mean", "median", "max", "mean_abs_difference", "relative")
        return {k: float("nan") for k in keys}
    d, diff = deltas[ok], np.abs(differences[ok])
    return {
        "mean": float(d.mean()),
        "median": float(np.median(d)),
        "max": float(d.max()),
        "mean_abs_difference": float(diff.mean()),
        "relative": float(d.mean() / max(diff.mean(), 1e-12)),
    }
