"""Typhoon panels: a grid of MNase images, two rows per gene (raw, smoothed), one column per
condition, fragment length on y and midpoint position on x with the TSS marked.

Built on :class:`matplotlib.figure.Figure` with the Agg canvas, never through ``pyplot``.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def typhoon_figure(
    raw: np.ndarray,
    smoothed: np.ndarray,
    gene_ids: list[str],
    conditions: list[str],
    origin: np.ndarray,
    length_edges: np.ndarray,
    position_edges: np.ndarray,
    rows_per_class: int,
    title: str,
) -> Figure:
    """A (2 * genes) x conditions grid of images.

    Parameters
    ----------
    raw, smoothed
        Shape ``(n_genes, n_conditions, n_rows, n_columns)``.
    gene_ids
        ``n_genes`` names, one per image row pair.
    conditions
        ``n_conditions`` names.
    origin
        Shape ``(n_genes,)``, each frame's origin in bp relative to the TSS (the TSS is drawn
        at ``-origin``).
    length_edges
        Shape ``(n_rows, 2)``, lengths ``[lo, hi)`` of each row.
    position_edges
        Shape ``(n_columns + 1,)``, column edges in bp relative to the origin.
    rows_per_class
        Rows of one length class (class borders are drawn between them).
    title
        Figure title.
    """
    n_genes, n_conditions, n_rows, _ = raw.shape
    figure = Figure(figsize=(1.0 + 2.2 * n_conditions, 0.8 + 2.6 * n_genes), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(2 * n_genes, n_conditions, squeeze=False, sharex=True, sharey=True)
    borders = np.arange(0, n_rows + 1, rows_per_class)  # class borders, in rows
    labels = [f"{length_edges[min(r, n_rows - 1), 0 if r < n_rows else 1]:g}" for r in borders]
    extent = (position_edges[0], position_edges[-1], 0, n_rows)
    for g in range(n_genes):
        for kind, stack in enumerate((raw[g], smoothed[g])):  # stack: (n_conditions, rows, cols)
            vmax = max(float(np.percentile(stack, 99.5)), 1e-12)
            for c in range(n_conditions):
                ax = axes[2 * g + kind, c]
                ax.imshow(
                    stack[c],
                    origin="lower",
                    aspect="auto",
                    cmap="magma_r",
                    vmin=0,
                    vmax=vmax,
                    extent=extent,
                    interpolation="none",
                )
                ax.axvline(-origin[g], color="tab:blue", lw=0.8)
                for border in borders[1:-1]:
                    ax.axhline(border, color="0.6", lw=0.5, ls=":")
                ax.set_yticks(borders, labels, fontsize=6)
                ax.tick_params(axis="x", labelsize=6)
                name = "raw" if kind == 0 else "smoothed"
                ax.set_title(f"{gene_ids[g]} {conditions[c]} ({name})", fontsize=7)
            axes[2 * g + kind, 0].set_ylabel("length (bp)", fontsize=7)
    for c in range(n_conditions):
        axes[-1, c].set_xlabel("midpoint (bp from frame origin; TSS blue)", fontsize=6)
    figure.suptitle(title)
    return figure
