"""LoRA fine-tuning: low-rank updates on frozen linear layers (Hu et al., 2021).

:func:`with_lora` returns a copy of a model whose chosen linears carry a trainable rank-``r``
update ``(alpha / r) * B @ A``; :func:`merge_lora` folds the updates back into plain linears
for inference. The caller's model is never modified.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn


class LoRALinear(nn.Module):
    """A frozen copy of ``base`` plus a trainable low-rank update.

    ``y = base(x) + (alpha / rank) * dropout(x) @ A.T @ B.T`` with ``A`` ``(rank, in)``
    Kaiming-uniform and ``B`` ``(out, rank)`` zero, so the layer starts equal to ``base``.

    Parameters
    ----------
    base
        The layer to adapt; it is copied, not modified.
    rank
        Rank ``r`` of the update.
    alpha
        Scale of the update; the effective scaling is ``alpha / rank``.
    dropout
        Dropout on the input of the low-rank path.
    """

    def __init__(self, base: nn.Linear, rank: int, alpha: float, dropout: float = 0.0) -> None:
        super().__init__()
        if rank < 1:
            raise ValueError(f"LoRA rank must be >= 1, got {rank}")
        self.base = copy.deepcopy(base).requires_grad_(False)
        self.rank = rank
        self.scaling = alpha / rank
        w = base.weight
        self.lora_A = nn.Parameter(
            torch.empty(rank, base.in_features, dtype=w.dtype, device=w.device)
        )
        self.lora_B = nn.Parameter(
            torch.zeros(base.out_features, rank, dtype=w.dtype, device=w.device)
        )
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))  # nn.Linear's own init
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., in)`` -> ``(..., out)``."""
        update = self.dropout(x) @ self.lora_A.T @ self.lora_B.T  # (..., r) -> (..., out)
        return self.base(x) + self.scaling * update

    def merged_weight(self) -> torch.Tensor:
        """``(out, in)`` weight of the equivalent plain linear: ``W + scaling * B @ A``."""
        return self.base.weight + self.scaling * self.lora_B @ self.lora_A


def with_lora(
    model: nn.Module,
    rank: int,
    alpha: float,
    targets: tuple[str, ...],
    trainable: tuple[str, ...] = ("head",),
    dropout: float = 0.0,
) -> nn.Module:
    """A copy of ``model`` with LoRA on the chosen linears and everything else frozen.

    Every ``nn.Linear`` whose qualified name contains one of ``targets`` (e.g.
    ``("region_embed", "encoder")``) becomes a :class:`LoRALinear`. Trainable afterwards: the
    LoRA ``A`` and ``B`` matrices and every parameter of the modules named in ``trainable``
    (a name matches itself and its submodules: ``"head"`` covers ``head.weight``, not
    ``reconstruct_head``). Raises ``ValueError`` if no linear matches ``targets``.
    """
    adapted = copy.deepcopy(model)
    modules = dict(adapted.named_modules())
    names = [
        name
        for name, module in modules.items()
        if isinstance(module, nn.Linear)
        and not isinstance(modules[name.rpartition(".")[0]], LoRALinear)  # already adapted
        and any(t in name for t in targets)
    ]
    if not names:
        raise ValueError(f"no nn.Linear of the model has a name containing any of {targets}")
    for name in names:
        parent_name, _, child = name.rpartition(".")
        parent = adapted.get_submodule(parent_name)
        setattr(parent, child, LoRALinear(getattr(parent, child), rank, alpha, dropout))
    adapted.requires_grad_(False)
    for name, module in adapted.named_modules():
        if isinstance(module, LoRALinear):
            module.lora_A.requires_grad_(True)
            module.lora_B.requires_grad_(True)
        if any(name == t or name.startswith(t + ".") for t in trainable):
            module.requires_grad_(True)
    return adapted


def merge_lora(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with every :class:`LoRALinear` folded into a plain ``nn.Linear``.

    The merged layers keep their base's frozen state; outputs equal the LoRA model's (up to
    float rounding).
    """
    merged = copy.deepcopy(model)
    names = [name for name, m in merged.named_modules() if isinstance(m, LoRALinear)]
    for name in names:
        parent_name, _, child = name.rpartition(".")
        parent = merged.get_submodule(parent_name)
        lora: LoRALinear = getattr(parent, child)
        base = lora.base
        linear = nn.Linear(
            base.in_features,
            base.out_features,
            bias=base.bias is not None,
            device=base.weight.device,
            dtype=base.weight.dtype,
        )
        with torch.no_grad():
            linear.weight.copy_(lora.merged_weight())
            if base.bias is not None:
                linear.bias.copy_(base.bias)
        linear.requires_grad_(base.weight.requires_grad)
        setattr(parent, child, linear)
    return merged


def count_trainable(model: nn.Module) -> tuple[int, int]:
    """``(trainable, total)`` parameter counts of ``model``."""
    params = list(model.parameters())
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)
