"""Sequence -> track windows: tiling, chromosome splits, binned and cropped targets."""

from __future__ import annotations

import numpy as np
import pyBigWig
import pysam
import pytest

from regflow.datasets.seqtrack import build_seqtrack_dataset, chromosome_split, tile_windows
from regflow.datasets.sequence import one_hot
from regflow.errors import RegflowError

from .test_sequence import write_bigwig

SIZES = {"chr1": 5_000, "chr2": 3_000, "chr3": 1_000, "chrM": 500}
SETTINGS = {
    "seq_len": 1_000,
    "bin_size": 50,
    "crop_bins": 2,
    "stride": 600,
    "max_shift": 30,
    "val_chromosomes": ["chr2"],
    "test_chromosomes": ["chr3"],
    "exclude_chromosomes": ["chrM"],
}


def write_inputs(root, sizes=SIZES, seed=0):
    """Genome FASTA, chrom sizes and two bigWigs of known per-base values (NaN: no data)."""
    rng = np.random.default_rng(seed)
    genome = {
        c: "".join(rng.choice(list("ACGTN"), s, p=[0.24] * 4 + [0.04])) for c, s in sizes.items()
    }
    fasta = root / "genome.fa"
    fasta.write_text("".join(f">{c}\n{s}\n" for c, s in genome.items()))
    pysam.faidx(str(fasta))
    chrom_sizes = root / "genome.sizes"
    chrom_sizes.write_text("".join(f"{c}\t{s}\n" for c, s in sizes.items()))
    values, tracks = {}, []
    for name, assay in (("atac_a", "ATAC"), ("mnase_a", "MNase")):
        per_chrom = {c: rng.gamma(2.0, 1.0, s).astype(np.float32) for c, s in sizes.items()}
        per_chrom["chr1"][1_200:1_500] = np.nan  # no data: read as 0
        path = write_bigwig(root / f"{name}.bw", sizes, per_chrom)
        values[name] = {c: np.nan_to_num(v, nan=0.0) for c, v in per_chrom.items()}
        tracks.append((name, assay, path))
    return {"genome": fasta, "chrom_sizes": chrom_sizes, "tracks": tracks}, genome, values


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return write_inputs(tmp_path_factory.mktemp("seqtrack"))


def test_tile_windows_inside_and_excluded():
    out = tile_windows(SIZES, 1_000, 600, {"chrM"})
    assert list(out.columns) == ["chrom", "start", "end"]
    assert out.loc[out["chrom"] == "chr1", "start"].tolist() == [
        0,
        600,
        1200,
        1800,
        2400,
        3000,
        3600,
    ]
    assert out.loc[out["chrom"] == "chr2", "start"].tolist() == [0, 600, 1200, 1800]
    assert out.loc[out["chrom"] == "chr3", "start"].tolist() == [0]
    assert "chrM" not in set(out["chrom"])
    assert (out["end"] - out["start"] == 1_000).all()
    assert (out["end"] <= out["chrom"].map(SIZES)).all()
    assert tile_windows({"chrM": 500}, 1_000, 600, set()).empty


def test_chromosome_split_and_errors():
    chroms = np.array(["chr1", "chr2", "chr3", "chr2"])
    split = chromosome_split(chroms, ["chr2"], ["chr3"], list(SIZES))
    assert split.tolist() == ["train", "val", "test", "val"]
    with pytest.raises(RegflowError, match="chromosome chr2 is named both a val and a test"):
        chromosome_split(chroms, ["chr2"], ["chr2", "chr3"], list(SIZES))
    with pytest.raises(RegflowError, match="held-out chromosome chr9 is not in the genome"):
        chromosome_split(chroms, ["chr9"], [], list(SIZES))


def _build(paths, tracks=None, **changes):
    return build_seqtrack_dataset(
        paths["genome"],
        paths["tracks"] if tracks is None else tracks,
        paths["chrom_sizes"],
        {**SETTINGS, **changes},
    )


def test_targets_are_cropped_bin_means(inputs):
    paths, genome, values = inputs
    arrays, windows, tracks, record = _build(paths)
    n = 7 + 4 + 1
    assert set(arrays) == {"sequences", "targets", "track_names", "assays"}
    assert arrays["sequences"].shape == (n, 1_060, 4) and arrays["sequences"].dtype == np.uint8
    assert arrays["targets"].shape == (n, 16, 2) and arrays["targets"].dtype == np.float32
    assert arrays["track_names"].tolist() == ["atac_a", "mnase_a"]
    assert arrays["assays"].tolist() == ["ATAC", "MNase"]
    assert list(windows.columns) == ["chrom", "start", "end", "split"]
    assert list(tracks.columns) == ["name", "assay", "path"]
    assert tracks["path"].tolist() == [str(p) for _, _, p in paths["tracks"]]
    for i, (chrom, start) in enumerate(zip(windows["chrom"], windows["start"], strict=True)):
        for t, name in enumerate(("atac_a", "mnase_a")):
            per_base = values[name][chrom]
            expected = [
                per_base[start + k * 50 : start + (k + 1) * 50].mean() for k in range(2, 18)
            ]
            np.testing.assert_allclose(arrays["targets"][i, :, t], expected, rtol=1e-5)
        lo, hi = max(start - 30, 0), min(start + 1_030, SIZES[chrom])
        seq = arrays["sequences"][i]
        np.testing.assert_array_equal(
            seq[lo - start + 30 : hi - start + 30], one_hot(genome[chrom][lo:hi])
        )
        assert not seq[: lo - start + 30].any() and not seq[hi - start + 30 :].any()
    # the first window of chr1 starts at 0: its first 30 rows are padding
    assert not arrays["sequences"][0, :30].any() and arrays["sequences"][0, 30:].any()
    # chr1:1200-1500 has no data: bins 12..17 of the window at 600 (10..15 once cropped) are 0
    assert windows["start"][1] == 600
    assert (arrays["targets"][1, 10:16, :] == 0).all() and (arrays["targets"][1, :10] > 0).all()
    assert windows.groupby("chrom")["split"].first().to_dict() == {
        "chr1": "train",
        "chr2": "val",
        "chr3": "test",
    }
    assert record["splits"] == {"train": 7, "val": 4, "test": 1}
    assert record["output_bins"] == 16 and record["input_length"] == 1_060
    assert record["track_means"]["atac_a"] == pytest.approx(arrays["targets"][:, :, 0].mean())


def test_settings_and_track_errors(inputs, tmp_path):
    paths, _, _ = inputs
    with pytest.raises(RegflowError, match="'seq_len' \\(1000\\) is not a multiple of 'bin_size'"):
        _build(paths, bin_size=300)
    with pytest.raises(RegflowError, match="leave no output bin"):
        _build(paths, crop_bins=10)
    with pytest.raises(RegflowError, match="chromosome chr3 is named both"):
        _build(paths, val_chromosomes=["chr3"])
    with pytest.raises(RegflowError, match="settings have unknown key 'target_length'"):
        _build(paths, target_length=5)
    with pytest.raises(RegflowError, match="track name atac_a is given twice"):
        _build(paths, tracks=[paths["tracks"][0], paths["tracks"][0]])
    with pytest.raises(RegflowError, match="bigWig of track gone .*gone.bw does not exist"):
        _build(paths, tracks=[("gone", "ATAC", tmp_path / "gone.bw")])
    partial = tmp_path / "partial.bw"
    bw = pyBigWig.open(str(partial), "w")
    bw.addHeader([("chr1", SIZES["chr1"]), ("chr3", SIZES["chr3"])])
    bw.close()
    with pytest.raises(RegflowError, match="bigWig .*partial.bw of track p has no chromosome chr2"):
        _build(paths, tracks=[("p", "ATAC", partial)])
    with pytest.raises(RegflowError, match="no 10000-bp window fits"):
        _build(paths, seq_len=10_000)
