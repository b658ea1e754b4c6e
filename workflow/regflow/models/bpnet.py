"""BPNet and the bias-factorised ChromBPNet (after Pampari et al., "ChromBPNet: bias factorized,
base-resolution deep learning models of chromatin accessibility ...").

A :class:`BPNet` reads a one-hot sequence ``(B, L, 4)`` through a trunk of a wide convolution
and dilated residual convolutions, and predicts the base-resolution profile of the central
``out_len`` bases as multinomial logits ``(B, out_len)`` plus the log of the total count
``(B,)``. :class:`ChromBPNet` adds a frozen bias BPNet (trained on non-peak regions, where
only the enzyme's sequence preference shapes the signal) to a trainable accessibility BPNet;
the accessibility model alone is the bias-corrected prediction. The losses (multinomial NLL
of the profile plus weighted MSE of log counts) and the strand augmentation live here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from regflow.models.blocks import config_from_dict


def required_input_length(
    out_len: int, layers: int, conv1_kernel: int = 21, profile_kernel: int = 75
) -> int:
    """Input length a BPNet needs to predict ``out_len`` bases with valid convolutions.

    The first convolution loses ``conv1_kernel - 1`` bases, residual block ``i`` (kernel 3,
    dilation ``2**i``, ``i = 1..layers``) loses ``2**(i + 1)``, i.e. ``4 * (2**layers - 1)`` in
    all, and the profile convolution ``profile_kernel - 1``: 2114 for 1000 bases, 8 layers
    and kernels 21 and 75.
    """
    return out_len + (conv1_kernel - 1) + (profile_kernel - 1) + 4 * (2**layers - 1)


def _centre_crop(x: torch.Tensor, length: int, dim: int = -1) -> torch.Tensor:
    """The central ``length`` positions of ``x`` along ``dim`` (other axes unchanged).

    When the surplus is odd the extra position is dropped on the right.
    """
    return x.narrow(dim, (x.shape[dim] - length) // 2, length)


@dataclass(frozen=True)
class BPNetConfig:
    """Size of a :class:`BPNet`; the defaults are a tiny preset for tests and the CPU demo.

    Reference sizes (ChromBPNet): the accessibility model has 512 filters and 8 layers with
    ``out_len`` 1000, hence input 2114; the bias model has 128 filters and 4 layers (input
    1154 for 1000 output bases; inside a ChromBPNet it takes the centre of the same 2114-bp
    input).

    Attributes
    ----------
    filters
        Channels of every trunk convolution.
    layers
        Dilated residual blocks; block ``i`` (1-based) has dilation ``2**i``.
    conv1_kernel, profile_kernel
        Widths of the first and of the profile convolution; odd, so the output stays centred
        on the input.
    out_len
        Predicted profile length in bases.
    """

    filters: int = 32
    layers: int = 4
    conv1_kernel: int = 21
    profile_kernel: int = 75
    out_len: int = 250

    def __post_init__(self) -> None:
        for name in ("filters", "conv1_kernel", "profile_kernel", "out_len"):
            if getattr(self, name) < 1:
                raise ValueError(f"BPNetConfig.{name} must be >= 1, got {getattr(self, name)}")
        if self.layers < 0:
            raise ValueError(f"BPNetConfig.layers must be >= 0, got {self.layers}")
        for name in ("conv1_kernel", "profile_kernel"):
            if getattr(self, name) % 2 == 0:
                raise ValueError(
                    f"BPNetConfig.{name} must be odd (so the output is centred on the input), "
                    f"got {getattr(self, name)}"
                )

    @property
    def input_length(self) -> int:
        """The input length this configuration needs (:func:`required_input_length`)."""
        return required_input_length(
            self.out_len, self.layers, self.conv1_kernel, self.profile_kernel
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BPNetConfig:
        """Build from a plain dict; unknown or missing keys raise ``ValueError``."""
        return config_from_dict(cls, d)


class BPNet(nn.Module):
    """Profile logits and log total counts of the central ``out_len`` bases of a sequence.

    The trunk is Conv1d(4 -> filters, ``conv1_kernel``) + ReLU, then ``layers`` residual
    blocks ``h = crop(h) + ReLU(Conv1d(h, kernel 3, dilation 2**i))``, all unpadded. The
    profile head is one Conv1d(filters -> 1, ``profile_kernel``); the count head averages the
    trunk output over positions and maps it linearly to ``log(1 + total counts)``.

    Each ReLU is its own ``nn.ReLU`` module (``relus[0]`` after the first convolution,
    ``relus[i]`` in residual block ``i``): DeepLIFT's rescale rule hooks nonlinearity modules,
    and a module called once per forward pass keeps one reference activation. They hold no
    parameters, so the state-dict keys are those of the functional version.
    """

    def __init__(self, config: BPNetConfig) -> None:
        super().__init__()
        self.config = config
        self.conv1 = nn.Conv1d(4, config.filters, config.conv1_kernel)
        self.dilated = nn.ModuleList(
            nn.Conv1d(config.filters, config.filters, 3, dilation=2**i)
            for i in range(1, config.layers + 1)
        )
        self.relus = nn.ModuleList(nn.ReLU() for _ in range(config.layers + 1))
        self.profile_conv = nn.Conv1d(config.filters, 1, config.profile_kernel)
        self.count_linear = nn.Linear(config.filters, 1)

    @property
    def input_length(self) -> int:
        """Bases of input the model reads; longer inputs are centre-cropped to it."""
        return self.config.input_length

    def crop_input(self, x: torch.Tensor) -> torch.Tensor:
        """Check ``x`` ``(B, L, 4)`` and return its central ``(B, input_length, 4)``."""
        if x.ndim != 3 or x.shape[-1] != 4:
            raise ValueError(f"expected one-hot input of shape (B, L, 4), got {tuple(x.shape)}")
        need = self.input_length
        if x.shape[1] < need:
            raise ValueError(
                f"input length {x.shape[1]} is shorter than the {need} bases this BPNet needs "
                f"(out_len {self.config.out_len}, layers {self.config.layers})"
            )
        return _centre_crop(x, need, dim=1)

    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        """Trunk features ``(B, filters, out_len + profile_kernel - 1)`` of ``x`` ``(B, L, 4)``."""
        h = self.relus[0](self.conv1(self.crop_input(x).transpose(1, 2)))  # (B, C, L')
        for conv, relu in zip(self.dilated, self.relus[1:], strict=True):
            branch = relu(conv(h))  # (B, C, L' - 2 * dilation)
            h = _centre_crop(h, branch.shape[-1]) + branch
        return h

    def profile_head(self, h: torch.Tensor) -> torch.Tensor:
        """Profile logits ``(B, out_len)`` from trunk features ``h`` ``(B, C, L')``."""
        return self.profile_conv(h).squeeze(1)  # (B, 1, out_len) -> (B, out_len)

    def count_head(self, h: torch.Tensor) -> torch.Tensor:
        """Predicted ``log(1 + total counts)`` ``(B,)`` from trunk features ``(B, C, L')``."""
        return self.count_linear(h.mean(dim=-1)).squeeze(-1)  # (B, C) -> (B, 1) -> (B,)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(profile_logits (B, out_len), log_counts (B,))`` of one-hot ``x`` ``(B, L, 4)``.

        ``L`` must be at least :attr:`input_length`; the centre of a longer input is used.
        """
        h = self.trunk(x)
        return self.profile_head(h), self.count_head(h)


class ChromBPNet(nn.Module):
    """A trainable accessibility BPNet on top of a frozen enzyme-bias BPNet.

    The combined (uncorrected) prediction adds the two profile logits and adds the two
    predicted counts, ``log(exp(a) + exp(b))`` in log space; it is what is fitted to the
    observed signal. The accessibility model alone is the bias-corrected prediction.

    Parameters
    ----------
    accessibility
        The model to train.
    bias
        A trained bias model. It is frozen in place (``requires_grad`` False on its
        parameters) and kept in eval mode by :meth:`train`.

    Raises
    ------
    ValueError
        When the two models predict different ``out_len``.
    """

    def __init__(self, accessibility: BPNet, bias: BPNet) -> None:
        super().__init__()
        if accessibility.config.out_len != bias.config.out_len:
            raise ValueError(
                f"accessibility and bias models must predict the same out_len, got "
                f"{accessibility.config.out_len} and {bias.config.out_len}"
            )
        self.accessibility = accessibility
        self.bias = bias
        self.bias.requires_grad_(False)
        self.bias.eval()

    @property
    def input_length(self) -> int:
        """Bases of input both sub-models need (the longer of the two)."""
        return max(self.accessibility.input_length, self.bias.input_length)

    def train(self, mode: bool = True) -> ChromBPNet:
        """Set training mode on the accessibility model; the bias model stays in eval mode."""
        super().train(mode)
        self.bias.eval()
        return self

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Combined ``(profile_logits (B, out_len), log_counts (B,))`` of ``x`` ``(B, L, 4)``.

        Profile logits are summed; log counts combined as ``logsumexp`` of the two.
        """
        acc_logits, acc_lc = self.accessibility(x)
        bias_logits, bias_lc = self.bias(x)
        log_counts = torch.logsumexp(torch.stack([acc_lc, bias_lc], dim=-1), dim=-1)  # (B,)
        return acc_logits + bias_logits, log_counts

    forward_uncorrected = forward

    def forward_corrected(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Bias-corrected ``(profile_logits (B, out_len), log_counts (B,))``: the accessibility
        model alone."""
        return self.accessibility(x)


def multinomial_nll(logits: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """Negative log-likelihood of ``counts`` ``(B, L)`` under ``Multinomial(softmax(logits))``.

    The full log-probability, constant terms included,
    ``log N! - sum_i log c_i! + sum_i c_i log p_i`` with ``N = sum_i c_i``, so values are true
    NLLs (comparable across models and with ``torch.distributions.Multinomial``); the constants
    do not change the gradient. Returns the mean over the batch (a scalar).
    """
    if logits.shape != counts.shape or logits.ndim != 2:
        raise ValueError(
            f"logits and counts must both be (B, L), got {tuple(logits.shape)} and "
            f"{tuple(counts.shape)}"
        )
    counts = counts.to(logits.dtype)
    log_probs = F.log_softmax(logits, dim=-1)  # (B, L)
    total = counts.sum(dim=-1)  # (B,)
    log_coeff = torch.lgamma(total + 1) - torch.lgamma(counts + 1).sum(dim=-1)  # (B,)
    log_lik = log_coeff + (counts * log_probs).sum(dim=-1)  # (B,)
    return -log_lik.mean()


def log_counts_mse(log_counts: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """Mean squared error of predicted ``log_counts`` ``(B,)`` against ``log(1 + total)`` of
    observed ``counts`` ``(B, L)``."""
    if log_counts.ndim != 1 or counts.ndim != 2 or counts.shape[0] != log_counts.shape[0]:
        raise ValueError(
            f"expected log_counts (B,) and counts (B, L), got {tuple(log_counts.shape)} and "
            f"{tuple(counts.shape)}"
        )
    target = torch.log1p(counts.to(log_counts.dtype).sum(dim=-1))  # (B,)
    return F.mse_loss(log_counts, target)


def counts_loss_weight(total_counts: np.ndarray) -> float:
    """Weight of the count loss, ``max(1, median(total_counts) / 10)``.

    Balances the count MSE against the profile NLL, which grows with the counts per region
    (ChromBPNet computes it from the training regions' totals).
    """
    totals = np.asarray(total_counts, dtype=np.float64)
    if totals.size == 0:
        raise ValueError("counts_loss_weight needs at least one region's total count")
    return max(1.0, float(np.median(totals)) / 10.0)


def bpnet_loss(
    logits: torch.Tensor, log_counts: torch.Tensor, counts: torch.Tensor, weight: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(total, profile_part, count_part)`` with ``total = profile_part + weight * count_part``.

    ``profile_part`` is :func:`multinomial_nll` of ``counts`` ``(B, L)`` under ``logits``
    ``(B, L)``; ``count_part`` is :func:`log_counts_mse` of ``log_counts`` ``(B,)``.
    """
    profile_part = multinomial_nll(logits, counts)
    count_part = log_counts_mse(log_counts, counts)
    return profile_part + weight * count_part, profile_part, count_part


def reverse_complement(x: torch.Tensor) -> torch.Tensor:
    """Reverse complement of one-hot ``x`` ``(B, L, 4)`` in ACGT order: positions reversed and
    channels ACGT -> TGCA."""
    if x.ndim != 3 or x.shape[-1] != 4:
        raise ValueError(f"expected one-hot input of shape (B, L, 4), got {tuple(x.shape)}")
    return x.flip(dims=(1, 2))


def profile_reverse(counts: torch.Tensor) -> torch.Tensor:
    """Profile ``(B, L)`` of the reverse-complemented sequence: positions reversed."""
    if counts.ndim != 2:
        raise ValueError(f"expected a profile of shape (B, L), got {tuple(counts.shape)}")
    return counts.flip(dims=(1,))
