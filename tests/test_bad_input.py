"""Bad input at every stage: each case writes tiny hand-made files, runs the stage's command
(``python -m regflow ...``, or ``snakemake -n`` for the sample sheet and the config) and checks
that it fails with a non-zero exit status, with ONE error line naming the offending file,
sample or config key and the problem, without a traceback, and without leaving any output or
temporary (``.tmp.*``) file behind.

The CLI cases run in a scratch directory with their inputs under ``in/`` and every output path
under ``out/``; nothing may exist under ``out/`` afterwards.
"""

from __future__ import annotations

import bz2
import gzip
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SNAKEFILE = REPO / "Snakefile"


# --- tiny input files -------------------------------------------------------------------------


def fastq(reads: list[tuple[str, str]]) -> str:
    """FASTQ text of (name, sequence) reads with constant qualities."""
    return "".join(f"@{name}\n{seq}\n+\n{'I' * len(seq)}\n" for name, seq in reads)


def write_gz(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as handle:
        handle.write(text)
    return path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


TWO_READS = [("r1", "ACGTACGTAC"), ("r2", "TTGCATTGCA")]
GENOME = ">chr1\n" + "ACGT" * 250 + "\n"  # 1 kb
CHROM_SIZES = "chr1\t1000\n"
GTF_CHR2 = 'chr2\tsrc\tgene\t101\t200\t.\t+\t.\tgene_id "g1"; gene_name "G1";\n'
MEME_OK = (
    "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n"
    "MOTIF M1 one\nletter-probability matrix: alength= 4 w= 2\n"
    "0.7 0.1 0.1 0.1\n0.1 0.1 0.1 0.7\n"
)
FRAGMENTS = "chr1\t100\t250\ts1\t1\n"
GET_SETTINGS = {
    "model": {},
    "optim": {"lr": 0.001},  # lacks weight_decay, batch_size, ...
    "trainer": {},
    "window": 4,
    "train_stride": 2,
    "pretrain": {},
    "lora": {},
}


def fastq_pair(d: Path, r2_reads: list[tuple[str, str]]) -> list[str]:
    write_gz(d / "r1.fastq.gz", fastq(TWO_READS))
    write_gz(d / "r2.fastq.gz", fastq(r2_reads))
    return ["check-fastq", "--sample", "s1", "--fastq-1", "in/r1.fastq.gz"] + [
        "--fastq-2",
        "in/r2.fastq.gz",
        "--output",
        "out/fastq_check.json",
    ]


def check_fastq(d: Path, content: bytes) -> list[str]:
    (d / "r1.fastq.gz").write_bytes(content)
    return ["check-fastq", "--sample", "s1", "--fastq-1", "in/r1.fastq.gz"] + [
        "--output",
        "out/fastq_check.json",
    ]


def truncated_gzip(d: Path) -> list[str]:
    whole = gzip.compress(fastq(TWO_READS * 50).encode())
    return check_fastq(d, whole[: len(whole) // 2])


def not_gzip(d: Path) -> list[str]:
    return check_fastq(d, bz2.compress(fastq(TWO_READS).encode()))


def empty_fastq(d: Path) -> list[str]:
    return check_fastq(d, gzip.compress(b""))


def gtf_not_in_fasta(d: Path) -> list[str]:
    write(d / "genome.fa", GENOME)
    write(d / "genes.gtf", GTF_CHR2)
    return ["check-genome", "--fasta", "in/genome.fa", "--gtf", "in/genes.gtf"] + [
        "--chrom-sizes",
        "out/chrom.sizes",
        "--keep-bed",
        "out/keep.bed",
    ]


def empty_peaks(d: Path) -> list[str]:
    write(d / "s1.narrowPeak", "")
    write(d / "s2.narrowPeak", "")
    write(d / "chrom.sizes", CHROM_SIZES)
    return ["peaks", "consensus", "--narrowpeak", "s1=in/s1.narrowPeak", "s2=in/s2.narrowPeak"] + [
        "--condition",
        "s1=c1",
        "s2=c1",
        "--chrom-sizes",
        "in/chrom.sizes",
        "--output",
        "out/consensus.bed",
    ]


def empty_regions(d: Path) -> list[str]:
    write(d / "genome.fa", GENOME)
    write(d / "motifs.meme", MEME_OK)
    write(d / "regions.bed", "")
    return ["motifs", "scan", "--genome", "in/genome.fa", "--regions", "in/regions.bed"] + [
        "--motifs",
        "in/motifs.meme",
        "--output-prefix",
        "out/scores",
    ]


def motif_clusters(d: Path, name: str, text: str) -> list[str]:
    write(d / name, text)
    return ["motifs", "clusters", "--motifs", f"in/{name}", "--output", "out/clusters.tsv"]


def malformed_meme(d: Path) -> list[str]:
    # the second row of M1 holds three probabilities
    return motif_clusters(d, "motifs.meme", MEME_OK.replace("0.1 0.1 0.1 0.7", "0.1 0.1 0.8"))


def malformed_jaspar(d: Path) -> list[str]:
    text = ">MA0001.1 X\nA [ 1 2 ]\nC [ 1 2 ]\nG [ 1 ]\nT [ 1 2 ]\n"
    return motif_clusters(d, "motifs.jaspar", text)


def bigwig_missing_bam(d: Path) -> list[str]:
    write(d / "chrom.sizes", CHROM_SIZES)
    return ["bigwig", "--bam", "in/s1.bam", "--chrom-sizes", "in/chrom.sizes"] + [
        "--mode",
        "coverage",
        "--bin-size",
        "10",
        "--output",
        "out/s1.bw",
    ]


def bigwig_bad_chrom_sizes(d: Path) -> list[str]:
    write_gz(d / "s1.tsv.gz", FRAGMENTS)
    write(d / "chrom.sizes", "chr1 1000\n")  # a space, not a tab
    return ["bigwig", "--fragments", "in/s1.tsv.gz", "--chrom-sizes", "in/chrom.sizes"] + [
        "--mode",
        "cutsites",
        "--bin-size",
        "10",
        "--output",
        "out/s1.bw",
    ]


def fragments_missing_bam(d: Path) -> list[str]:
    return ["fragments", "--sample", "s1", "--bam", "in/s1.bam", "--output", "out/s1.tsv.gz"]


def fragments_not_a_bam(d: Path) -> list[str]:
    write(d / "s1.bam", "not a BAM\n")
    return ["fragments", "--sample", "s1", "--bam", "in/s1.bam", "--output", "out/s1.tsv.gz"]


def filter_missing_bam(d: Path) -> list[str]:
    write(d / "keep.bed", "chr1\t0\t1000\n")
    return ["filter-bam", "--sample", "s1", "--bam", "in/s1.raw.bam"] + [
        "--keep-bed",
        "in/keep.bed",
        "--output",
        "out/s1.bam",
        "--stats",
        "out/filter.json",
    ]


def tss_chrom_missing(d: Path) -> list[str]:
    write_gz(d / "s1.tsv.gz", FRAGMENTS)
    write(d / "genes.gtf", GTF_CHR2)
    write(d / "chrom.sizes", CHROM_SIZES)
    return ["qc", "tss-enrichment", "--sample", "s1", "--fragments", "in/s1.tsv.gz"] + [
        "--gtf",
        "in/genes.gtf",
        "--chrom-sizes",
        "in/chrom.sizes",
        "--output-profile",
        "out/tss_profile.tsv",
        "--output-json",
        "out/tss.json",
    ]


def mnase_gene_off_genome(d: Path) -> list[str]:
    write_gz(d / "s1.tsv.gz", FRAGMENTS)
    write(d / "genes.gtf", GTF_CHR2)
    write(d / "chrom.sizes", CHROM_SIZES)
    return ["mnase", "images", "--fragments", "s1=in/s1.tsv.gz", "--condition", "s1=0min"] + [
        "--gtf",
        "in/genes.gtf",
        "--chrom-sizes",
        "in/chrom.sizes",
        "--output",
        "out/images.npz",
    ]


def expression_missing_counts(d: Path) -> list[str]:
    write(
        d / "samples.tsv",
        "sample\tassay\tcondition\treplicate\tfastq_1\tfastq_2\n"
        "rna_a\trna\t0min\t1\tin/rna_a.fastq.gz\t\n",
    )
    write(d / "rna_a.fragment_length.json", json.dumps({"sample": "rna_a", "mean": 200}))
    return ["expression", "tables", "--counts", "rna_a=in/rna_a.featureCounts.txt"] + [
        "--fragment-length",
        "rna_a=in/rna_a.fragment_length.json",
        "--samples",
        "in/samples.tsv",
        "--outdir",
        "out/expression",
    ]


def vit_images_missing(d: Path) -> list[str]:
    return ["datasets", "vit", "--images", "in/images.npz", "--train-conditions", "0min"] + [
        "--test-conditions",
        "120min",
        "--outdir",
        "out/vit",
    ]


def seqtrack_missing_bigwig(d: Path) -> list[str]:
    write(d / "genome.fa", GENOME)
    write(d / "chrom.sizes", CHROM_SIZES)
    settings = {
        "seq_len": 200,
        "bin_size": 10,
        "crop_bins": 2,
        "stride": 200,
        "max_shift": 0,
        "val_chromosomes": [],
        "test_chromosomes": [],
        "exclude_chromosomes": [],
    }
    return ["datasets", "seqtrack", "--genome", "in/genome.fa", "--chrom-sizes"] + [
        "in/chrom.sizes",
        "--track",
        "atac_0min",
        "atac",
        "in/atac.0min.cpm.bw",
        "--settings",
        json.dumps(settings),
        "--outdir",
        "out/seqtrack",
    ]


def get_dataset(d: Path, n_label_peaks: int) -> None:
    """A GET dataset directory of 1 condition x 5 peaks x 3 features; labels cover
    ``n_label_peaks`` peaks (5 is consistent)."""
    ds = d / "get"
    ds.mkdir(parents=True)
    np.savez(
        ds / "dataset.npz",
        features=np.zeros((1, 5, 3), np.float32),
        labels=np.zeros((1, n_label_peaks, 2), np.float32),
        is_tss=np.zeros((5, 2), bool),
        peak_ids=np.array([f"p{i}" for i in range(5)]),
        chroms=np.array(["chr1"] * 5),
        conditions=np.array(["c1"]),
        windows=np.zeros((1, 4), np.int64),
        feature_names=np.array(["m1", "m2", "accessibility"]),
    )
    write(ds / "splits.tsv", "condition\tchrom\tsplit\nc1\tchr1\ttrain\n")


def forest_wrong_shapes(d: Path) -> list[str]:
    get_dataset(d, n_label_peaks=4)
    return ["train", "get-forest", "--dataset", "in/get", "--outdir", "out/get_forest"]


def forest_split_missing(d: Path) -> list[str]:
    get_dataset(d, n_label_peaks=5)
    write(d / "get/splits.tsv", "condition\tchrom\tsplit\nc1\tchr2\ttrain\n")
    return ["train", "get-forest", "--dataset", "in/get", "--outdir", "out/get_forest"]


def settings_missing_keys(d: Path) -> list[str]:
    get_dataset(d, n_label_peaks=5)
    return ["train", "get", "--dataset", "in/get", "--settings", json.dumps(GET_SETTINGS)] + [
        "--outdir",
        "out/get",
    ]


def metrics_missing(d: Path) -> list[str]:
    return ["train", "seqtrack-table", "--metrics", "in/swin/metrics.json"] + [
        "--output",
        "out/seqtrack_pearson.tsv",
    ]


def run_config_lacks_variant(d: Path) -> list[str]:
    write(d / "run" / "config.yaml", "model: {}\noptim: {}\n")
    (d / "vit").mkdir()
    return ["interpret", "vit-attention", "--run", "in/run", "--dataset", "in/vit"] + [
        "--outdir",
        "out/attention",
    ]


def enrich(d: Path, matrix: str, gmt: str) -> list[str]:
    write(d / "gene_motif.tsv", matrix)
    write(d / "sets.gmt", gmt)
    return ["enrich", "offline", "--matrix", "in/gene_motif.tsv", "--gmt", "in/sets.gmt"] + [
        "--table",
        "out/enrichment.tsv",
        "--plot",
        "out/enrichment.png",
    ]


def malformed_gmt(d: Path) -> list[str]:
    return enrich(d, "gene_id\tM1\ng1\t0.5\ng2\t0.1\n", "SET1 g1 g2\n")  # spaces, not tabs


def empty_matrix(d: Path) -> list[str]:
    return enrich(d, "gene_id\tM1\n", "SET1\tfirst set\tg1\tg2\n")


@dataclass(frozen=True)
class Case:
    stage: str
    setup: Callable[[Path], list[str]]  # writes inputs under in/, returns the regflow argv
    expected: tuple[str, ...]  # each must be in the one error line


CLI_CASES = {
    "fastq truncated gzip": Case(
        "reads",
        truncated_gzip,
        ("sample 's1'", "in/r1.fastq.gz", "truncated or corrupt gzip"),
    ),
    "fastq not gzip": Case(
        "reads", not_gzip, ("sample 's1'", "in/r1.fastq.gz", "not a FASTQ file (first line 'BZh")
    ),
    "fastq empty": Case("reads", empty_fastq, ("sample 's1'", "in/r1.fastq.gz: no reads")),
    "fastq R1/R2 read counts": Case(
        "reads",
        lambda d: fastq_pair(d, TWO_READS[:1]),
        ("sample 's1'", "in/r2.fastq.gz: 1 records but in/r1.fastq.gz has 2"),
    ),
    "fastq R1/R2 read names": Case(
        "reads",
        lambda d: fastq_pair(d, [("x1", "ACGT"), ("x2", "ACGT")]),
        ("sample 's1'", "in/r2.fastq.gz", "read name 'x1' does not match 'r1'"),
    ),
    "GTF chromosome not in FASTA": Case(
        "reads",
        gtf_not_in_fasta,
        ("in/genes.gtf", "contig(s) of the annotation are not in in/genome.fa: chr2"),
    ),
    "BAM missing (filter-bam)": Case(
        "reads", filter_missing_bam, ("sample 's1'", "in/s1.raw.bam: BAM not found")
    ),
    "BAM missing (fragments)": Case(
        "reads", fragments_missing_bam, ("sample 's1'", "in/s1.bam: BAM not found")
    ),
    "not a BAM (fragments)": Case(
        "reads", fragments_not_a_bam, ("sample 's1'", "in/s1.bam: cannot read BAM")
    ),
    "BAM missing (bigwig)": Case("tracks", bigwig_missing_bam, ("BAM in/s1.bam does not exist",)),
    "chrom sizes not tab-separated": Case(
        "tracks",
        bigwig_bad_chrom_sizes,
        ("in/chrom.sizes line 1", "expected chrom<TAB>length", "'chr1 1000'"),
    ),
    "TSS off the chromosomes": Case(
        "qc",
        tss_chrom_missing,
        ("sample s1", "in/genes.gtf", "missing from the chrom sizes: chr2"),
    ),
    "empty peaks": Case("peaks", empty_peaks, ("no sample has any peak", "s1=in/s1.narrowPeak")),
    "featureCounts file missing": Case(
        "expression",
        expression_missing_counts,
        ("sample rna_a", "featureCounts file in/rna_a.featureCounts.txt does not exist"),
    ),
    "MNase gene off the chromosomes": Case(
        "mnase",
        mnase_gene_off_genome,
        ("GTF in/genes.gtf", "gene g1 is on chr2, absent from the chromosome sizes"),
    ),
    "malformed MEME": Case(
        "motifs",
        malformed_meme,
        ("motif file in/motifs.meme line 10", "4 probabilities summing to 1"),
    ),
    "malformed JASPAR": Case(
        "motifs",
        malformed_jaspar,
        ("motif file in/motifs.jaspar line 1", "rows of motif MA0001.1 differ in length"),
    ),
    "empty regions BED": Case(
        "motifs", empty_regions, ("regions BED in/regions.bed has no regions",)
    ),
    "MNase images missing": Case(
        "datasets", vit_images_missing, ("MNase images in/images.npz does not exist",)
    ),
    "bigWig missing": Case(
        "datasets",
        seqtrack_missing_bigwig,
        ("bigWig of track atac_0min in/atac.0min.cpm.bw does not exist",),
    ),
    "dataset with wrong shapes": Case(
        "train",
        forest_wrong_shapes,
        ("GET dataset in/get/dataset.npz", "labels has shape (1, 4, 2), expected (1, 5, 2)"),
    ),
    "splits.tsv lacks a chromosome": Case(
        "train",
        forest_split_missing,
        ("in/get/splits.tsv: no split for condition 'c1' on chr1",),
    ),
    "settings JSON missing keys": Case(
        "train", settings_missing_keys, ("--settings lacks optim.weight_decay",)
    ),
    "run metrics missing": Case(
        "train", metrics_missing, ("training metrics in/swin/metrics.json does not exist",)
    ),
    "run config lacks a key": Case(
        "interpret", run_config_lacks_variant, ("run config in/run/config.yaml lacks variant",)
    ),
    "malformed GMT": Case(
        "enrich",
        malformed_gmt,
        ("GMT file in/sets.gmt line 1", "separated by tabs, got 1 field(s)"),
    ),
    "empty gene x motif matrix": Case(
        "enrich",
        empty_matrix,
        ("gene x motif matrix in/gene_motif.tsv needs at least one gene and one motif",),
    ),
}


def leftovers(root: Path) -> list[str]:
    """Files under ``root/out`` and temporary files anywhere under ``root``."""
    out = [p for p in (root / "out").rglob("*") if not p.is_dir()]
    tmp = [p for p in root.rglob("*") if ".tmp." in p.name or p.name.startswith(".filter.")]
    return sorted(str(p.relative_to(root)) for p in out + tmp)


def assert_one_error_line(stderr: str, prefix: str, expected: tuple[str, ...], output: str):
    errors = [line for line in stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1, output
    assert errors[0] == stderr.splitlines()[-1], output
    assert errors[0].startswith(prefix), output
    for text in expected:
        assert text in errors[0], output
    assert "Traceback" not in output
    assert 'File "' not in output  # no stack frames either


@pytest.mark.parametrize("name", list(CLI_CASES))
def test_bad_input_fails_with_one_line_and_no_output(tmp_path, name):
    case = CLI_CASES[name]
    (tmp_path / "in").mkdir()
    argv = case.setup(tmp_path / "in")
    env = {**os.environ, "PYTHONPATH": str(REPO / "workflow")}

    result = subprocess.run(
        [sys.executable, "-m", "regflow", *argv],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert_one_error_line(result.stderr, f"regflow {argv[0]}: error: ", case.expected, output)
    assert leftovers(tmp_path) == []


# --- the sample sheet and the config, read when Snakemake parses the workflow -----------------

HEADER = "sample\tassay\tcondition\treplicate\tfastq_1\tfastq_2\n"
SIM = "results/simulate/fastq"
RNA = f"rna_0min_r1\trna\t0min\t1\t{SIM}/rna_0min_r1_R1.fastq.gz\t\n"
ATAC = (
    f"atac_cellA_r1\tatac\tcellA\t1\t{SIM}/atac_cellA_r1_R1.fastq.gz"
    f"\t{SIM}/atac_cellA_r1_R2.fastq.gz\n"
)

SHEET_CASES = {
    "duplicate sample": (
        HEADER + RNA + ATAC + RNA.replace("\t1\t", "\t2\t"),
        ("row 3 (sample 'rna_0min_r1')", "duplicate sample name (also row 1)"),
    ),
    "missing column": (
        HEADER.replace("\treplicate", "") + RNA.replace("\t1\t", "\t"),
        ("missing column(s) replicate",),
    ),
    "bad assay": (
        HEADER + RNA + RNA.replace("rna_0min_r1\trna", "chip_0min_r1\tChIP"),
        ("row 2 (sample 'chip_0min_r1')", "unknown assay 'ChIP'"),
    ),
    "paired assay without fastq_2": (
        HEADER + RNA + ATAC.replace(f"{SIM}/atac_cellA_r1_R2.fastq.gz", ""),
        ("row 2 (sample 'atac_cellA_r1')", "atac samples must be paired-end: fastq_2 is missing"),
    ),
    "unknown condition": (
        HEADER + RNA + RNA.replace("rna_0min_r1\trna\t0min", "rna_9min_r1\trna\t9min"),
        ("row 2 (sample 'rna_9min_r1')", "condition '9min' is not simulated"),
    ),
}

CONFIG_CASES = {
    "negative threads": (
        {"train": {"threads": -2}},
        ("train.threads", "-2 is less than the minimum of 1"),
    ),
    "probability above 1": (
        {"peaks": {"qvalue": 1.5}},
        ("peaks.qvalue", "1.5 is greater than the maximum of 1"),
    ),
    "unknown key": (
        {"peaks": {"q_value": 0.01}},
        ("peaks", "'q_value' was unexpected"),
    ),
}


def dry_run(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    shutil.copytree(REPO / "config", workdir / "config")
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE), "-n", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_stopped(result, workdir: Path, expected: tuple[str, ...]) -> None:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert_one_error_line(result.stderr, "Error: ", expected, output)
    for made in ("results", "logs", ".snakemake"):
        assert not (workdir / made).exists(), made


@pytest.mark.parametrize("name", list(SHEET_CASES))
def test_bad_sample_sheet_stops_snakemake(tmp_path, name):
    text, expected = SHEET_CASES[name]
    write(tmp_path / "bad.tsv", text)
    result = dry_run(tmp_path, "--config", "samples=bad.tsv")
    assert_stopped(result, tmp_path, ("bad.tsv", *expected))


@pytest.mark.parametrize("name", list(CONFIG_CASES))
def test_bad_config_value_stops_snakemake(tmp_path, name):
    override, expected = CONFIG_CASES[name]
    write(tmp_path / "bad.yaml", json.dumps(override))  # JSON is YAML
    result = dry_run(tmp_path, "--configfile", "bad.yaml")
    assert_stopped(result, tmp_path, ("invalid config", *expected))
