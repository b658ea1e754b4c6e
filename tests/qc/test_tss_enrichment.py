"""TSS enrichment: pile-ups give a high value, uniform insertions ~1, strands are flipped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regflow.errors import RegflowError
from regflow.qc.io import read_tss_bed, read_tss_gtf
from regflow.qc.tss_enrichment import (
    enrichment_value,
    insertion_profile,
    normalise_by_flanks,
    prepare_sites,
    shuffled_sites,
    tss_enrichment_from_fragments,
)

SIZES = {"chr1": 200_000, "chr2": 60_000}


def _tss() -> pd.DataFrame:
    chr1 = 10_000 + 9_000 * np.arange(20)  # up to 181,000
    chr2 = 10_000 + 9_000 * np.arange(5)
    return pd.DataFrame(
        {
            "chrom": ["chr1"] * chr1.size + ["chr2"] * chr2.size,
            "position": np.concatenate([chr1, chr2]),
            "strand": ["+", "-"] * 10 + ["-", "+", "-", "+", "-"],
        }
    )


def _uniform(rng, n_per_kb=800):
    chroms, starts, ends = [], [], []
    for chrom, size in SIZES.items():
        n = size * n_per_kb // 1000
        start = rng.integers(0, size - 400, n)
        chroms += [chrom] * n
        starts.append(start)
        ends.append(start + rng.integers(40, 400, n))
    return np.array(chroms, dtype=object), np.concatenate(starts), np.concatenate(ends)


def test_uniform_insertions_give_about_one(fragments_writer):
    rng = np.random.default_rng(11)
    path = fragments_writer("uniform", *_uniform(rng))
    result = tss_enrichment_from_fragments(path, _tss(), SIZES, seed=3)
    assert 0.9 < result.value < 1.25
    assert 0.9 < result.shuffled_value < 1.25
    assert result.sites == 25 and result.sites_dropped == 0
    assert result.table().shape == (4001, 4)
    assert list(result.table().columns) == ["position", "value", "shuffled", "insertions"]


def test_pileup_at_tss_gives_high_value(fragments_writer):
    rng = np.random.default_rng(12)
    chroms, starts, ends = _uniform(rng, n_per_kb=400)
    tss = _tss()
    # 100 short fragments centred on every TSS
    centre = np.repeat(tss["position"].to_numpy(), 100)
    half = rng.integers(10, 40, centre.size)
    path = fragments_writer(
        "pileup",
        np.concatenate([chroms, np.repeat(tss["chrom"].to_numpy(), 100)]),
        np.concatenate([starts, centre - half]),
        np.concatenate([ends, centre + half]),
    )
    result = tss_enrichment_from_fragments(path, tss, SIZES, seed=3)
    assert result.value > 5
    assert abs(result.peak_offset) <= 40
    assert 0.8 < result.shuffled_value < 1.4
    # flanks are normalised to 1
    flanks = np.concatenate([result.profile[:100], result.profile[-100:]])
    assert flanks.mean() == pytest.approx(1, abs=0.05)


def test_counts_weight_insertions(fragments_writer):
    rng = np.random.default_rng(5)
    chroms, starts, ends = _uniform(rng, n_per_kb=200)
    tss = pd.DataFrame({"chrom": ["chr1"], "position": [50_000], "strand": ["+"]})
    far = np.abs(starts - 50_000) > 2_500  # background away from the TSS window
    chroms = np.append(chroms[far], ["chr1", "chr1"])
    starts = np.append(starts[far], [48_000, 50_000])  # flank insertion and one at the TSS
    ends = np.append(ends[far], [48_300, 50_500])
    ones = np.ones(starts.size, dtype=int)
    triple = ones.copy()
    triple[-1] = 3
    a = tss_enrichment_from_fragments(
        fragments_writer("one", chroms, starts, ends, ones), tss, SIZES, smooth=1
    )
    b = tss_enrichment_from_fragments(
        fragments_writer("three", chroms, starts, ends, triple), tss, SIZES, smooth=1
    )
    assert a.insertions[2000] == 1 and b.insertions[2000] == 3
    assert b.value == pytest.approx(3 * a.value)


def test_strand_flipping_with_asymmetric_pattern(fragments_writer):
    tss = _tss().iloc[:20]  # chr1, alternating strands
    plus = tss["strand"].to_numpy() == "+"
    pos = tss["position"].to_numpy()
    # insertions 300 and 350 bp downstream in the direction of transcription
    start = np.where(plus, pos + 300, pos - 350)
    end = np.where(plus, pos + 351, pos - 299)
    # flank and control background: one fragment every 50 bp across the chromosome
    background = np.arange(0, SIZES["chr1"] - 10, 50) + 5
    path = fragments_writer(
        "asym",
        "chr1",
        np.concatenate([start, background]),
        np.concatenate([end, background + 1]),
    )
    result = tss_enrichment_from_fragments(path, tss, SIZES, flank=100, seed=1)
    ins = result.table().set_index("position")["insertions"]
    assert ins[300] == 20 and ins[350] == 20
    assert ins[-300] == 0 and ins[-350] == 0
    assert ins[[-301, -299, -351, -349, 299, 301, 349, 351]].sum() == 0


def test_insertion_profile_flips_minus_strand():
    positions = np.array([700, 1_300, 1_900, 2_100])
    weights = np.ones(4)
    sites = np.array([1_000, 2_000])
    minus = np.array([False, True])
    profile = insertion_profile(positions, weights, sites, minus, window=500)
    assert profile.shape == (1001,)
    offsets = np.flatnonzero(profile) - 500
    # + site at 1000: 700 -> -300, 1300 -> +300; - site at 2000: 1900 -> +100, 2100 -> -100
    assert sorted(offsets.tolist()) == [-300, -100, 100, 300]
    # the - site's 1300 (700 upstream in genome = +700 downstream) falls outside the window
    assert profile.sum() == 4


def test_insertion_profile_blocks_match_single_pass(monkeypatch):
    import regflow.qc.tss_enrichment as module

    rng = np.random.default_rng(0)
    positions = np.sort(rng.integers(0, 100_000, 20_000))
    weights = rng.integers(1, 3, positions.size)
    sites = rng.integers(5_000, 95_000, 50)
    minus = rng.random(50) < 0.5
    whole = insertion_profile(positions, weights, sites, minus, 2_000)
    monkeypatch.setattr(module, "_MAX_PAIRS", 1_000)
    blocked = insertion_profile(positions, weights, sites, minus, 2_000)
    np.testing.assert_array_equal(whole, blocked)
    # brute force
    brute = np.zeros(4001)
    for s, m in zip(sites, minus, strict=True):
        d = positions - s
        keep = np.abs(d) <= 2_000
        np.add.at(brute, (-d[keep] if m else d[keep]) + 2_000, weights[keep])
    np.testing.assert_array_equal(whole, brute)


def test_normalise_and_value():
    profile = np.ones(401)
    profile[200] = 9.0
    normalised, background = normalise_by_flanks(profile * 2, flank=100)
    assert background == 2
    assert enrichment_value(normalised, 200, center=50) == (9.0, 0)
    with pytest.raises(RegflowError, match="no insertions"):
        normalise_by_flanks(np.zeros(401), 100)


def test_sites_dedup_drop_and_shuffle():
    tss = pd.DataFrame(
        {
            "chrom": ["chr1", "chr1", "chr1", "chr2"],
            "position": [1_000, 50_000, 50_000, 30_000],
            "strand": ["+", "-", "-", "+"],
        }
    )
    sites, dropped = prepare_sites(tss, SIZES, 2_000, "test")
    assert len(sites) == 2 and dropped == 1
    control = shuffled_sites(sites, SIZES, 2_000, np.random.default_rng(0))
    assert control.groupby("chrom").size().to_dict() == {"chr1": 10, "chr2": 10}
    one = shuffled_sites(sites, SIZES, 2_000, np.random.default_rng(0), multiplier=1)
    assert one.groupby("chrom").size().to_dict() == {"chr1": 1, "chr2": 1}
    size = control["chrom"].map(SIZES)
    assert ((control["position"] >= 2_000) & (control["position"] < size - 2_000)).all()
    again = shuffled_sites(sites, SIZES, 2_000, np.random.default_rng(0))
    pd.testing.assert_frame_equal(control, again)


def test_tss_chromosome_missing_from_chrom_sizes(fragments_writer):
    path = fragments_writer("f", "chr1", [100], [200])
    tss = pd.DataFrame({"chrom": ["chrX"], "position": [5_000], "strand": ["+"]})
    with pytest.raises(RegflowError, match="chrX"):
        tss_enrichment_from_fragments(path, tss, SIZES, source="genes.gtf")


def test_empty_fragments(tmp_path):
    import pysam

    plain = tmp_path / "empty.tsv"
    plain.write_text("")
    pysam.tabix_compress(str(plain), str(tmp_path / "empty.tsv.gz"))
    pysam.tabix_index(str(tmp_path / "empty.tsv.gz"), preset="bed")
    with pytest.raises(RegflowError, match="no fragments"):
        tss_enrichment_from_fragments(tmp_path / "empty.tsv.gz", _tss(), SIZES)


def test_no_fragments_near_tss(fragments_writer):
    path = fragments_writer("far", "chrOther", [100], [200])
    with pytest.raises(RegflowError, match="no insertions"):
        tss_enrichment_from_fragments(path, _tss(), {**SIZES, "chrOther": 1_000})


def test_missing_index(tmp_path, fragments_writer):
    path = fragments_writer("f", "chr1", [100], [200])
    (tmp_path / "f.tsv.gz.tbi").unlink()
    with pytest.raises(RegflowError, match="tabix index"):
        tss_enrichment_from_fragments(path, _tss(), SIZES)


def test_read_tss_gtf_and_bed(tmp_path):
    attrs = 'gene_id "{g}"; gene_name "{g}";'
    gtf = tmp_path / "genes.gtf"
    gtf.write_text(
        "#!genome-build test\n"
        f"chr1\tsim\tgene\t101\t200\t.\t+\t.\t{attrs.format(g='A')}\n"
        f"chr1\tsim\ttranscript\t101\t200\t.\t+\t.\t{attrs.format(g='A')}\n"
        f"chr1\tsim\texon\t101\t150\t.\t+\t.\t{attrs.format(g='A')}\n"
        f"chr2\tsim\tgene\t301\t400\t.\t-\t.\t{attrs.format(g='B')}\n"
    )
    tss = read_tss_gtf(gtf)
    assert tss.to_dict("list") == {
        "chrom": ["chr1", "chr2"],
        "position": [100, 399],
        "strand": ["+", "-"],
        "name": ["A", "B"],
    }
    bed = tmp_path / "genes.bed"
    bed.write_text("chr1\t100\t200\tA\t0\t+\nchr2\t300\t400\tB\t0\t-\n")
    pd.testing.assert_frame_equal(read_tss_bed(bed), tss)
    bad = tmp_path / "bad.bed"
    bad.write_text("chr1\t100\t200\tA\t0\t.\n")
    with pytest.raises(RegflowError, match="strand"):
        read_tss_bed(bad)
