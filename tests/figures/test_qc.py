"""QC panels: per-sample numbers from histograms and the QC table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from regflow.figures import qc


def test_qc_summary_takes_lengths_from_histograms_and_scores_from_the_table():
    table = pd.DataFrame(
        {
            "sample": ["atac", "mnase", "rna"],
            "tss_enrichment": [6.5, np.nan, np.nan],
            "frip": [0.4, np.nan, np.nan],
        }
    )
    histograms = {
        "atac": pd.DataFrame({"length": [50, 100, 150], "count": [1, 5, 1]}),
        "mnase": pd.DataFrame({"length": [50, 100, 150], "count": [0, 1, 9]}),
    }
    profiles = {"atac": pd.DataFrame({"position": [-1, 0, 1], "value": [1.0, 6.5, 1.0]})}
    summary = qc.qc_summary(table, histograms, profiles).set_index("sample")
    assert summary.loc["atac", "fragments"] == 7
    assert summary.loc["atac", "median_fragment_length"] == 100
    assert summary.loc["mnase", "median_fragment_length"] == 150
    assert summary.loc["atac", "tss_enrichment"] == 6.5
    assert summary.loc["atac", "frip"] == 0.4
    assert pd.isna(summary.loc["rna", "fragments"])
    qc.qc_figure(summary.reset_index(), histograms, profiles)
