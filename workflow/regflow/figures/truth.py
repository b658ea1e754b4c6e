"""The truth-recovery table (simulated data) rendered: every measure, its goal and whether it
is met."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from regflow.figures.render import draw_table, new_figure

COLUMNS = ["stage", "measure", "value", "goal", "met"]
MET_COLOURS = {True: "#d9f0d3", False: "#f4cccc"}


def recovery_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table's stage, measure, value, goal and met columns (the source paths dropped)."""
    return table[COLUMNS].reset_index(drop=True)


def recovery_figure(table: pd.DataFrame) -> Figure:
    """The table drawn: goals met green, missed red, no goal white; the count in the title."""
    met = table["met"].map({True: True, False: False, "True": True, "False": False})
    shown = table.assign(
        value=table["value"].map(lambda v: f"{v:.3g}"),
        goal=table["goal"].fillna(""),
        met=met.map({True: "yes", False: "no"}).fillna(""),
    )
    colours = [[MET_COLOURS.get(m, "white")] * len(COLUMNS) for m in met]
    figure = new_figure(11, 0.9 + 0.26 * (len(table) + 1))
    axes = figure.add_subplot()
    draw_table(axes, shown, colours=colours)
    goals = met.notna()
    axes.set_title(
        f"Recovery of the simulated truth: {int(met[goals].sum())} of {int(goals.sum())} goals met"
    )
    return figure
