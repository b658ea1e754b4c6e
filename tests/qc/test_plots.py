"""QC plots: non-empty PNGs with titles and labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regflow.errors import RegflowError
from regflow.io import write_outputs
from regflow.qc.plots import fragment_length_figure, png_writer, tss_profile_figure

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _hist(scale: float) -> pd.DataFrame:
    length = np.arange(1, 1001)
    count = np.rint(scale * 1000 * np.exp(-0.5 * ((length - 60) / 20) ** 2)) + 1
    return pd.DataFrame({"length": length, "count": count.astype(int)})


def _profile(height: float) -> pd.DataFrame:
    position = np.arange(-2000, 2001)
    value = 1 + (height - 1) * np.exp(-0.5 * (position / 80) ** 2)
    return pd.DataFrame({"position": position, "value": value, "shuffled": np.ones(4001)})


@pytest.mark.parametrize("log_y", [False, True])
def test_fragment_length_png(tmp_path, log_y):
    figure = fragment_length_figure({"a": _hist(1), "b": _hist(3)}, log_y=log_y, title="T")
    axes = figure.axes[0]
    assert axes.get_title() == "T"
    assert axes.get_xlabel() == "fragment length (bp)"
    assert axes.get_yscale() == ("log" if log_y else "linear")
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["a", "b"]
    out = tmp_path / "lengths.png"
    write_outputs({out: png_writer(figure)})
    data = out.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 5_000


def test_tss_png_with_controls(tmp_path):
    figure = tss_profile_figure({"a": _profile(6), "b": _profile(3).drop(columns="shuffled")})
    axes = figure.axes[0]
    assert axes.get_title() == "TSS enrichment"
    assert "TSS" in axes.get_xlabel() and axes.get_ylabel()
    labels = [t.get_text() for t in axes.get_legend().get_texts()]
    assert labels == ["a", "a shuffled", "b"]
    out = tmp_path / "tss.png"
    write_outputs({out: png_writer(figure)})
    assert out.read_bytes().startswith(PNG_MAGIC) and out.stat().st_size > 5_000


def test_nothing_to_plot():
    with pytest.raises(RegflowError):
        fragment_length_figure({})
    with pytest.raises(RegflowError):
        tss_profile_figure({})
