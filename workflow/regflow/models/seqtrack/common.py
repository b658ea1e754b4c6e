"""The frame shared by the sequence-to-track models: length rules, trunk + crop + head, and the
convolution and pooling blocks the models are built from.

A model maps one-hot DNA ``(B, L, 4)`` (rows of zeros for N) to non-negative tracks
``(B, n_out_bins, n_tracks)``: its trunk brings the sequence to bin resolution
``(B, L // bin_size, C)``, ``crop_bins`` bins are dropped on each side (their context is cut
off by the window's edge), and a pointwise head ends in Softplus.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

import torch
from torch import nn

from regflow.models.blocks import config_from_dict


def output_bins(seq_len: int, bin_size: int, crop_bins: int) -> int:
    """Number of output bins, ``seq_len // bin_size - 2 * crop_bins``.

    Raises ``ValueError`` when ``seq_len`` is not a multiple of ``bin_size`` or the crop leaves
    no bin.
    """
    if seq_len < 1 or bin_size < 1 or crop_bins < 0:
        raise ValueError(
            f"need seq_len >= 1, bin_size >= 1 and crop_bins >= 0, got seq_len={seq_len}, "
            f"bin_size={bin_size}, crop_bins={crop_bins}"
        )
    if seq_len % bin_size:
        raise ValueError(f"seq_len ({seq_len}) must be a multiple of bin_size ({bin_size})")
    n_bins = seq_len // bin_size
    n_out = n_bins - 2 * crop_bins
    if n_out < 1:
        raise ValueError(
            f"cropping {crop_bins} bins on each side of the {n_bins} bins of seq_len={seq_len} "
            f"at bin_size={bin_size} leaves {n_out} output bins; need at least 1"
        )
    return n_out


def pool_steps(bin_size: int, model: str, min_steps: int = 1) -> int:
    """Number of 2x poolings that reach ``bin_size``, i.e. ``log2(bin_size)``.

    Raises ``ValueError`` (naming ``model``) unless ``bin_size`` is a power of two of at least
    ``2 ** min_steps``.
    """
    if bin_size < 2**min_steps or bin_size & (bin_size - 1):
        raise ValueError(
            f"{model} pools by 2 until bin resolution, so bin_size must be a power of two "
            f">= {2**min_steps}, got {bin_size}"
        )
    return bin_size.bit_length() - 1


def geometric_channels(start: int, end: int, n: int, divisible_by: int = 1) -> list[int]:
    """``n`` widths growing geometrically from ``start`` to ``end`` (both included).

    Inner widths are rounded to multiples of ``divisible_by`` (Enformer uses 128); ``n == 1``
    gives ``[end]``.
    """
    if n == 1:
        return [end]
    ratio = (end / start) ** (1 / (n - 1))
    inner = [
        max(divisible_by, round(start * ratio**i / divisible_by) * divisible_by)
        for i in range(1, n - 1)
    ]
    return [start, *inner, end]


@dataclass(frozen=True)
class SeqTrackConfig:
    """Length fields every sequence-to-track model shares.

    Attributes
    ----------
    seq_len
        Input length ``L`` in bp.
    bin_size
        Output resolution in bp; ``seq_len`` must be a multiple of it.
    crop_bins
        Bins dropped on each side of the ``seq_len // bin_size`` trunk bins.
    n_tracks
        Output tracks.
    """

    seq_len: int
    bin_size: int
    crop_bins: int
    n_tracks: int

    def __post_init__(self) -> None:
        if self.n_tracks < 1:
            raise ValueError(f"n_tracks must be >= 1, got {self.n_tracks}")
        output_bins(self.seq_len, self.bin_size, self.crop_bins)

    @property
    def n_bins(self) -> int:
        """Bins at trunk resolution, ``seq_len // bin_size``."""
        return self.seq_len // self.bin_size

    @property
    def n_out_bins(self) -> int:
        """Bins after cropping, ``seq_len // bin_size - 2 * crop_bins``."""
        return output_bins(self.seq_len, self.bin_size, self.crop_bins)

    def _check_at_least(self, minimum: float, *names: str) -> None:
        """Raise ``ValueError`` for the first field in ``names`` below ``minimum``."""
        for name in names:
            if getattr(self, name) < minimum:
                raise ValueError(
                    f"{type(self).__name__}.{name} must be >= {minimum}, got {getattr(self, name)}"
                )

    def _check_dropout(self, *names: str) -> None:
        """Raise ``ValueError`` for the first field in ``names`` outside ``[0, 1)``."""
        for name in names:
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(
                    f"{type(self).__name__}.{name} must be in [0, 1), got {getattr(self, name)}"
                )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Self:
        """Build from a plain dict; unknown or missing keys raise ``ValueError``."""
        return config_from_dict(cls, d)


def relative_index(n: int, device: torch.device | None = None) -> torch.Tensor:
    """``(n, n)`` index ``j - i + n - 1`` of the offset ``j - i`` in ``arange(-(n - 1), n)``.

    Looks up per-offset values (a relative position bias table, relative positional logits) for
    every query ``i`` and key ``j``; equal offsets get equal indices.
    """
    pos = torch.arange(n, device=device)
    return pos.unsqueeze(0) - pos.unsqueeze(1) + n - 1


class Transpose(nn.Module):
    """Swap the last two axes: ``(B, L, C)`` <-> ``(B, C, L)`` between linear and conv layers."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, a, b)`` -> ``(B, b, a)``."""
        return x.transpose(1, 2)


class Residual(nn.Module):
    """``x + fn(x)``."""

    def __init__(self, fn: nn.Module) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Add the branch's output to its input (same shape)."""
        return x + self.fn(x)


class ConvBlock(nn.Sequential):
    """Pre-activation convolution: BatchNorm -> GELU -> Conv1d (``"same"`` length).

    Works channels-first: ``(B, c_in, L)`` -> ``(B, c_out, L)``.
    """

    def __init__(self, c_in: int, c_out: int, kernel_size: int, dilation: int = 1) -> None:
        super().__init__(
            nn.BatchNorm1d(c_in),
            nn.GELU(),
            nn.Conv1d(c_in, c_out, kernel_size, padding="same", dilation=dilation),
        )


class AttentionPool1d(nn.Module):
    """Enformer's softmax pooling: each output is a softmax-weighted sum of ``pool_size``
    neighbouring positions, with per-channel weights from learned logits.

    The logits are a pointwise linear map of the input (no bias) initialised to
    ``init_scale`` times the identity, as in Enformer (``init_scale = 2``): a channel's larger
    value gets more weight, so pooling starts between average and max pooling. With all
    logits equal it is average pooling.

    Parameters
    ----------
    channels
        Channels ``C`` of the channels-first input ``(B, C, L)``.
    pool_size
        Positions pooled into one; ``L`` must be a multiple of it.
    init_scale
        Diagonal of the initial logit weights.
    """

    def __init__(self, channels: int, pool_size: int = 2, init_scale: float = 2.0) -> None:
        super().__init__()
        self.pool_size = pool_size
        self.logits = nn.Conv1d(channels, channels, 1, bias=False)
        with torch.no_grad():
            self.logits.weight.copy_(init_scale * torch.eye(channels).unsqueeze(-1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, L)`` -> ``(B, C, L // pool_size)``."""
        b, c, length = x.shape
        if length % self.pool_size:
            raise ValueError(f"length {length} is not a multiple of pool_size {self.pool_size}")
        shape = (b, c, length // self.pool_size, self.pool_size)  # (B, C, L / p, p)
        weights = self.logits(x).reshape(shape).softmax(dim=-1)
        return (x.reshape(shape) * weights).sum(dim=-1)


class TrackHead(nn.Sequential):
    """Pointwise readout of bin features ``(B, T, C)`` -> tracks ``(B, T, n_tracks)`` >= 0.

    LayerNorm -> Linear(C, hidden) -> GELU -> Dropout -> Linear(hidden, n_tracks) -> Softplus;
    ``hidden = 0`` leaves the plain linear readout LayerNorm -> Linear -> Softplus.
    """

    def __init__(self, dim: int, hidden: int, n_tracks: int, dropout: float = 0.0) -> None:
        layers: list[nn.Module] = [nn.LayerNorm(dim)]
        if hidden:
            layers += [nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout)]
        layers += [nn.Linear(hidden or dim, n_tracks), nn.Softplus()]
        super().__init__(*layers)


class SeqTrackModel(nn.Module):
    """Trunk + crop + head: one-hot DNA ``(B, L, 4)`` -> tracks ``(B, n_out_bins, n_tracks)``.

    Subclasses build ``trunk`` (``(B, L, 4)`` -> ``(B, L // bin_size, C)``) and ``head`` (a
    :class:`TrackHead`). A trunk with ``has_attention`` also takes ``return_attention=True``
    and then returns ``(features, attention_maps)``.
    """

    has_attention: ClassVar[bool] = False

    def __init__(self, config: SeqTrackConfig, trunk: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.config = config
        self.trunk = trunk
        self.head = head

    @property
    def n_out_bins(self) -> int:
        """Output bins, ``seq_len // bin_size - 2 * crop_bins``."""
        return self.config.n_out_bins

    def crop(self, h: torch.Tensor) -> torch.Tensor:
        """Drop ``crop_bins`` bins on each side: ``(B, T, C)`` -> ``(B, T - 2 crop, C)``."""
        c = self.config.crop_bins
        return h[:, c : h.shape[1] - c]

    def forward(
        self, x: torch.Tensor, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """Tracks ``(B, n_out_bins, n_tracks)`` (Softplus, so >= 0) of one-hot ``x`` ``(B, L, 4)``.

        With ``return_attention`` (models with attention only) also returns the trunk's list of
        attention maps, one per attention block; see the model's trunk for their layout.
        """
        if x.ndim != 3 or tuple(x.shape[1:]) != (self.config.seq_len, 4):
            raise ValueError(
                f"expected one-hot x of shape (B, {self.config.seq_len}, 4), got {tuple(x.shape)}"
            )
        if not return_attention:
            return self.head(self.crop(self.trunk(x)))
        if not self.has_attention:
            raise ValueError(f"{type(self).__name__} has no attention maps to return")
        h, maps = self.trunk(x, return_attention=True)
        return self.head(self.crop(h)), maps
