"""``regflow datasets chrombpnet`` and ``regflow datasets seqtrack`` end to end on tiny inputs,
and failures (exit status 1, a one-line error naming the culprit, no outputs)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyBigWig
import pytest

from regflow.cli import main

from .test_chrombpnet import SETTINGS as BPNET_SETTINGS
from .test_chrombpnet import SIZES as BPNET_SIZES
from .test_chrombpnet import write_inputs as write_bpnet_inputs
from .test_seqtrack import SETTINGS as SEQTRACK_SETTINGS
from .test_seqtrack import write_inputs as write_seqtrack_inputs


def _one_line_error(capsys, *fragments: str) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("regflow datasets: error: ")
    for fragment in fragments:
        assert fragment in err
    return err


# ---------------------------------------------------------------- datasets chrombpnet


@pytest.fixture(scope="module")
def bpnet_inputs(tmp_path_factory):
    return write_bpnet_inputs(tmp_path_factory.mktemp("bpnet"))[0]


def _bpnet_argv(paths, outdir, settings=None, **changes):
    paths = {**paths, **changes}
    return [
        "datasets",
        "chrombpnet",
        "--genome",
        str(paths["genome"]),
        "--chrom-sizes",
        str(paths["chrom_sizes"]),
        "--cutsites",
        str(paths["cutsites"]),
        "--peaks",
        str(paths["peaks"]),
        "--blacklist",
        str(paths["blacklist"]),
        "--settings",
        json.dumps(BPNET_SETTINGS) if settings is None else settings,
        "--outdir",
        str(outdir),
    ]


def test_chrombpnet_writes_the_dataset(bpnet_inputs, tmp_path):
    out = tmp_path / "bpnet"
    assert main(_bpnet_argv(bpnet_inputs, out)) == 0
    assert sorted(p.name for p in out.iterdir()) == ["dataset.json", "dataset.npz", "regions.tsv"]
    regions = pd.read_csv(out / "regions.tsv", sep="\t")
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
    with np.load(out / "dataset.npz") as data:
        assert set(data.files) == {"sequences", "counts", "is_peak", "chroms", "centres"}
        assert data["sequences"].shape == (len(regions), 240, 4)
        np.testing.assert_array_equal(data["centres"], regions["centre"])
        np.testing.assert_array_equal(data["is_peak"], regions["kind"] == "peak")
    record = json.loads((out / "dataset.json").read_text())
    assert record["settings"] == BPNET_SETTINGS
    assert record["peaks"]["kept"] == int((regions["kind"] == "peak").sum())


def test_chrombpnet_missing_peaks_leaves_nothing(bpnet_inputs, tmp_path, capsys):
    out = tmp_path / "bpnet"
    missing = tmp_path / "nope.bed"
    assert main(_bpnet_argv(bpnet_inputs, out, peaks=missing)) == 1
    _one_line_error(capsys, "consensus peaks", str(missing), "does not exist")
    assert not out.exists() or not any(out.iterdir())


def test_chrombpnet_bigwig_without_a_chromosome(bpnet_inputs, tmp_path, capsys):
    partial = tmp_path / "partial.bw"
    bw = pyBigWig.open(str(partial), "w")
    bw.addHeader([("chr1", BPNET_SIZES["chr1"]), ("chr3", BPNET_SIZES["chr3"])])
    bw.close()
    out = tmp_path / "bpnet"
    assert main(_bpnet_argv(bpnet_inputs, out, cutsites=partial)) == 1
    _one_line_error(capsys, "chr2", str(partial))
    assert not out.exists() or not any(out.iterdir())


def test_chrombpnet_bad_settings(bpnet_inputs, tmp_path, capsys):
    out = tmp_path / "bpnet"
    assert main(_bpnet_argv(bpnet_inputs, out, settings="[200, 100]")) == 1
    _one_line_error(capsys, "--settings must be a JSON object")
    bad = json.dumps({**BPNET_SETTINGS, "jiter": 5})
    assert main(_bpnet_argv(bpnet_inputs, out, settings=bad)) == 1
    _one_line_error(capsys, "unknown key 'jiter'")
    lacking = json.dumps({k: v for k, v in BPNET_SETTINGS.items() if k != "folds"})
    assert main(_bpnet_argv(bpnet_inputs, out, settings=lacking)) == 1
    _one_line_error(capsys, "lack key 'folds'")
    assert not out.exists()


# ---------------------------------------------------------------- datasets seqtrack


@pytest.fixture(scope="module")
def seqtrack_inputs(tmp_path_factory):
    return write_seqtrack_inputs(tmp_path_factory.mktemp("seqtrack"))[0]


def _seqtrack_argv(paths, outdir, tracks=None, settings=None):
    argv = [
        "datasets",
        "seqtrack",
        "--genome",
        str(paths["genome"]),
        "--chrom-sizes",
        str(paths["chrom_sizes"]),
        "--settings",
        json.dumps(SEQTRACK_SETTINGS) if settings is None else settings,
        "--outdir",
        str(outdir),
    ]
    for name, assay, path in paths["tracks"] if tracks is None else tracks:
        argv += ["--track", name, assay, str(path)]
    return argv


def test_seqtrack_writes_the_dataset(seqtrack_inputs, tmp_path):
    out = tmp_path / "seqtrack"
    assert main(_seqtrack_argv(seqtrack_inputs, out)) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "dataset.json",
        "dataset.npz",
        "tracks.tsv",
        "windows.tsv",
    ]
    windows = pd.read_csv(out / "windows.tsv", sep="\t")
    assert list(windows.columns) == ["chrom", "start", "end", "split"]
    tracks = pd.read_csv(out / "tracks.tsv", sep="\t")
    assert tracks.values.tolist() == [[n, a, str(p)] for n, a, p in seqtrack_inputs["tracks"]]
    with np.load(out / "dataset.npz") as data:
        assert set(data.files) == {"sequences", "targets", "track_names", "assays"}
        assert data["targets"].shape == (len(windows), 16, 2)
        assert data["track_names"].tolist() == ["atac_a", "mnase_a"]
    record = json.loads((out / "dataset.json").read_text())
    assert record["splits"] == windows["split"].value_counts().to_dict()


def test_seqtrack_failures_leave_nothing(seqtrack_inputs, tmp_path, capsys):
    out = tmp_path / "seqtrack"
    partial = tmp_path / "partial.bw"
    bw = pyBigWig.open(str(partial), "w")
    bw.addHeader([("chr1", 5_000), ("chr2", 3_000)])
    bw.close()
    tracks = [*seqtrack_inputs["tracks"], ("p", "ATAC", partial)]
    assert main(_seqtrack_argv(seqtrack_inputs, out, tracks=tracks)) == 1
    _one_line_error(capsys, str(partial), "no chromosome chr3")
    bad = json.dumps({**SEQTRACK_SETTINGS, "bin_size": 300})
    assert main(_seqtrack_argv(seqtrack_inputs, out, settings=bad)) == 1
    _one_line_error(capsys, "'bin_size'")
    assert main(_seqtrack_argv(seqtrack_inputs, out, settings="not json")) == 1
    _one_line_error(capsys, "--settings is not valid JSON")
    assert not out.exists()
