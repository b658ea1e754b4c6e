"""ChromBPNet at one locus: observed Tn5 insertions against the bias-corrected and uncorrected
predicted profiles, and each head's contribution scores as a logo-like track."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import PathPatch
from matplotlib.textpath import TextPath
from matplotlib.transforms import Affine2D

from regflow.errors import RegflowError
from regflow.figures.render import new_figure

BASES = "ACGT"
BASE_COLOURS = {"A": "tab:green", "C": "tab:blue", "G": "orange", "T": "tab:red", "N": "grey"}


def choose_locus(predictions: pd.DataFrame, candidates: set[str]) -> str:
    """The test-chromosome peak with the most observed insertions among ``candidates`` (the
    peaks with predicted profiles and contribution scores)."""
    test = predictions[
        (predictions["kind"] == "peak")
        & (predictions["split"] == "test")
        & predictions["name"].isin(candidates)
    ]
    if test.empty:
        raise RegflowError("no test-chromosome peak has both predicted profiles and contributions")
    return str(test.loc[test["observed_counts"].idxmax(), "name"])


def bases(one_hot: np.ndarray) -> np.ndarray:
    """Letters of a one-hot sequence (L, 4) in ACGT order; N where no base is set."""
    letters = np.array(list(BASES))[one_hot.argmax(axis=1)]
    return np.where(one_hot.sum(axis=1) > 0, letters, "N")


def locus_table(
    chrom: str,
    window_start: int,
    one_hot: np.ndarray,
    contributions: dict[str, np.ndarray],
    profile_start: int,
    profiles: dict[str, np.ndarray],
) -> pd.DataFrame:
    """Per base of the model's input window: position, base, each head's projected contribution
    (``contribution_<head>``) and, inside the output window, the observed and predicted
    insertions (``observed``, ``predicted_<kind>``; NaN outside).

    ``one_hot`` is (L, 4) and every contribution (L,) from ``window_start``; every profile is
    (out_len,) from ``profile_start``.
    """
    length = len(one_hot)
    table = pd.DataFrame(
        {"chrom": chrom, "position": window_start + np.arange(length), "base": bases(one_hot)}
    )
    offset = profile_start - window_start
    for name, values in profiles.items():
        if offset < 0 or offset + len(values) > length:
            raise RegflowError(f"the {name} profile lies outside the contribution window")
        column = np.full(length, np.nan)
        column[offset : offset + len(values)] = values
        table[name] = column
    for head, values in contributions.items():
        table[f"contribution_{head}"] = values
    return table


def draw_logo(axes: Axes, letters: np.ndarray, heights: np.ndarray, x0: int) -> None:
    """Letters scaled to their contribution (downwards when negative), one per position."""
    font = FontProperties(family="DejaVu Sans", weight="bold")
    for i, (letter, height) in enumerate(zip(letters, heights, strict=True)):
        if height == 0:
            continue
        path = TextPath((0, 0), letter, size=1, prop=font)
        box = path.get_extents()
        place = (
            Affine2D()
            .translate(-box.x0, -box.y0)
            .scale(0.9 / box.width, height / box.height)
            .translate(x0 + i - 0.45, 0)
        )
        patch = PathPatch(place.transform_path(path), color=BASE_COLOURS[letter], linewidth=0)
        axes.add_patch(patch)
    low, high = min(0.0, heights.min()), max(0.0, heights.max())
    pad = 0.05 * (high - low or 1.0)
    axes.set_xlim(x0 - 0.5, x0 + len(letters) - 0.5)
    axes.set_ylim(low - pad, high + pad)
    axes.axhline(0, color="0.5", linewidth=0.5)


def locus_figure(table: pd.DataFrame, name: str, zoom: int) -> Figure:
    """Profiles over the output window; per head, contributions over the input window (bars
    coloured by base) and a logo of the ``zoom`` bp around the strongest contribution."""
    heads = [
        c.removeprefix("contribution_") for c in table.columns if c.startswith("contribution_")
    ]
    figure = new_figure(12, 2.6 + 2.0 * len(heads))
    grid = figure.add_gridspec(1 + len(heads), 2, width_ratios=[2.2, 1])
    position = table["position"].to_numpy()
    inside = table["observed"].notna().to_numpy()
    top = figure.add_subplot(grid[0, :])
    top.fill_between(
        position[inside], table["observed"][inside], step="mid", color="0.75", label="observed"
    )
    for kind, colour in (("predicted_uncorrected", "tab:red"), ("predicted_corrected", "tab:blue")):
        top.plot(
            position[inside],
            table[kind][inside],
            color=colour,
            linewidth=1,
            label=kind.replace("_", " "),
        )
    top.set_xlim(position[0], position[-1])
    top.set_ylabel("Tn5 insertions")
    top.legend(fontsize=8, frameon=False, loc="upper right")
    top.set_title(f"{name}: observed vs predicted profile (bias-corrected and uncorrected)")
    letters = table["base"].to_numpy()
    for row, head in enumerate(heads, start=1):
        values = table[f"contribution_{head}"].to_numpy(dtype=np.float64)
        track = figure.add_subplot(grid[row, 0], sharex=top)
        track.bar(position, values, width=1.0, color=[BASE_COLOURS[b] for b in letters])
        track.axvspan(position[inside][0], position[inside][-1], color="0.9", zorder=0)
        track.set_ylabel(f"{head}\ncontribution", fontsize=8)
        centre = int(np.flatnonzero(inside)[np.argmax(np.abs(values[inside]))])
        lo = max(0, min(centre - zoom // 2, len(values) - zoom))
        logo = figure.add_subplot(grid[row, 1])
        draw_logo(logo, letters[lo : lo + zoom], values[lo : lo + zoom], int(position[lo]))
        logo.set_title(f"{head}: strongest {zoom} bp", fontsize=8)
        logo.ticklabel_format(useOffset=False, style="plain", axis="x")
    track.set_xlabel(f"{table['chrom'].iloc[0]} position (bp)")
    return figure
