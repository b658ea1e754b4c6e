"""Dual-channel chromatin vision transformer (after HarteminkLab's chromatin-transformers).

An example is a stack of MNase images, fragment length (rows) x position (columns), one per
channel: for the dual-channel model channel 0 is the baseline (e.g. 0-min) image and channel 1
the time-point image; the single-channel model sees the time point only. Every channel has its
own patch embedding, class token and position embedding; the channels are encoded by one
shared transformer ("Transformer 1" of the paper's Figure 2A) or one each ("Transformer 2"),
and a head regresses one value from the channels' concatenated class tokens.

Token order, relied on by the attention maps: token 0 is the class token, tokens
``1 ... n_patches`` are the patches in row-major order over the ``(H / patch, W / patch)``
grid, so patch ``(r, c)`` is token ``1 + r * (W / patch) + c``. Reshaping a class-token-to-
patch map ``(..., n_patches)`` to ``(..., H / patch, W / patch)`` puts it back on the image.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from regflow.models.blocks import TransformerEncoder, config_from_dict


@dataclass(frozen=True)
class ViTConfig:
    """Shape and size of a :class:`ChromatinViT`.

    Attributes
    ----------
    image_height, image_width
        Image rows (fragment-length bins) and columns (position bins); multiples of ``patch``.
    patch
        Side of the square patches.
    channels
        Images per example: 2 (baseline and time point) or 1 (time point).
    shared_trunk
        One transformer for both channels (True) or one per channel (False).
    dim, depth, heads, mlp_dim, dropout
        Transformer width, blocks, heads (dividing ``dim``), MLP width and dropout.
    head_hidden
        Hidden width of the regression head.
    """

    image_height: int = 24
    image_width: int = 128
    patch: int = 8
    channels: int = 2
    shared_trunk: bool = False
    dim: int = 64
    depth: int = 2
    heads: int = 4
    mlp_dim: int = 128
    dropout: float = 0.1
    head_hidden: int = 64

    def __post_init__(self) -> None:
        sizes = ("image_height", "image_width", "patch", "dim", "depth", "heads", "mlp_dim")
        for name in (*sizes, "head_hidden"):
            if getattr(self, name) < 1:
                raise ValueError(f"ViTConfig.{name} must be >= 1, got {getattr(self, name)}")
        if self.image_height % self.patch or self.image_width % self.patch:
            raise ValueError(
                f"image size {self.image_height}x{self.image_width} is not divisible by "
                f"patch {self.patch}"
            )
        if self.dim % self.heads:
            raise ValueError(f"dim ({self.dim}) must be divisible by heads ({self.heads})")
        if self.channels not in (1, 2):
            raise ValueError(f"channels must be 1 or 2, got {self.channels}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ViTConfig:
        """Build from a plain dict; unknown keys raise ``ValueError``."""
        return config_from_dict(cls, d)

    @property
    def grid(self) -> tuple[int, int]:
        """Patch grid ``(H / patch, W / patch)``."""
        return self.image_height // self.patch, self.image_width // self.patch

    @property
    def n_tokens(self) -> int:
        """Tokens per channel ``T``: the class token and one per patch."""
        rows, cols = self.grid
        return 1 + rows * cols


class ChromatinViT(nn.Module):
    """Regress one value per example from ``channels`` MNase images.

    See the module docstring for the channel meaning and the token order.
    """

    def __init__(self, config: ViTConfig) -> None:
        super().__init__()
        self.config = config
        c, dim = config.channels, config.dim
        self.patch_embeds = nn.ModuleList(
            nn.Conv2d(1, dim, kernel_size=config.patch, stride=config.patch) for _ in range(c)
        )
        # one class token and one position embedding per channel
        self.cls_tokens = nn.Parameter(torch.zeros(c, 1, dim))  # (C, 1, D)
        self.pos_embeds = nn.Parameter(torch.zeros(c, config.n_tokens, dim))  # (C, T, D)
        nn.init.trunc_normal_(self.cls_tokens, std=0.02)
        nn.init.trunc_normal_(self.pos_embeds, std=0.02)
        n_encoders = 1 if config.shared_trunk else c
        self.encoders = nn.ModuleList(
            TransformerEncoder(dim, config.depth, config.heads, config.mlp_dim, config.dropout)
            for _ in range(n_encoders)
        )
        self.head = nn.Sequential(
            nn.LayerNorm(c * dim),
            nn.Linear(c * dim, config.head_hidden),
            nn.GELU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.head_hidden, 1),
        )

    def _check(self, images: torch.Tensor) -> None:
        cfg = self.config
        expected = (cfg.channels, cfg.image_height, cfg.image_width)
        if images.ndim != 4 or tuple(images.shape[1:]) != expected:
            raise ValueError(
                f"expected images of shape (B, {', '.join(map(str, expected))}) "
                f"(channels, height, width), got {tuple(images.shape)}"
            )

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """Token sequences ``(B, C, T, D)`` of ``images`` ``(B, C, H, W)``, positions added.

        Token 0 is the channel's class token, then the patches in row-major grid order.
        """
        self._check(images)
        b = images.shape[0]
        sequences = []
        for c, patch_embed in enumerate(self.patch_embeds):
            patches = patch_embed(images[:, c : c + 1])  # (B, D, H/p, W/p)
            patches = patches.flatten(2).transpose(1, 2)  # (B, n_patches, D), row-major
            cls = self.cls_tokens[c].expand(b, -1, -1)  # (B, 1, D)
            sequences.append(torch.cat([cls, patches], dim=1) + self.pos_embeds[c])  # (B, T, D)
        return torch.stack(sequences, dim=1)  # (B, C, T, D)

    def forward(
        self, images: torch.Tensor, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Predict ``(B,)`` from ``images`` ``(B, C, H, W)``.

        With ``return_attention`` also returns the attention probabilities
        ``(B, C, depth, heads, T, T)`` of each channel's encoding, ``T = 1 + n_patches``
        (token order in the module docstring).
        """
        tokens = self.embed(images)  # (B, C, T, D)
        cls_out, maps = [], []
        for c in range(self.config.channels):
            encoder = self.encoders[0 if self.config.shared_trunk else c]
            if return_attention:
                x, attn = encoder(tokens[:, c], return_attention=True)  # attn (B, depth, h, T, T)
                maps.append(attn)
            else:
                x = encoder(tokens[:, c])  # (B, T, D)
            cls_out.append(x[:, 0])  # (B, D)
        pred = self.head(torch.cat(cls_out, dim=-1)).squeeze(-1)  # (B, C*D) -> (B, 1) -> (B,)
        if return_attention:
            return pred, torch.stack(maps, dim=1)  # (B, C, depth, heads, T, T)
        return pred
