"""1D-Swin Table 1: test Pearson per track group (ATAC, MNase, RNA, all) of each sequence model."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from regflow.errors import RegflowError
from regflow.figures.render import draw_table, new_figure

GROUP_LABELS = {"atac": "ATAC", "mnase": "MNase", "rna": "RNA", "all": "all"}


def pearson_table(by_assay: pd.DataFrame) -> pd.DataFrame:
    """Table 1 from ``pearson_by_assay.tsv``: model, parameters and one column per track group
    the models were trained on (in ATAC, MNase, RNA, all order)."""
    groups = [g for g in GROUP_LABELS if g in by_assay.columns]
    if "all" not in groups:
        raise RegflowError("the Pearson table has no 'all' column")
    table = by_assay[["model", "parameters", *groups]].rename(columns=GROUP_LABELS)
    return table.reset_index(drop=True)


def table_figure(table: pd.DataFrame) -> Figure:
    """Table 1 rendered, the best model of each group in bold."""
    groups = [c for c in table.columns if c not in ("model", "parameters")]
    shown = table.copy()
    shown[groups] = shown[groups].map(lambda v: f"{v:.3f}")
    bold = {(int(table[g].to_numpy().argmax()), table.columns.get_loc(g)) for g in groups}
    figure = new_figure(1.6 * len(table.columns), 0.8 + 0.35 * (len(table) + 1))
    axes = figure.add_subplot()
    draw_table(axes, shown, bold=bold)
    axes.set_title("Test Pearson per track group (best in bold)")
    return figure
