"""Dry-run the demo and count the jobs of each rule (as snakePipes' job-count tests do).

The expected numbers are written out from the demo design in config/samples.tsv, not derived
from the code under test: MNase-seq (6 time points + 1 cell type) x 1 replicate (paired-end),
ATAC-seq 6 time points x 1 replicate + 2 cell types x 2 replicates (paired-end), RNA-seq (6
time points + 2 cell types) x 2 replicates (single-end); 5 chromatin-ViT variants; one
ChromBPNet fold; five sequence-to-track models.
"""

from __future__ import annotations

import re

EXPECTED_JOBS = {
    "simulate_truth": 1,
    "simulate_reads_paired": 17,
    "simulate_reads_single": 16,
    "check_genome": 1,
    "bowtie2_index": 1,
    "trim_paired": 17,
    "trim_single": 16,
    "align": 33,
    "filter_bam": 33,
    "fragments": 17,  # paired-end ATAC + MNase
    "bigwig_sample": 33,
    "bigwig_size_classes_atac": 10,  # one job per sample: nfr, mono
    "bigwig_size_classes_mnase": 7,  # one job per sample: small, medium, nucleosome
    "bigwig_condition": 23,  # ATAC 8 + MNase 7 + RNA 8 conditions
    "qc_fragment_lengths": 17,
    "qc_tss_enrichment": 10,  # ATAC only
    "qc_table": 1,
    "qc_plot_fragment_lengths": 1,
    "qc_plot_tss": 1,
    "macs3_callpeak": 10,  # ATAC: cut sites, MACS3 and the filter in one job
    "consensus_peaks": 1,
    "peak_counts": 1,
    "featurecounts": 16,  # RNA
    "salmon_transcripts": 1,
    "salmon_index": 1,
    "salmon_quant": 16,
    "expression_tables": 1,
    "mnase_images": 1,
    "mnase_typhoon": 1,
    "motifs_fetch": 1,
    "motif_clusters": 1,
    "motif_scan_peaks": 1,
    "motif_scan_promoters": 1,
    "motif_cluster_matrix": 2,  # peaks, promoters
    "dataset_vit": 1,
    "dataset_get": 1,
    "train_vit": 5,  # the variants of config.yaml
    "train_vit_gp": 1,
    "train_get": 1,
    "train_get_forest": 1,
    "chrombpnet_cutsites": 1,
    "dataset_chrombpnet": 1,
    "train_chrombpnet_bias": 1,  # one fold
    "train_chrombpnet": 1,
    "chrombpnet_bigwig": 2,  # corrected, uncorrected
    "dataset_seqtrack": 1,
    "train_seqtrack": 5,  # MaxPool CNN, AttentionPool CNN, dilated CNN, Enformer, 1D-Swin
    "seqtrack_table": 1,
    "interpret_get_jacobian": 1,
    "interpret_vit_attention": 1,
    "interpret_swin_attention": 1,
    "interpret_chrombpnet_contributions": 2,  # bias-corrected, bias
    "interpret_seqtrack_contributions": 2,  # MaxPool CNN, 1D-Swin
    "interpret_modisco": 4,  # (corrected, bias) x (counts, profile)
    "enrich_offline": 1,
    "enrich_recovery": 1,
    "truth_recovery": 1,
    "figure_vit_r2": 1,
    "figure_vit_scatter": 1,
    "figure_vit_attention": 1,
    "figure_seqtrack_table": 1,
    "figure_get_heatmap": 1,
    "figure_get_enrichment": 1,
    "figure_get_vs_forest": 1,
    "figure_chrombpnet_locus": 1,
    "figure_chrombpnet_motifs": 1,
    "figure_qc": 1,
    "figure_truth_recovery": 1,
    "provenance": 1,
    "all": 1,
}
# Per-sample rules of a single-end RNA-seq sample: adding one adds one job to each.
PER_RNA_SAMPLE = (
    "simulate_reads_single",
    "trim_single",
    "align",
    "filter_bam",
    "bigwig_sample",
    "featurecounts",
    "salmon_quant",
)


def job_counts(stdout: str) -> dict[str, int]:
    """The first "Job stats:" table of a Snakemake dry run, as {rule: count} (no total)."""
    lines = stdout.splitlines()
    start = lines.index("Job stats:") + 3  # skip the title, the header and the rule line
    counts = {}
    for line in lines[start:]:
        match = re.fullmatch(r"(\S+)\s+(\d+)", line.strip())
        if not match:
            break
        counts[match.group(1)] = int(match.group(2))
    assert counts.pop("total") == sum(counts.values())
    return counts


def test_demo_job_counts(workdir, snakemake):
    result = snakemake("--dry-run", "--quiet", "rules")
    assert result.returncode == 0, result.stdout + result.stderr
    assert job_counts(result.stdout) == EXPECTED_JOBS
    assert not (workdir / "results").exists()


def test_adding_a_sample_adds_one_job(workdir, snakemake):
    fastq = "results/simulate/fastq/rna_cellB_r3_R1.fastq.gz"
    with (workdir / "config" / "samples.tsv").open("a") as sheet:
        sheet.write(f"rna_cellB_r3\trna\tcellB\t3\t{fastq}\t\n")
    result = snakemake("--dry-run", "--quiet", "rules")
    assert result.returncode == 0, result.stdout + result.stderr
    assert job_counts(result.stdout) == {
        **EXPECTED_JOBS,
        **{rule: EXPECTED_JOBS[rule] + 1 for rule in PER_RNA_SAMPLE},
    }
