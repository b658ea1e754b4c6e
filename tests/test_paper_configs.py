"""Each seed paper's configuration (config/paper/<seed>.yaml) validates against the schema on
top of the demo config, its sample sheet parses with every FASTQ a downloadable URL, and a
Snakemake dry run of it builds a DAG that downloads those FASTQs and trains the paper's model."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from regflow.config import load_config
from regflow.download.urls import is_url, url_problem
from regflow.samplesheet import read_sample_sheet, validate_sample_sheet

REPO = Path(__file__).resolve().parents[1]
PAPERS = REPO / "config" / "paper"
# The model each seed paper is about (its training rule) and its size block; written out from
# the seeds, not read from the overlays.
TRAINED = {
    "000_chromatin_transformers": ("train_vit", "vit"),
    "001_genomic_interpreter": ("train_seqtrack", "seqtrack"),
    "002_get": ("train_get", "get"),
    "003_chrombpnet": ("train_chrombpnet", "chrombpnet"),
    "004_enformer": ("train_seqtrack", "seqtrack"),
}


def test_one_overlay_and_sheet_per_seed():
    assert sorted(p.stem for p in PAPERS.glob("*.yaml")) == sorted(TRAINED)
    assert sorted(p.name for p in PAPERS.glob("*.tsv")) == sorted(
        f"{name}_samples.tsv" for name in TRAINED
    )


@pytest.mark.parametrize("paper", sorted(TRAINED))
def test_overlay_validates_on_the_demo_config(paper):
    overlay = yaml.safe_load((PAPERS / f"{paper}.yaml").read_text())
    config = load_config(REPO / "config" / "config.yaml", overrides=overlay)

    assert config["simulate"]["enabled"] is False
    assert config["samples"] == f"config/paper/{paper}_samples.tsv"
    assert config[TRAINED[paper][1]]["size"] == "paper"
    for key in ("fasta", "gtf"):
        assert is_url(config["genome"][key]) and url_problem(config["genome"][key]) is None


@pytest.mark.parametrize("paper", sorted(TRAINED))
def test_sheet_parses_and_every_fastq_is_a_url(paper):
    path = PAPERS / f"{paper}_samples.tsv"
    sheet = validate_sample_sheet(read_sample_sheet(path), path, base_dir=REPO)

    fastqs = [f for column in ("fastq_1", "fastq_2") for f in sheet[column] if f]
    assert fastqs and all(is_url(f) and url_problem(f) is None for f in fastqs)


def jobs_per_rule(stdout: str) -> dict[str, int]:
    """The "Job stats:" table of a dry run, as {rule: count}."""
    table = stdout.split("Job stats:", 1)[1]
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", table, re.M)}


@pytest.mark.parametrize("paper", sorted(TRAINED))
def test_dry_run_downloads_the_reads_and_trains_the_model(paper, tmp_path):
    shutil.copytree(REPO / "config", tmp_path / "config")
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]
    command += ["--dry-run", "--quiet", "rules"]
    command += ["--configfile", "config/config.yaml", f"config/paper/{paper}.yaml"]

    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    jobs = jobs_per_rule(result.stdout)
    sheet = read_sample_sheet(PAPERS / f"{paper}_samples.tsv")
    n_fastqs = int((sheet[["fastq_1", "fastq_2"]] != "").to_numpy().sum())
    assert jobs["download_fastq"] == n_fastqs
    assert jobs["download_reference"] == 2  # genome FASTA and GTF
    assert jobs[TRAINED[paper][0]] >= 1
    assert not (tmp_path / "results").exists()
