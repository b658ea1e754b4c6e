"""The chromatin-ViT dataset: (gene, time point) MNase-image examples, one time point held out.

As in the chromatin-transformers paper, every gene at the test time points is a test example;
the training time points are split into training and validation by gene, so no gene is seen
in both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from regflow.errors import RegflowError


def validation_genes(level: np.ndarray, fraction: float, seed: int, bins: int = 10) -> np.ndarray:
    """Boolean mask (n_genes,) of the genes held out for validation: a seeded draw of
    ``fraction`` of the genes within each of ``bins`` quantile bins of ``level`` (e.g. mean
    expression), so training and validation both span the range, rare silent genes included.
    """
    if not 0.0 < fraction < 1.0:
        raise RegflowError(f"validation fraction must be in (0, 1), got {fraction}")
    level = np.asarray(level, dtype=np.float64)
    order = np.argsort(np.where(np.isfinite(level), level, -np.inf), kind="stable")
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(level), dtype=bool)
    for group in np.array_split(order, min(bins, len(level))):
        n_val = round(fraction * len(group))
        mask[rng.permutation(group)[:n_val]] = True
    if not mask.any():
        mask[rng.integers(len(level))] = True
    return mask


def vit_examples(
    gene_ids: np.ndarray,
    conditions: list[str],
    targets: np.ndarray,
    train_conditions: list[str],
    test_conditions: list[str],
    val_genes: np.ndarray,
) -> pd.DataFrame:
    """One row per (gene, condition) example with its split: ``train``, ``val`` or ``test``.

    Parameters
    ----------
    gene_ids : (n_genes,) gene names, in image order.
    conditions : the image conditions, in order.
    targets : (n_genes, n_conditions) log2(TPM + 1); examples with a missing target are left out.
    train_conditions, test_conditions : disjoint condition names.
    val_genes : (n_genes,) bool, genes whose training-condition examples validate.
    """
    overlap = set(train_conditions) & set(test_conditions)
    if overlap:
        raise RegflowError(f"conditions both trained on and tested: {', '.join(sorted(overlap))}")
    index = {c: i for i, c in enumerate(conditions)}
    unknown = [c for c in [*train_conditions, *test_conditions] if c not in index]
    if unknown:
        raise RegflowError(
            f"conditions {', '.join(unknown)} have no MNase images "
            f"(images have: {', '.join(conditions)})"
        )
    rows = []
    for split_conditions, is_test in ((train_conditions, False), (test_conditions, True)):
        for condition in split_conditions:
            j = index[condition]
            for g, gene in enumerate(gene_ids):
                if not np.isfinite(targets[g, j]):
                    continue
                split = "test" if is_test else ("val" if val_genes[g] else "train")
                rows.append((gene, g, condition, j, split))
    frame = pd.DataFrame(
        rows, columns=["gene_id", "gene_index", "condition", "condition_index", "split"]
    )
    for split in ("train", "val", "test"):
        if not (frame["split"] == split).any():
            raise RegflowError(f"the chromatin-ViT dataset has no {split} examples")
    return frame


def standardisation(values: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of ``values`` (any shape), for z-scoring with training stats."""
    values = np.asarray(values, dtype=np.float64)
    std = float(values.std())
    if not np.isfinite(std) or std == 0.0:
        raise RegflowError("training values are constant: they cannot be standardised")
    return float(values.mean()), std
