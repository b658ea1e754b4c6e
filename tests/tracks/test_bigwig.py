"""``regflow bigwig``: fragments and BAM input, bigWig round trip, atomic output, errors."""

from __future__ import annotations

import argparse
import gzip
import sys
from pathlib import Path

import numpy as np
import pyBigWig
import pysam
import pytest

from regflow.errors import RegflowError
from regflow.tracks import bigwig
from regflow.tracks.bigwig import TrackSpec, make_bigwig, read_chrom_sizes

SIZES = {"chr1": 100, "chr2": 50}


def _regflow_main():
    """``regflow.cli.main`` if the full CLI imports, else the same dispatch over this stage.

    Other stages are still being added to ``regflow.cli.STAGES``; until they all import, the
    fallback registers only ``bigwig`` and mirrors ``main``'s error handling.
    """
    try:
        from regflow.cli import build_parser, main

        build_parser()
        return main
    except ImportError:

        def main(argv):
            parser = argparse.ArgumentParser(prog="regflow")
            bigwig.add_parser(parser.add_subparsers(dest="command", required=True))
            args = parser.parse_args(argv)
            try:
                args.func(args)
            except RegflowError as err:
                print(f"regflow {args.command}: error: {err}", file=sys.stderr)
                return 1
            return 0

        return main


regflow_main = _regflow_main()


def write_sizes(path: Path, sizes: dict[str, int] = SIZES) -> Path:
    path.write_text("".join(f"{c}\t{n}\n" for c, n in sizes.items()))
    return path


def write_fragments(path: Path, rows: list[tuple]) -> Path:
    """bgzip + tabix a fragments TSV; rows are (chrom, start, end[, name[, count]])."""
    plain = path.with_suffix("")  # x.tsv.gz -> x.tsv
    plain.write_text("".join("\t".join(map(str, r)) + "\n" for r in rows))
    pysam.tabix_compress(str(plain), str(path), force=True)
    pysam.tabix_index(str(path), preset="bed", force=True)
    plain.unlink()
    return path


def write_plain(path: Path, rows: list[tuple], header: str = "") -> Path:
    path.write_text(header + "".join("\t".join(map(str, r)) + "\n" for r in rows))
    return path


def read_back(path: Path) -> dict[str, list[tuple[int, int, float]]]:
    bw = pyBigWig.open(str(path))
    try:
        return {c: list(bw.intervals(c) or ()) for c in bw.chroms()}
    finally:
        bw.close()


def dense(path: Path, sizes: dict[str, int] = SIZES) -> dict[str, np.ndarray]:
    bw = pyBigWig.open(str(path))
    try:
        return {c: np.nan_to_num(bw.values(c, 0, n, numpy=True)) for c, n in sizes.items()}
    finally:
        bw.close()


def run_cli(tmp_path: Path, inputs: list[Path], *extra: str, kind: str = "--fragments") -> Path:
    out = tmp_path / "out.bw"
    argv = ["bigwig", kind, *map(str, inputs), "--chrom-sizes", str(tmp_path / "sizes.tsv")]
    assert regflow_main([*argv, "--output", str(out), *extra]) == 0
    return out


@pytest.fixture
def frags(tmp_path: Path) -> Path:
    write_sizes(tmp_path / "sizes.tsv")
    # chr1: [10, 40) x1, [12, 20) x3; chr2: [5, 25) x1 -> 5 fragments
    return write_fragments(
        tmp_path / "a.tsv.gz",
        [("chr1", 10, 40, "f1", 1), ("chr1", 12, 20, "f2", 3), ("chr2", 5, 25, "f3", 1)],
    )


def test_coverage_round_trip_runs_merged_and_zeros_skipped(tmp_path, frags):
    out = run_cli(tmp_path, [frags], "--mode", "coverage", "--bin-size", "10")
    cpm = np.float32(1e6 / 5)
    # chr1 bins: [10,20) 1+3, [20,30) 1, [30,40) 1 -> entries merged over [20, 40)
    # chr2 bins: [0,10) [10,20) [20,30) 1 each -> one entry
    assert read_back(out) == {
        "chr1": [(10, 20, pytest.approx(4 * cpm)), (20, 40, pytest.approx(cpm))],
        "chr2": [(0, 30, pytest.approx(cpm))],
    }
    values = dense(out)
    assert values["chr1"].dtype == np.float32
    assert values["chr1"][15] == np.float32(4e6 / 5)


def test_header_follows_chrom_sizes_order_and_lengths(tmp_path, frags):
    write_sizes(tmp_path / "sizes.tsv", {"chr2": 50, "chrX": 70, "chr1": 100})
    out = run_cli(tmp_path, [frags], "--mode", "coverage", "--bin-size", "10")
    bw = pyBigWig.open(str(out))
    assert bw.chroms() == {"chr2": 50, "chrX": 70, "chr1": 100}
    assert bw.intervals("chrX") is None
    bw.close()


def test_cutsites_and_midpoints_round_trip(tmp_path, frags):
    out = run_cli(tmp_path, [frags], "--mode", "cutsites", "--bin-size", "5")
    cpm = np.float32(1e6 / 5)
    # cut sites chr1: 10, 39 (x1), 12, 19 (x3) -> bins [10,15) 1+3, [15,20) 3, [35,40) 1
    assert read_back(out)["chr1"] == [
        (10, 15, pytest.approx(4 * cpm)),
        (15, 20, pytest.approx(3 * cpm)),
        (35, 40, pytest.approx(cpm)),
    ]
    assert read_back(out)["chr2"] == [(5, 10, pytest.approx(cpm)), (20, 25, pytest.approx(cpm))]
    out = run_cli(tmp_path, [frags], "--mode", "midpoints", "--bin-size", "5")
    # midpoints: 25 (x1), 16 (x3); chr2: 15
    assert read_back(out) == {
        "chr1": [(15, 20, pytest.approx(3 * cpm)), (25, 30, pytest.approx(cpm))],
        "chr2": [(15, 20, pytest.approx(cpm))],
    }


def test_last_bin_truncated_at_chromosome_end(tmp_path):
    write_sizes(tmp_path / "sizes.tsv", {"chr1": 95})
    f = write_fragments(tmp_path / "a.tsv.gz", [("chr1", 85, 95)])
    out = run_cli(tmp_path, [f], "--mode", "coverage", "--bin-size", "10")
    assert read_back(out) == {"chr1": [(80, 95, pytest.approx(1e6))]}


def test_three_column_file_counts_one_and_inputs_are_summed(tmp_path, frags):
    other = write_fragments(tmp_path / "b.tsv.gz", [("chr1", 0, 10), ("chr2", 40, 50)])
    out = run_cli(tmp_path, [frags, other], "--mode", "coverage", "--bin-size", "10")
    cpm = 1e6 / 7
    v = dense(out)
    np.testing.assert_allclose(
        v["chr1"][::10], np.array([1, 4, 1, 1, 0, 0, 0, 0, 0, 0]) * cpm, rtol=1e-6
    )
    np.testing.assert_allclose(v["chr2"][::10], np.array([1, 1, 1, 0, 1]) * cpm, rtol=1e-6)


def test_length_filter_and_smoothing_options(tmp_path, frags):
    # keep only [12, 20) x3 (length 8): N = 3, one bin [10, 20) of 3 -> 1e6
    out = run_cli(tmp_path, [frags], "--mode", "coverage", "--bin-size", "10", "--max-length", "10")
    assert read_back(out) == {"chr1": [(10, 20, pytest.approx(1e6))], "chr2": []}
    # boxcar of 3 bins spreads it over [0, 30)
    out = run_cli(
        tmp_path,
        [frags],
        *("--mode", "coverage", "--bin-size", "10", "--max-length", "10"),
        *("--smooth", "30", "--smooth-kernel", "boxcar"),
    )
    assert read_back(out)["chr1"] == [(0, 30, pytest.approx(1e6 / 3))]


def test_matches_pure_cpm_signal(tmp_path, frags):
    from regflow.tracks.coverage import cpm_signal

    out = run_cli(tmp_path, [frags], "--mode", "coverage", "--bin-size", "1", "--smooth", "3")
    signals, _ = cpm_signal(
        [0, 0, 1], [10, 12, 5], [40, 20, 25], [1, 3, 1], [100, 50], "coverage", 1, smooth=3
    )
    v = dense(out)
    np.testing.assert_allclose(v["chr1"], signals[0].astype(np.float32), rtol=1e-6)
    np.testing.assert_allclose(v["chr2"], signals[1].astype(np.float32), rtol=1e-6)


# ------------------------------------------------------------------------------------------
# BAM input
# ------------------------------------------------------------------------------------------


def _read(header, name, flag, chrom, pos, length, mate_pos=-1, tlen=0):
    a = pysam.AlignedSegment(header)
    a.query_name = name
    a.flag = flag
    a.reference_name = chrom
    a.reference_start = pos
    a.mapping_quality = 60
    a.cigarstring = f"{length}M"
    a.query_sequence = "A" * length
    a.query_qualities = pysam.qualitystring_to_array("I" * length)
    if flag & 1:
        a.next_reference_name = chrom
        a.next_reference_start = mate_pos
        a.template_length = tlen
    return a


def write_bam(path: Path, sizes: dict[str, int] = SIZES) -> Path:
    """Pairs, single-end reads and reads that must be skipped; fragments in `BAM_FRAGMENTS`."""
    header = pysam.AlignmentHeader.from_dict(
        {
            "HD": {"VN": "1.6", "SO": "coordinate"},
            "SQ": [{"SN": c, "LN": n} for c, n in sizes.items()],
        }
    )
    reads = [
        # proper pair -> chr1 [10, 40)
        _read(header, "p1", 99, "chr1", 10, 10, 30, 30),
        _read(header, "p1", 147, "chr1", 30, 10, 10, -30),
        # proper pair, reverse mate first -> chr1 [50, 80)
        _read(header, "p2", 163, "chr1", 50, 10, 70, 30),
        _read(header, "p2", 83, "chr1", 70, 10, 50, -30),
        # skipped: duplicate pair, improper pair, secondary, supplementary, QC fail, unmapped
        _read(header, "d", 99 | 0x400, "chr1", 12, 10, 30, 28),
        _read(header, "d", 147 | 0x400, "chr1", 30, 10, 12, -28),
        _read(header, "i", 97, "chr1", 5, 10, 60, 65),
        _read(header, "i", 145, "chr1", 60, 10, 5, -65),
        _read(header, "s", 99 | 0x100, "chr1", 20, 10, 30, 20),
        _read(header, "x", 0x800, "chr1", 0, 10),
        _read(header, "q", 0x200, "chr1", 0, 10),
        _read(header, "u", 0x4, "chr1", 0, 10),
        # single-end reads -> chr2 [5, 25) and [20, 35)
        _read(header, "se1", 0, "chr2", 5, 20),
        _read(header, "se2", 16, "chr2", 20, 15),
    ]
    unsorted = path.with_name("unsorted.bam")
    with pysam.AlignmentFile(str(unsorted), "wb", header=header) as bam:
        for r in reads:
            bam.write(r)
    pysam.sort("-o", str(path), str(unsorted))
    pysam.index(str(path))
    return path


BAM_FRAGMENTS = [("chr1", 10, 40), ("chr1", 50, 80), ("chr2", 5, 25), ("chr2", 20, 35)]


@pytest.mark.parametrize("mode", ["cutsites", "midpoints", "coverage"])
def test_bam_equals_equivalent_fragments(tmp_path, mode):
    write_sizes(tmp_path / "sizes.tsv")
    bam = write_bam(tmp_path / "x.bam")
    frags = write_fragments(tmp_path / "x.tsv.gz", BAM_FRAGMENTS)
    from_bam = dense(run_cli(tmp_path, [bam], "--mode", mode, "--bin-size", "5", kind="--bam"))
    from_frags = dense(run_cli(tmp_path, [frags], "--mode", mode, "--bin-size", "5"))
    for chrom in SIZES:
        np.testing.assert_array_equal(from_bam[chrom], from_frags[chrom])
    assert from_bam["chr1"].any() and from_bam["chr2"].any()


def test_two_bams_are_summed(tmp_path):
    write_sizes(tmp_path / "sizes.tsv")
    bam = write_bam(tmp_path / "x.bam")
    out = run_cli(tmp_path, [bam, bam], "--mode", "coverage", "--bin-size", "10", kind="--bam")
    # 8 fragments, each bin of [10, 40) holds 2 -> 2 / 8 * 1e6
    assert dense(out)["chr1"][10] == np.float32(2.5e5)


def test_bam_header_length_mismatch(tmp_path):
    write_sizes(tmp_path / "sizes.tsv", {"chr1": 100, "chr2": 60})
    bam = write_bam(tmp_path / "x.bam")
    spec = TrackSpec("coverage", 10)
    with pytest.raises(RegflowError, match="chr2 has length 50 in the BAM header but 60"):
        make_bigwig([bam], "bam", tmp_path / "sizes.tsv", spec, tmp_path / "o.bw")


# ------------------------------------------------------------------------------------------
# errors and atomic output
# ------------------------------------------------------------------------------------------


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp") or p.suffix == ".bw")


def test_chrom_missing_from_chrom_sizes(tmp_path, capsys):
    write_sizes(tmp_path / "sizes.tsv")
    f = write_fragments(tmp_path / "a.tsv.gz", [("chr1", 1, 5), ("chrUn", 1, 5)])
    out = tmp_path / "out.bw"
    argv = ["bigwig", "--fragments", str(f), "--chrom-sizes", str(tmp_path / "sizes.tsv")]
    rc = regflow_main([*argv, "--mode", "coverage", "--bin-size", "10", "--output", str(out)])
    assert rc == 1
    err = capsys.readouterr().err
    assert "chromosome chrUn is not in the chrom sizes file" in err and str(f) in err
    assert _leftovers(tmp_path) == []


def test_no_fragments_after_filter_names_files(tmp_path, frags):
    other = write_fragments(tmp_path / "b.tsv.gz", [("chr1", 0, 10)])
    spec = TrackSpec("coverage", 10, min_length=500)
    with pytest.raises(RegflowError, match=r"no fragments with length in \[500, inf\]") as err:
        make_bigwig([frags, other], "fragments", tmp_path / "sizes.tsv", spec, tmp_path / "o.bw")
    assert str(frags) in str(err.value) and str(other) in str(err.value)
    assert _leftovers(tmp_path) == []


def test_fragment_beyond_chromosome_end(tmp_path):
    write_sizes(tmp_path / "sizes.tsv")
    f = write_fragments(tmp_path / "a.tsv.gz", [("chr2", 40, 60)])
    with pytest.raises(RegflowError, match=r"chr2: fragment \[40, 60\) .*\[0, 50\)"):
        make_bigwig(
            [f], "fragments", tmp_path / "sizes.tsv", TrackSpec("coverage", 10), tmp_path / "o.bw"
        )


def test_missing_files_and_missing_bam_index(tmp_path):
    write_sizes(tmp_path / "sizes.tsv")
    spec = TrackSpec("coverage", 10)
    sizes = tmp_path / "sizes.tsv"
    with pytest.raises(RegflowError, match="fragments file .*nope.tsv.gz does not exist"):
        make_bigwig([tmp_path / "nope.tsv.gz"], "fragments", sizes, spec, tmp_path / "o.bw")
    with pytest.raises(RegflowError, match="BAM .*nope.bam does not exist"):
        make_bigwig([tmp_path / "nope.bam"], "bam", sizes, spec, tmp_path / "o.bw")
    bam = write_bam(tmp_path / "x.bam")
    Path(f"{bam}.bai").unlink()
    with pytest.raises(RegflowError, match="has no index"):
        make_bigwig([bam], "bam", sizes, spec, tmp_path / "o.bw")
    with pytest.raises(RegflowError, match="chrom sizes .*nope.sizes"):
        make_bigwig([bam], "bam", tmp_path / "nope.sizes", spec, tmp_path / "o.bw")


def test_unsorted_fragments_rejected(tmp_path):
    write_sizes(tmp_path / "sizes.tsv")
    f = write_plain(tmp_path / "a.tsv", [("chr1", 1, 5), ("chr2", 1, 5), ("chr1", 7, 9)])
    with pytest.raises(RegflowError, match="chromosome chr1 are not contiguous"):
        make_bigwig(
            [f], "fragments", tmp_path / "sizes.tsv", TrackSpec("coverage", 10), tmp_path / "o.bw"
        )


def test_plain_gzip_and_headers_and_four_columns(tmp_path, frags):
    rows = [("chr1", 10, 40, "f1"), ("chr1", 12, 20, "f2"), ("chr1", 12, 20, "f2b")]
    rows += [("chr1", 12, 20, "f2c"), ("chr2", 5, 25, "f3")]
    plain = write_plain(tmp_path / "p.tsv", rows, header="# comment\ntrack name=x\n")
    gz = tmp_path / "g.tsv.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write(plain.read_text())
    expected = dense(run_cli(tmp_path, [frags], "--mode", "coverage", "--bin-size", "10"))
    for f in (plain, gz):
        got = dense(run_cli(tmp_path, [f], "--mode", "coverage", "--bin-size", "10"))
        for chrom in SIZES:
            np.testing.assert_array_equal(got[chrom], expected[chrom])


def test_small_blocks_split_lines_and_chromosomes(tmp_path, monkeypatch):
    write_sizes(tmp_path / "sizes.tsv")
    rng = np.random.default_rng(3)
    rows = []
    for chrom, n in SIZES.items():
        s = np.sort(rng.integers(0, n - 20, 200))
        rows += [
            (chrom, int(a), int(a + rng.integers(1, 20)), "x", int(rng.integers(1, 4))) for a in s
        ]
    f = write_fragments(tmp_path / "a.tsv.gz", rows)
    spec = TrackSpec("midpoints", 3, smooth=4)
    make_bigwig([f], "fragments", tmp_path / "sizes.tsv", spec, tmp_path / "big.bw")
    monkeypatch.setattr(bigwig, "BLOCK_BYTES", 37)
    make_bigwig([f], "fragments", tmp_path / "sizes.tsv", spec, tmp_path / "small.bw")
    big, small = dense(tmp_path / "big.bw"), dense(tmp_path / "small.bw")
    for chrom in SIZES:
        np.testing.assert_array_equal(big[chrom], small[chrom])


def test_malformed_fragments(tmp_path):
    write_sizes(tmp_path / "sizes.tsv")
    f = write_fragments(tmp_path / "a.tsv.gz", [("chr1", 1, 5, "n", "many")])
    with pytest.raises(RegflowError, match="count"):
        make_bigwig(
            [f], "fragments", tmp_path / "sizes.tsv", TrackSpec("coverage", 10), tmp_path / "o.bw"
        )


@pytest.mark.parametrize(
    "text,message",
    [
        ("chr1\t0\n", "not a positive integer"),
        ("chr1\n", "expected chrom<TAB>length"),
        ("chr1\t5\nchr1\t6\n", "listed twice"),
        ("", "no chromosomes"),
    ],
)
def test_bad_chrom_sizes(tmp_path, text, message):
    (tmp_path / "s.tsv").write_text(text)
    with pytest.raises(RegflowError, match=message):
        read_chrom_sizes(tmp_path / "s.tsv")


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"bin_size": 0}, "--bin-size"),
        ({"smooth": -1}, "--smooth"),
        ({"min_length": 50, "max_length": 10}, "--max-length"),
    ],
)
def test_bad_options(kwargs, message):
    with pytest.raises(RegflowError, match=message):
        TrackSpec(**{"mode": "coverage", "bin_size": 10, **kwargs})


def test_failed_write_leaves_nothing_and_keeps_old_output(tmp_path, frags, monkeypatch):
    out = tmp_path / "o.bw"
    out.write_text("previous")

    def boom(path, *args):
        Path(path).write_text("partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(bigwig, "write_bigwig", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        make_bigwig([frags], "fragments", tmp_path / "sizes.tsv", TrackSpec("coverage", 10), out)
    assert out.read_text() == "previous"
    assert _leftovers(tmp_path) == ["o.bw"]


def test_output_folder_created(tmp_path, frags):
    out = tmp_path / "deep" / "er" / "o.bw"
    make_bigwig([frags], "fragments", tmp_path / "sizes.tsv", TrackSpec("coverage", 10), out)
    assert out.is_file()
    assert _leftovers(out.parent) == ["o.bw"]


def test_bam_batches_of_one_fragment(tmp_path, monkeypatch):
    write_sizes(tmp_path / "sizes.tsv")
    bam = write_bam(tmp_path / "x.bam")
    spec = TrackSpec("coverage", 5)
    make_bigwig([bam], "bam", tmp_path / "sizes.tsv", spec, tmp_path / "a.bw")
    monkeypatch.setattr(bigwig, "BATCH_SIZE", 1)
    make_bigwig([bam], "bam", tmp_path / "sizes.tsv", spec, tmp_path / "b.bw")
    a, b = dense(tmp_path / "a.bw"), dense(tmp_path / "b.bw")
    for chrom in SIZES:
        np.testing.assert_array_equal(a[chrom], b[chrom])


def test_raw_counts_without_normalisation(tmp_path, frags):
    """``--normalise none`` writes the counts themselves (ChromBPNet's Tn5 insertions)."""
    out = run_cli(tmp_path, [frags], "--mode", "cutsites", "--bin-size", "1", "--normalise", "none")
    values = dense(out)
    # cut sites chr1: 10 and 39 (x1), 12 and 19 (x3); chr2: 5 and 24
    expected = np.zeros(SIZES["chr1"])
    expected[[10, 39]] = 1
    expected[[12, 19]] = 3
    np.testing.assert_array_equal(values["chr1"], expected)
    assert values["chr2"].sum() == 2 and values["chr2"][[5, 24]].tolist() == [1, 1]
    with pytest.raises(RegflowError, match="--normalise"):
        TrackSpec(mode="cutsites", bin_size=1, normalise="rpkm")


def test_size_classes_in_one_call_equal_one_call_per_class(tmp_path, frags):
    """``--size-class MIN MAX OUT`` (lengths in [MIN, MAX)) writes what ``--min-length MIN
    --max-length MAX-1`` writes for each class; lengths here are 30, 8 (x3) and 20."""
    small, large = tmp_path / "small.bw", tmp_path / "large.bw"
    argv = ["bigwig", "--fragments", str(frags), "--chrom-sizes", str(tmp_path / "sizes.tsv")]
    argv += ["--mode", "coverage", "--bin-size", "10"]
    argv += ["--size-class", "8", "20", str(small), "--size-class", "20", "31", str(large)]
    assert regflow_main(argv) == 0
    one = run_cli(tmp_path, [frags], "--mode", "coverage", "--bin-size", "10", "--max-length", "19")
    assert read_back(small) == read_back(one)
    # [20, 31) holds the 30-bp and the 20-bp fragment, not the 8-bp ones: N = 2
    assert read_back(large)["chr2"] == [(0, 30, pytest.approx(1e6 / 2))]
    assert read_back(large)["chr1"] == [(10, 40, pytest.approx(1e6 / 2))]


def test_an_empty_size_class_writes_no_class(tmp_path, frags, capsys):
    first, empty = tmp_path / "first.bw", tmp_path / "empty.bw"
    argv = ["bigwig", "--fragments", str(frags), "--chrom-sizes", str(tmp_path / "sizes.tsv")]
    argv += ["--mode", "coverage", "--bin-size", "10"]
    argv += ["--size-class", "0", "100", str(first), "--size-class", "500", "900", str(empty)]
    assert regflow_main(argv) == 1
    err = capsys.readouterr().err
    assert "no fragments with length in [500, 900)" in err and str(frags) in err
    assert str(empty) in err
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--size-class", "100", "100", "x.bw"], "MAX must exceed MIN"),
        (["--size-class", "a", "100", "x.bw"], "MIN and MAX must be integers"),
        (["--size-class", "0", "100", "x.bw", "--max-length", "50"], "--size-class sets the"),
    ],
)
def test_bad_size_classes(tmp_path, frags, capsys, extra, message):
    argv = ["bigwig", "--fragments", str(frags), "--chrom-sizes", str(tmp_path / "sizes.tsv")]
    assert regflow_main([*argv, "--mode", "coverage", "--bin-size", "10", *extra]) == 1
    assert message in capsys.readouterr().err
    assert _leftovers(tmp_path) == []
