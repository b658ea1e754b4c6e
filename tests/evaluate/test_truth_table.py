"""The truth-recovery table: goals, model and interpretation rows, motif-site recall, CLI errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from regflow.cli import main
from regflow.errors import RegflowError
from regflow.evaluate import truth_table as tt


def test_goals_are_checked_with_their_operator_and_nan_never_meets_one():
    assert tt.row("s", "m", 0.91, ">= 0.9", "f")["met"] is True
    assert tt.row("s", "m", 0.89, ">= 0.9", "f")["met"] is False
    assert tt.row("s", "m", 0.4, "< 0.5", "f")["met"] is True
    assert tt.row("s", "m", 0.0, "<= 0", "f")["met"] is True
    assert tt.row("s", "m", float("nan"), ">= 0.9", "f")["met"] is False
    assert tt.row("s", "m", 3.0, "", "f")["met"] is None
    frame = tt.table([tt.row("s", "m", 1.0, "", "f"), tt.row("s", "n", 1.0, ">= 2", "f")])
    assert list(frame.columns) == list(tt.COLUMNS)
    assert frame["met"].isna().tolist() == [True, False]


def write_json(path, data):
    path.write_text(json.dumps(data))
    return path


def test_model_rows_read_each_metrics_file(tmp_path):
    vit = write_json(tmp_path / "vit.json", {"splits": {"test": {"r2": 0.7}}})
    get = write_json(tmp_path / "get.json", {"splits": {"test_condition": {"pearson": 0.85}}})
    cbp = write_json(
        tmp_path / "cbp.json",
        {
            "tn5_footprint": {
                "bias": {"footprint_score": 0.5},
                "corrected": {"footprint_score": 0.1},
            }
        },
    )
    swin = write_json(tmp_path / "swin.json", {"splits": {"test": {"all": 0.3}}})
    rows = tt.model_scores({"v": vit}, get, cbp, {"swin": swin})
    by = {r["measure"]: r for r in rows}
    assert by["ViT v: test R^2"]["value"] == 0.7
    assert by["GET: held-out condition Pearson"]["met"] is True
    ratio = by["ChromBPNet: Tn5 footprint score, corrected / bias"]
    assert ratio["value"] == pytest.approx(0.2) and ratio["met"] is True
    assert by["swin: test Pearson (all tracks)"]["value"] == 0.3


def test_a_metrics_file_without_the_score_names_file_and_key(tmp_path):
    bad = write_json(tmp_path / "get.json", {"splits": {"val": {}}})
    with pytest.raises(RegflowError, match=r"get\.json lacks splits\.test_condition\.pearson"):
        tt.model_scores({}, bad, None, {})


def test_interpretation_rows(tmp_path):
    get = write_json(tmp_path / "get.json", {"fraction_recovered": 0.5, "controls_in_top_k": ["X"]})
    enrich = write_json(tmp_path / "enrich.json", {"fraction_significant": 1.0})
    (tmp_path / "corrected_counts").mkdir()
    rec = write_json(tmp_path / "corrected_counts/recovery.json", {"fraction": 0.875})
    write_json(tmp_path / "corrected_counts/modisco.json", {"bias_motif": {"seqlet_share": 0.1}})
    rows = tt.interpretation_scores(get, enrich, {"corrected_counts": rec})
    by = {r["measure"]: r for r in rows}
    assert by["GET Jacobian: expected TFs in their targets' top 10"]["met"] is False
    assert by["GET Jacobian: controls in the top 10"]["value"] == 1
    assert by["GET Jacobian: controls in the top 10"]["met"] is False
    assert by["expected TFs' target sets significant for their motif"]["met"] is True
    assert by["TF-MoDISco corrected_counts: planted motifs recovered"]["met"] is True
    assert by["TF-MoDISco corrected_counts: Tn5 bias motif's seqlet share"]["value"] == 0.1


def test_motif_rows_count_only_sites_inside_scanned_regions(tmp_path):
    sites = pd.DataFrame(
        {
            "chrom": ["chr1", "chr1", "chr1", "chr2"],
            "start": [100, 300, 900, 50],
            "end": [110, 310, 910, 60],
            "strand": ["+", "-", "+", "+"],
            "matrix_id": ["M1", "M1", "M2", "M2"],
        }
    )
    np.savez(
        tmp_path / "peaks.npz",
        chrom=np.array(["chr1", "chr2"]),
        start=np.array([0, 0]),
        end=np.array([500, 100]),
    )
    # M1: one of its two sites found; M2: its only scanned site (chr2) found; chr1:900 unscanned
    pd.DataFrame(
        {
            "motif_id": ["M1", "M2"],
            "chrom": ["chr1", "chr2"],
            "start": [100, 50],
            "strand": ["+", "+"],
        }
    ).to_csv(tmp_path / "peaks.hits.tsv.gz", sep="\t", index=False)
    scans = {"peaks": (tmp_path / "peaks.npz", tmp_path / "peaks.hits.tsv.gz")}
    (result,) = tt.motif_scores(scans, sites)
    assert result["value"] == 0.5 and result["met"] is False


def test_cli_rejects_a_peak_file_of_an_unknown_sample_and_writes_nothing(tmp_path, capsys):
    truth = tmp_path / "truth"
    truth.mkdir()
    pd.DataFrame(
        columns=[
            "region_id",
            "condition",
            "accessibility",
            "chrom",
            "start",
            "end",
            "acc_start",
            "acc_end",
        ]
    ).to_csv(truth / "regions.tsv", sep="\t", index=False)
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(
        "sample\tassay\tcondition\treplicate\tfastq_1\tfastq_2\na1\tatac\tA\t1\tx\ty\n"
    )
    out = tmp_path / "out.tsv"
    code = main(
        ["evaluate", "truth-recovery", "--truth", str(truth), "--samples", str(sheet)]
        + ["--narrowpeaks", f"ghost={tmp_path / 'ghost.narrowPeak'}"]
        + ["--output", str(out), "--summary", str(tmp_path / "out.json")]
    )
    assert code != 0
    assert "sample ghost is not in" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "out.json").exists()


def test_a_recovery_file_without_its_score_names_file_and_key(tmp_path):
    bad = write_json(tmp_path / "get.json", {"fraction_recovered": 0.5})
    with pytest.raises(RegflowError, match=r"get\.json lacks controls_in_top_k"):
        tt.interpretation_scores(bad, None, {})
