"""GET-style regulatory-element transformer (after Fu et al., "A foundation model of
transcription across human cell types").

An example is a window of ``R`` consecutive peaks, each a feature vector (motif-cluster
scores and accessibility) ``(B, R, F)``. Regions are embedded linearly, with no positional
encoding (as in GET), encoded by a transformer, and read out per region as expression on the
+ and - strand (non-negative). Masked-region pretraining replaces the embeddings of masked
regions by a learned mask token and reconstructs the inputs linearly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from regflow.models.blocks import TransformerEncoder, config_from_dict


@dataclass(frozen=True)
class GETConfig:
    """Size of a :class:`GETModel`.

    Attributes
    ----------
    n_features
        Features per region ``F`` (motif clusters + accessibility).
    dim, depth, heads, mlp_dim, dropout
        Transformer width, blocks, heads (dividing ``dim``), MLP width and dropout.
    """

    n_features: int
    dim: int = 64
    depth: int = 2
    heads: int = 4
    mlp_dim: int = 128
    dropout: float = 0.1

    def __post_init__(self) -> None:
        for name in ("n_features", "dim", "depth", "heads", "mlp_dim"):
            if getattr(self, name) < 1:
                raise ValueError(f"GETConfig.{name} must be >= 1, got {getattr(self, name)}")
        if self.dim % self.heads:
            raise ValueError(f"dim ({self.dim}) must be divisible by heads ({self.heads})")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GETConfig:
        """Build from a plain dict; unknown or missing keys raise ``ValueError``."""
        return config_from_dict(cls, d)


def random_region_mask(
    shape: tuple[int, int], ratio: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Bool mask ``(B, R)`` with exactly ``round(ratio * R)`` True regions per row.

    Rows are drawn independently and uniformly; the mask lives on ``generator``'s device
    (CPU without one). ``round`` is Python's (halves to even).
    """
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"mask ratio must be in [0, 1], got {ratio}")
    b, r = shape
    device = generator.device if generator is not None else None
    scores = torch.rand(b, r, generator=generator, device=device)  # (B, R)
    ranks = scores.argsort(dim=1).argsort(dim=1)  # (B, R), a random permutation of 0..R-1 per row
    return ranks < round(ratio * r)


class GETModel(nn.Module):
    """Per-region strand expression from a window of regions' features."""

    def __init__(self, config: GETConfig) -> None:
        super().__init__()
        self.config = config
        self.region_embed = nn.Linear(config.n_features, config.dim)
        self.mask_token = nn.Parameter(torch.zeros(config.dim))  # (D,)
        nn.init.trunc_normal_(self.mask_token, std=0.02)
        self.encoder = TransformerEncoder(
            config.dim, config.depth, config.heads, config.mlp_dim, config.dropout
        )
        self.head = nn.Linear(config.dim, 2)
        self.reconstruct_head = nn.Linear(config.dim, config.n_features)

    def encode(
        self, x: torch.Tensor, mask: torch.Tensor | None = None, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Encode ``x`` ``(B, R, F)`` to ``(B, R, D)``; where ``mask`` ``(B, R)`` is True the
        region's embedding is replaced by the mask token. With ``return_attention`` also
        returns ``(B, depth, heads, R, R)``."""
        if x.ndim != 3 or x.shape[-1] != self.config.n_features:
            raise ValueError(
                f"expected x of shape (B, R, {self.config.n_features}), got {tuple(x.shape)}"
            )
        h = self.region_embed(x)  # (B, R, D)
        if mask is not None:
            if mask.dtype != torch.bool or tuple(mask.shape) != tuple(x.shape[:2]):
                raise ValueError(
                    f"mask must be a bool tensor of shape {tuple(x.shape[:2])}, "
                    f"got {mask.dtype} {tuple(mask.shape)}"
                )
            h = torch.where(mask.unsqueeze(-1), self.mask_token.to(h.dtype), h)  # (B, R, D)
        return self.encoder(h, return_attention=return_attention)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Expression ``(B, R, 2)`` (+, - strand; softplus, so >= 0) of ``x`` ``(B, R, F)``.

        With ``return_attention`` also returns ``(B, depth, heads, R, R)``.
        """
        if return_attention:
            h, attn = self.encode(x, mask, return_attention=True)
            return F.softplus(self.head(h)), attn
        return F.softplus(self.head(self.encode(x, mask)))  # (B, R, 2)

    def reconstruct(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Linear reconstruction ``(B, R, F)`` of ``x`` from its masked encoding (pretraining:
        MSE on the masked regions, e.g. with :func:`random_region_mask` at ratio 0.5)."""
        return self.reconstruct_head(self.encode(x, mask))  # (B, R, F)
