"""The real download rules, run by Snakemake in a scratch directory against the local HTTP
server: sheet URLs become byte-identical local FASTQs (and a gzipped reference an unpacked
one); a failing URL leaves no file and a message naming the sample."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import Serve, fastq_gz

REPO = Path(__file__).resolve().parents[2]
HEADER = "sample\tassay\tcondition\treplicate\tfastq_1\tfastq_2\tmd5_1\tmd5_2\n"
GENOME = b">chr1\nACGTACGTAC\n"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path


def snakemake(workdir: Path, overlay: dict, *targets: str) -> subprocess.CompletedProcess[str]:
    """Run the repository's Snakefile in ``workdir`` on the demo config plus ``overlay``."""
    (workdir / "overlay.yaml").write_text(yaml.safe_dump(overlay))
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]
    command += ["--configfile", "config/config.yaml", "overlay.yaml", "--cores", "1", *targets]
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=300)


def test_urls_in_the_sheet_are_downloaded_byte_for_byte(server, workdir):
    files = {f"/atac_1_R{r}.fastq.gz": fastq_gz(400, seed=r) for r in (1, 2)}
    files["/rna_1.fastq.gz"] = fastq_gz(300, seed=5)
    for path, body in files.items():
        server.routes[path] = [Serve(body)]
    server.routes["/genome.fa.gz"] = [Serve(gzip.compress(GENOME))]
    (workdir / "sheet.tsv").write_text(
        HEADER + f"atac_1\tatac\tcellA\t1\t{server.url('/atac_1_R1.fastq.gz')}"
        f"\t{server.url('/atac_1_R2.fastq.gz')}\t\t\n"
        + f"rna_1\trna\tcellA\t1\t{server.url('/rna_1.fastq.gz')}\t\t\t\n"
    )
    overlay = {
        "samples": "sheet.tsv",
        "simulate": {"enabled": False},
        "genome": {"fasta": server.url("/genome.fa.gz")},
        "download": {"backoff": 0},
    }
    local = {
        "resources/download/fastq/atac_1_R1.fastq.gz": files["/atac_1_R1.fastq.gz"],
        "resources/download/fastq/atac_1_R2.fastq.gz": files["/atac_1_R2.fastq.gz"],
        "resources/download/fastq/rna_1_R1.fastq.gz": files["/rna_1.fastq.gz"],
        "resources/download/genome/genome.fa": GENOME,
    }

    result = snakemake(workdir, overlay, *local)

    assert result.returncode == 0, result.stdout + result.stderr
    for path, body in local.items():
        assert (workdir / path).read_bytes() == body, path
    assert sorted(server.requests) == sorted([*files, "/genome.fa.gz"])


def test_the_reads_stage_asks_for_the_downloaded_copies(server, workdir):
    (workdir / "sheet.tsv").write_text(
        HEADER + f"rna_1\trna\tcellA\t1\t{server.url('/rna_1.fastq.gz')}\t\t\t\n"
    )
    overlay = {"samples": "sheet.tsv", "simulate": {"enabled": False}}

    result = snakemake(workdir, overlay, "--dry-run", "results/qc/rna_1/fastq_check.json")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "rule download_fastq:" in result.stdout
    assert "resources/download/fastq/rna_1_R1.fastq.gz" in result.stdout
    assert server.requests == []  # a dry run fetches nothing


def test_a_failing_url_leaves_no_file_and_names_the_sample(server, workdir):
    body = fastq_gz(100)
    server.routes["/rna_ok.fastq.gz"] = [Serve(body)]
    (workdir / "sheet.tsv").write_text(
        HEADER
        + f"rna_gone\trna\tcellA\t1\t{server.url('/gone.fastq.gz')}\t\t\t\n"
        + f"rna_ok\trna\tcellA\t1\t{server.url('/rna_ok.fastq.gz')}\t\t{'0' * 32}\t\n"
    )
    overlay = {"samples": "sheet.tsv", "simulate": {"enabled": False}}
    targets = [f"resources/download/fastq/{s}_R1.fastq.gz" for s in ("rna_gone", "rna_ok")]

    result = snakemake(workdir, overlay, "--keep-going", *targets)

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"sample 'rna_gone' fastq_1: {server.url('/gone.fastq.gz')}: HTTP 404" in output
    assert "sample 'rna_ok' fastq_1: " in output and "MD5 mismatch" in output
    assert sorted(p.name for p in workdir.rglob("*.fastq.gz")) == []  # no partial or failed copy
