"""1D-Swin (Li et al. 2023, "Genomic Interpreter", seed 001): a hierarchical transformer that
attends within non-overlapping windows of tokens, shifts the windows by half a window every
second block so that information crosses window borders, and merges neighbouring tokens between
stages until one token covers one output bin.

Tokens start as patches of ``patch_size`` bp (Conv1d with kernel = stride = ``patch_size``);
stage ``s`` (0-based) has ``seq_len / (patch_size * 2**s)`` tokens of ``patch_size * 2**s`` bp,
so the last stage is at bin resolution. Optional global blocks (one window over all bins, as
the paper's transformer block after the 1D-Swin stages) follow; then crop and a Softplus head.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from regflow.models.seqtrack.common import (
    SeqTrackConfig,
    SeqTrackModel,
    TrackHead,
    relative_index,
)

PRESETS: dict[str, dict[str, int | float | list[int]]] = {
    "tiny": {
        "patch_size": 4,
        "stages": [2, 2, 2, 2],
        "dims": [32, 32, 64, 64],
        "heads": 4,
        "window": 8,
        "mlp_ratio": 2,
        "global_depth": 1,
        "head_dim": 64,
        "dropout": 0.0,
    },
    "paper": {
        "patch_size": 1,
        "stages": [2, 2, 2, 2, 2, 2, 2, 2],
        "dims": [64, 64, 128, 128, 256, 256, 512, 512],
        "heads": 8,
        "window": 32,
        "mlp_ratio": 2,
        "global_depth": 1,
        "head_dim": 0,
        "dropout": 0.02,
    },
}
"""Model-specific parameters per preset (the length fields come separately)."""


@dataclass(frozen=True)
class SwinConfig(SeqTrackConfig):
    """Size of a :class:`Swin1D` (defaults: the tiny preset).

    Paper scale (seed 001, ``PRESETS["paper"]``): single-nucleotide tokens (``patch_size=1``;
    the paper's first-layer attention maps are per nucleotide), eight 1D-Swin stages of a window
    block and a shifted-window block each (``patch_size * 2**7 = 128``-bp bins), window 32,
    8 heads, MLP ratio 2, dropout 0.02, one transformer block over all bins, linear heads
    (``head_dim=0``); Poisson loss, Adam at 3e-4 with cosine annealing, batch 24; LayerNorm
    only. Inputs of about 17 kb: with window 32 at 128-bp bins ``seq_len`` must be a multiple
    of 4096, e.g. 16,384 bp (128 bins). The paper's text does not give the widths; the preset's
    ``dims`` double every second stage from 64 to 512.

    Attributes
    ----------
    patch_size
        bp per token of the first stage; ``patch_size * 2**(len(stages) - 1) == bin_size``.
    stages
        Swin blocks per stage; blocks alternate between plain and shifted windows. Between
        stages pairs of neighbouring tokens are merged.
    dims
        Token width per stage (same length as ``stages``), each divisible by ``heads``.
    heads
        Attention heads in every block.
    window
        Tokens per attention window; must divide every stage's token count; shifted blocks
        roll by ``window // 2``.
    mlp_ratio
        Hidden width of each block's MLP, in multiples of the token width.
    global_depth
        Blocks after the last stage that attend over all bins at once (no shift).
    head_dim
        Hidden width of the pointwise head (0: a linear readout).
    dropout
        Dropout on attention probabilities, residual branches, MLP hidden layers and the head.
    """

    patch_size: int = 4
    stages: tuple[int, ...] = (2, 2, 2, 2)
    dims: tuple[int, ...] = (32, 32, 64, 64)
    heads: int = 4
    window: int = 8
    mlp_ratio: int = 2
    global_depth: int = 1
    head_dim: int = 64
    dropout: float = 0.0

    def __post_init__(self) -> None:
        # YAML gives lists; store tuples so the config stays immutable and hashable
        object.__setattr__(self, "stages", tuple(self.stages))
        object.__setattr__(self, "dims", tuple(self.dims))
        super().__post_init__()
        self._check_at_least(1, "patch_size", "heads", "mlp_ratio")
        self._check_at_least(2, "window")
        self._check_at_least(0, "global_depth", "head_dim")
        self._check_dropout("dropout")
        if not self.stages or min(self.stages) < 1:
            raise ValueError(f"SwinConfig.stages must be block counts >= 1, got {self.stages}")
        if len(self.dims) != len(self.stages):
            raise ValueError(
                f"SwinConfig.dims ({self.dims}) needs one width per stage ({self.stages})"
            )
        for dim in self.dims:
            if dim < 1 or dim % self.heads:
                raise ValueError(
                    f"SwinConfig.dims must be positive multiples of heads ({self.heads}), "
                    f"got {self.dims}"
                )
        reached = self.patch_size * 2 ** (len(self.stages) - 1)
        if reached != self.bin_size:
            raise ValueError(
                f"1D-Swin reaches bin resolution after {len(self.stages)} stages of patches of "
                f"{self.patch_size} bp: patch_size * 2**(len(stages) - 1) = {reached}, but "
                f"bin_size is {self.bin_size}"
            )
        for s, n_tokens in enumerate(self.stage_tokens):
            if n_tokens % self.window:
                raise ValueError(
                    f"1D-Swin stage {s} has {n_tokens} tokens (seq_len {self.seq_len} / "
                    f"{self.patch_size * 2**s} bp per token), not a multiple of window "
                    f"{self.window}"
                )

    @property
    def stage_tokens(self) -> list[int]:
        """Tokens per stage, ``seq_len / (patch_size * 2**s)``."""
        return [self.seq_len // (self.patch_size * 2**s) for s in range(len(self.stages))]


def window_token_index(n_tokens: int, window: int, shift: int = 0) -> torch.Tensor:
    """Which token sits in each window slot: ``(n_windows, window)`` indices into the stage's
    ``n_tokens`` tokens.

    Windows are taken after rolling the tokens left by ``shift`` (``torch.roll(x, -shift)``),
    so slot ``i`` of window ``k`` holds token ``(k * window + i + shift) % n_tokens``; the last
    window of a shifted block holds the tail of the sequence and then its first ``shift``
    tokens (the wrapped segment).
    """
    idx = (torch.arange(n_tokens) + shift) % n_tokens  # (N,)
    return idx.reshape(n_tokens // window, window)  # (n_windows, window)


def shifted_window_mask(n_tokens: int, window: int, shift: int) -> torch.Tensor:
    """Allowed attention ``(n_windows, window, window)`` (True: query may attend to key).

    After the roll the first ``shift`` tokens of the sequence sit at the end of the last window,
    next to the sequence's tail; they were not neighbours, so attention between the wrapped
    segment and the rest of its window is forbidden. All other pairs are allowed.
    """
    wrapped = window_token_index(n_tokens, window, shift) < shift  # (n_windows, window)
    return wrapped.unsqueeze(-1) == wrapped.unsqueeze(-2)  # (n_windows, window, window)


class WindowAttention(nn.Module):
    """Multi-head self-attention inside each window, plus a learned relative position bias.

    The bias of a query at window slot ``i`` and key at ``j`` is ``table[j - i + window - 1]``
    (``2 * window - 1`` entries per head), so equal offsets share a bias.

    Parameters
    ----------
    dim
        Token width ``C``, divisible by ``heads``.
    heads
        Attention heads.
    window
        Tokens per window ``w``.
    dropout
        Dropout on the attention probabilities and the projected output.
    """

    def __init__(self, dim: int, heads: int, window: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.bias_table = nn.Parameter(torch.empty(2 * window - 1, heads))  # (2w - 1, heads)
        nn.init.trunc_normal_(self.bias_table, std=0.02)
        self.register_buffer("bias_index", relative_index(window), persistent=False)  # (w, w)
        self.attn_drop = nn.Dropout(dropout)
        self.proj_drop = nn.Dropout(dropout)

    def relative_bias(self) -> torch.Tensor:
        """The bias ``(heads, w, w)`` added to every window's attention logits."""
        return self.bias_table[self.bias_index].permute(2, 0, 1)  # (w, w, heads) -> (heads, w, w)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend within windows.

        Parameters
        ----------
        x
            Windows ``(B, n_windows, w, C)``.
        mask
            Allowed pairs ``(n_windows, w, w)`` (bool) or None for all.

        Returns
        -------
        tuple[torch.Tensor, torch.Tensor]
            ``(B, n_windows, w, C)`` and the attention probabilities
            ``(B, n_windows, heads, w, w)`` (rows sum to 1; forbidden pairs are exactly 0).
        """
        b, nw, w, c = x.shape
        # (B, nW, w, 3C) -> (B, nW, w, 3, heads, d_h) -> (3, B, nW, heads, w, d_h)
        qkv = self.qkv(x).reshape(b, nw, w, 3, self.heads, self.head_dim).permute(3, 0, 1, 4, 2, 5)
        q, k, v = qkv.unbind(0)  # each (B, nW, heads, w, d_h)
        scores = q @ k.transpose(-2, -1) * self.head_dim**-0.5  # (B, nW, heads, w, w)
        scores = scores + self.relative_bias()
        if mask is not None:
            scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))  # (nW, 1, w, w)
        attn = scores.softmax(dim=-1)
        out = self.attn_drop(attn) @ v  # (B, nW, heads, w, d_h)
        out = out.transpose(2, 3).reshape(b, nw, w, c)  # (B, nW, w, C), heads concatenated
        return self.proj_drop(self.proj(out)), attn


class SwinBlock(nn.Module):
    """Pre-LN (shifted-)window block: ``x + WindowAttention(LN(x))`` then ``x + MLP(LN(x))``.

    With ``shift > 0`` the normalised tokens are rolled left by ``shift`` before being cut into
    windows (masked with :func:`shifted_window_mask`) and rolled back afterwards.

    Parameters
    ----------
    dim, heads, window
        Token width, heads and tokens per window.
    n_tokens
        Tokens ``N`` of the stage (a multiple of ``window``).
    shift
        Roll of the windows (0: plain windows).
    mlp_ratio, dropout
        MLP width factor and dropout.
    token_bp
        bp covered by one token, kept to place attention maps on the sequence.
    """

    def __init__(
        self,
        dim: int,
        heads: int,
        window: int,
        n_tokens: int,
        shift: int = 0,
        mlp_ratio: int = 2,
        dropout: float = 0.0,
        token_bp: int = 1,
    ) -> None:
        super().__init__()
        self.window, self.n_tokens, self.shift, self.token_bp = window, n_tokens, shift, token_bp
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, heads, window, dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, mlp_ratio * dim),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(mlp_ratio * dim, dim),
            nn.Dropout(dropout),
        )
        mask = shifted_window_mask(n_tokens, window, shift) if shift else None
        self.register_buffer("mask", mask, persistent=False)  # (n_windows, w, w) or None

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, N, C)`` -> ``(B, N, C)`` and attention ``(B, N / w, heads, w, w)`` (windows in
        the rolled frame when shifted; see :func:`window_token_index`)."""
        b, n, c = x.shape
        h = self.norm1(x)
        if self.shift:
            h = torch.roll(h, -self.shift, dims=1)
        out, attn = self.attn(h.reshape(b, n // self.window, self.window, c), self.mask)
        out = out.reshape(b, n, c)  # (B, nW, w, C) -> (B, N, C)
        if self.shift:
            out = torch.roll(out, self.shift, dims=1)
        x = x + out
        return x + self.mlp(self.norm2(x)), attn


class PatchMerging(nn.Module):
    """Halve the tokens: concatenate neighbours ``2t, 2t + 1`` -> LayerNorm -> Linear.

    ``(B, N, C)`` -> ``(B, N / 2, C_out)``.
    """

    def __init__(self, dim: int, dim_out: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(2 * dim)
        self.reduce = nn.Linear(2 * dim, dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, N, C)`` -> ``(B, N / 2, C_out)``."""
        b, n, c = x.shape
        x = x.reshape(b, n // 2, 2 * c)  # (B, N/2, 2C): [token 2t, token 2t + 1]
        return self.reduce(self.norm(x))


class SwinTrunk(nn.Module):
    """One-hot ``(B, L, 4)`` -> bin features ``(B, L / bin_size, dims[-1])``.

    Patch embedding (Conv1d kernel = stride = ``patch_size``) + LayerNorm, then per stage its
    Swin blocks (odd-numbered ones shifted by ``window // 2``) with :class:`PatchMerging` before
    every stage but the first, then ``global_depth`` blocks with one window over all bins.
    """

    def __init__(self, config: SwinConfig) -> None:
        super().__init__()
        self.patch_embed = nn.Conv1d(4, config.dims[0], config.patch_size, config.patch_size)
        self.embed_norm = nn.LayerNorm(config.dims[0])
        self.merges = nn.ModuleList(
            PatchMerging(a, b) for a, b in zip(config.dims[:-1], config.dims[1:], strict=True)
        )
        self.stages = nn.ModuleList()
        for s, (n_blocks, dim, n_tokens) in enumerate(
            zip(config.stages, config.dims, config.stage_tokens, strict=True)
        ):
            self.stages.append(
                nn.ModuleList(
                    SwinBlock(
                        dim,
                        config.heads,
                        config.window,
                        n_tokens,
                        shift=config.window // 2 if i % 2 else 0,
                        mlp_ratio=config.mlp_ratio,
                        dropout=config.dropout,
                        token_bp=config.patch_size * 2**s,
                    )
                    for i in range(n_blocks)
                )
            )
        self.global_blocks = nn.ModuleList(
            SwinBlock(
                config.dims[-1],
                config.heads,
                config.n_bins,
                config.n_bins,
                mlp_ratio=config.mlp_ratio,
                dropout=config.dropout,
                token_bp=config.bin_size,
            )
            for _ in range(config.global_depth)
        )

    @property
    def blocks(self) -> list[SwinBlock]:
        """All blocks in order, matching the list of attention maps of ``forward``."""
        return [block for stage in self.stages for block in stage] + list(self.global_blocks)

    def forward(
        self, x: torch.Tensor, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """``(B, L, 4)`` -> ``(B, T, C)``.

        With ``return_attention`` also one map per block (stage blocks first, then global ones;
        :attr:`blocks` gives each block's ``n_tokens``, ``window``, ``shift`` and ``token_bp``),
        each ``(B, n_windows, heads, w, w)``: ``[b, k, h, i, j]`` is how much the token in slot
        ``i`` of window ``k`` attends to the token in slot ``j`` in head ``h``; rows sum to 1.
        For plain blocks slot ``i`` of window ``k`` is token ``k * w + i``; for shifted blocks
        the windows are in the rolled frame, slot ``i`` of window ``k`` being token
        ``(k * w + i + w // 2) % N`` (:func:`window_token_index`), and pairs across the wrap
        have attention 0. Global blocks have one window of all ``T`` bins (uncropped).
        """
        h = self.patch_embed(x.transpose(1, 2))  # (B, 4, L) -> (B, C0, L / patch_size)
        h = self.embed_norm(h.transpose(1, 2))  # (B, N0, C0)
        maps = []
        for s, stage in enumerate(self.stages):
            if s:
                h = self.merges[s - 1](h)  # (B, N, C) -> (B, N / 2, C_next)
            for block in stage:
                h, attn = block(h)
                maps.append(attn)
        for block in self.global_blocks:
            h, attn = block(h)
            maps.append(attn)
        return (h, maps) if return_attention else h


class Swin1D(SeqTrackModel):
    """1D-Swin: patch embedding, (shifted-)window attention stages with token merging, global
    blocks, crop, pointwise Softplus head."""

    has_attention = True

    def __init__(self, config: SwinConfig) -> None:
        trunk = SwinTrunk(config)
        head = TrackHead(config.dims[-1], config.head_dim, config.n_tracks, config.dropout)
        super().__init__(config, trunk, head)
