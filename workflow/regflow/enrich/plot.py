"""Dot plot of significant terms per query (motif), on the Agg canvas without ``pyplot``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

LABEL_CHARS = 60


def dot_plot(
    table: pd.DataFrame,
    queries: Sequence[str] | None = None,
    *,
    max_terms: int = 30,
    title: str = "Gene-set enrichment",
) -> Figure:
    """Significant terms (rows) by query (columns): dot size = intersection size, colour =
    -log10 adjusted p.

    Parameters
    ----------
    table
        Enrichment table (:data:`regflow.enrich.hypergeom.RESULT_COLUMNS`).
    queries
        Queries on the x axis, in order (default: those in ``table``), so queries without
        significant terms still show.
    max_terms
        Terms drawn at most: those with the smallest adjusted p-value in any query.
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        With a message instead of dots when no term is significant.
    """
    queries = list(dict.fromkeys(table["query"])) if queries is None else list(queries)
    hits = table[table["significant"].astype(bool)]
    if hits.empty:
        figure = Figure(figsize=(6, 3), layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        axes.set_axis_off()
        axes.text(0.5, 0.5, "no significant terms", ha="center", va="center", fontsize=14)
        axes.set_title(title)
        return figure
    best = hits.groupby("native")["p_adjusted"].min().sort_values(kind="stable")
    shown = best.index[:max_terms]
    hits = hits[hits["native"].isin(shown)]
    names = hits.drop_duplicates("native").set_index("native")["name"]
    terms = list(shown[::-1])  # best term at the top
    labels = [_label(native, names[native]) for native in terms]
    x = hits["query"].map({q: i for i, q in enumerate(queries)}).to_numpy()
    y = hits["native"].map({t: i for i, t in enumerate(terms)}).to_numpy()
    size = hits["intersection_size"].to_numpy(dtype=np.float64)
    colour = -np.log10(np.clip(hits["p_adjusted"].to_numpy(dtype=np.float64), 1e-300, 1.0))

    figure = Figure(
        figsize=(3 + 0.6 * len(queries) + 0.06 * LABEL_CHARS, 1.5 + 0.3 * len(terms)),
        layout="constrained",
    )
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    area = 30 + 270 * size / size.max()
    points = axes.scatter(
        x, y, s=area, c=colour, cmap="viridis", edgecolors="black", linewidths=0.4
    )
    figure.colorbar(points, ax=axes, label="-log10 adjusted p", shrink=0.6)
    for count in sorted({int(size.min()), int(np.median(size)), int(size.max())}):
        axes.scatter([], [], s=30 + 270 * count / size.max(), c="grey", label=str(count))
    axes.legend(title="genes", loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    axes.set_xticks(range(len(queries)), queries, rotation=90)
    axes.set_yticks(range(len(terms)), labels)
    axes.set_xlim(-0.5, len(queries) - 0.5)
    axes.set_ylim(-0.5, len(terms) - 0.5)
    axes.grid(alpha=0.3)
    axes.set_axisbelow(True)
    note = f" (top {len(terms)} of {len(best)} terms)" if len(best) > len(terms) else ""
    axes.set_title(title + note)
    return figure


def _label(native: str, name: str) -> str:
    """A term's axis label: its name, with its ID unless the name already holds it, shortened."""
    text = name if native in name else f"{name} ({native})"
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def png_writer(figure: Figure) -> Callable[[Path], None]:
    """A writer for :func:`regflow.io.write_outputs`: ``figure`` as PNG."""

    def write(path: Path) -> None:
        figure.savefig(path, format="png", dpi=150)

    return write
