"""Recovery scores of the simulated truth: peaks vs accessible regions, logCPM vs
accessibility, TPM vs simulated TPM. Pure functions over pandas tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr


def overlaps(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    """For each interval of ``a`` (chrom, start, end), whether it overlaps any interval of ``b``."""
    hit = np.zeros(len(a), dtype=bool)
    for chrom, idx in a.groupby("chrom", observed=True).indices.items():
        other = b[b["chrom"] == chrom]
        if other.empty:
            continue
        order = np.argsort(other["start"].to_numpy())
        starts = other["start"].to_numpy()[order]
        ends_max = np.maximum.accumulate(other["end"].to_numpy()[order])
        # the last b interval starting before a's end: it, or one before, must end after a's start
        at = np.searchsorted(starts, a["end"].to_numpy()[idx], side="left") - 1
        ok = at >= 0
        hit[idx[ok]] = ends_max[at[ok]] > a["start"].to_numpy()[idx[ok]]
    return hit


def peak_recovery(
    peaks: pd.DataFrame, regions: pd.DataFrame, condition: str, open_at: float, present_at: float
) -> dict:
    """Recall and precision of ``peaks`` against one condition's simulated regions.

    ``regions`` is the truth table (region_id, condition, accessibility, chrom, acc_start,
    acc_end). Recall: share of regions with accessibility >= ``open_at`` overlapped by a peak.
    Precision: share of peaks overlapping a region at least ``present_at`` accessible (weakly
    open sites are real accessibility, not false positives).
    """
    mine = (
        regions[regions["condition"] == condition]
        .drop(columns=["start", "end"])
        .rename(columns={"acc_start": "start", "acc_end": "end"})
    )
    open_regions = mine[mine["accessibility"] >= open_at]
    present = mine[mine["accessibility"] >= present_at]
    return {
        "condition": condition,
        "peaks": len(peaks),
        "regions_open": len(open_regions),
        "recall": float(overlaps(open_regions, peaks).mean()) if len(open_regions) else np.nan,
        "precision": float(overlaps(peaks, present).mean()) if len(peaks) else np.nan,
    }


def accessibility_change_agreement(
    logcpm: pd.DataFrame, regions: pd.DataFrame, cond_a: str, cond_b: str
) -> float:
    """Spearman of peak logCPM differences (a - b) with the truth accessibility differences.

    ``logcpm``: peaks (index ``chr:start-end``) x conditions; each peak is matched to the most
    accessible truth region it overlaps.
    """
    peaks = logcpm.index.to_series().str.extract(r"^(.+):(\d+)-(\d+)$")
    peaks.columns = ["chrom", "start", "end"]
    peaks[["start", "end"]] = peaks[["start", "end"]].astype(int)
    truth = regions.pivot_table(
        index=["region_id", "chrom", "start", "end"], columns="condition", values="accessibility"
    ).reset_index()
    diffs, changes = [], []
    for chrom, group in peaks.groupby("chrom"):
        t = truth[truth["chrom"] == chrom]
        for name, p in group.iterrows():
            hit = t[(t["start"] < p["end"]) & (t["end"] > p["start"])]
            if hit.empty:
                continue
            best = hit.loc[hit[[cond_a, cond_b]].max(axis=1).idxmax()]
            diffs.append(logcpm.at[name, cond_a] - logcpm.at[name, cond_b])
            changes.append(best[cond_a] - best[cond_b])
    return float(spearmanr(diffs, changes).statistic)


def tpm_agreement(ours: pd.DataFrame, truth: pd.DataFrame, condition_of: dict) -> pd.Series:
    """Spearman of each sample's TPM (genes x samples) with the simulated TPM of its condition."""
    genes = ours.index.intersection(truth.index)
    return pd.Series(
        {
            sample: spearmanr(
                ours.loc[genes, sample], truth.loc[genes, condition_of[sample]]
            ).statistic
            for sample in ours.columns
        }
    )


def enrichment_recovery(enrichment: pd.DataFrame, planted: pd.DataFrame) -> pd.DataFrame:
    """Whether each planted TF's target gene set is significant for its motif's top genes.

    Parameters
    ----------
    enrichment : an enrichment table (``query`` motif, ``native`` gene-set name,
        ``significant``, ``p_adjusted``); the simulator names each TF's target set after it.
    planted : one row per planted TF: ``tf``, ``feature`` (its motif column), ``expected``.

    Returns
    -------
    pandas.DataFrame
        ``planted`` plus ``p_adjusted`` (NaN when the set was not tested) and ``significant``.
    """
    tested = enrichment.set_index(["query", "native"])
    rows = []
    for row in planted.itertuples(index=False):
        key = (row.feature, row.tf)
        p = float(tested.loc[key, "p_adjusted"]) if key in tested.index else np.nan
        hit = bool(tested.loc[key, "significant"]) if key in tested.index else False
        rows.append({**row._asdict(), "p_adjusted": p, "significant": hit})
    return pd.DataFrame(rows)
