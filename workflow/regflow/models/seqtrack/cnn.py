"""Convolutional baselines of the 1D-Swin paper (seed 001): a max-pooling CNN (Basset/Basenji
style), the same tower with Enformer's attention pooling, and a Basenji-like dilated CNN.

All three share a stem convolution and a tower of pre-activation convolutions, each followed by
a 2x pooling, until the sequence is at bin resolution; the dilated CNN then adds residual dilated
convolutions that widen the receptive field without pooling further.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from torch import nn

from regflow.models.seqtrack.common import (
    AttentionPool1d,
    ConvBlock,
    Residual,
    SeqTrackConfig,
    SeqTrackModel,
    TrackHead,
    Transpose,
    geometric_channels,
    pool_steps,
)

PRESETS: dict[str, dict[str, dict[str, int | float]]] = {
    "tiny": {
        "maxpool_cnn": {
            "channels": 32,
            "channels_max": 64,
            "stem_kernel": 15,
            "conv_kernel": 5,
            "head_dim": 64,
            "dropout": 0.0,
        },
        "attnpool_cnn": {
            "channels": 32,
            "channels_max": 64,
            "stem_kernel": 15,
            "conv_kernel": 5,
            "head_dim": 64,
            "dropout": 0.0,
        },
        "dilated_cnn": {
            "channels": 32,
            "channels_max": 64,
            "stem_kernel": 15,
            "conv_kernel": 5,
            "head_dim": 64,
            "dropout": 0.0,
            "dilated_layers": 4,
            "dilation_rate": 2.0,
            "block_dropout": 0.0,
        },
    },
    "paper": {
        "maxpool_cnn": {
            "channels": 288,
            "channels_max": 768,
            "stem_kernel": 15,
            "conv_kernel": 5,
            "head_dim": 1536,
            "dropout": 0.05,
        },
        "attnpool_cnn": {
            "channels": 288,
            "channels_max": 768,
            "stem_kernel": 15,
            "conv_kernel": 5,
            "head_dim": 1536,
            "dropout": 0.05,
        },
        "dilated_cnn": {
            "channels": 288,
            "channels_max": 768,
            "stem_kernel": 15,
            "conv_kernel": 5,
            "head_dim": 1536,
            "dropout": 0.05,
            "dilated_layers": 11,
            "dilation_rate": 1.5,
            "block_dropout": 0.3,
        },
    },
}
"""Model-specific parameters per preset and model name (the length fields come separately)."""


@dataclass(frozen=True)
class CNNConfig(SeqTrackConfig):
    """Size of a :class:`MaxPoolCNN` or :class:`AttnPoolCNN` (defaults: the tiny preset).

    Paper scale (Basenji2-like, as the 1D-Swin paper's baselines): 131,072 bp in at 128-bp bins
    (7 poolings), ``channels=288`` growing to ``channels_max=768``, stem kernel 15, tower
    kernel 5, ``head_dim=1536``, ``dropout=0.05`` (``PRESETS["paper"]``).

    Attributes
    ----------
    channels
        Width of the stem convolution and of the first tower block.
    channels_max
        Width of the last tower block; the ``log2(bin_size)`` tower widths grow geometrically.
    stem_kernel, conv_kernel
        Kernel sizes of the stem and of the tower convolutions.
    head_dim
        Hidden width of the pointwise head (0: a linear readout).
    dropout
        Dropout in the head.
    """

    channels: int = 32
    channels_max: int = 64
    stem_kernel: int = 15
    conv_kernel: int = 5
    head_dim: int = 64
    dropout: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_at_least(1, "channels", "channels_max", "stem_kernel", "conv_kernel")
        self._check_at_least(0, "head_dim")
        self._check_dropout("dropout")
        pool_steps(self.bin_size, type(self).__name__)


@dataclass(frozen=True)
class DilatedCNNConfig(CNNConfig):
    """Size of a :class:`DilatedCNN` (defaults: the tiny preset).

    Paper scale (Basenji2): the :class:`CNNConfig` tower, then 11 dilated residual layers with
    ``dilation_rate=1.5`` and ``block_dropout=0.3`` (``PRESETS["paper"]``).

    Attributes
    ----------
    dilated_layers
        Residual dilated blocks at bin resolution.
    dilation_rate
        Dilation of block ``i`` is ``round(dilation_rate ** i)`` (1, 2, 4, ... at 2.0).
    block_dropout
        Dropout at the end of each dilated block's branch.
    """

    dilated_layers: int = 4
    dilation_rate: float = 2.0
    block_dropout: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_at_least(0, "dilated_layers")
        self._check_at_least(1.0, "dilation_rate")
        self._check_at_least(2, "channels_max")
        self._check_dropout("block_dropout")

    @property
    def dilations(self) -> list[int]:
        """Dilation of each dilated block, ``round(dilation_rate ** i)``."""
        return [round(self.dilation_rate**i) for i in range(self.dilated_layers)]


def conv_tower(config: CNNConfig, pool: Literal["max", "attention"]) -> list[nn.Module]:
    """Stem and pooled tower, channels-first ``(B, 4, L)`` -> ``(B, channels_max, L / bin)``.

    Stem: Conv1d(4, channels, stem_kernel) -> GELU; then per 2x pooling one
    :class:`ConvBlock` (kernel ``conv_kernel``) and a max or attention pooling.
    """
    layers: list[nn.Module] = [
        nn.Conv1d(4, config.channels, config.stem_kernel, padding="same"),
        nn.GELU(),
    ]
    c_in = config.channels
    n_pools = pool_steps(config.bin_size, type(config).__name__)
    for c_out in geometric_channels(config.channels, config.channels_max, n_pools):
        layers.append(ConvBlock(c_in, c_out, config.conv_kernel))
        layers.append(nn.MaxPool1d(2) if pool == "max" else AttentionPool1d(c_out))
        c_in = c_out
    return layers


class MaxPoolCNN(SeqTrackModel):
    """CNN with max pooling to bin resolution, then crop and a pointwise Softplus head."""

    pool: Literal["max", "attention"] = "max"

    def __init__(self, config: CNNConfig) -> None:
        trunk = nn.Sequential(Transpose(), *conv_tower(config, self.pool), Transpose())
        head = TrackHead(config.channels_max, config.head_dim, config.n_tracks, config.dropout)
        super().__init__(config, trunk, head)


class AttnPoolCNN(MaxPoolCNN):
    """:class:`MaxPoolCNN` with Enformer's attention pooling (logit weights start at 2 x I)."""

    pool = "attention"


class DilatedCNN(SeqTrackModel):
    """Basenji-like CNN: the max-pooling tower, then residual dilated convolutions.

    Each dilated block adds ``ConvBlock(C, C/2, kernel 3, dilation d) -> ConvBlock(C/2, C,
    kernel 1) -> Dropout`` to its input (Basenji's bottleneck), with ``d`` growing by
    ``dilation_rate`` per block.
    """

    def __init__(self, config: DilatedCNNConfig) -> None:
        c = config.channels_max
        blocks = [
            Residual(
                nn.Sequential(
                    ConvBlock(c, c // 2, 3, dilation=d),
                    ConvBlock(c // 2, c, 1),
                    nn.Dropout(config.block_dropout),
                )
            )
            for d in config.dilations
        ]
        trunk = nn.Sequential(Transpose(), *conv_tower(config, "max"), *blocks, Transpose())
        head = TrackHead(c, config.head_dim, config.n_tracks, config.dropout)
        super().__init__(config, trunk, head)
