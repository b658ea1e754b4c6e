"""The MACS3 command of the workflow's peak-calling rule, on cut sites of synthetic piles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from regflow.peaks.io import read_narrowpeak

from .conftest import run, write_fragments

MACS3 = Path(sys.executable).parent / "macs3"
PILES = (20_000, 50_000, 80_000)


@pytest.mark.skipif(not MACS3.is_file(), reason="macs3 is not installed next to this Python")
def test_macs3_summits_land_on_the_piles(tmp_path, rng):
    n_bg, n_pile = 2000, 150
    start = rng.integers(0, 99_000, n_bg)
    rows = [("chr1", int(s), int(s + rng.integers(50, 400))) for s in start]
    for centre in PILES:
        for _ in range(n_pile):  # one insertion of each fragment within +/-20 bp of the centre
            cut = centre + int(rng.integers(-20, 21))
            length = int(rng.integers(50, 300))
            rows.append(
                ("chr1", cut, cut + length)
                if rng.random() < 0.5
                else ("chr1", cut - length + 1, cut + 1)
            )
    frags = write_fragments(tmp_path / "S.tsv.gz", rows)
    cut_sites = tmp_path / "S.cutsites.bed.gz"
    assert (
        run(
            [
                "peaks",
                "cutsites",
                "--sample",
                "S",
                "--fragments",
                str(frags),
                "--output",
                str(cut_sites),
            ]
        )
        == 0
    )

    command = [str(MACS3), "callpeak", "-t", str(cut_sites), "-f", "BED", "-g", "100000"]
    command += ["-n", "S", "--outdir", str(tmp_path / "macs3"), "--nomodel", "--shift", "-75"]
    command += ["--extsize", "150", "--keep-dup", "all", "--call-summits", "-q", "0.01"]
    subprocess.run(command, check=True, capture_output=True)

    peaks = read_narrowpeak(tmp_path / "macs3" / "S_peaks.narrowPeak")
    # --call-summits may add weaker sub-summits (the piles' other fragment ends) to a peak;
    # the strongest summit of each peak sits on its pile
    peaks["position"] = peaks["start"] + peaks["summit"]
    best = peaks.sort_values("pvalue").groupby(["start", "end"]).tail(1).sort_values("start")
    assert len(best) == len(PILES)
    assert np.all(np.abs(best["position"].to_numpy() - np.array(PILES)) <= 10)
