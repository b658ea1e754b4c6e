"""``regflow profile-bigwig``: fold averaging, overlap averaging, bigWig round trip, errors."""

from __future__ import annotations

import numpy as np
import pyBigWig
import pytest

from regflow.cli import main
from regflow.errors import RegflowError
from regflow.tracks.profiles import ensemble_mean, overlap_mean


def test_overlap_mean_averages_shared_bases_and_drops_outside():
    starts = np.array([-1, 2])
    values = np.array([[1.0, 1.0, 1.0, 1.0], [3.0, 3.0, 3.0, 3.0]])  # bases -1..2 and 2..5
    pos, mean = overlap_mean(starts, values, length=5)
    assert pos.tolist() == [0, 1, 2, 3, 4]
    assert mean.tolist() == [1.0, 1.0, 2.0, 3.0, 3.0]


def test_ensemble_mean_checks_windows(tmp_path):
    a = {"names": np.array(["w1", "w2"]), "x": np.array([[1.0], [2.0]])}
    b = {"names": np.array(["w1", "w2"]), "x": np.array([[3.0], [4.0]])}
    assert ensemble_mean([a, b], "x", [tmp_path / "a", tmp_path / "b"]).tolist() == [[2.0], [3.0]]
    c = {"names": np.array(["w2", "w1"]), "x": b["x"]}
    with pytest.raises(RegflowError, match="other windows"):
        ensemble_mean([a, c], "x", [tmp_path / "a", tmp_path / "c"])


def _profiles(path, names, scale):
    np.savez(
        path,
        names=np.array(names),
        chroms=np.array(["chr1", "chr2"]),
        starts=np.array([5, 0]),
        corrected=np.full((2, 3), scale, dtype=np.float32),
    )
    return path


def test_cli_writes_the_fold_mean(tmp_path):
    sizes = tmp_path / "sizes.tsv"
    sizes.write_text("chr1\t20\nchr2\t10\n")
    a = _profiles(tmp_path / "a.npz", ["p1", "p2"], 1.0)
    b = _profiles(tmp_path / "b.npz", ["p1", "p2"], 3.0)
    out = tmp_path / "out.bw"
    argv = ["profile-bigwig", "--profiles", str(a), str(b), "--key", "corrected"]
    assert main([*argv, "--chrom-sizes", str(sizes), "--output", str(out)]) == 0
    bw = pyBigWig.open(str(out))
    try:
        assert bw.intervals("chr1") == ((5, 6, 2.0), (6, 7, 2.0), (7, 8, 2.0))
        assert np.nan_to_num(bw.values("chr2", 0, 10, numpy=True)).sum() == pytest.approx(6.0)
    finally:
        bw.close()
    # a key the files lack: one-line error, no output
    bad = tmp_path / "bad.bw"
    argv = ["profile-bigwig", "--profiles", str(a), "--key", "uncorrected"]
    assert main([*argv, "--chrom-sizes", str(sizes), "--output", str(bad)]) == 1
    assert not bad.exists()
