"""QC panels: fragment-size distributions, TSS-enrichment profiles and FRiP per sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from regflow.figures.render import new_figure


def median_length(histogram: pd.DataFrame) -> float:
    """Median fragment length of a ``length``/``count`` histogram (NaN when empty)."""
    counts = histogram["count"].to_numpy(dtype=np.float64)
    if counts.sum() == 0:
        return float("nan")
    cumulative = np.cumsum(counts)
    return float(histogram["length"].to_numpy()[np.searchsorted(cumulative, cumulative[-1] / 2)])


def qc_summary(
    qc_table: pd.DataFrame, histograms: dict[str, pd.DataFrame], profiles: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    """Per sample of the QC table: fragments and median length (from its histogram), TSS
    enrichment and FRiP (from the QC table; empty where the sample has none)."""
    table = qc_table.set_index("sample")
    rows = []
    for sample in table.index:
        histogram = histograms.get(sample)
        rows.append(
            {
                "sample": sample,
                "fragments": int(histogram["count"].sum()) if histogram is not None else None,
                "median_fragment_length": (
                    median_length(histogram) if histogram is not None else None
                ),
                "tss_enrichment": (
                    table.loc[sample, "tss_enrichment"] if sample in profiles else None
                ),
                "frip": table.loc[sample].get("frip"),
            }
        )
    return pd.DataFrame(rows)


def qc_figure(
    summary: pd.DataFrame, histograms: dict[str, pd.DataFrame], profiles: dict[str, pd.DataFrame]
) -> Figure:
    """One panel per measure the samples have: fragment-length fractions, TSS profiles (each
    sample's enrichment in the legend) and FRiP bars."""
    frip = summary.dropna(subset=["frip"])
    panels = [bool(histograms), bool(profiles), not frip.empty]
    figure = new_figure(5.5 * sum(panels), 4.5)
    axes = iter(figure.subplots(1, sum(panels), squeeze=False)[0])
    if histograms:
        ax = next(axes)
        for sample, histogram in histograms.items():
            counts = histogram["count"].to_numpy(dtype=np.float64)
            ax.plot(histogram["length"], counts / max(counts.sum(), 1), linewidth=0.8, label=sample)
        ax.set_xlabel("fragment length (bp)")
        ax.set_ylabel("fraction of fragments")
        ax.set_xlim(0, 600)
        ax.set_title("Fragment sizes")
        ax.legend(fontsize=6, frameon=False, ncol=2)
    if profiles:
        ax = next(axes)
        enrichment = summary.set_index("sample")["tss_enrichment"]
        for sample, profile in profiles.items():
            ax.plot(
                profile["position"],
                profile["value"],
                linewidth=0.8,
                label=f"{sample} ({enrichment[sample]:.1f})",
            )
        ax.axhline(1, color="0.5", linewidth=0.6, linestyle=":")
        ax.set_xlabel("distance from TSS (bp)")
        ax.set_ylabel("insertions / flank mean")
        ax.set_title("TSS enrichment")
        ax.legend(fontsize=6, frameon=False)
    if not frip.empty:
        ax = next(axes)
        ax.barh(np.arange(len(frip))[::-1], frip["frip"], color="tab:blue")
        ax.set_yticks(np.arange(len(frip))[::-1], frip["sample"], fontsize=7)
        ax.set_xlabel("fraction of insertions in peaks")
        ax.set_xlim(0, 1)
        ax.set_title("FRiP")
    return figure
