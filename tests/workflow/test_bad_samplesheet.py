"""A bad sample sheet stops Snakemake with one line naming the sheet, row, sample and problem,
a non-zero exit status and no Python traceback."""

from __future__ import annotations

import pytest

HEADER = "sample\tassay\tcondition\treplicate\tfastq_1\tfastq_2\n"
SIM = "results/simulate/fastq"
GOOD = [
    f"rna_0min_r1\trna\t0min\t1\t{SIM}/rna_0min_r1_R1.fastq.gz\t\n",
    f"atac_cellA_r1\tatac\tcellA\t1\t{SIM}/atac_cellA_r1_R1.fastq.gz"
    f"\t{SIM}/atac_cellA_r1_R2.fastq.gz\n",
]

BAD_SHEETS = {
    "duplicate sample": (
        [*GOOD, f"rna_0min_r1\trna\t0min\t2\t{SIM}/rna_0min_r1_R1.fastq.gz\t\n"],
        "row 3 (sample 'rna_0min_r1'): duplicate sample name (also row 1)",
    ),
    "unknown assay": (
        [*GOOD, f"chip_0min_r1\tchipseq\t0min\t1\t{SIM}/chip_0min_r1_R1.fastq.gz\t\n"],
        "row 3 (sample 'chip_0min_r1'): unknown assay 'chipseq'",
    ),
    "space in name": (
        [GOOD[0], f"rna 0min r2\trna\t0min\t2\t{SIM}/rna_0min_r2_R1.fastq.gz\t\n", GOOD[1]],
        "row 2 (sample 'rna 0min r2'): sample name 'rna 0min r2' contains a space",
    ),
    "missing file": (
        [*GOOD, "rna_0min_r2\trna\t0min\t2\tdata/rna_0min_r2_R1.fastq.gz\t\n"],
        "row 3 (sample 'rna_0min_r2'): fastq_1 file not found: data/rna_0min_r2_R1.fastq.gz",
    ),
    "mnase single-end": (
        [*GOOD, f"mnase_0min_r1\tmnase\t0min\t1\t{SIM}/mnase_0min_r1_R1.fastq.gz\t\n"],
        "row 3 (sample 'mnase_0min_r1'): mnase samples must be paired-end",
    ),
}


@pytest.mark.parametrize("case", list(BAD_SHEETS))
def test_bad_sheet_stops_with_one_line(workdir, snakemake, case):
    rows, problem = BAD_SHEETS[case]
    sheet = workdir / "bad.tsv"
    sheet.write_text(HEADER + "".join(rows))

    result = snakemake("--dry-run", "--config", f"samples={sheet}")

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"Error: {sheet} {problem}" in result.stderr.splitlines()[-1], output
    assert "Traceback" not in output
    assert 'File "' not in output  # no stack frames either
    assert not (workdir / "results").exists()


def test_missing_sheet(workdir, snakemake):
    result = snakemake("--dry-run", "--config", "samples=nope.tsv")
    assert result.returncode != 0
    assert result.stderr.splitlines()[-1] == "Error: nope.tsv: sample sheet not found"


def test_bad_config_is_one_line(workdir, snakemake):
    result = snakemake("--dry-run", "--config", "sample_sheet={'condition_required_for': [dna]}")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert result.stderr.splitlines()[-1] == (
        "Error: invalid config: sample_sheet.condition_required_for.0: "
        "'dna' is not one of ['atac', 'mnase', 'rna'] (see config/README.md)"
    )
    assert "Traceback" not in output
