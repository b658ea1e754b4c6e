import numpy as np
import pandas as pd

from regflow.simulate.chromatin import (
    gene_drive,
    nucleosome_map,
    region_accessibility,
    site_occupancy,
)
from regflow.simulate.conditions import tf_activity
from regflow.simulate.expression import expression_tpm

NUC_CFG = {
    "spacing": 165,
    "ndr_min": 80,
    "ndr_max": 260,
    "plus1_offset": 60,
    "plus1_shift": 0.25,
    "fuzziness": 12,
    "fuzziness_growth": 4,
    "body_drop": 0.4,
    "upstream_nucleosomes": 3,
    "fill_fuzziness": 40,
}


def test_occupancy_rises_with_activity_and_affinity():
    occ = site_occupancy(
        np.array([10.0, 6.0]),
        np.array([10.0, 10.0]),
        np.array([[0.1, 1.0], [0.1, 1.0]]),
        kd=0.5,
        scale=0.3,
    )
    assert occ[0, 1] > occ[0, 0] and occ[0, 1] > occ[1, 1]
    assert np.isclose(occ[0, 1], 1 / 1.5)


def test_accessibility_combines_sites_independently():
    acc = region_accessibility(
        np.array([0, 0, 1]), np.array([[0.5], [0.5], [0.0]]), np.array([0.0, 0.2])
    )
    assert np.allclose(acc[:, 0], [0.75, 0.2])


def test_drive_sums_weighted_occupancy_per_gene():
    drive = gene_drive(
        np.array([0, 0, 1]),
        np.array([1.0, 2.0, -1.0]),
        np.array([[1.0, 0.0], [0.5, 1.0], [1.0, 1.0]]),
        np.zeros(2),
    )
    assert np.allclose(drive, [[2.0, 2.0], [-1.0, -1.0]])


def test_tpm_sums_to_a_million():
    tpm = expression_tpm(np.array([[1.0, 0.0], [3.0, 0.0]]), np.zeros((2, 2)))
    assert np.allclose(tpm.sum(axis=0), 1e6)
    assert np.isclose(tpm[1, 0] / tpm[0, 0], 4.0)


def test_tf_activity_profiles():
    tfs = [
        {"name": "stress", "activity": {"baseline": 0.1, "time_max": 2.0, "half_time": 10}},
        {
            "name": "lineage",
            "activity": {"baseline": 0.0, "half_time": 10, "cell_types": {"A": 3.0}},
        },
    ]
    conds = [
        {"name": "t0", "kind": "time", "time_min": 0},
        {"name": "t10", "kind": "time", "time_min": 10},
        {"name": "A", "kind": "cell_type"},
        {"name": "B", "kind": "cell_type"},
    ]
    act = tf_activity(tfs, conds)
    assert np.allclose(act.loc["stress"], [0.1, 1.1, 0.1, 0.1])
    assert np.allclose(act.loc["lineage"], [0.0, 0.0, 3.0, 0.0])


def _one_gene(strand):
    return pd.DataFrame(
        [
            {
                "gene_id": "G1",
                "chrom": "c",
                "start": 5000,
                "end": 8000,
                "strand": strand,
                "tss": 5000 if strand == "+" else 7999,
            }
        ]
    )


def test_active_promoter_has_a_wider_ndr_on_either_strand():
    for strand in "+-":
        genes = _one_gene(strand)
        empty = pd.DataFrame(columns=["chrom", "start", "end"])
        _, low = nucleosome_map(genes, np.array([0.0]), {"c": 20000}, empty, np.zeros(0), NUC_CFG)
        nuc, high = nucleosome_map(
            genes, np.array([1.0]), {"c": 20000}, empty, np.zeros(0), NUC_CFG
        )
        assert high["ndr_width"][0] > low["ndr_width"][0]
        sign = 1 if strand == "+" else -1
        assert sign * (high["plus1_dyad"][0] - genes["tss"][0]) > 0  # +1 is downstream
        dyads = np.sort(nuc["dyad"].to_numpy())
        assert (np.diff(dyads) >= 147).all()
        tss = genes["tss"][0]
        assert not ((dyads > tss - 80) & (dyads < tss + 20)).any() if strand == "+" else True


def test_accessible_enhancer_evicts_nucleosomes():
    genes = _one_gene("+")
    enh = pd.DataFrame([{"chrom": "c", "start": 12000, "end": 12300}])
    nuc, _ = nucleosome_map(genes, np.array([0.5]), {"c": 20000}, enh, np.array([0.9]), NUC_CFG)
    over = nuc[(nuc["dyad"] > 12000 - 73) & (nuc["dyad"] < 12300 + 73)]
    rest = nuc[(nuc["dyad"] > 14000)]
    assert over["occupancy"].max() < 0.2 * rest["occupancy"].mean()
