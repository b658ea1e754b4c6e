"""Faults: a run killed mid-job leaves outputs that the next run (after ``snakemake
--unlock``) recomputes, through the workflow profile's ``rerun-incomplete``, and the finished
outputs equal those of an undisturbed run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pysam
import pytest
import yaml

from .conftest import REPO, SNAKEFILE

pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("bowtie2", "samtools", "fastp")),
    reason="bowtie2, samtools and fastp are installed by scripts/setup.sh",
)
SAMPLE = "atac_cellA_r1"
SMALL = {
    "samples": "config/fault_samples.tsv",
    "simulate": {
        "genome": {"chromosome_lengths": [120000, 100000], "repeats": {"copies": 1}},
        "atac": {"fragments": 30000},
    },
}


def setup_workdir(path):
    shutil.copytree(REPO / "config", path / "config")
    fastq = f"results/simulate/fastq/{SAMPLE}"
    (path / SMALL["samples"]).write_text(
        "sample\tassay\tcondition\treplicate\tfastq_1\tfastq_2\n"
        f"{SAMPLE}\tatac\tcellA\t1\t{fastq}_R1.fastq.gz\t{fastq}_R2.fastq.gz\n"
    )
    (path / "small.yaml").write_text(yaml.safe_dump(SMALL))
    return path


def snakemake_cmd(*targets):
    """Snakemake on the small config; targets go before --configfile, which takes a list."""
    return [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE), "--cores", "2"] + [
        *targets,
        "--configfile",
        "small.yaml",
    ]


def run(workdir, *targets):
    done = subprocess.run(
        snakemake_cmd(*targets), cwd=workdir, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def records(bam):
    with pysam.AlignmentFile(str(bam)) as handle:
        return [read.to_string() for read in handle]


def test_a_killed_alignment_is_recomputed_by_the_next_run(tmp_path):
    killed = setup_workdir(tmp_path / "killed")
    bam = f"results/bam/{SAMPLE}.bam"
    run(killed, f"results/trimmed/{SAMPLE}_R1.fastq.gz", "results/genome/bowtie2/genome.1.bt2")
    job = subprocess.Popen(
        snakemake_cmd(bam),
        cwd=killed,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    started = killed / f"results/qc/{SAMPLE}/bowtie2.txt"  # bowtie2's stderr: open at start
    deadline = time.monotonic() + 300
    while not started.exists() and job.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.poll() is None, "the alignment finished before it could be killed"
    os.killpg(job.pid, signal.SIGKILL)  # snakemake and its jobs, without any clean-up
    job.wait()
    assert not (killed / bam).exists()

    plan = subprocess.run(
        snakemake_cmd(bam, "-n"), cwd=killed, capture_output=True, text=True, timeout=120
    )
    assert plan.returncode == 0, plan.stderr[-2000:]
    assert "align" in plan.stdout  # the half-written outputs are recomputed, not trusted
    run(killed, "--unlock")  # a killed Snakemake leaves its lock: the documented first step
    run(killed, bam)
    pysam.quickcheck(str(killed / bam))
    assert "overall alignment rate" in started.read_text()

    clean = setup_workdir(tmp_path / "clean")
    run(clean, bam)
    assert records(killed / bam) == records(clean / bam)
