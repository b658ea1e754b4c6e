"""Sample names and paths never reach a shell unquoted.

Sample and condition names are restricted by the sample-sheet schema: hostile ones stop
Snakemake with one line naming the row. Paths are free: a slice of the workflow (check_genome,
the FASTQ check and fastp trimming of a paired-end and a single-end sample) runs from a working
directory, with a sample sheet, genome files and FASTQ files whose paths hold spaces, quotes,
``$``, ``;``, ``&`` and command substitutions, and nothing those characters could run happens.
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, SNAKEFILE

HEADER = "sample\tassay\tcondition\treplicate\tfastq_1\tfastq_2\n"
SIM = "results/simulate/fastq"
RNA = f"rna_0min_r1\trna\t0min\t1\t{SIM}/rna_0min_r1_R1.fastq.gz\t\n"

HOSTILE_NAMES = {
    "a b": "sample name 'a b' contains a space",
    "a;rm -rf x": "sample name 'a;rm -rf x' contains the shell metacharacter ';'",
    "$(touch pwned)": "sample name '$(touch pwned)' contains the shell metacharacter '$'",
    "a'b": 'sample name "a\'b" contains the shell metacharacter "\'"',
    "../x": "sample name '../x' contains a slash",
    "-x": "sample name '-x' must start with a letter or digit",
    "`touch pwned`": "sample name '`touch pwned`' contains the shell metacharacter '`'",
}


@pytest.mark.parametrize("name", list(HOSTILE_NAMES))
def test_hostile_sample_name_is_rejected_with_one_line(workdir, snakemake, name):
    row = f"{name}\trna\t0min\t2\t{SIM}/rna_0min_r2_R1.fastq.gz\t\n"
    sheet = workdir / "bad.tsv"
    sheet.write_text(HEADER + RNA + row)

    result = snakemake("--dry-run", "--config", "samples=bad.tsv")

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"Error: bad.tsv row 2 (sample {name!r}): {HOSTILE_NAMES[name]}"), output
    assert "Traceback" not in output
    assert not (workdir / "results").exists()
    assert not list(workdir.rglob("pwned*"))


def test_hostile_condition_is_rejected_with_one_line(workdir, snakemake):
    sheet = workdir / "bad.tsv"
    sheet.write_text(HEADER + RNA.replace("\t0min\t", "\t0min;touch pwned\t"))

    result = snakemake("--dry-run", "--config", "samples=bad.tsv")

    assert result.returncode != 0
    assert result.stderr.splitlines()[-1].startswith(
        "Error: bad.tsv row 1 (sample 'rna_0min_r1'): condition name '0min;touch pwned' "
        "contains the shell metacharacter ';'"
    )
    assert not list(workdir.rglob("pwned*"))


# Every character a shell would act on, in directory and file names.
HOSTILE = 'it\'s "q" $(touch pwned) `touch pwned2` ; touch pwned3 & $HOME'


def tiny_fastq(path: Path, seed: int, n: int = 40, length: int = 60) -> None:
    rng = random.Random(seed)
    with gzip.open(path, "wt") as handle:
        for i in range(n):
            seq = "".join(rng.choice("ACGT") for _ in range(length))
            handle.write(f"@read{i}\n{seq}\n+\n{'I' * length}\n")


@pytest.fixture
def hostile_workdir(tmp_path: Path) -> Path:
    """A working directory named with shell metacharacters holding config/, a sample sheet, a
    genome, a GTF and FASTQ files at hostile paths, one of them absolute."""
    workdir = tmp_path / f"work {HOSTILE}"
    shutil.copytree(REPO / "config", workdir / "config")
    data = workdir / f"data {HOSTILE}"
    data.mkdir()
    rng = random.Random(0)
    (data / f"genome {HOSTILE}.fa").write_text(
        ">chr1\n" + "".join(rng.choice("ACGT") for _ in range(2000)) + "\n"
    )
    (data / f"genes {HOSTILE}.gtf").write_text(
        'chr1\tsrc\tgene\t101\t600\t.\t+\t.\tgene_id "g1"; gene_name "G1";\n'
    )
    r1, r2, single = (data / f"{kind} {HOSTILE}.fastq.gz" for kind in ("R1", "R2", "single"))
    tiny_fastq(r1, 1)
    tiny_fastq(r2, 2)
    tiny_fastq(single, 3)
    rel = lambda p: str(p.relative_to(workdir))  # noqa: E731
    (workdir / f"samples {HOSTILE}.tsv").write_text(
        HEADER
        + f"atac_a\tatac\tcellA\t1\t{rel(r1)}\t{rel(r2)}\n"
        + f"rna_a\trna\tcellA\t1\t{single}\t\n"  # absolute
    )
    config = {
        "samples": f"samples {HOSTILE}.tsv",
        "simulate": {"enabled": False},
        "genome": {
            "fasta": rel(data / f"genome {HOSTILE}.fa"),
            "gtf": rel(data / f"genes {HOSTILE}.gtf"),
        },
    }
    (workdir / "hostile.yaml").write_text(json.dumps(config))
    return workdir


TARGETS = [
    "results/genome/chrom.sizes",
    "results/qc/atac_a/fastq_check.json",
    "results/qc/rna_a/fastq_check.json",
    "results/qc/atac_a/fastp.json",
    "results/qc/rna_a/fastp.json",
]


@pytest.mark.skipif(shutil.which("fastp") is None, reason="fastp is installed by scripts/setup.sh")
def test_hostile_paths_run_quoted(hostile_workdir):
    def snakemake(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE)]
            + ["--configfile", "hostile.yaml", "--cores", "2", *args, *TARGETS],
            cwd=hostile_workdir,
            capture_output=True,
            text=True,
            timeout=300,
        )

    dry = snakemake("-n", "-p")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    printed = dry.stdout + dry.stderr
    for rule in ("check_genome", "trim_paired", "trim_single"):
        assert f"rule {rule}:" in printed or f"localrule {rule}:" in printed, printed
    assert "'data it'\"'\"'s" in printed  # the paths are printed shell-quoted

    run = snakemake()
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    for target in TARGETS:
        assert (hostile_workdir / target).is_file(), target
    checked = json.loads((hostile_workdir / TARGETS[1]).read_text())
    assert checked["reads"] == 40 and checked["paired"] is True
    assert not list(hostile_workdir.parent.rglob("pwned*"))
    assert not list(Path.cwd().glob("pwned*"))
