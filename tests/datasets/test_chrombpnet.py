"""ChromBPNet regions: tiling, overlap removal, GC matching, outliers, folds and the builder on
a tiny synthetic genome with a known cut-site bigWig."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyBigWig
import pysam
import pytest

from regflow.datasets.chrombpnet import (
    bias_threshold,
    build_chrombpnet_dataset,
    drop_overlapping,
    fold_splits,
    gc_matched,
    outlier_mask,
    peak_centres,
    tile_candidates,
)
from regflow.datasets.sequence import one_hot
from regflow.errors import RegflowError

SETTINGS = {
    "in_len": 200,
    "out_len": 100,
    "jitter": 20,
    "negative_ratio": 2,
    "outlier_quantile": 0.95,  # of 15 peaks, only the top one lies above
    "nonpeak_step": 50,
    "exclude_chromosomes": ["chrM"],
    "folds": [{"val": ["chr2"], "test": ["chr3"]}, {"val": ["chr3"], "test": ["chr1"]}],
    "seed": 7,
}
SIZES = {"chr1": 24_000, "chr2": 24_000, "chr3": 24_000, "chrM": 2_000}
PEAK_CENTRES = (2_500, 7_500, 12_500, 17_500, 21_500)
OUTLIER = ("chr2", 7_500)
BLACKLIST = ("chr3", 5_000, 6_000)


def write_inputs(root, sizes=SIZES, seed=0):
    """Genome FASTA with GC-rich peaks, a cut-site bigWig, peaks BED (one peak at a chromosome
    edge, one with outlying counts), blacklist and chrom sizes. Returns paths and the truth."""
    rng = np.random.default_rng(seed)
    genome, counts, peaks = {}, {}, []
    for chrom, size in sizes.items():
        p_gc = np.repeat(rng.uniform(0.3, 0.7, size // 1000 + 1), 1000)[:size]
        cov = rng.poisson(0.5, size).astype(np.float32)
        centres = PEAK_CENTRES if chrom != "chrM" else ()
        for centre in centres:
            p_gc[centre - 500 : centre + 500] = 0.65
            cov[centre - 250 : centre + 250] = rng.poisson(
                50 if (chrom, centre) == OUTLIER else 5, 500
            )
            peaks.append((chrom, centre - 250, centre + 250))
        gc = rng.random(size) < p_gc
        bases = np.where(gc, rng.choice(list("GC"), size), rng.choice(list("AT"), size))
        seq = "".join(bases)
        if chrom == "chr1":  # an N run and soft-masked bases
            seq = seq[:300] + "N" * 40 + seq[340:400].lower() + seq[400:]
        genome[chrom] = seq
        counts[chrom] = cov
    peaks.insert(0, ("chr1", 0, 200))  # centre 100: its jittered window leaves chr1
    paths = {
        "genome": root / "genome.fa",
        "cutsites": root / "cutsites.bw",
        "peaks": root / "peaks.bed",
        "chrom_sizes": root / "genome.sizes",
        "blacklist": root / "blacklist.bed",
    }
    paths["genome"].write_text("".join(f">{c}\n{s}\n" for c, s in genome.items()))
    pysam.faidx(str(paths["genome"]))
    bw = pyBigWig.open(str(paths["cutsites"]), "w")
    bw.addHeader(list(sizes.items()))
    for chrom, values in counts.items():
        bw.addEntries(chrom, 0, values=values.astype(float).tolist(), span=1, step=1)
    bw.close()
    paths["peaks"].write_text("".join(f"{c}\t{s}\t{e}\n" for c, s, e in peaks))
    paths["chrom_sizes"].write_text("".join(f"{c}\t{s}\n" for c, s in sizes.items()))
    paths["blacklist"].write_text("\t".join(map(str, BLACKLIST)) + "\n")
    return paths, {"genome": genome, "counts": counts, "peaks": peaks}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("chrombpnet")
    paths, truth = write_inputs(root)
    result = build_chrombpnet_dataset(
        paths["genome"],
        paths["cutsites"],
        paths["peaks"],
        paths["chrom_sizes"],
        paths["blacklist"],
        SETTINGS,
    )
    return paths, truth, result


def _build(paths, **changes):
    return build_chrombpnet_dataset(
        changes.pop("genome", paths["genome"]),
        changes.pop("cutsites", paths["cutsites"]),
        changes.pop("peaks", paths["peaks"]),
        changes.pop("chrom_sizes", paths["chrom_sizes"]),
        changes.pop("blacklist", paths["blacklist"]),
        {**SETTINGS, **changes},
    )


# ---------------------------------------------------------------- pure functions


def test_peak_centres_and_names():
    peaks = pd.DataFrame({"chrom": ["c1", "c2"], "start": [100, 0], "end": [600, 301]})
    out = peak_centres(peaks)
    assert list(out.columns) == ["chrom", "centre", "name"]
    assert out["centre"].tolist() == [350, 150]
    assert out["name"].tolist() == ["c1:100-600", "c2:0-301"]
    named = peak_centres(peaks.assign(name=["p1", "p2"]))
    assert named["name"].tolist() == ["p1", "p2"]


def test_tile_candidates_stay_inside():
    sizes = {"a": 1_000, "b": 100, "M": 5_000}
    out = tile_candidates(sizes, width=240, step=100, exclude={"M"})
    assert list(out.columns) == ["chrom", "centre"]
    assert set(out["chrom"]) == {"a"}  # b is shorter than a window, M excluded
    assert out["centre"].tolist() == [120 + 100 * i for i in range(8)]  # starts 0..700
    starts = out["centre"] - 120
    assert (starts >= 0).all() and (starts + 240 <= 1_000).all()
    assert tile_candidates({"M": 500}, 240, 100, {"M"}).empty


def test_drop_overlapping_is_half_open():
    candidates = pd.DataFrame({"chrom": ["a", "a", "a", "b"], "centre": [100, 200, 300, 200]})
    intervals = pd.DataFrame({"chrom": ["a"], "start": [250], "end": [260]})
    # windows [c - 50, c + 50): 200 -> [150, 250) just touches the interval, 300 covers it
    out = drop_overlapping(candidates, intervals, 50)
    assert out.values.tolist() == [["a", 100], ["a", 200], ["b", 200]]
    assert out.index.tolist() == [0, 1, 2]
    assert len(drop_overlapping(candidates, intervals.iloc[:0], 50)) == 4


def test_gc_matched_nearest_distinct_and_ratio():
    candidate_gc = np.array([0.1, 0.49, 0.52, 0.9, 0.5, 0.2])
    chosen, short = gc_matched(np.array([0.5]), candidate_gc, 2, seed=0)
    assert chosen.tolist() == [1, 4] and short == 0  # distances 0.01 and 0
    # two peaks at the same GC: four distinct candidates, the four nearest
    chosen, short = gc_matched(np.array([0.5, 0.5]), candidate_gc, 2, seed=0)
    assert chosen.tolist() == [1, 2, 4, 5] and short == 0
    # too few candidates: all of them, and how many were missing
    chosen, short = gc_matched(np.array([0.3, 0.6]), np.array([0.1, 0.5, 0.9]), 2, seed=0)
    assert chosen.tolist() == [0, 1, 2] and short == 1


def test_gc_matched_single_peak_equals_brute_force():
    rng = np.random.default_rng(3)
    candidate_gc = rng.random(500)
    chosen, _ = gc_matched(np.array([0.42]), candidate_gc, 25, seed=1)
    nearest = np.argsort(np.abs(candidate_gc - 0.42))[:25]
    assert chosen.tolist() == sorted(nearest.tolist())


def test_gc_matched_deterministic_per_seed_ties_by_rng():
    rng = np.random.default_rng(0)
    peak_gc = rng.uniform(0.4, 0.6, 30)
    candidate_gc = np.round(rng.uniform(0.2, 0.8, 400), 1)  # many ties
    first, _ = gc_matched(peak_gc, candidate_gc, 3, seed=5)
    again, _ = gc_matched(peak_gc, candidate_gc, 3, seed=5)
    np.testing.assert_array_equal(first, again)
    assert len(first) == 90 and len(set(first.tolist())) == 90
    draws = {tuple(gc_matched(peak_gc, candidate_gc, 3, seed=s)[0]) for s in range(5)}
    assert len(draws) > 1  # equal-GC candidates are chosen between by the seed
    # every draw takes the nearest GC values available: 0.4, 0.5, 0.6 only
    assert set(np.round(candidate_gc[first], 1)) <= {0.4, 0.5, 0.6}


def test_outlier_mask_and_bias_threshold():
    counts = np.arange(100, dtype=float)
    mask = outlier_mask(counts, 0.95)  # quantile 94.05
    assert mask.dtype == bool and np.flatnonzero(mask).tolist() == [95, 96, 97, 98, 99]
    assert not outlier_mask(counts, 1.0).any()
    assert outlier_mask(np.zeros(0), 0.9).size == 0
    assert bias_threshold(np.arange(1, 101)) == pytest.approx(1.99 * 0.5)
    assert bias_threshold(np.full(10, 40.0), factor=0.25) == pytest.approx(10.0)


def test_fold_splits_and_errors():
    chroms = np.array(["chr1", "chr2", "chr3", "chr1"])
    folds = [{"val": ["chr2"], "test": ["chr3"]}, {"val": [], "test": ["chr1"]}]
    out = fold_splits(chroms, folds, ["chr1", "chr2", "chr3", "chrM"])
    assert list(out.columns) == ["fold_0", "fold_1"]
    assert out["fold_0"].tolist() == ["train", "val", "test", "train"]
    assert out["fold_1"].tolist() == ["test", "train", "train", "test"]
    genome = ["chr1", "chr2", "chr3"]
    with pytest.raises(RegflowError, match="fold_1 names chromosome chr2 both val and test"):
        fold_splits(chroms, [folds[0], {"val": ["chr2"], "test": ["chr2"]}], genome)
    with pytest.raises(RegflowError, match="fold_0 names chromosome chr9, not in the genome"):
        fold_splits(chroms, [{"val": ["chr9"], "test": []}], genome)
    with pytest.raises(RegflowError, match="fold_0 must be an object"):
        fold_splits(chroms, [{"val": "chr1", "test": []}], genome)
    with pytest.raises(RegflowError, match="lists no fold"):
        fold_splits(chroms, [], genome)


# ---------------------------------------------------------------- the builder


def test_builder_arrays_and_regions(built):
    _, truth, (arrays, regions, record) = built
    n_peaks = len(truth["peaks"]) - 2  # the edge peak and the outlier dropped
    n = n_peaks * 3  # two non-peaks per peak
    assert set(arrays) == {"sequences", "counts", "is_peak", "chroms", "centres"}
    assert arrays["sequences"].shape == (n, 240, 4) and arrays["sequences"].dtype == np.uint8
    assert arrays["counts"].shape == (n, 140) and arrays["counts"].dtype == np.float32
    assert arrays["is_peak"].tolist() == [True] * n_peaks + [False] * (2 * n_peaks)
    assert arrays["centres"].dtype == np.int64 and arrays["chroms"].dtype.kind == "U"
    assert list(regions.columns) == [
        "name",
        "chrom",
        "centre",
        "kind",
        "gc",
        "total_counts",
        "fold_0",
        "fold_1",
    ]
    for i, (chrom, centre) in enumerate(zip(arrays["chroms"], arrays["centres"], strict=True)):
        seq = truth["genome"][chrom][centre - 120 : centre + 120]
        np.testing.assert_array_equal(arrays["sequences"][i], one_hot(seq))
        np.testing.assert_array_equal(
            arrays["counts"][i], truth["counts"][chrom][centre - 70 : centre + 70]
        )
        assert regions["name"][i] == f"{chrom}:{centre - 50}-{centre + 50}"
        assert regions["total_counts"][i] == truth["counts"][chrom][centre - 50 : centre + 50].sum()
    peak_keys = set(zip(regions["chrom"][:n_peaks], regions["centre"][:n_peaks], strict=True))
    assert OUTLIER not in peak_keys and ("chr1", 100) not in peak_keys
    assert regions["kind"].tolist() == ["peak"] * n_peaks + ["nonpeak"] * (2 * n_peaks)
    expected = {"chr1": ("train", "test"), "chr2": ("val", "train"), "chr3": ("test", "val")}
    for chrom, f0, f1 in zip(regions["chrom"], regions["fold_0"], regions["fold_1"], strict=True):
        assert (f0, f1) == expected[chrom]


def test_builder_nonpeaks_avoid_peaks_and_match_gc(built):
    _, truth, (arrays, regions, record) = built
    nonpeaks = regions[regions["kind"] == "nonpeak"]
    assert "chrM" not in set(nonpeaks["chrom"])
    assert not nonpeaks.duplicated(["chrom", "centre"]).any()
    blocked = [(c, s, e) for c, s, e in truth["peaks"]] + [BLACKLIST]
    blocked += [(c, (s + e) // 2 - 120, (s + e) // 2 + 120) for c, s, e in truth["peaks"]]
    for chrom, centre in zip(nonpeaks["chrom"], nonpeaks["centre"], strict=True):
        lo, hi = centre - 120, centre + 120  # its jittered input window
        assert all(not (c == chrom and s < hi and e > lo) for c, s, e in blocked)
    peak_gc = regions.loc[regions["kind"] == "peak", "gc"].mean()
    assert abs(nonpeaks["gc"].mean() - peak_gc) < 0.02
    gc = record["gc"]
    assert gc["peak_mean"] == pytest.approx(peak_gc)
    assert abs(gc["candidate_mean"] - peak_gc) > 0.1  # matching, not chance, brought them close
    # the table's GC is that of the in_len window of each sequence
    centre_seq = arrays["sequences"][:, 20:220]
    called = centre_seq.sum(axis=(1, 2))
    np.testing.assert_allclose(regions["gc"], centre_seq[:, :, 1:3].sum(axis=(1, 2)) / called)


def test_builder_record(built):
    paths, truth, (arrays, regions, record) = built
    n_peaks = len(truth["peaks"]) - 2
    assert record["peaks"] == {
        "input": len(truth["peaks"]),
        "dropped_edge": 1,
        "dropped_outliers": 1,
        "outlier_threshold": pytest.approx(record["peaks"]["outlier_threshold"]),
        "kept": n_peaks,
    }
    nonpeaks = record["nonpeaks"]
    assert nonpeaks["wanted"] == nonpeaks["chosen"] == 2 * n_peaks and nonpeaks["short"] == 0
    assert nonpeaks["tiled"] > nonpeaks["candidates"] > nonpeaks["chosen"]
    totals = regions.loc[regions["kind"] == "peak", "total_counts"]
    assert record["bias"]["threshold"] == pytest.approx(np.quantile(totals, 0.01) * 0.5)
    below = regions.loc[regions["kind"] == "nonpeak", "total_counts"] < record["bias"]["threshold"]
    assert record["bias"]["nonpeaks_below"] == below.sum()
    for fold in ("fold_0", "fold_1"):
        assert record["folds"][fold] == {
            s: int((regions[fold] == s).sum()) for s in ("train", "val", "test")
        }
    assert record["inputs"]["peaks"] == str(paths["peaks"])
    assert record["settings"] == SETTINGS


def test_builder_deterministic_per_seed(built):
    paths, _, (arrays, regions, _) = built
    again = _build(paths)[1]
    pd.testing.assert_frame_equal(again, regions)
    other = _build(paths, seed=8)[1]
    assert not other["centre"].equals(regions["centre"])


def test_builder_errors(tmp_path, built):
    paths, _, _ = built
    with pytest.raises(RegflowError, match="consensus peaks .*missing.bed does not exist"):
        _build(paths, peaks=tmp_path / "missing.bed")
    empty = tmp_path / "empty.bed"
    empty.write_text("")
    with pytest.raises(RegflowError, match="consensus peaks .*empty.bed has no peaks"):
        _build(paths, peaks=empty)
    stray = tmp_path / "stray.bed"
    stray.write_text("chr1\t1000\t1500\nchrX\t100\t600\n")
    with pytest.raises(RegflowError, match="peak chrX:100-600 of .*stray.bed lies on chrX"):
        _build(paths, peaks=stray)
    no_chr3 = tmp_path / "no_chr3.bw"
    bw = pyBigWig.open(str(no_chr3), "w")
    bw.addHeader([("chr1", SIZES["chr1"]), ("chr2", SIZES["chr2"])])
    bw.close()
    with pytest.raises(RegflowError, match="lies on chr3, which cut-site bigWig .*no_chr3.bw"):
        _build(paths, cutsites=no_chr3)
    everything = tmp_path / "everything.bed"
    everything.write_text("".join(f"{c}\t0\t{s}\n" for c, s in SIZES.items()))
    with pytest.raises(RegflowError, match="no non-peak candidate is left"):
        _build(paths, blacklist=everything)
    with pytest.raises(RegflowError, match="'out_len' .* exceeds 'in_len'"):
        _build(paths, out_len=300)
    with pytest.raises(RegflowError, match="ChromBPNet settings lack key 'seed'"):
        build_chrombpnet_dataset(
            paths["genome"],
            paths["cutsites"],
            paths["peaks"],
            paths["chrom_sizes"],
            None,
            {k: v for k, v in SETTINGS.items() if k != "seed"},
        )
