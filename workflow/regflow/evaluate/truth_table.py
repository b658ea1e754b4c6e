"""One table of how well every stage recovered the simulated truth.

Each scorer reads a stage's outputs (and the truth) and returns rows: the stage, the measure,
its value, the goal the issues set for it (empty where none) and whether the value meets it.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from regflow.errors import RegflowError
from regflow.evaluate.recovery import accessibility_change_agreement, peak_recovery, tpm_agreement
from regflow.io import read_json_object

COLUMNS = ("stage", "measure", "value", "goal", "met", "source")
_COMPARE = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}


def row(stage: str, measure: str, value: float, goal: str, source: Path | str) -> dict:
    """One table row; ``goal`` is ``""`` or an operator and a number, e.g. ``">= 0.9"``."""
    value = float(value)
    met: bool | None = None
    if goal:
        op, threshold = goal.split()
        met = bool(_COMPARE[op](value, float(threshold))) if np.isfinite(value) else False
    return {
        "stage": stage,
        "measure": measure,
        "value": value,
        "goal": goal,
        "met": met,
        "source": str(source),
    }


def table(rows: Iterable[dict]) -> pd.DataFrame:
    """The rows in :data:`COLUMNS` order (``met`` empty where there is no goal)."""
    frame = pd.DataFrame(list(rows), columns=list(COLUMNS))
    frame["met"] = frame["met"].astype("boolean")
    return frame


def _bed(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, sep="\t", header=None, usecols=[0, 1, 2], comment="#")
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=["chrom", "start", "end"])
    frame.columns = ["chrom", "start", "end"]
    return frame


def peak_scores(
    narrowpeaks: dict[str, tuple[str, Path]], regions: pd.DataFrame, source_regions: Path
) -> list[dict]:
    """Recall of the open regions (accessibility >= 0.3) and precision against regions at least
    weakly open (>= 0.1) of each ATAC sample's peaks in its condition: mean and minimum."""
    scores = pd.DataFrame(
        [
            peak_recovery(_bed(path), regions, condition, open_at=0.3, present_at=0.1)
            for condition, path in narrowpeaks.values()
        ]
    )
    source = f"results/peaks/*.narrowPeak vs {source_regions}"
    return [
        row(
            "peaks",
            "recall of open regions (mean over samples)",
            scores["recall"].mean(),
            ">= 0.9",
            source,
        ),
        row("peaks", "recall of open regions (worst sample)", scores["recall"].min(), "", source),
        row("peaks", "precision (mean over samples)", scores["precision"].mean(), ">= 0.8", source),
    ]


def accessibility_scores(
    logcpm_path: Path, regions: pd.DataFrame, conditions: list[str]
) -> list[dict]:
    """Spearman of logCPM differences with the truth's accessibility differences, first vs
    each other condition (median)."""
    logcpm = pd.read_csv(logcpm_path, sep="\t", index_col=0)
    present = [c for c in conditions if c in logcpm.columns]
    if len(present) < 2:
        return []
    rhos = [accessibility_change_agreement(logcpm, regions, present[0], c) for c in present[1:]]
    return [
        row(
            "peaks",
            f"logCPM change vs accessibility change, Spearman ({present[0]} vs others, median)",
            np.median(rhos),
            ">= 0.5",
            logcpm_path,
        )
    ]


def expression_scores(tpm_path: Path, truth_tpm: pd.DataFrame, condition_of: dict) -> list[dict]:
    """Spearman of each RNA-seq sample's TPM with its condition's simulated TPM."""
    ours = pd.read_csv(tpm_path, sep="\t", index_col=0)
    missing = sorted(set(ours.columns) - set(condition_of))
    if missing:
        raise RegflowError(f"TPM table {tpm_path}: sample {missing[0]} is not in the sample sheet")
    rho = tpm_agreement(ours, truth_tpm, condition_of)
    return [
        row(
            "expression",
            "TPM vs simulated TPM, Spearman (worst sample)",
            rho.min(),
            ">= 0.9",
            tpm_path,
        ),
        row("expression", "TPM vs simulated TPM, Spearman (median)", rho.median(), "", tpm_path),
    ]


def mnase_scores(images_path: Path, promoters: pd.DataFrame) -> list[dict]:
    """Spearman of the NDR width read off each gene's first-condition image with the truth's."""
    from regflow.mnase.stats import ndr_width

    images = np.load(images_path, allow_pickle=False)
    condition = str(images["conditions"][0])
    width = ndr_width(images["images"][:, 0], images["length_edges"], images["position_edges"])
    truth = (
        promoters[promoters["condition"] == condition]
        .set_index("gene_id")["ndr_width"]
        .reindex(images["gene_ids"].astype(str))
        .to_numpy()
    )
    known = np.isfinite(width) & np.isfinite(truth)
    rho = spearmanr(width[known], truth[known]).statistic if known.sum() > 2 else np.nan
    return [
        row(
            "mnase",
            f"NDR width from images vs truth, Spearman ({condition})",
            rho,
            ">= 0.6",
            images_path,
        ),
        row("mnase", "genes with a readable NDR", known.mean(), ">= 0.8", images_path),
    ]


def motif_scores(scans: dict[str, Path], sites: pd.DataFrame) -> list[dict]:
    """Per planted motif, the share of its sites inside scanned regions that are hits of it
    (peaks and promoters together): the worst motif."""
    inside = np.zeros(len(sites), bool)
    found = np.zeros(len(sites), bool)
    for npz, hits_path in scans.values():
        scan = np.load(npz, allow_pickle=False)
        for chrom, start, end in zip(scan["chrom"], scan["start"], scan["end"], strict=True):
            inside |= (
                (sites["chrom"] == chrom) & (sites["start"] >= start) & (sites["end"] <= end)
            ).to_numpy()
        hits = pd.read_csv(hits_path, sep="\t")
        keys = set(zip(hits["motif_id"], hits["chrom"], hits["start"], hits["strand"], strict=True))
        found |= np.array(
            [
                key in keys
                for key in zip(
                    sites["matrix_id"], sites["chrom"], sites["start"], sites["strand"], strict=True
                )
            ],
            dtype=bool,
        )
    if not inside.any():
        return []
    recall = pd.Series(found[inside]).groupby(sites["matrix_id"].to_numpy()[inside]).mean()
    source = " + ".join(str(p) for _, p in scans.values())
    return [
        row(
            "motifs",
            "planted sites found by their motif (worst motif)",
            recall.min(),
            ">= 0.9",
            source,
        )
    ]


def _lookup(data: dict, path: Path, *keys: str):
    """``data[keys[0]][keys[1]]...`` of the JSON file ``path``, or a one-line error naming both."""
    value = data
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            raise RegflowError(f"JSON {path} lacks {'.'.join(keys)}")
        value = value[key]
    return value


def _split_metric(metrics: dict, path: Path, *keys: str) -> float:
    return float(_lookup(metrics, path, *keys))


def _metric_row(measure: str, path: Path, keys: tuple[str, ...], goal: str = "") -> dict:
    """A models row holding the value at ``keys`` of the metrics JSON ``path``."""
    return row("models", measure, _split_metric(read_json_object(path), path, *keys), goal, path)


def model_scores(
    vit: dict[str, Path],
    get: Path | None,
    chrombpnet: Path | None,
    seqtrack: dict[str, Path],
) -> list[dict]:
    """The trained models' held-out scores (ViT test R^2, GET held-out-condition Pearson,
    ChromBPNet's Tn5 footprint in the corrected model, sequence models' test Pearson)."""
    rows = [
        _metric_row(f"ViT {name}: test R^2", path, ("splits", "test", "r2"))
        for name, path in vit.items()
    ]
    if get is not None:
        keys = ("splits", "test_condition", "pearson")
        rows.append(_metric_row("GET: held-out condition Pearson", get, keys, ">= 0.8"))
    if chrombpnet is not None:
        m = read_json_object(chrombpnet)
        bias = _split_metric(m, chrombpnet, "tn5_footprint", "bias", "footprint_score")
        corrected = _split_metric(m, chrombpnet, "tn5_footprint", "corrected", "footprint_score")
        rows.append(
            row("models", "ChromBPNet: Tn5 footprint score, bias model", bias, "", chrombpnet)
        )
        ratio = corrected / bias if bias else np.nan
        measure = "ChromBPNet: Tn5 footprint score, corrected / bias"
        rows.append(row("models", measure, ratio, "< 0.5", chrombpnet))
    rows += [
        _metric_row(f"{name}: test Pearson (all tracks)", path, ("splits", "test", "all"))
        for name, path in seqtrack.items()
    ]
    return rows


def interpretation_scores(
    get_recovery: Path | None, enrichment: Path | None, modisco: dict[str, Path]
) -> list[dict]:
    """Planted TFs found by the GET Jacobian and by enrichment; planted motifs found by
    TF-MoDISco; the Tn5 bias motif's share of each model's seqlets."""
    rows = []
    if get_recovery is not None:
        r = read_json_object(get_recovery, "GET recovery JSON")
        rows.append(
            row(
                "interpret",
                "GET Jacobian: expected TFs in their targets' top 10",
                _split_metric(r, get_recovery, "fraction_recovered"),
                ">= 1.0",
                get_recovery,
            )
        )
        rows.append(
            row(
                "interpret",
                "GET Jacobian: controls in the top 10",
                len(_lookup(r, get_recovery, "controls_in_top_k")),
                "<= 0",
                get_recovery,
            )
        )
    if enrichment is not None:
        r = read_json_object(enrichment, "enrichment recovery JSON")
        rows.append(
            row(
                "enrich",
                "expected TFs' target sets significant for their motif",
                _split_metric(r, enrichment, "fraction_significant"),
                ">= 1.0",
                enrichment,
            )
        )
    for name, path in modisco.items():
        recovery = read_json_object(path, "TF-MoDISco recovery JSON")
        summary = read_json_object(path.with_name("modisco.json"), "TF-MoDISco summary JSON")
        goal = ">= 0.8" if name.startswith("corrected") else ""
        rows.append(
            row(
                "interpret",
                f"TF-MoDISco {name}: planted motifs recovered",
                _split_metric(recovery, path, "fraction"),
                goal,
                path,
            )
        )
        share = float(summary.get("bias_motif", {}).get("seqlet_share", np.nan))
        rows.append(
            row("interpret", f"TF-MoDISco {name}: Tn5 bias motif's seqlet share", share, "", path)
        )
    return rows
