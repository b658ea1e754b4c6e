# regflow: from raw reads to trained, interpreted models of chromatin and expression.
# Thin entry point: configuration, the rule files of each stage, and the default target.
# Run from the repository root: `snakemake --cores 2` (see README.md).

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/download.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/reads.smk"
include: "workflow/rules/qc.smk"
include: "workflow/rules/peaks.smk"
include: "workflow/rules/expression.smk"
include: "workflow/rules/mnase.smk"
include: "workflow/rules/motifs.smk"
include: "workflow/rules/datasets.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/interpret.smk"
include: "workflow/rules/enrich.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/figures.smk"


localrules:
    all,


rule all:
    """Everything the workflow makes so far: per sample, the filtered BAM, fragments, CPM
    bigWigs (also per size class and merged per condition) and QC, gathered in one table;
    ATAC-seq peaks, the consensus set and its logCPM matrix; RNA-seq gene TPM tables; MNase
    images; motif matrices; the trained models and their baselines with metrics; the seed
    papers' figures and the run's provenance."""
    input:
        reads_targets(),
        peaks_targets(),
        expression_targets(),
        mnase_outputs(),
        motif_outputs(),
        model_outputs(),
        interpret_outputs(),
        enrich_outputs(),
        truth_recovery_outputs(),
        figures_outputs(),
