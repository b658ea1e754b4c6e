"""Peak filtering (``regflow peaks filter``): blacklist, chromosome bounds, empty peak sets."""

from __future__ import annotations

import json

import pandas as pd

from regflow.peaks.filter import filter_peaks
from regflow.peaks.io import read_narrowpeak

from .conftest import run, write_narrowpeak

SIZES = {"chr1": 10000, "chr2": 5000}


def peaks_table(tmp_path, rows):
    return read_narrowpeak(write_narrowpeak(tmp_path / "p.narrowPeak", rows))


def test_blacklist_overlap_drops_the_peak_touching_does_not(tmp_path):
    peaks = peaks_table(
        tmp_path,
        [("chr1", 100, 200, 9.0, 50), ("chr1", 300, 400, 9.0, 50), ("chr2", 300, 400, 9.0, 50)],
    )
    blacklist = pd.DataFrame({"chrom": ["chr1", "chr2"], "start": [399, 400], "end": [450, 500]})
    kept, dropped = filter_peaks(peaks, SIZES, blacklist)
    assert kept["name"].tolist() == ["p0", "p2"]  # chr2 peak ends where the record starts
    assert dropped == {"unknown_contig": 0, "outside_chromosome": 0, "blacklist": 1}


def test_unknown_contigs_dropped_and_peaks_clipped_with_their_summit(tmp_path):
    peaks = peaks_table(
        tmp_path,
        [
            ("chr1", 9900, 10100, 9.0, 180),  # summit beyond the end: moved to the last base
            ("chrUn", 10, 90, 9.0, 5),
            ("chr2", 5000, 5100, 9.0, 5),  # entirely outside
            ("chr2", 4900, 5100, 9.0, 20),
        ],
    )
    kept, dropped = filter_peaks(peaks, SIZES)
    assert kept[["chrom", "start", "end", "summit"]].values.tolist() == [
        ["chr1", 9900, 10000, 99],
        ["chr2", 4900, 5000, 20],
    ]
    assert dropped == {"unknown_contig": 1, "outside_chromosome": 1, "blacklist": 0}


def test_cli_writes_peaks_and_stats(tmp_path, chrom_sizes):
    peaks = write_narrowpeak(
        tmp_path / "S_peaks.narrowPeak",
        [("chr1", 100, 200, 9.5, 50), ("chr1", 500, 700, 3.25, 80), ("chrUn", 1, 9, 9.0, 2)],
    )
    blacklist = tmp_path / "blacklist.bed"
    blacklist.write_text("track name=bl\nchr1\t600\t610\tbad\n")
    out, stats = tmp_path / "out" / "S.narrowPeak", tmp_path / "out" / "S.json"
    argv = ["peaks", "filter", "--sample", "S", "--narrowpeak", str(peaks)]
    argv += ["--chrom-sizes", str(chrom_sizes), "--blacklist", str(blacklist)]
    assert run([*argv, "--output", str(out), "--output-json", str(stats)]) == 0
    assert out.read_text() == "chr1\t100\t200\tp0\t95\t.\t5\t9.5\t4.75\t50\n"
    assert json.loads(stats.read_text()) == {
        "sample": "S",
        "peaks_called": 3,
        "peaks_kept": 1,
        "warning": None,
    }


def test_cli_no_peaks_called_is_a_warning_not_a_crash(tmp_path, chrom_sizes, capsys):
    peaks = tmp_path / "S_peaks.narrowPeak"
    peaks.write_text("")
    out, stats = tmp_path / "S.narrowPeak", tmp_path / "S.json"
    argv = ["peaks", "filter", "--sample", "S", "--narrowpeak", str(peaks)]
    argv += ["--chrom-sizes", str(chrom_sizes), "--output", str(out), "--output-json", str(stats)]
    assert run(argv) == 0
    message = f"no peaks called for sample S ({peaks})"
    assert message in capsys.readouterr().err
    assert out.read_text() == ""
    assert json.loads(stats.read_text()) == {
        "sample": "S",
        "peaks_called": 0,
        "peaks_kept": 0,
        "warning": message,
    }


def test_cli_bad_narrowpeak_names_sample_and_file(tmp_path, chrom_sizes, capsys):
    peaks = tmp_path / "S_peaks.narrowPeak"
    peaks.write_text("chr1\t100\t200\tp\n")
    out, stats = tmp_path / "S.narrowPeak", tmp_path / "S.json"
    argv = ["peaks", "filter", "--sample", "S", "--narrowpeak", str(peaks)]
    argv += ["--chrom-sizes", str(chrom_sizes), "--output", str(out), "--output-json", str(stats)]
    assert run(argv) == 1
    assert f"sample S: narrowPeak file {peaks}" in capsys.readouterr().out
    assert not out.exists() and not stats.exists()
