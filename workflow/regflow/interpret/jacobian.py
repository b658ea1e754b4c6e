"""GET's Jacobian interpretation: how each region feature moves a gene's TSS output.

For a window of regions ``x`` ``(R, F)`` and one output (the TSS region's expression on the
gene's strand), the gradient with respect to ``x`` times ``x`` is each region feature's
contribution; averaged over the window's regions it gives one score per feature, and over
genes a gene x motif matrix (Fu et al., GET: "mean over regions of gradient x input").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch


def output_jacobians(model: torch.nn.Module, x: torch.Tensor, outputs: np.ndarray) -> torch.Tensor:
    """Gradients ``(B, K, R, F)`` of ``K`` outputs with respect to the inputs ``x`` ``(B, R, F)``.

    ``outputs`` ``(K, 2)`` holds (region position in the window, strand index) pairs; the
    model maps ``(B, R, F)`` to ``(B, R, 2)``. Windows of a batch are independent (no
    batch-level layers in eval mode), so one backward pass per output serves every window.
    The model's train/eval mode is restored afterwards.
    """
    was_training = model.training
    model.eval()
    try:
        x = x.detach().clone().requires_grad_(True)
        y = model(x)  # (B, R, 2)
        grads = []
        for k, (position, strand) in enumerate(np.asarray(outputs, dtype=np.int64)):
            selector = torch.zeros_like(y)
            selector[:, position, strand] = 1.0
            (grad,) = torch.autograd.grad(y, x, selector, retain_graph=k < len(outputs) - 1)
            grads.append(grad)  # (B, R, F)
        if not grads:
            return x.new_zeros((x.shape[0], 0, *x.shape[1:]))
        return torch.stack(grads, dim=1).detach()  # (B, K, R, F)
    finally:
        model.train(was_training)


def gradient_x_input(grads: np.ndarray, x: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Mean over a window's real regions of gradient x input: ``(..., R, F)`` -> ``(..., F)``.

    ``valid`` ``(..., R)`` marks real regions (padding is excluded from the mean).
    """
    weight = valid.astype(np.float64)[..., None]  # (..., R, 1)
    total = (grads * x * weight).sum(axis=-2)  # (..., F)
    return total / np.maximum(weight.sum(axis=-2), 1.0)


def feature_ranks(matrix: np.ndarray) -> np.ndarray:
    """Rank of every feature within each row, 1 = the largest value: ``(G, F)`` -> ``(G, F)``.

    Ties share the worst rank of their group, so a tie never flatters a feature.
    """
    ranked = pd.DataFrame(matrix).rank(axis=1, ascending=False, method="max")
    return ranked.to_numpy(dtype=np.int64)


def planted_motif_ranks(
    matrix: pd.DataFrame, targets: dict[str, list[str]], feature_of: dict[str, str], top_k: int
) -> pd.DataFrame:
    """How highly each planted TF's motif feature ranks among its target genes' features.

    Parameters
    ----------
    matrix : genes x features importance (index gene ids).
    targets : TF -> its target gene ids (the simulator's truth).
    feature_of : TF -> the feature (motif cluster) holding its motif.
    top_k : the rank a TF must reach to count as recovered.

    Returns
    -------
    pandas.DataFrame
        One row per TF: ``feature``, ``n_targets`` (scored target genes), ``rank_of_mean``
        (rank of the TF's feature in the mean row of its targets), ``median_gene_rank``,
        ``fraction_genes_top_k``, ``recovered`` (``rank_of_mean <= top_k``).
    """
    rows = []
    columns = list(matrix.columns)
    for tf in sorted(targets):
        feature = feature_of[tf]
        genes = [g for g in targets[tf] if g in matrix.index]
        row = {"tf": tf, "feature": feature, "n_targets": len(genes)}
        if not genes or feature not in columns:
            rows.append(
                {
                    **row,
                    "rank_of_mean": np.nan,
                    "median_gene_rank": np.nan,
                    "fraction_genes_top_k": np.nan,
                    "recovered": False,
                }
            )
            continue
        j = columns.index(feature)
        values = matrix.loc[genes].to_numpy(dtype=np.float64)  # (n_targets, F)
        mean_rank = int(feature_ranks(values.mean(axis=0, keepdims=True))[0, j])
        gene_ranks = feature_ranks(values)[:, j]
        rows.append(
            {
                **row,
                "rank_of_mean": mean_rank,
                "median_gene_rank": float(np.median(gene_ranks)),
                "fraction_genes_top_k": float(np.mean(gene_ranks <= top_k)),
                "recovered": mean_rank <= top_k,
            }
        )
    return pd.DataFrame(rows)


def expected_regulators(
    activity: pd.DataFrame, effects: dict[str, float], training: list[str], min_activity: float
) -> pd.Series:
    """Which planted TFs a model trained on ``training`` conditions can have learned.

    A TF counts when it changes expression (``effects[tf] != 0``) and is active, at least
    ``min_activity``, in some training condition; the rest are controls (an insulator with no
    effect, a TF active only in a held-out condition).

    Parameters
    ----------
    activity : TF x condition activity (the simulator's ``tf_activity.tsv``, index TF names).
    effects : TF -> its effect on expression.
    training : the conditions the model was trained on.
    min_activity : the activity that counts as active.
    """
    unknown = sorted(set(activity.index) - set(effects))
    if unknown:
        raise ValueError(f"no effect given for TFs {', '.join(unknown)}")
    active = activity[training].max(axis=1) >= min_activity
    changes = pd.Series({tf: effects[tf] != 0 for tf in activity.index})
    return (active & changes).rename("expected")
