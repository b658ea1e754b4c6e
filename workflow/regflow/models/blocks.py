"""The pre-LN transformer encoder shared by the models, and the configs' dict reader.

Attention is computed by ``scaled_dot_product_attention`` (flash attention on a GPU) unless
the attention maps are asked for; then it is computed explicitly, with the same result.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import torch
import torch.nn.functional as F
from torch import nn

C = TypeVar("C")


def config_from_dict(cls: type[C], d: dict[str, Any]) -> C:
    """Build the dataclass ``cls`` from a plain dict (e.g. a YAML section).

    Unknown keys and missing required keys raise ``ValueError`` naming them, so a typo in a
    config file fails loudly instead of silently falling back to a default.
    """
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - set(fields))
    if unknown:
        raise ValueError(
            f"unknown {cls.__name__} key(s): {', '.join(unknown)}; "
            f"expected some of: {', '.join(fields)}"
        )
    missing = [
        name
        for name, f in fields.items()
        if name not in d
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ValueError(f"{cls.__name__} needs key(s): {', '.join(missing)}")
    return cls(**d)


class Attention(nn.Module):
    """Multi-head self-attention with separate ``qkv`` and ``proj`` linears (LoRA can wrap them).

    Parameters
    ----------
    dim
        Token width ``D``; must be divisible by ``heads``.
    heads
        Number of attention heads.
    dropout
        Dropout on the attention probabilities and on the projected output.
    """

    def __init__(self, dim: int, heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim ({dim}) must be divisible by heads ({heads})")
        self.heads = heads
        self.head_dim = dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.attn_drop = nn.Dropout(dropout)
        self.proj_drop = nn.Dropout(dropout)

    def forward(
        self, x: torch.Tensor, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Attend over the tokens of ``x`` ``(B, T, D)``.

        Returns ``(B, T, D)``, or with ``return_attention`` also the attention probabilities
        ``(B, heads, T, T)`` (rows sum to 1; taken before dropout).
        """
        b, t, d = x.shape
        # (B, T, 3D) -> (B, T, 3, heads, d_h) -> (3, B, heads, T, d_h); q, k, v as in torch MHA
        qkv = self.qkv(x).reshape(b, t, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # each (B, heads, T, d_h)
        if return_attention:
            scores = q @ k.transpose(-2, -1) * self.head_dim**-0.5  # (B, heads, T, T)
            attn = scores.softmax(dim=-1)
            out = self.attn_drop(attn) @ v  # (B, heads, T, d_h)
        else:
            p = self.attn_drop.p if self.training else 0.0
            out = F.scaled_dot_product_attention(q, k, v, dropout_p=p)  # (B, heads, T, d_h)
        out = out.transpose(1, 2).reshape(b, t, d)  # (B, T, D), heads concatenated
        out = self.proj_drop(self.proj(out))
        return (out, attn) if return_attention else out


class EncoderBlock(nn.Module):
    """Pre-LN block: ``x + attn(ln1(x))`` then ``x + mlp(ln2(x))``.

    The attention's output dropout is the residual-branch dropout; the MLP is
    Linear -> GELU -> Dropout -> Linear -> Dropout.
    """

    def __init__(self, dim: int, heads: int, mlp_dim: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, dropout)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, mlp_dim),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(mlp_dim, dim),
            nn.Dropout(dropout),
        )

    def forward(
        self, x: torch.Tensor, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """``(B, T, D)`` -> ``(B, T, D)``, with ``return_attention`` also ``(B, heads, T, T)``."""
        if return_attention:
            a, attn = self.attn(self.ln1(x), return_attention=True)
        else:
            a = self.attn(self.ln1(x))
        x = x + a
        x = x + self.mlp(self.ln2(x))
        return (x, attn) if return_attention else x


class TransformerEncoder(nn.Module):
    """A stack of ``depth`` pre-LN blocks and a final LayerNorm.

    Parameters
    ----------
    dim
        Token width ``D``.
    depth
        Number of blocks.
    heads
        Attention heads per block; ``dim`` must be divisible by it.
    mlp_dim
        Hidden width of each block's MLP.
    dropout
        Dropout on attention probabilities, residual branches and the MLP hidden layer.
    """

    def __init__(self, dim: int, depth: int, heads: int, mlp_dim: int, dropout: float = 0.0):
        super().__init__()
        self.blocks = nn.ModuleList(
            EncoderBlock(dim, heads, mlp_dim, dropout) for _ in range(depth)
        )
        self.norm = nn.LayerNorm(dim)

    def forward(
        self, x: torch.Tensor, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Encode ``x`` ``(B, T, D)`` -> ``(B, T, D)``.

        With ``return_attention`` also returns every layer's attention probabilities stacked as
        ``(B, depth, heads, T, T)``: ``attn[b, l, h, i, j]`` is how much token ``i`` attends to
        token ``j`` in head ``h`` of block ``l`` (first block first), each row summing to 1.
        This is the input of attention rollout (average heads, add the identity for the
        residual, renormalise, multiply over layers).
        """
        maps = []
        for block in self.blocks:
            if return_attention:
                x, attn = block(x, return_attention=True)
                maps.append(attn)
            else:
                x = block(x)
        x = self.norm(x)
        if return_attention:
            return x, torch.stack(maps, dim=1)  # (B, depth, heads, T, T)
        return x
