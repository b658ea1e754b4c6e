"""Chromatin-transformers Figures 2A, 2B and 3: test R^2 per ViT variant and the GP baseline,
predicted against true expression of the best variant, and one gene's attention over time."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from regflow.errors import RegflowError
from regflow.figures.render import new_figure

ARCHITECTURE_COLOURS = {
    "dual channel, two trunks": "tab:blue",
    "dual channel, shared trunk": "tab:orange",
    "single channel": "tab:green",
    "Gaussian process": "tab:grey",
}


def architecture(variant: dict) -> str:
    """The architecture a ViT variant's ``metrics.json`` ``variant`` block describes."""
    if variant["channels"] == 1:
        return "single channel"
    return "dual channel, shared trunk" if variant["shared_trunk"] else "dual channel, two trunks"


def r2_table(variants: dict[str, dict], baseline: dict) -> pd.DataFrame:
    """One row per model: name, architecture, first channel, test n and R^2 (log2(TPM + 1)).

    ``variants`` maps each variant's name to its ``metrics.json``; ``baseline`` is the GP's.
    Rows are sorted by R^2, best first.
    """
    rows = []
    for name, metrics in variants.items():
        variant = metrics["variant"]
        first = variant["first_channel"] if variant["channels"] == 2 else "none"
        rows.append((name, architecture(variant), first, metrics["splits"]["test"]))
    rows.append(
        (
            "gaussian_process",
            "Gaussian process",
            baseline["first_channel"],
            baseline["splits"]["test"],
        )
    )
    table = pd.DataFrame(
        [
            {
                "model": n,
                "architecture": a,
                "first_channel": f,
                "n_test": t["n"],
                "test_r2": t["r2"],
            }
            for n, a, f, t in rows
        ]
    )
    return table.sort_values("test_r2", ascending=False, kind="stable").reset_index(drop=True)


def r2_figure(table: pd.DataFrame) -> Figure:
    """Figure 2A: test R^2 per model, coloured by architecture, labelled with the first channel."""
    figure = new_figure(7, 1.2 + 0.45 * len(table))
    axes = figure.add_subplot()
    y = np.arange(len(table))[::-1]  # best at the top
    colours = [ARCHITECTURE_COLOURS[a] for a in table["architecture"]]
    axes.barh(y, table["test_r2"], color=colours)
    for yi, value in zip(y, table["test_r2"], strict=True):
        axes.text(value, yi, f" {value:.3f}", va="center", fontsize=8)
    labels = [
        f"{m}\n(first channel {f})"
        for m, f in zip(table["model"], table["first_channel"], strict=True)
    ]
    axes.set_yticks(y, labels, fontsize=8)
    axes.set_xlabel("test R² of log2(TPM + 1)")
    shown = [a for a in ARCHITECTURE_COLOURS if a in set(table["architecture"])]
    handles = [Patch(color=ARCHITECTURE_COLOURS[a], label=a) for a in shown]
    axes.legend(handles=handles, fontsize=8, frameon=False, loc="lower right")
    axes.set_xlim(min(0.0, table["test_r2"].min()), max(1.0, table["test_r2"].max() * 1.1))
    axes.set_title("Test R² by architecture and first channel")
    return figure


def r_squared(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot of ``predicted`` against ``truth`` (n,)."""
    residual = np.sum((truth - predicted) ** 2)
    total = np.sum((truth - truth.mean()) ** 2)
    return float(1.0 - residual / total) if total > 0 else float("nan")


def test_set_points(predictions: pd.DataFrame, variant: str) -> pd.DataFrame:
    """The test rows of a run's ``predictions.tsv`` (gene, condition, truth, prediction)."""
    test = predictions[predictions["split"] == "test"]
    if test.empty:
        raise RegflowError(f"ViT variant {variant} has no test predictions")
    columns = ["gene_id", "condition", "log2_tpm", "predicted_log2_tpm"]
    return test[columns].reset_index(drop=True).assign(variant=variant)


def scatter_figure(points: pd.DataFrame) -> Figure:
    """Figure 2B: predicted against true log2(TPM + 1) on the test set, with R^2 in the title."""
    truth = points["log2_tpm"].to_numpy(dtype=np.float64)
    predicted = points["predicted_log2_tpm"].to_numpy(dtype=np.float64)
    figure = new_figure(5, 5)
    axes = figure.add_subplot()
    axes.scatter(truth, predicted, s=8, alpha=0.6, color="tab:blue", linewidths=0)
    low, high = min(truth.min(), predicted.min()), max(truth.max(), predicted.max())
    axes.plot([low, high], [low, high], color="0.4", linewidth=0.8, linestyle="--")
    axes.set_xlabel("true log2(TPM + 1)")
    axes.set_ylabel("predicted log2(TPM + 1)")
    axes.set_aspect("equal")
    variant = points["variant"].iloc[0]
    axes.set_title(f"{variant}: test R² = {r_squared(truth, predicted):.3f} (n = {len(points)})")
    return figure


def gene_index(genes: np.ndarray, gene: str) -> int:
    """Position of ``gene`` among the genes of ``attention.npz`` (the first when ``gene`` is "")."""
    names = [str(g) for g in genes]
    if not names:
        raise RegflowError("the attention maps hold no genes")
    if not gene:
        return 0
    if gene not in names:
        raise RegflowError(f"gene {gene} has no attention maps (mapped: {', '.join(names)})")
    return names.index(gene)


ATTENTION_KEYS = ("genes", "conditions", "channels", "has_example", "splits", "images", "maps")
ATTENTION_KEYS += ("log2_tpm", "predicted_log2_tpm", "position_bp", "length_edges")
PER_GENE = ("has_example", "splits", "images", "maps", "log2_tpm", "predicted_log2_tpm")
PER_GENE += ("position_bp",)


def gene_slice(arrays: dict[str, np.ndarray], index: int) -> dict[str, np.ndarray]:
    """One gene's slices of the ``attention.npz`` arrays that are per gene (first axis G)."""
    return {key: arrays[key][index] for key in PER_GENE}


def gene_rows(attention: pd.DataFrame, gene: str) -> pd.DataFrame:
    """The rows of ``attention.tsv`` of one gene (truth, predictions, attention summaries)."""
    rows = attention[attention["gene_id"].astype(str) == gene]
    if rows.empty:
        raise RegflowError(f"the attention table has no rows for gene {gene}")
    return rows.reset_index(drop=True)
