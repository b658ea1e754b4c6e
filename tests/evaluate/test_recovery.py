import numpy as np
import pandas as pd

from regflow.evaluate.recovery import (
    enrichment_recovery,
    overlaps,
    peak_recovery,
    tpm_agreement,
)


def frame(rows):
    return pd.DataFrame(rows, columns=["chrom", "start", "end"])


def test_overlaps_half_open_and_nested():
    a = frame([("c", 0, 10), ("c", 10, 20), ("c", 50, 60), ("d", 0, 5)])
    b = frame([("c", 5, 10), ("c", 30, 100)])
    assert overlaps(a, b).tolist() == [True, False, True, False]
    # a long early interval still overlaps a later query (running maximum of ends)
    assert overlaps(frame([("c", 40, 45)]), frame([("c", 0, 100), ("c", 10, 20)])).tolist() == [
        True
    ]


def test_peak_recovery_recall_and_precision():
    regions = pd.DataFrame(
        {
            "region_id": ["r1", "r2", "r3"],
            "condition": "A",
            "chrom": "c",
            "start": [0, 1000, 2000],
            "end": [300, 1300, 2300],
            "acc_start": [100, 1100, 2100],
            "acc_end": [200, 1200, 2200],
            "accessibility": [0.9, 0.5, 0.05],
        }
    )
    peaks = frame([("c", 150, 160), ("c", 2150, 2160), ("c", 5000, 5100)])
    score = peak_recovery(peaks, regions, "A", open_at=0.3, present_at=0.1)
    assert score["recall"] == 0.5  # r1 found, r2 missed
    assert np.isclose(score["precision"], 1 / 3)  # r3 is too weakly open to count


def test_tpm_agreement_per_sample():
    truth = pd.DataFrame({"A": [1.0, 2.0, 3.0, 4.0]}, index=list("abcd"))
    ours = pd.DataFrame({"s1": [10, 20, 30, 40], "s2": [4, 3, 2, 1]}, index=list("abcd"))
    rho = tpm_agreement(ours, truth, {"s1": "A", "s2": "A"})
    assert rho["s1"] == 1.0 and rho["s2"] == -1.0


def test_enrichment_recovery_needs_the_tf_set_significant_for_its_own_motif():
    enrichment = pd.DataFrame(
        {
            "query": ["M1", "M1", "M2"],
            "native": ["TF1", "TF2", "TF1"],
            "p_adjusted": [0.001, 0.2, 0.0001],
            "significant": [True, False, True],
        }
    )
    planted = pd.DataFrame(
        {"tf": ["TF1", "TF2", "TF3"], "feature": ["M1", "M2", "M3"], "expected": [True] * 3}
    )
    result = enrichment_recovery(enrichment, planted).set_index("tf")
    assert result.loc["TF1", "significant"] and result.loc["TF1", "p_adjusted"] == 0.001
    # TF2's set is not tested for its own motif M2 (TF1's set is significant there instead)
    assert not result.loc["TF2", "significant"] and np.isnan(result.loc["TF2", "p_adjusted"])
    assert not result.loc["TF3", "significant"]
