"""Shared drawing helpers: a pyplot-free figure and a table drawn on axes."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def new_figure(width: float, height: float) -> Figure:
    """A constrained-layout figure on the Agg canvas (no global ``pyplot`` state)."""
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def draw_table(
    axes: Axes, frame: pd.DataFrame, *, bold: set[tuple[int, int]] = frozenset(), colours=None
) -> None:
    """``frame`` as a table filling ``axes``; ``bold`` holds (row, column) cells to emphasise and
    ``colours`` an optional (rows, columns) grid of cell colours; an empty ``frame`` is drawn
    as a note (matplotlib cannot draw a table without rows)."""
    axes.set_axis_off()
    if frame.empty:
        axes.text(0.5, 0.5, "(none)", ha="center", va="center")
        return
    table = axes.table(
        cellText=frame.astype(str).to_numpy(),
        colLabels=[str(c) for c in frame.columns],
        cellColours=colours,
        cellLoc="center",
        bbox=(0.0, 0.0, 1.0, 1.0),  # fill the axes: rows share its height
    )
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    table.auto_set_column_width(list(range(len(frame.columns))))
    for (row, column), cell in table.get_celld().items():
        if row == 0 or (row - 1, column) in bold:
            cell.set_text_props(weight="bold")
