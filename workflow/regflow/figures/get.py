"""GET figures: the gene x motif heatmap of the top motifs, the enrichment dot plot of the most
enriched motifs, and held-out Pearson of GET against its random-forest baseline per split."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from regflow.enrich.plot import dot_plot
from regflow.figures.render import new_figure


def top_motif_matrix(gene_x_motif: pd.DataFrame, n_motifs: int) -> pd.DataFrame:
    """The ``n_motifs`` motifs with the largest mean |score| (genes x motifs, gene_id index),
    genes in blocks by their most activating (largest) of those motifs, by that score within."""
    scores = gene_x_motif.set_index("gene_id")
    top = scores.abs().mean().sort_values(ascending=False, kind="stable").index[:n_motifs]
    matrix = scores[top]
    strongest = matrix.to_numpy().argmax(axis=1)  # (genes,)
    peak = matrix.to_numpy().max(axis=1)
    order = np.lexsort((-peak, strongest))
    return matrix.iloc[order]


def heatmap_figure(matrix: pd.DataFrame) -> Figure:
    """Genes x top motifs, diverging colours symmetric about 0."""
    values = matrix.to_numpy(dtype=np.float64)
    limit = float(np.nanmax(np.abs(values))) or 1.0
    figure = new_figure(2.5 + 0.35 * matrix.shape[1], 6)
    axes = figure.add_subplot()
    image = axes.imshow(
        values, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest"
    )
    axes.set_xticks(range(matrix.shape[1]), matrix.columns, rotation=90, fontsize=8)
    axes.set_yticks([])
    axes.set_ylabel(f"{matrix.shape[0]} genes (grouped by most activating motif)")
    figure.colorbar(image, ax=axes, label="gradient x input (mean over regions)", shrink=0.7)
    axes.set_title(f"GET gene x motif: top {matrix.shape[1]} motifs by mean |score|")
    return figure


def top_enriched(enrichment: pd.DataFrame, n_motifs: int) -> tuple[pd.DataFrame, list[str]]:
    """The rows of the ``n_motifs`` queries (motifs) with the smallest adjusted p-value, and
    those queries, most enriched first."""
    best = enrichment.groupby("query")["p_adjusted"].min().sort_values(kind="stable")
    queries = list(best.index[:n_motifs])
    rows = enrichment[enrichment["query"].isin(queries)]
    rows = rows.assign(rank=rows["query"].map({q: i for i, q in enumerate(queries)}))
    rows = rows.sort_values(["rank", "p_adjusted"], kind="stable").drop(columns="rank")
    return rows.reset_index(drop=True), queries


def enrichment_figure(rows: pd.DataFrame, queries: list[str], n_terms: int) -> Figure:
    """The enrichment dot plot (:func:`regflow.enrich.plot.dot_plot`) of the chosen motifs."""
    return dot_plot(rows, queries, max_terms=n_terms, title="Gene-set enrichment of top motifs")


def split_pearson(models: dict[str, dict]) -> pd.DataFrame:
    """Held-out Pearson per split (every split but ``train``) of each model's ``metrics.json``:
    one row per split and model, in the first model's split order."""
    first = next(iter(models.values()))
    splits = [s for s in first["splits"] if s != "train"]
    rows = [
        {
            "split": split,
            "model": model,
            "n": m["splits"][split]["n"],
            "pearson": m["splits"][split]["pearson"],
        }
        for split in splits
        for model, m in models.items()
        if split in m["splits"]
    ]
    return pd.DataFrame(rows, columns=["split", "model", "n", "pearson"])


def split_figure(table: pd.DataFrame) -> Figure:
    """Grouped bars: Pearson of each model on each held-out split."""
    splits = list(dict.fromkeys(table["split"]))
    models = list(dict.fromkeys(table["model"]))
    width = 0.8 / len(models)
    figure = new_figure(1.5 + 1.4 * len(splits), 4)
    axes = figure.add_subplot()
    for i, model in enumerate(models):
        rows = table[table["model"] == model].set_index("split").reindex(splits)
        x = np.arange(len(splits)) + (i - (len(models) - 1) / 2) * width
        axes.bar(x, rows["pearson"], width, label=model)
        for xi, value in zip(x, rows["pearson"], strict=True):
            if np.isfinite(value):
                axes.text(xi, value, f"{value:.2f}", ha="center", va="bottom", fontsize=7)
    axes.set_xticks(range(len(splits)), [s.replace("_", "\n") for s in splits], fontsize=8)
    axes.axhline(0, color="0.5", linewidth=0.6)
    axes.set_ylabel("Pearson r, log10(TPM + 1) at TSS peaks")
    axes.legend(fontsize=8, frameon=False)
    axes.set_title("Held-out Pearson: GET vs its baseline")
    return figure
