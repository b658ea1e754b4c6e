"""``regflow mnase images`` / ``typhoon`` end to end on tiny synthetic data, and failures."""

from __future__ import annotations

import numpy as np
import pytest

from regflow.mnase.io import NPZ_ARRAYS, read_images

from .conftest import at, run, write_fragments, write_gtf

# gene_id, chrom, TSS, strand, in GTF order (not sorted by position)
GENES = [
    ("GB", "chr2", 5000, "-"),
    ("GA", "chr1", 8000, "+"),
    ("GZ", "chr1", 15000, "+"),  # no fragments near it
    ("GE", "chr1", 300, "+"),  # window runs off the chromosome start
]
ROW_150 = 17  # length 150: class [140, 201), row 16 + (150 - 140) * 8 // 61


def _column(rel: float) -> int:
    return int((rel + 512) // 8)


@pytest.fixture
def data(tmp_path, sizes):
    """Two replicates of t0 (S1, S2) and one sample of t1 (S3), with known totals."""
    gtf = write_gtf(tmp_path / "genes.gtf", GENES)
    filler = [("chr2", 9000 + i, 9150 + i) for i in range(6)]  # far from every TSS
    s1 = [
        at("chr1", 8000, 1, 100.5, 150),  # GA, +100.5 bp
        at("chr2", 5000, -1, 100.5, 150),  # GB (minus strand), +100.5 bp downstream
        at("chr1", 300, 1, -50.5, 60),  # GE, sub-nucleosomal
        *filler[:1],
    ]  # 4 fragments
    s2 = [at("chr1", 8000, 1, 100.5, 150, count=2), *filler[:2]]  # 4 fragments (count 2)
    s3 = [at("chr1", 8000, 1, -200.5, 100), *filler]  # 7 fragments
    paths = {
        name: write_fragments(tmp_path / f"{name}.tsv.gz", rows)
        for name, rows in (("S1", s1), ("S2", s2), ("S3", s3))
    }
    return tmp_path, gtf, sizes, paths


def _images_argv(tmp_path, gtf, sizes, paths, *extra, output="out/images.npz"):
    return [
        "mnase",
        "images",
        "--fragments",
        *(f"{s}={p}" for s, p in paths.items()),
        "--condition",
        "S1=t0",
        "S2=t0",
        "S3=t1",
        "--gtf",
        str(gtf),
        "--chrom-sizes",
        str(sizes),
        "--output",
        str(tmp_path / output),
        *extra,
    ]


def test_images_exact_counts_order_and_keys(data, capsys):
    tmp_path, gtf, sizes, paths = data
    assert run(_images_argv(tmp_path, gtf, sizes, paths, "--no-align")) == 0
    arrays, meta = read_images(tmp_path / "out/images.npz")
    assert list(arrays["gene_ids"]) == [g[0] for g in GENES]  # GTF order, none dropped
    assert list(arrays["conditions"]) == ["t0", "t1"]
    raw = arrays["images_raw"]
    assert raw.shape == arrays["images"].shape == (4, 2, 24, 128)
    assert raw.dtype == np.float32 and arrays["targets"].dtype == np.float32
    col = _column(100.5)
    # GA, t0: 1 of S1's 4 fragments + 2 of S2's 4 (per million each, then summed)
    assert raw[1, 0, ROW_150, col] == pytest.approx(1e6 / 4 + 2e6 / 4)
    assert raw[1, 0].sum() == pytest.approx(1e6 / 4 + 2e6 / 4)
    # GB on the minus strand: the same pixel (flipped so downstream is right)
    assert raw[0, 0, ROW_150, col] == pytest.approx(1e6 / 4)
    assert raw[0].sum() == pytest.approx(1e6 / 4)
    # GA, t1: one 100-bp fragment 200.5 bp upstream, row 8 + (100 - 90) * 8 // 50 = 9
    assert raw[1, 1, 9, _column(-200.5)] == pytest.approx(1e6 / 7)
    assert raw[2].sum() == 0 and arrays["images"][2].sum() == 0  # GZ: explicit zeros
    # GE's window runs off chr1's start: zero-padded, its fragment still counted
    assert raw[3, 0, 2, _column(-50.5)] == pytest.approx(1e6 / 4)  # row (60 - 45) * 8 // 45
    assert raw[3].sum() == pytest.approx(1e6 / 4)
    # smoothing keeps each class block's mass
    blocks = arrays["images"].reshape(4, 2, 3, 8, 128).sum(axis=(-2, -1))
    np.testing.assert_allclose(blocks, raw.reshape(4, 2, 3, 8, 128).sum(axis=(-2, -1)), rtol=1e-5)
    assert set(NPZ_ARRAYS) <= set(np.load(tmp_path / "out/images.npz").files)
    assert np.isnan(arrays["targets"]).all()
    np.testing.assert_array_equal(arrays["origin"], 0)
    assert meta["preset"] == "classes" and meta["classes"] == [[45, 90], [90, 140], [140, 201]]
    assert meta["sigma"] == 1.0 and meta["window"] == 1024 and meta["align"] is False
    assert meta["fragments"] == {"S1": 4, "S2": 4, "S3": 7}
    assert "per million" in meta["normalisation"]
    err = capsys.readouterr().err
    assert "1 genes without fragments in their window" in err
    assert "1 genes whose window runs off a chromosome end (zero-padded): GE" in err


def test_alignment_on_plus1_shifts_the_frame(tmp_path, sizes, rng):
    gtf = write_gtf(tmp_path / "genes.gtf", [("GA", "chr1", 8000, "+"), ("GB", "chr2", 5000, "-")])
    rows = [at("chr1", 8000, 1, 80.5, 150), at("chr2", 5000, -1, 80.5, 150)]
    pile = [at("chr1", 8000, 1, 80 + d, 161) for d in (-3, -1, 0, 0, 1, 3)]
    pile += [at("chr2", 5000, -1, 80 + d, 161) for d in (-3, -1, 0, 0, 1, 3)]
    s1 = write_fragments(tmp_path / "S1.tsv.gz", rows + pile[:6])
    s2 = write_fragments(tmp_path / "S2.tsv.gz", pile[6:])  # the pile is pooled over samples
    argv = [
        "mnase",
        "images",
        "--fragments",
        f"S1={s1}",
        f"S2={s2}",
        "--condition",
        "S1=a",
        "S2=b",
        "--gtf",
        str(gtf),
        "--chrom-sizes",
        str(sizes),
        "--output",
    ]
    assert run([*argv, str(tmp_path / "aligned.npz")]) == 0
    assert run([*argv, str(tmp_path / "tss.npz"), "--no-align"]) == 0
    aligned, meta = read_images(tmp_path / "aligned.npz")
    tss, _ = read_images(tmp_path / "tss.npz")
    np.testing.assert_allclose(aligned["anchor"], [80, 80], atol=1)
    np.testing.assert_allclose(aligned["origin"], aligned["anchor"] - meta["anchor"]["plus1_at_bp"])
    np.testing.assert_allclose(tss["anchor"], aligned["anchor"])  # reported either way
    for g in range(2):
        # the +1 pile moves from +80 bp (TSS frame) to +32 bp (aligned frame)
        assert tss["images_raw"][g, :, 16:, _column(80)].sum() > 0
        shifted = aligned["images_raw"][g, :, 16:, _column(80 - aligned["origin"][g])].sum()
        assert shifted == tss["images_raw"][g, :, 16:, _column(80)].sum()
        assert _column(80 - aligned["origin"][g]) == _column(32)
    # the same frame in both conditions: sample b (no fragment at +80 of length 150) shares it
    assert aligned["images_raw"][0, 1, ROW_150].sum() == 0


def test_readme_preset_and_targets(data, capsys):
    tmp_path, gtf, sizes, paths = data
    targets = tmp_path / "log2_tpm_by_condition.tsv"
    targets.write_text("gene_id\tt0\tt9\nGA\t1.5\t2\nGB\t3.25\t0\nGZ\t\t1\n")
    argv = _images_argv(
        tmp_path, gtf, sizes, paths, "--preset", "readme", "--targets", str(targets)
    )
    assert run(argv) == 0
    arrays, meta = read_images(tmp_path / "out/images.npz")
    assert arrays["images"].shape == (4, 2, 32, 128)
    assert arrays["length_edges"].shape == (32, 2) and meta["preset"] == "readme"
    t = arrays["targets"]
    assert t[1, 0] == 1.5 and t[0, 0] == 3.25
    assert np.isnan(t[:, 1]).all() and np.isnan(t[2, 0]) and np.isnan(t[3, 0])  # t1, GZ, GE
    assert "warning: 6 gene x condition targets missing" in capsys.readouterr().err


def test_typhoon_png(data):
    tmp_path, gtf, sizes, paths = data
    assert run(_images_argv(tmp_path, gtf, sizes, paths)) == 0
    png = tmp_path / "typhoon.png"
    argv = ["mnase", "typhoon", "--images", str(tmp_path / "out/images.npz"), "--output"]
    assert run([*argv, str(png), "--genes", "GA", "GB"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert run([*argv, str(tmp_path / "bad.png"), "--genes", "GA", "NOPE"]) == 1
    assert not (tmp_path / "bad.png").exists()


@pytest.mark.parametrize(
    "case, message",
    [
        ("contig", "contig(s) chr3 absent from the chromosome sizes"),
        ("extra_condition", "--condition names sample S9, which has no --fragments"),
        ("missing_condition", "sample S3 has --fragments but no --condition"),
        ("empty", "fragments file"),
        ("empty_gtf", "GTF"),
        ("gene_contig", "gene GX is on chr7, absent from the chromosome sizes"),
        ("sigma", "--sigma must be >= 0"),
        ("no_index", "has no tabix index"),
    ],
)
def test_errors_leave_no_output(data, capsys, case, message):
    tmp_path, gtf, sizes, paths = data
    extra: list[str] = []
    if case == "contig":
        paths["S3"] = write_fragments(tmp_path / "S3.tsv.gz", [("chr3", 10, 160)])
    elif case == "empty":
        paths["S3"] = write_fragments(tmp_path / "S3.tsv.gz", [])
    elif case == "empty_gtf":
        gtf.write_text("")
    elif case == "gene_contig":
        gtf = write_gtf(tmp_path / "genes.gtf", [*GENES, ("GX", "chr7", 100, "+")])
    elif case == "sigma":
        extra = ["--sigma", "-1"]
    elif case == "no_index":
        (tmp_path / "S2.tsv.gz.tbi").unlink()
    argv = _images_argv(tmp_path, gtf, sizes, paths, *extra)
    if case == "extra_condition":
        argv += ["--condition", "S9=t2"]
    elif case == "missing_condition":
        argv.remove("S3=t1")
    assert run(argv) == 1
    out = capsys.readouterr().out
    assert message in out and out.count("\n") == 1
    if case == "empty":
        assert out.endswith(f"sample S3: fragments file {paths['S3']} has no fragments\n")
    out_dir = tmp_path / "out"
    assert not out_dir.exists() or not any(out_dir.iterdir())  # no output, no temporary


def test_most_variable_genes_first():
    from regflow.mnase.cli import most_variable

    targets = np.array([[1.0, 1.5], [0.0, 5.0], [np.nan, np.nan], [2.0, 0.0]])
    assert most_variable(targets, 3).tolist() == [1, 3, 0]
