"""QC figures: fragment-length histograms and TSS-enrichment profiles of several samples.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas, never through
``pyplot``, so no global backend or figure state is touched.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from regflow.errors import RegflowError


def _figure() -> tuple[Figure, object]:
    figure = Figure(figsize=(7, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def fragment_length_figure(
    histograms: dict[str, pd.DataFrame],
    *,
    log_y: bool = False,
    normalise: bool = True,
    title: str = "Fragment lengths",
) -> Figure:
    """Overlaid fragment-length histograms.

    Parameters
    ----------
    histograms
        Sample name -> table with columns ``length`` and ``count``.
    log_y
        Logarithmic y axis.
    normalise
        Plot each sample's fraction of fragments per length, so depths do not matter.
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not histograms:
        raise RegflowError("no fragment-length histograms to plot")
    figure, axes = _figure()
    for sample, table in histograms.items():
        counts = table["count"].to_numpy(dtype=np.float64)
        total = counts.sum()
        if normalise and total > 0:
            counts = counts / total
        axes.plot(table["length"].to_numpy(), counts, label=sample, linewidth=1)
    if log_y:
        axes.set_yscale("log")
    axes.set_xlabel("fragment length (bp)")
    axes.set_ylabel("fraction of fragments" if normalise else "fragments")
    axes.set_title(title)
    axes.legend(fontsize="small", frameon=False)
    return figure


def tss_profile_figure(
    profiles: dict[str, pd.DataFrame], *, title: str = "TSS enrichment"
) -> Figure:
    """TSS-enrichment profiles with each sample's shuffled control (dashed, same colour).

    Parameters
    ----------
    profiles
        Sample name -> table with columns ``position`` and ``value`` (and ``shuffled``, drawn
        when present).
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not profiles:
        raise RegflowError("no TSS profiles to plot")
    figure, axes = _figure()
    for sample, table in profiles.items():
        position = table["position"].to_numpy()
        value = table["value"].to_numpy(dtype=np.float64)
        (line,) = axes.plot(position, value, linewidth=1, label=sample)
        if "shuffled" in table:
            axes.plot(
                position,
                table["shuffled"].to_numpy(dtype=np.float64),
                linewidth=0.8,
                linestyle="--",
                color=line.get_color(),
                label=f"{sample} shuffled",
            )
    axes.axvline(0, color="0.5", linewidth=0.6, linestyle=":")
    axes.axhline(1, color="0.5", linewidth=0.6, linestyle=":")
    axes.set_xlabel("distance from TSS (bp, strand-oriented)")
    axes.set_ylabel("insertions / flank mean")
    axes.set_title(title)
    axes.legend(fontsize="small", frameon=False)
    return figure


def png_writer(figure: Figure):
    """A writer for :func:`regflow.qc.io.write_outputs` saving ``figure`` as PNG."""

    def write(path: Path) -> None:
        figure.savefig(path, format="png", dpi=150)

    return write
