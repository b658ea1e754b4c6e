"""Attention rollout of the chromatin ViT (Abnar & Zuidema 2020, as the chromatin-transformers
paper's Figure 3 uses it): which image patches the class token draws on through all layers.

Per layer the heads' attention is averaged, the weakest attentions are dropped, the residual
connection is accounted for by ``(A + I) / 2`` and the rows are renormalised; the layers'
matrices are multiplied, first layer applied first. Token 0 is the class token and tokens
``1 ... gh * gw`` the patches in row-major grid order (:mod:`regflow.models.vit`), so the class
token's row of the rollout, reshaped to the patch grid and repeated over each patch's pixels,
lies on the image.
"""

from __future__ import annotations

import numpy as np


def discard_lowest(attn: np.ndarray, discard_ratio: float) -> np.ndarray:
    """Set the weakest patch-to-patch attentions to 0, never the class token's.

    Parameters
    ----------
    attn
        ``(..., T, T)`` attention of one layer (heads averaged); token 0 is the class token.
    discard_ratio
        Fraction in ``[0, 1]`` of the ``(T - 1)**2`` patch-to-patch entries of each matrix
        dropped, lowest first (ties in row-major order).

    Returns
    -------
    numpy.ndarray
        ``(..., T, T)``, a copy. The class token's row (what it reads) and column (what reads
        it) are always kept: the chromatin-transformers reference exempts the class token from
        the discard, and here that holds for all its entries.
    """
    if not 0.0 <= discard_ratio <= 1.0:
        raise ValueError(f"discard_ratio must be in [0, 1], got {discard_ratio}")
    out = np.array(attn, dtype=np.float64)
    n = out.shape[-1] - 1
    n_drop = int(discard_ratio * n * n)
    if n_drop == 0:
        return out
    patches = out[..., 1:, 1:].reshape(*out.shape[:-2], n * n)  # (..., n * n), a copy
    lowest = np.argsort(patches, axis=-1, kind="stable")[..., :n_drop]
    np.put_along_axis(patches, lowest, 0.0, axis=-1)
    out[..., 1:, 1:] = patches.reshape(*out.shape[:-2], n, n)
    return out


def attention_rollout(attn: np.ndarray, discard_ratio: float = 0.0) -> np.ndarray:
    """Roll the attention up through the layers.

    Parameters
    ----------
    attn
        ``(..., depth, heads, T, T)`` attention probabilities, first layer first (rows sum to
        1), e.g. one channel of :meth:`ChromatinViT.forward` with ``return_attention``.
    discard_ratio
        Fraction of each layer's patch-to-patch attentions dropped (:func:`discard_lowest`).

    Returns
    -------
    numpy.ndarray
        ``(..., T, T)`` rollout ``R = A_depth ... A_1`` with ``A_l`` the row-normalised
        ``(discarded head mean + I) / 2`` of layer ``l``; rows sum to 1. ``R[..., i, j]`` is
        how much of token ``i``'s output flows from input token ``j``.
    """
    layers = discard_lowest(np.asarray(attn, dtype=np.float64).mean(axis=-3), discard_ratio)
    n_tokens = layers.shape[-1]
    layers = (layers + np.eye(n_tokens)) / 2.0  # (..., depth, T, T)
    layers /= layers.sum(axis=-1, keepdims=True)
    rollout = np.broadcast_to(np.eye(n_tokens), layers.shape[:-3] + (n_tokens, n_tokens))
    for depth in range(layers.shape[-3]):
        rollout = layers[..., depth, :, :] @ rollout
    return np.array(rollout)


def cls_patch_map(rollout: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """The class token's rollout to the patches on the patch grid.

    Parameters
    ----------
    rollout
        ``(..., T, T)`` with ``T = 1 + gh * gw``.
    grid
        ``(gh, gw)`` patch rows and columns.

    Returns
    -------
    numpy.ndarray
        ``(..., gh, gw)``, summing to 1 over the patches; all 0 where the class token draws
        nothing from the patches.
    """
    gh, gw = grid
    if rollout.shape[-1] != 1 + gh * gw:
        raise ValueError(
            f"rollout of {rollout.shape[-1]} tokens does not fit a {gh} x {gw} patch grid "
            "and a class token"
        )
    weights = rollout[..., 0, 1:]  # (..., gh * gw)
    total = weights.sum(axis=-1, keepdims=True)
    shares = np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)
    return shares.reshape(*weights.shape[:-1], gh, gw)


def upsample(patch_map: np.ndarray, patch: int) -> np.ndarray:
    """Each patch's value over its ``patch x patch`` pixels: ``(..., gh, gw)`` ->
    ``(..., gh * patch, gw * patch)``; patch ``(r, c)`` fills rows ``r * patch ... (r + 1) *
    patch - 1`` and columns ``c * patch ... (c + 1) * patch - 1``, the pixels it was cut from."""
    return np.repeat(np.repeat(patch_map, patch, axis=-2), patch, axis=-1)
