"""ChromBPNet's discovered motifs: the top TF-MoDISco patterns of each run, as a table."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from regflow.figures.render import draw_table, new_figure

COLUMNS = ("pattern", "n_seqlets", "best_match_name", "best_match_qvalue", "significant")


def top_patterns(patterns: dict[str, pd.DataFrame], n_rows: int) -> pd.DataFrame:
    """The ``n_rows`` patterns with most seqlets of each run (``patterns.tsv`` by run name)."""
    tables = [
        table.sort_values("n_seqlets", ascending=False, kind="stable")[list(COLUMNS)]
        .head(n_rows)
        .assign(run=run)
        for run, table in patterns.items()
    ]
    return pd.concat(tables, ignore_index=True)[["run", *COLUMNS]]


def patterns_figure(table: pd.DataFrame) -> Figure:
    """The table rendered; significant matches (TOMTOM q-value) shaded green."""
    shown = table.assign(
        pattern=table["pattern"].str.replace("_patterns.pattern_", " ", regex=False),
        best_match_qvalue=table["best_match_qvalue"].map(lambda q: f"{q:.2g}"),
    )
    colours = [
        ["#d9f0d3" if significant else "white"] * len(shown.columns)
        for significant in table["significant"].astype(bool)
    ]
    figure = new_figure(10, 0.8 + 0.3 * (len(table) + 1))
    axes = figure.add_subplot()
    draw_table(axes, shown, colours=colours)
    axes.set_title("Top TF-MoDISco patterns per model and head (green: significant match)")
    return figure
