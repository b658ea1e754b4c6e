"""Same seed, same bytes; another seed, other data; per-sample random streams."""

from __future__ import annotations

import json

import pytest

from regflow.cli import main

from .conftest import run_simulation, small_config

TINY = {
    "genome": {"chromosome_lengths": [60000, 40000]},
    "atac": {"fragments": 2000},
    "mnase": {"fragments": 2000},
    "rna": {"fragments": 2000},
}
SAMPLES = {"atac_cellA_r1": ("atac", "cellA", True), "rna_0min_r1": ("rna", "0min", False)}


def snapshot(outdir):
    return {p.relative_to(outdir): p.read_bytes() for p in sorted(outdir.rglob("*")) if p.is_file()}


def test_same_seed_gives_byte_identical_outputs(tmp_path):
    a = run_simulation(small_config(7, TINY), tmp_path / "a", SAMPLES)
    b = run_simulation(small_config(7, TINY), tmp_path / "b", SAMPLES)
    assert snapshot(a.outdir) == snapshot(b.outdir)


def test_another_seed_gives_different_outputs(tmp_path):
    a = snapshot(run_simulation(small_config(7, TINY), tmp_path / "a", SAMPLES).outdir)
    b = snapshot(run_simulation(small_config(8, TINY), tmp_path / "b", SAMPLES).outdir)
    assert a.keys() == b.keys()
    same = {str(k) for k in a if a[k] == b[k]}
    # only files fixed by the config alone (sizes, conditions, activities, motifs) agree
    assert same == {
        "genome/chrom.sizes",
        "genome/genome.fa.fai",
        "truth/conditions.tsv",
        "truth/tf_activity.tsv",
        "truth/planted_motifs.jaspar",
        "truth/tn5_bias.tsv",
    }


def test_each_sample_has_its_own_stream(tmp_path):
    """Replicates differ; a sample's reads do not depend on the other samples."""
    samples = {"atac_cellA_r1": ("atac", "cellA", True), "atac_cellA_r2": ("atac", "cellA", True)}
    run = run_simulation(small_config(7, TINY), tmp_path / "a", samples)
    r1 = run.fastq("atac_cellA_r1").read_bytes()
    assert r1 != run.fastq("atac_cellA_r2").read_bytes()
    alone = run_simulation(
        small_config(7, TINY), tmp_path / "b", {"atac_cellA_r1": samples["atac_cellA_r1"]}
    )
    assert alone.fastq("atac_cellA_r1").read_bytes() == r1


def test_unknown_condition_is_a_clear_error_without_output(tmp_path, capsys):
    cfg = small_config(7, TINY)
    run_simulation(cfg, tmp_path, {})
    capsys.readouterr()
    out = tmp_path / "fastq" / "x_R1.fastq.gz"
    sub = {"seed": 7, "sequencing": cfg["sequencing"], "rna": cfg["rna"]}
    rc = main(
        [
            "simulate",
            "reads",
            "--config-json",
            json.dumps(sub),
            "--truth-dir",
            str(tmp_path),
            "--sample",
            "rna_heat_r1",
            "--assay",
            "rna",
            "--condition",
            "heat",
            "--fastq-1",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 1
    assert "rna_heat_r1" in err and "'heat'" in err and "tpm.tsv" in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists() and not list(out.parent.glob(".tmp.*"))


@pytest.mark.parametrize("bad", ["{not json", "[]"])
def test_bad_config_json_is_reported(tmp_path, capsys, bad):
    rc = main(["simulate", "truth", "--config-json", bad, "--outdir", str(tmp_path)])
    assert rc == 1
    assert "config" in capsys.readouterr().err
