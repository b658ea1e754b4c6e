"""Enformer (Avsec et al. 2021, seed 004): a convolutional stem and tower with attention pooling
down to bin resolution, transformer blocks whose attention uses relative positional features,
then crop and a pointwise Softplus head.

The attention logit of query ``i`` and key ``j`` is ``(q_i + u) . k_j + (q_i + v) . r_{j-i}``
(Transformer-XL style, ``u = r_w_bias``, ``v = r_r_bias``), where ``r_d`` is a learned linear
projection of fixed basis functions of the relative distance ``d`` (exponential decays, central
masks and gamma densities of ``|d|``, each once as is and once times ``sign(d)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from regflow.models.seqtrack.common import (
    AttentionPool1d,
    ConvBlock,
    Residual,
    SeqTrackConfig,
    SeqTrackModel,
    TrackHead,
    geometric_channels,
    pool_steps,
    relative_index,
)

PRESETS: dict[str, dict[str, int | float]] = {
    "tiny": {
        "channels": 64,
        "depth": 2,
        "heads": 4,
        "key_size": 16,
        "rel_pos_features": 12,
        "stem_kernel": 15,
        "conv_kernel": 5,
        "channel_divisor": 8,
        "head_dim": 64,
        "dropout": 0.0,
        "attention_dropout": 0.0,
        "position_dropout": 0.0,
    },
    "paper": {
        "channels": 1536,
        "depth": 11,
        "heads": 8,
        "key_size": 64,
        "rel_pos_features": 192,
        "stem_kernel": 15,
        "conv_kernel": 5,
        "channel_divisor": 128,
        "head_dim": 3072,
        "dropout": 0.4,
        "attention_dropout": 0.05,
        "position_dropout": 0.01,
    },
}
"""Model-specific parameters per preset (the length fields come separately)."""

N_BASIS_KINDS = 3
"""Basis families of the relative positional features: exponential, central mask, gamma."""


@dataclass(frozen=True)
class EnformerConfig(SeqTrackConfig):
    """Size of an :class:`Enformer` (defaults: the tiny preset).

    Paper scale (``PRESETS["paper"]``): 196,608 bp in, 128-bp bins (stem pooling + 6 tower
    blocks), 1536 channels (tower 768 -> 1536 in multiples of 128), 11 transformer layers with
    8 heads, key size 64, value size 1536 / 8 = 192, 192 relative positional features, dropout
    0.4 (attention 0.05, positional features 0.01), crop 320 bins per side -> 896 output bins,
    head width 3072; 5,313 human / 1,643 mouse tracks.

    Attributes
    ----------
    channels
        Width ``C`` at bin resolution; the stem has ``C / 2`` and the tower grows to ``C``.
    depth
        Transformer blocks.
    heads
        Attention heads; must divide ``channels`` (value size per head ``C / heads``).
    key_size
        Query/key width per head.
    rel_pos_features
        Relative positional basis functions; a multiple of 6 (3 families x symmetric and
        sign-times-symmetric).
    stem_kernel, conv_kernel
        Kernel sizes of the stem and tower convolutions.
    channel_divisor
        Inner tower widths are rounded to multiples of this.
    head_dim
        Hidden width of the pointwise head (Enformer: ``2 C``).
    dropout
        Dropout on the attention output, in the MLP, and (divided by 8, as Enformer) in the head.
    attention_dropout, position_dropout
        Dropout on the attention probabilities and on the positional features.
    """

    channels: int = 64
    depth: int = 2
    heads: int = 4
    key_size: int = 16
    rel_pos_features: int = 12
    stem_kernel: int = 15
    conv_kernel: int = 5
    channel_divisor: int = 8
    head_dim: int = 64
    dropout: float = 0.0
    attention_dropout: float = 0.0
    position_dropout: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_at_least(1, "heads", "key_size", "stem_kernel", "conv_kernel")
        self._check_at_least(1, "channel_divisor")
        self._check_at_least(0, "depth", "head_dim")
        self._check_at_least(2, "channels")
        self._check_dropout("dropout", "attention_dropout", "position_dropout")
        if self.channels % 2 or self.channels % self.heads:
            raise ValueError(
                f"EnformerConfig.channels ({self.channels}) must be even and divisible by "
                f"heads ({self.heads})"
            )
        if self.rel_pos_features < 2 * N_BASIS_KINDS or self.rel_pos_features % (2 * N_BASIS_KINDS):
            raise ValueError(
                f"EnformerConfig.rel_pos_features must be a positive multiple of "
                f"{2 * N_BASIS_KINDS}, got {self.rel_pos_features}"
            )
        pool_steps(self.bin_size, "Enformer (stem and >= 1 tower block)", min_steps=2)

    @property
    def tower_channels(self) -> list[int]:
        """Widths of the tower blocks, ``C / 2`` growing geometrically to ``C``."""
        n = pool_steps(self.bin_size, "Enformer", min_steps=2) - 1
        return geometric_channels(self.channels // 2, self.channels, n, self.channel_divisor)


def relative_position_features(
    distances: torch.Tensor, n_features: int, max_distance: int
) -> torch.Tensor:
    """Enformer's fixed basis functions of the relative distance ``d`` (a function of ``d`` only).

    Each of the three families has ``n_basis = n_features / 6`` functions of ``|d|``:
    exponential decays ``2 ** (-|d| / h)`` with half-lives ``h`` log-spaced from 8 (or
    ``max_distance`` if smaller) to ``max_distance``; central masks ``|d| < 2**k - 1``,
    ``k = 1..n_basis``; and gamma densities with means spread evenly from
    ``max_distance / n_basis`` to ``max_distance`` and standard deviation
    ``max_distance / (2 n_basis)``, each scaled to peak at 1 (Enformer rescales by the maximum
    over the positions it is given; dividing by the value at the mode is the same for a full
    range of positions and keeps the feature a function of ``d`` alone).

    Parameters
    ----------
    distances
        Integer relative distances, any shape ``(...)``.
    n_features
        Output features ``F``, a multiple of 6.
    max_distance
        Scale of the bases, the number of tokens ``T`` in Enformer.

    Returns
    -------
    torch.Tensor
        ``(..., F)`` float32 (computed in float64, on ``distances``' device): the first
        ``F / 2`` features are symmetric in ``d``, the last ``F / 2`` are the same features times
        ``sign(d)`` (antisymmetric).
    """
    if n_features < 2 * N_BASIS_KINDS or n_features % (2 * N_BASIS_KINDS):
        raise ValueError(f"n_features must be a positive multiple of 6, got {n_features}")
    n_basis = n_features // (2 * N_BASIS_KINDS)
    span = float(max(max_distance, 1))
    d = distances.to(torch.float64).abs().unsqueeze(-1)  # (..., 1)
    log2_span = math.log2(span)
    half_life = torch.logspace(min(3.0, log2_span), log2_span, n_basis, base=2.0)
    exponential = torch.exp2(-d / half_life.to(d))  # (..., n_basis)
    widths = torch.exp2(torch.arange(1, n_basis + 1, dtype=torch.float64)) - 1
    central = (widths.to(d) > d).to(d)  # (..., n_basis)
    stddev = span / (2 * n_basis)
    mean = torch.linspace(span / n_basis, span, n_basis, dtype=torch.float64).to(d)
    concentration = (mean / stddev) ** 2  # >= 4, so the density is 0 at d = 0
    rate = mean / stddev**2
    mode = (concentration - 1) / rate
    # log of the gamma density relative to its value at the mode
    gamma = torch.exp(torch.xlogy(concentration - 1, d / mode) - rate * (d - mode))
    symmetric = torch.cat([exponential, central, gamma], dim=-1)  # (..., F / 2)
    sign = torch.sign(distances.to(torch.float64)).unsqueeze(-1)  # (..., 1)
    return torch.cat([symmetric, sign * symmetric], dim=-1).to(torch.float32)  # (..., F)


class RelativeMultiHeadAttention(nn.Module):
    """Multi-head self-attention with Enformer's relative positional logits.

    ``logits[i, j] = (q_i + r_w_bias) . k_j + (q_i + r_r_bias) . r_{j-i}`` per head, with
    ``q`` scaled by ``key_size ** -0.5`` and ``r_d`` a linear projection of
    :func:`relative_position_features` of ``d``. The ``(T, 2T - 1)`` positional logits are
    gathered explicitly into ``(T, T)`` (the same as Transformer-XL's relative shift).

    Parameters
    ----------
    dim
        Token width ``D``; value size per head ``D / heads``.
    heads
        Attention heads.
    key_size
        Query/key width per head.
    rel_pos_features
        Positional basis functions, a multiple of 6.
    n_tokens
        Tokens ``T`` attended over (the number of bins); the basis functions of the distances
        ``-(T - 1) .. T - 1`` are computed once, in float64, and kept as a buffer.
    attention_dropout, position_dropout
        Dropout on the attention probabilities and on the positional features.
    """

    def __init__(
        self,
        dim: int,
        heads: int,
        key_size: int,
        rel_pos_features: int,
        n_tokens: int,
        attention_dropout: float = 0.0,
        position_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.heads, self.key_size, self.n_tokens = heads, key_size, n_tokens
        distances = torch.arange(-(n_tokens - 1), n_tokens)  # (2T - 1,)
        features = relative_position_features(distances, rel_pos_features, n_tokens)
        self.register_buffer("features", features, persistent=False)  # (2T - 1, F)
        self.q = nn.Linear(dim, heads * key_size, bias=False)
        self.k = nn.Linear(dim, heads * key_size, bias=False)
        self.v = nn.Linear(dim, dim, bias=False)
        self.rel_k = nn.Linear(rel_pos_features, heads * key_size, bias=False)
        self.r_w_bias = nn.Parameter(torch.zeros(heads, 1, key_size))  # (heads, 1, d_k)
        self.r_r_bias = nn.Parameter(torch.zeros(heads, 1, key_size))  # (heads, 1, d_k)
        self.proj = nn.Linear(dim, dim)
        self.attn_drop = nn.Dropout(attention_dropout)
        self.pos_drop = nn.Dropout(position_dropout)

    def positional_logits(self, q: torch.Tensor) -> torch.Tensor:
        """Relative positional logits ``(q_i + r_r_bias) . r_{j-i}`` ``(B, heads, T, T)`` of the
        scaled queries ``q`` ``(B, heads, T, d_k)``; entry ``[b, h, i, j]`` uses distance
        ``j - i``."""
        b, h, t, dk = q.shape
        if t != self.n_tokens:
            raise ValueError(f"expected {self.n_tokens} tokens, got {t}")
        r_k = self.rel_k(self.pos_drop(self.features.to(q.dtype)))  # (2T - 1, heads * d_k)
        r_k = r_k.reshape(2 * t - 1, h, dk).transpose(0, 1)  # (heads, 2T - 1, d_k)
        rel = (q + self.r_r_bias) @ r_k.transpose(-2, -1)  # (B, heads, T, 2T - 1)
        index = relative_index(t, q.device).expand(b, h, t, t)  # (B, heads, T, T)
        return rel.gather(-1, index)  # (B, heads, T, T): [i, j] at distance j - i

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, T, D)`` -> ``(B, T, D)`` and the attention probabilities ``(B, heads, T, T)``
        (``[b, h, i, j]``: how much token ``i`` attends to token ``j``; rows sum to 1; before
        dropout)."""
        b, t, d = x.shape
        h, dk = self.heads, self.key_size
        q = self.q(x).reshape(b, t, h, dk).transpose(1, 2) * dk**-0.5  # (B, heads, T, d_k)
        k = self.k(x).reshape(b, t, h, dk).transpose(1, 2)  # (B, heads, T, d_k)
        v = self.v(x).reshape(b, t, h, d // h).transpose(1, 2)  # (B, heads, T, d_v)
        content = (q + self.r_w_bias) @ k.transpose(-2, -1)  # (B, heads, T, T)
        rel = self.positional_logits(q)  # (B, heads, T, T)
        attn = (content + rel).softmax(dim=-1)
        out = self.attn_drop(attn) @ v  # (B, heads, T, d_v)
        out = out.transpose(1, 2).reshape(b, t, d)  # (B, T, D), heads concatenated
        return self.proj(out), attn


class EnformerBlock(nn.Module):
    """Pre-LN transformer block: ``x + Dropout(MHA(LN(x)))`` then ``x + MLP(LN(x))``.

    The MLP is Linear(D, 2D) -> Dropout -> ReLU -> Linear(2D, D) -> Dropout, as in Enformer.
    """

    def __init__(self, config: EnformerConfig) -> None:
        super().__init__()
        c = config.channels
        self.ln1 = nn.LayerNorm(c)
        self.attn = RelativeMultiHeadAttention(
            c,
            config.heads,
            config.key_size,
            config.rel_pos_features,
            config.n_bins,
            config.attention_dropout,
            config.position_dropout,
        )
        self.drop = nn.Dropout(config.dropout)
        self.ln2 = nn.LayerNorm(c)
        self.mlp = nn.Sequential(
            nn.Linear(c, 2 * c),
            nn.Dropout(config.dropout),
            nn.ReLU(),
            nn.Linear(2 * c, c),
            nn.Dropout(config.dropout),
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, T, D)`` -> ``(B, T, D)`` and the attention probabilities ``(B, heads, T, T)``."""
        a, attn = self.attn(self.ln1(x))
        x = x + self.drop(a)
        return x + self.mlp(self.ln2(x)), attn


class EnformerTrunk(nn.Module):
    """One-hot ``(B, L, 4)`` -> bin features ``(B, L / bin_size, C)``.

    Stem: Conv1d(4, C/2, stem_kernel) -> Residual(ConvBlock k1) -> attention pooling; tower:
    per further 2x pooling ConvBlock(k ``conv_kernel``) -> Residual(ConvBlock k1) -> attention
    pooling; then ``depth`` :class:`EnformerBlock` s.
    """

    def __init__(self, config: EnformerConfig) -> None:
        super().__init__()
        half = config.channels // 2
        self.stem = nn.Sequential(
            nn.Conv1d(4, half, config.stem_kernel, padding="same"),
            Residual(ConvBlock(half, half, 1)),
            AttentionPool1d(half),
        )
        tower: list[nn.Module] = []
        c_in = half
        for c_out in config.tower_channels:
            tower += [
                ConvBlock(c_in, c_out, config.conv_kernel),
                Residual(ConvBlock(c_out, c_out, 1)),
                AttentionPool1d(c_out),
            ]
            c_in = c_out
        self.tower = nn.Sequential(*tower)
        self.blocks = nn.ModuleList(EnformerBlock(config) for _ in range(config.depth))

    def forward(
        self, x: torch.Tensor, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """``(B, L, 4)`` -> ``(B, T, C)``; with ``return_attention`` also one ``(B, heads, T, T)``
        map per transformer block (first block first): ``[b, h, i, j]`` is how much bin ``i``
        attends to bin ``j`` (uncropped bin indices), each row summing to 1."""
        h = self.tower(self.stem(x.transpose(1, 2)))  # (B, 4, L) -> (B, C, T)
        h = h.transpose(1, 2)  # (B, T, C)
        maps = []
        for block in self.blocks:
            h, attn = block(h)
            maps.append(attn)
        return (h, maps) if return_attention else h


class Enformer(SeqTrackModel):
    """Enformer: conv stem and tower with attention pooling, relative-position transformer,
    crop, pointwise head (LayerNorm -> Linear -> GELU -> Dropout -> Linear -> Softplus)."""

    has_attention = True

    def __init__(self, config: EnformerConfig) -> None:
        trunk = EnformerTrunk(config)
        head = TrackHead(config.channels, config.head_dim, config.n_tracks, config.dropout / 8)
        super().__init__(config, trunk, head)
